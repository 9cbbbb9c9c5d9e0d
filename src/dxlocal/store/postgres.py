"""PostgreSQL backend: several ``dxlocal serve`` processes on one database.

Everything lives in the schema ``dxlocal`` of the database the URL names; dxlocal creates it
at first start and stamps its layout in ``dxlocal.meta`` (``schema_version``). A database
whose ``dxlocal`` schema carries no stamp, or a newer one, is refused with ``StateRefused``
and left as it is.

Isolation: every transaction is SERIALIZABLE (PostgreSQL's serializable snapshot isolation),
so every rule a call checks by reading (one BGP peer per family, a VLAN once per connection,
the per-location quota) holds across servers exactly as it holds within one. A transaction
that loses a race fails with a serialization failure (SQLSTATE 40001) or a deadlock
(40P01); both become ``Conflict`` and doom the whole outermost transaction, which the caller
runs again. An id that collides (unique violation, 23505) becomes ``IdTaken``.

Timers are fetched ``FOR UPDATE SKIP LOCKED``: a timer another server is firing is left to
it, and the serializable COMMIT makes each fire exactly once.

Leases (``dxlocal.leases``) give one server at a time a role (the live BGP speaker): a
lease is held until ``expires`` on the database's clock, renewed by its holder, and taken
over by another server once it has expired.

Durability: a COMMIT returns once PostgreSQL has it; ``normal`` keeps the database's own
``synchronous_commit``, ``full`` sets it to ``on`` for dxlocal's sessions (a COMMIT waits
for the WAL flush even where the server is configured otherwise).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg import errors as pgerrors

from dxlocal.store.base import (
    DURABILITY,
    Conflict,
    IdTaken,
    Record,
    StateRefused,
    StoreError,
)
from dxlocal.store.clauses import dumps as _dumps
from dxlocal.store.clauses import event_filters, filters, location_of, update_set
from dxlocal.store.locations import shown

#: ``dxlocal.meta.schema_version``: the layout below.
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS dxlocal;
CREATE TABLE dxlocal.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE dxlocal.records (
    kind text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    region text COLLATE "C" NOT NULL,
    parent text COLLATE "C",
    peer_account text COLLATE "C",
    data text NOT NULL,
    location text COLLATE "C",
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_owner ON dxlocal.records (kind, account, region, id);
CREATE INDEX records_parent ON dxlocal.records (kind, parent, id) WHERE parent IS NOT NULL;
CREATE INDEX records_peer ON dxlocal.records (kind, peer_account, region, id)
    WHERE peer_account IS NOT NULL;
-- A top-level member of a record as text; booleans as 1 and 0 (the store contract's count).
CREATE FUNCTION dxlocal.member(doc text, name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(doc::jsonb -> name)
        WHEN 'boolean' THEN CASE WHEN (doc::jsonb ->> name)::boolean THEN '1' ELSE '0' END
        ELSE doc::jsonb ->> name END
$$;
-- The per-location quotas count an account's records at one location.
CREATE INDEX records_location ON dxlocal.records (kind, account, region, location)
    WHERE location IS NOT NULL;
CREATE TABLE dxlocal.timers (
    kind text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    event text COLLATE "C" NOT NULL,
    due double precision NOT NULL,
    PRIMARY KEY (kind, id, event)
);
CREATE INDEX timers_due ON dxlocal.timers (due);
CREATE TABLE dxlocal.leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires double precision NOT NULL
);
"""
# The event log, in a table of its own (store/sqlite.py tells why); since layout 2.
_EVENTS = """
CREATE TABLE dxlocal.events (
    id text COLLATE "C" PRIMARY KEY,
    type text COLLATE "C" NOT NULL,
    resource text COLLATE "C" NOT NULL,
    data text NOT NULL
);
CREATE INDEX events_resource ON dxlocal.events (resource, id) WHERE type<>'api';
"""
# Layout 1 kept events as records of kind "event" and indexed the location inside the JSON;
# layout 2 (a development step, never released) had the events table with a ``read_only``
# column and no location column. ``_UPGRADE`` takes either to this layout.
_UPGRADE_2 = """
ALTER TABLE dxlocal.events DROP COLUMN read_only;
CREATE INDEX events_resource ON dxlocal.events (resource, id) WHERE type<>'api';
"""
_UPGRADE = """
ALTER TABLE dxlocal.records ADD COLUMN location text COLLATE "C";
UPDATE dxlocal.records SET location = data::jsonb ->> 'location'
    WHERE jsonb_typeof(data::jsonb -> 'location') = 'string';
DROP INDEX dxlocal.records_location;
CREATE INDEX records_location ON dxlocal.records (kind, account, region, location)
    WHERE location IS NOT NULL;
INSERT INTO dxlocal.events (id, type, resource, data)
    SELECT id, coalesce(data::jsonb ->> 'type', ''), coalesce(parent, ''), data
    FROM dxlocal.records WHERE kind='event' ON CONFLICT DO NOTHING;
DELETE FROM dxlocal.records WHERE kind='event';
UPDATE dxlocal.meta SET value='3' WHERE key='schema_version';
"""

# Taken while the schema is checked or created, so servers starting together create it once.
_SCHEMA_LOCK = 0x64786C63

_MEMBER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RACES = (pgerrors.SerializationFailure, pgerrors.DeadlockDetected)


def _text(value: Any) -> str:
    """A member's value as ``dxlocal.member`` gives it."""
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _member(name: str) -> str:
    if not _MEMBER.match(name):
        raise ValueError(f"not a member name: {name!r}")
    return name


class PostgresTx:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self.changed: set[tuple[str, str]] = set()
        self.soonest = math.inf
        self.logged = False

    @property
    def wrote(self) -> bool:
        return True  # not tracked: a shared store's calls are not grouped (server/http.py)

    def _run(self, sql: str, args: Any = None) -> psycopg.Cursor[Any]:
        return self._store._execute(sql, args)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        store = self._store
        store._savepoints += 1
        name = f"s{store._savepoints}"
        self._run(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if not store._doomed:
                self._run(f"ROLLBACK TO SAVEPOINT {name}")
                self._run(f"RELEASE SAVEPOINT {name}")
            raise
        self._run(f"RELEASE SAVEPOINT {name}")

    def get(self, kind: str, id: str) -> Record | None:
        row = self._run(
            "SELECT data FROM dxlocal.records WHERE kind=%s AND id=%s", (kind, id)
        ).fetchone()
        return orjson.loads(row[0]) if row else None

    def insert(
        self,
        kind: str,
        id: str,
        data: Record,
        *,
        account: str,
        region: str,
        parent: str | None = None,
        peer_account: str | None = None,
    ) -> None:
        self._run(
            "INSERT INTO dxlocal.records"
            " (kind, id, account, region, parent, peer_account, data, location)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            (kind, id, account, region, parent, peer_account, _dumps(data), location_of(data)),
        )
        self.changed.add((kind, id))

    def log(self, event: Record, *, read_only: bool = False) -> None:
        """Written at once, even ``read_only``: the other servers read the log from here."""
        self._run(
            "INSERT INTO dxlocal.events (id, type, resource, data) VALUES (%s,%s,%s,%s)",
            (event["eventId"], event["type"], event["resource"], _dumps(event)),
        )
        self.logged = True

    def events(
        self,
        *,
        after: str = "",
        resource: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        clauses, args, _ = event_filters("%s", after, resource, type)
        rows = self._run(
            f"SELECT data FROM dxlocal.events WHERE {' AND '.join(clauses)} ORDER BY id LIMIT %s",
            (*args, limit),
        )
        return [orjson.loads(r[0]) for r in rows]

    def trim_events(
        self,
        *,
        before: str | None = None,
        through: str | None = None,
        limit: int = 1000,
    ) -> int:
        if before is None and through is None:
            return 0
        cur = self._run(
            "DELETE FROM dxlocal.events WHERE id IN (SELECT id FROM dxlocal.events"
            " WHERE id<%s OR id<=%s ORDER BY id LIMIT %s)",
            (before or "", through or "", limit),
        )
        return cur.rowcount

    def event_beyond(self, keep: int) -> str | None:
        row = self._run(
            "SELECT id FROM dxlocal.events ORDER BY id DESC LIMIT 1 OFFSET %s", (keep,)
        ).fetchone()
        return row[0] if row is not None else None

    def update(self, kind: str, id: str, data: Record, **columns: Any) -> None:
        sets, args = update_set(data, columns, "%s")
        cur = self._run(
            f"UPDATE dxlocal.records SET {sets} WHERE kind=%s AND id=%s", (*args, kind, id)
        )
        if cur.rowcount != 1:
            raise KeyError(f"{kind} {id} is not in the store")
        self.changed.add((kind, id))

    def delete(self, kind: str, id: str) -> None:
        self._run("DELETE FROM dxlocal.records WHERE kind=%s AND id=%s", (kind, id))
        self._run("DELETE FROM dxlocal.timers WHERE kind=%s AND id=%s", (kind, id))
        self.changed.add((kind, id))

    def list(
        self,
        kind: str,
        *,
        account: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        include_peer: bool = False,
    ) -> list[Record]:
        where, args = filters(
            kind, "%s", account=account, region=region, parent=parent, include_peer=include_peer
        )
        rows = self._run(
            f"SELECT data FROM dxlocal.records WHERE {' AND '.join(where)} ORDER BY id", args
        )
        return [orjson.loads(r[0]) for r in rows]

    def count(
        self,
        kind: str,
        *,
        account: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        where: dict[str, Any] | None = None,
        exclude: dict[str, Any] | None = None,
    ) -> int:
        clauses, args = filters(kind, "%s", account=account, region=region, parent=parent)
        # Member names are spelled in the SQL; they come from code, never from a request.
        for member, value in (where or {}).items():
            if member == "location":  # a column of its own (clauses.location_of)
                clauses.append("location=%s")
                args.append(value)
                continue
            clauses.append(f"dxlocal.member(data, '{_member(member)}')=%s")
            args.append(_text(value))
        for member, values in (exclude or {}).items():
            values = list(values) if isinstance(values, list | tuple | set) else [values]
            clauses.append(f"coalesce(dxlocal.member(data, '{_member(member)}'), '') <> ALL(%s)")
            args.append([_text(v) for v in values])
        row = self._run(
            f"SELECT count(*) FROM dxlocal.records WHERE {' AND '.join(clauses)}", args
        ).fetchone()
        return int(row[0])

    def schedule(self, due: float, kind: str, id: str, event: str) -> None:
        due = min(due, 1e18)
        self._run(
            "INSERT INTO dxlocal.timers AS timers (kind, id, event, due) VALUES (%s,%s,%s,%s)"
            " ON CONFLICT (kind, id, event) DO UPDATE SET due=least(timers.due, EXCLUDED.due)",
            (kind, id, event, due),
        )
        self.soonest = min(self.soonest, due)

    def cancel(self, kind: str, id: str, event: str | None = None) -> None:
        if event is None:
            self._run("DELETE FROM dxlocal.timers WHERE kind=%s AND id=%s", (kind, id))
        else:
            self._run(
                "DELETE FROM dxlocal.timers WHERE kind=%s AND id=%s AND event=%s",
                (kind, id, event),
            )

    def due_timers(self, now: float, limit: int = 500) -> list[tuple[float, str, str, str]]:
        rows = self._run(
            "SELECT due, kind, id, event FROM dxlocal.timers WHERE due<=%s"
            " ORDER BY due LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, limit),
        ).fetchall()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def rows(self) -> Iterator[tuple[str, str, str, str, str | None, str | None, Record]]:
        sql = "SELECT kind, id, account, region, parent, peer_account, data FROM dxlocal.records"
        for row in self._run(sql + " ORDER BY kind, id").fetchall():
            yield (*row[:6], orjson.loads(row[6]))

    def timers(self) -> list[tuple[float, str, str, str]]:
        sql = "SELECT due, kind, id, event FROM dxlocal.timers ORDER BY due, kind, id, event"
        return [tuple(r) for r in self._run(sql).fetchall()]  # type: ignore[misc]

    def next_due(self) -> float | None:
        row = self._run("SELECT min(due) FROM dxlocal.timers").fetchone()
        return row[0] if row else None


class PostgresStore:
    shared = True

    def __init__(self, location: str, durability: str = "normal") -> None:
        if durability not in DURABILITY:
            raise ValueError(f"durability must be one of {', '.join(DURABILITY)}")
        self.location = location
        self.durability = durability
        self._lock = threading.RLock()
        self._depth = 0
        self._begun = False
        self._doomed = False
        self._savepoints = 0
        self._conn = self._connect()
        try:
            self._prepare_schema()
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.location, autocommit=True, connect_timeout=10, application_name="dxlocal"
            )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to {shown(self.location)}: {first}") from None
        if self.durability == "full":
            conn.execute("SET synchronous_commit TO on")
        return conn

    def _prepare_schema(self) -> None:
        where = shown(self.location)
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            tables = {
                r[0]
                for r in self._conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema='dxlocal'"
                )
            }
            if not tables:
                self._conn.execute(_SCHEMA)
                self._conn.execute(_EVENTS)
                self._conn.execute(
                    "INSERT INTO dxlocal.meta VALUES ('schema_version', %s)",
                    (str(SCHEMA_VERSION),),
                )
                return
            version = None
            if "meta" in tables:
                row = self._conn.execute(
                    "SELECT value FROM dxlocal.meta WHERE key='schema_version'"
                ).fetchone()
                version = int(row[0]) if row and row[0].isdigit() else None
            if version is None:
                raise StateRefused(
                    f"{where} has a schema named dxlocal that is not dxlocal's"
                    f" (tables: {', '.join(sorted(tables))}); give another database"
                )
            if version > SCHEMA_VERSION:
                raise StateRefused(
                    f"{where} was written by a newer dxlocal (state schema {version}; this"
                    f" release reads up to {SCHEMA_VERSION}); upgrade dxlocal"
                )
            if version < SCHEMA_VERSION:
                self._conn.execute(_EVENTS if version < 2 else _UPGRADE_2)
                self._conn.execute(_UPGRADE)

    # --- statements, with PostgreSQL's failures in the contract's terms ---------------------

    def _execute(self, sql: str, args: Any = None) -> psycopg.Cursor[Any]:
        if self._doomed:
            raise Conflict("this transaction lost a race and is rolled back")
        if not self._begun and self._depth:
            self._conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            self._begun = True
        try:
            return self._conn.execute(sql, args)
        except _RACES as exc:
            self._doomed = True
            raise Conflict(str(exc).splitlines()[0]) from None
        except pgerrors.UniqueViolation as exc:
            if "records_pkey" in str(exc) or "events_pkey" in str(exc):
                raise IdTaken(str(exc).splitlines()[0]) from None
            raise

    @contextmanager
    def transaction(self) -> Iterator[PostgresTx]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    tx = PostgresTx(self)
                    with tx.savepoint():
                        yield tx
                finally:
                    self._depth -= 1
                return
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()  # the database restarted: a new session
            self._depth = 1
            try:
                yield PostgresTx(self)
                if self._doomed:
                    # A nested unit swallowed the race; the whole unit still lost it.
                    raise Conflict("this transaction lost a race and is rolled back")
            except BaseException:
                if self._begun and not self._conn.broken:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                if self._begun:
                    try:
                        self._conn.execute("COMMIT")
                    except _RACES as exc:
                        raise Conflict(str(exc).splitlines()[0]) from None
            finally:
                self._depth = 0
                self._begun = False
                self._doomed = False
                self._savepoints = 0

    # --- leases --------------------------------------------------------------------------

    def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease ``name`` for ``ttl`` seconds; whether ``holder`` has it."""
        with self._lock:
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            row = self._conn.execute(
                "INSERT INTO dxlocal.leases AS l (name, holder, expires)"
                " VALUES (%s, %s, extract(epoch FROM clock_timestamp()) + %s)"
                " ON CONFLICT (name) DO UPDATE SET holder=EXCLUDED.holder,"
                " expires=EXCLUDED.expires"
                " WHERE l.holder=EXCLUDED.holder"
                " OR l.expires < extract(epoch FROM clock_timestamp())"
                " RETURNING holder",
                (name, holder, ttl),
            ).fetchone()
            return row is not None

    def release_lease(self, name: str, holder: str) -> None:
        with self._lock:
            if not (self._conn.closed or self._conn.broken):
                self._conn.execute(
                    "DELETE FROM dxlocal.leases WHERE name=%s AND holder=%s", (name, holder)
                )

    # --- lifetime ------------------------------------------------------------------------

    def start_background(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""

    def reset(self) -> None:
        with self._lock, self._conn.transaction():
            self._conn.execute("DELETE FROM dxlocal.records")
            self._conn.execute("DELETE FROM dxlocal.timers")
            self._conn.execute("DELETE FROM dxlocal.events")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def iter_kinds(self) -> Iterator[str]:
        with self._lock:
            rows = self._conn.execute("SELECT DISTINCT kind FROM dxlocal.records").fetchall()
        yield from (r[0] for r in rows)
