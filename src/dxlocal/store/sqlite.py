"""SQLite backend, the embedded default.

Durability: WAL journal with ``synchronous=NORMAL``. A commit is written to the WAL before
the call returns, so a process killed with SIGKILL loses nothing it acknowledged; only an
operating-system crash or power loss can drop the last commits (use ``full`` durability,
``PRAGMA synchronous=FULL``, to close that too, at the price of an fsync per call).

One process owns a state file: opening it takes an exclusive lock on ``<file>.lock``, and a
second ``dxlocal serve`` on the same file stops with ``StateInUse`` instead of interleaving
writes. Inside the process one connection is shared behind a lock; a call's write
transaction (``BEGIN IMMEDIATE``) opens at its first write and commits at its end, so calls
are serialized and readers never see half a call.

Checkpoints (copying the WAL back into the database file, with its fsyncs) run inside a
COMMIT by default. ``dxlocal serve`` moves them to a thread of their own
(``start_background``), so no request waits for one; what a COMMIT guarantees is the same
either way.

The WAL is capped (``WAL_CAP``, 128 MiB): the background thread copies it back once it
holds 8,000 frames, and should a burst outrun that thread, the COMMIT that takes the WAL
past three quarters of the cap checkpoints and truncates it before the call returns. So the
WAL exceeds the cap only if one transaction alone writes more than a quarter of it.

A state file names its owner and layout in its header: ``application_id`` (``APPLICATION_ID``)
and ``user_version`` (``SCHEMA_VERSION``). A file that is not an SQLite database, fails
SQLite's quick check, belongs to another program, or was written by a newer dxlocal is
refused with ``StateRefused`` before anything is written to it. Files from dxlocal releases
that predate the version stamp (layout 1 without the stamp) and layout-1 files are upgraded
in one transaction at open (their events move to the table of their own).

The event log has a table of its own, in id (time) order, so appending and trimming touch
its last and first pages only. Its resource index holds only what happened to a resource
(``type`` other than ``api``): API calls are the flood (every Describe, every create), and
filing each under its resource would dirty a page of the index, at a random place, per call.
One resource's calls are found by a scan from ``after`` instead.

Deferred events (``log(read_only=True)``, docs/failures.md#events) wait in memory rather
than opening a write transaction of their own. They are written inside the next transaction
that writes anyway, just before its COMMIT; before anything reads the log (so no reader ever
misses one); and at the end of a read-only transaction once the oldest has waited
``LATER_AGE`` seconds or ``LATER_MAX`` wait (``flush_later``, which the server also calls
from its timer task). A crash of the process can lose those not yet written, at most
``LATER_AGE`` seconds' worth.

Records read by id are kept in memory as their stored JSON (``RecordCache``): the process
that owns the file is its only writer, so a record's row changes only through ``insert``,
``update`` and ``delete`` here. Each of these drops the record from the cache and marks it
written until the outermost transaction ends; a written record is read from the database
(the open transaction's own view) and cached again only after the COMMIT or ROLLBACK.
Should another connection commit all the same (the file opened under another name, through
a link, or by another program), ``PRAGMA data_version`` moves, and the next outermost
transaction starts with an empty cache.
"""

from __future__ import annotations

import fcntl
import math
import mmap
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

import orjson

from dxlocal.store.base import DURABILITY, IdTaken, Record, StateInUse, StateRefused
from dxlocal.store.clauses import dumps as _dumps
from dxlocal.store.clauses import event_filters, filters, location_of, update_set

#: ``PRAGMA application_id`` of a dxlocal state file ("dxlc").
APPLICATION_ID = 0x64786C63
#: ``PRAGMA user_version``: the layout of the tables below. Raise it with each change, and
#: teach ``_check_existing`` to upgrade the older layouts it can.
SCHEMA_VERSION = 3
#: The most the WAL may hold, in bytes (see the module's docstring).
WAL_CAP = 128 * 1024 * 1024
#: Deferred events are written once the oldest has waited this long (seconds) or this many
#: wait (see the module's docstring).
LATER_AGE = 0.5
LATER_MAX = 10_000
#: The page cache's cap, in KiB (``PRAGMA cache_size`` in its negative, KiB form).
CACHE_KIB = 16_000
#: Bytes at the start of the ``-shm`` file that every commit rewrites: the WAL-index header,
#: twice (https://www.sqlite.org/walformat.html, "The WAL-Index Header").
_WAL_HEADER = 96
#: The record cache's cap, in bytes of stored JSON (``RecordCache``).
RECORD_CACHE_BYTES = 8 * 1024 * 1024
_INSERT = (
    "INSERT INTO records (kind, id, account, region, parent, peer_account, data, location)"
    " VALUES (?,?,?,?,?,?,?,?)"
)
_GET = "SELECT data FROM records WHERE kind=? AND id=?"
_LOG = "INSERT INTO events (id, type, resource, data) VALUES (?,?,?,?)"
# Deferred events go in by statements of this many rows (and of 10, and of 1, for the rest):
# one statement step per row costs a fifth more than a row of a multi-row INSERT (the GIL
# and SQLite's mutex taken around each step, benchmarks/README.md), and three statement
# shapes keep the statement cache small.
_LATER_ROWS = (100, 10, 1)
_LOG_LATER = {
    n: "INSERT OR IGNORE INTO events (id, type, resource, data) VALUES "
    + ",".join(["(?,?,?,?)"] * n)
    for n in _LATER_ROWS
}

# Records sit in rowid order (the order they were made), found by id through records_id: a
# create appends to the table's last page and adds one small entry to the index, where a
# table ordered by its random ids splits a full page of records (docs/storage.md).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    parent TEXT,
    peer_account TEXT,
    data TEXT NOT NULL,
    location TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records (kind, id);
-- Each index ends with the id, so a listing comes out in id order without a sort.
CREATE INDEX IF NOT EXISTS records_owner ON records (kind, account, region, id);
CREATE INDEX IF NOT EXISTS records_parent ON records (kind, parent, id) WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_peer ON records (kind, peer_account, region, id)
    WHERE peer_account IS NOT NULL;
-- The per-location quotas (active connections, LAGs, interconnects per account and
-- location) count an account's records at one location: this index finds just those.
CREATE INDEX IF NOT EXISTS records_location
    ON records (kind, account, region, location) WHERE location IS NOT NULL;
CREATE TABLE IF NOT EXISTS timers (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    event TEXT NOT NULL,
    due REAL NOT NULL,
    PRIMARY KEY (kind, id, event)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_due ON timers (due);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    resource TEXT NOT NULL,
    data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_resource ON events (resource, id) WHERE type<>'api';
"""
# Layout 1 (and the unstamped 0): records ordered by (kind, id) (WITHOUT ROWID), the
# location indexed inside the JSON, and events among the records as kind "event". Layout 2
# (a development step, never released): the same records, events in a table of their own
# with a ``read_only`` column. Both are rebuilt into this layout; see ``_upgrade``.
_UPGRADE_OLD = """
DROP INDEX IF EXISTS records_id;
DROP INDEX IF EXISTS records_owner;
DROP INDEX IF EXISTS records_parent;
DROP INDEX IF EXISTS records_peer;
DROP INDEX IF EXISTS records_location;
DROP INDEX IF EXISTS events_resource;
ALTER TABLE records RENAME TO records_1;
"""
_UPGRADE_OLD_EVENTS = "ALTER TABLE events RENAME TO events_1;"
_UPGRADE_COPY = """
INSERT OR IGNORE INTO events (id, type, resource, data)
    SELECT id, coalesce(json_extract(data, '$.type'), ''), coalesce(parent, ''), data
    FROM records_1 WHERE kind='event' ORDER BY id;
INSERT INTO records (kind, id, account, region, parent, peer_account, data, location)
    SELECT kind, id, account, region, parent, peer_account, data,
        CASE json_type(data, '$.location') WHEN 'text' THEN json_extract(data, '$.location') END
    FROM records_1 WHERE kind<>'event';
DROP TABLE records_1;
"""
_UPGRADE_COPY_EVENTS = """
INSERT OR IGNORE INTO events (id, type, resource, data)
    SELECT id, type, resource, data FROM events_1 ORDER BY id;
DROP TABLE events_1;
"""


def _statements(script: str) -> list[str]:
    """The statements of one of the scripts above (none holds a ';' but at its end)."""
    return [s for s in script.split(";") if s.strip()]


def _upgrade(db: sqlite3.Connection) -> None:
    """Rebuild an older layout's tables into this one, inside the caller's transaction."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    old_events = "events" in tables
    script = _UPGRADE_OLD + (_UPGRADE_OLD_EVENTS if old_events else "") + _SCHEMA
    script += _UPGRADE_COPY + (_UPGRADE_COPY_EVENTS if old_events else "")
    for statement in _statements(script):
        db.execute(statement)


_loads = orjson.loads


def lock_state(location: str) -> int:
    """Take the exclusive lock of a state file; returns the descriptor that holds it."""
    fd = os.open(location + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateInUse(f"state file {location} is in use by another dxlocal process") from None
    return fd


class RecordCache:
    """Committed records by (kind, id), as their stored JSON, oldest dropped first past
    ``cap`` bytes; ``written``: those changed in the open transaction (see the module's
    docstring)."""

    __slots__ = ("rows", "written", "size", "cap")

    def __init__(self, cap: int = RECORD_CACHE_BYTES) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        self.written: set[tuple[str, str]] = set()
        self.size = 0
        self.cap = cap

    def keep(self, key: tuple[str, str], data: str) -> None:
        if key in self.written or key in self.rows:
            return
        self.rows[key] = data
        self.size += len(data)
        while self.size > self.cap and self.rows:
            self.size -= len(self.rows.pop(next(iter(self.rows))))

    def write(self, key: tuple[str, str]) -> None:
        self.written.add(key)
        data = self.rows.pop(key, None)
        if data is not None:
            self.size -= len(data)

    def clear(self) -> None:
        """Forget every record (the ``written`` marks stay until the transaction ends)."""
        self.rows.clear()
        self.size = 0


class SqliteTx:
    """One call's view of the store. Reads run as they come; the write transaction
    (``BEGIN IMMEDIATE``) opens at the first write, so read-only calls never take it."""

    __slots__ = ("_store", "_db", "changed", "soonest", "logged", "_opened", "_mark")

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._db = store._db
        # What this transaction touched, for listeners (the BGP speaker) after commit.
        self.changed: set[tuple[str, str]] = set()
        self.soonest = math.inf
        self.logged = False  # appended to the event log (``log``), now or deferred
        self._opened = False  # a nested unit's savepoint, opened at its first write
        self._mark = 0  # the store's ``_written`` when that savepoint opened

    def _write(self) -> sqlite3.Connection:
        store = self._store
        if not store._begun:
            self._db.execute("BEGIN IMMEDIATE")
            store._begun = True
        if store._unopened:
            # The first write under nested units: their savepoints open now, outermost
            # first, so each can still undo exactly what was written inside it.
            for tx in store._unopened:
                self._db.execute("SAVEPOINT step")
                tx._opened = True
                tx._mark = store._written
            store._unopened.clear()
        return self._db

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested unit that can fail alone (a lifecycle timer among several)."""
        db = self._write()
        db.execute("SAVEPOINT step")
        mark = self._store._written
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK TO step")
            db.execute("RELEASE step")
            self._store._rolled_back(mark)
            raise
        db.execute("RELEASE step")

    def log(self, event: Record, *, read_only: bool = False) -> None:
        row = (event["eventId"], event["type"], event["resource"], _dumps(event))
        self.logged = True
        if read_only:  # deferred (see the module's docstring)
            store = self._store
            if not store._later:
                store._later_since = time.monotonic()
            store._later.append(row)
            return
        try:
            self._write().execute(_LOG, row)
        except sqlite3.IntegrityError:
            raise IdTaken(f"event {row[0]}") from None

    @property
    def wrote(self) -> bool:
        return self._store._begun  # the write transaction opens at the first write

    def _flush_later(self) -> None:
        """Write the deferred events not yet in this transaction."""
        store = self._store
        rows = store._later[store._written :]
        if not rows:
            return
        db = self._write()
        start = 0
        for size in _LATER_ROWS:
            while len(rows) - start >= size:
                chunk = rows[start : start + size]
                db.execute(_LOG_LATER[size], list(chain.from_iterable(chunk)))
                start += size
        store._written = len(store._later)

    def events(
        self,
        *,
        after: str = "",
        resource: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        if self._store._later:
            self._flush_later()
        clauses, args, indexed = event_filters("?", after, resource, type)
        index = "INDEXED BY events_resource" if indexed and resource is not None else ""
        sql = f"SELECT data FROM events {index} WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?"
        args.append(-1 if limit is None else limit)
        return [_loads(r[0]) for r in self._db.execute(sql, args)]

    def trim_events(
        self,
        *,
        before: str | None = None,
        through: str | None = None,
        limit: int = 1000,
    ) -> int:
        bound = before
        if through is not None:
            bound = max(bound or "", through + "\x00")  # that one too, and all before it
        oldest = self._db.execute("SELECT min(id) FROM events").fetchone()
        if bound is None or oldest[0] is None or oldest[0] >= bound:
            return 0  # nothing to drop: no write transaction
        # At most ``limit``: below the id of the one after them, a range of the table's first
        # pages deleted in one pass (an IN list of ids costs twice as much per event).
        row = self._db.execute(
            "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?", (limit,)
        ).fetchone()
        if row is not None and row[0] < bound:
            bound = row[0]
        return self._write().execute("DELETE FROM events WHERE id<?", (bound,)).rowcount

    def event_beyond(self, keep: int) -> str | None:
        if self._store._later:
            self._flush_later()  # deferred events count as soon as they are logged
        row = self._db.execute(
            "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", (keep,)
        ).fetchone()
        return row[0] if row is not None else None

    def get(self, kind: str, id: str) -> Record | None:
        key = (kind, id)
        cache = self._store._records
        data = cache.rows.get(key)
        if data is None:
            row = self._db.execute(_GET, key).fetchone()
            if row is None:
                return None
            data = row[0]
            cache.keep(key, data)
        return _loads(data)

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
        db = self._write()
        self._store._records.write((kind, id))
        try:
            db.execute(
                _INSERT,
                (kind, id, account, region, parent, peer_account, _dumps(data), location_of(data)),
            )
        except sqlite3.IntegrityError:
            raise IdTaken(f"{kind} {id}") from None
        self.changed.add((kind, id))

    def update(self, kind: str, id: str, data: Record, **columns: Any) -> None:
        sets, args = update_set(data, columns, "?")
        db = self._write()
        self._store._records.write((kind, id))
        cur = db.execute(f"UPDATE records SET {sets} WHERE kind=? AND id=?", (*args, kind, id))
        if cur.rowcount != 1:
            raise KeyError(f"{kind} {id} is not in the store")
        self.changed.add((kind, id))

    def delete(self, kind: str, id: str) -> None:
        db = self._write()
        self._store._records.write((kind, id))
        db.execute("DELETE FROM records WHERE kind=? AND id=?", (kind, id))
        db.execute("DELETE FROM timers WHERE kind=? AND id=?", (kind, id))
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
            kind, "?", account=account, region=region, parent=parent, include_peer=include_peer
        )
        sql = f"SELECT data FROM records {_index(parent, account, include_peer)} WHERE {' AND '.join(where)} ORDER BY id"
        if include_peer and account is not None and region is not None and parent is None:
            # Two index lookups beat one OR scan on a large table.
            sql = (
                "SELECT id, data FROM records INDEXED BY records_owner"
                " WHERE kind=? AND account=? AND region=? UNION ALL "
                "SELECT id, data FROM records INDEXED BY records_peer"
                " WHERE kind=? AND peer_account=? AND region=? AND account<>? ORDER BY 1"
            )
            args = [kind, account, region, kind, account, region, account]
            return [_loads(r[1]) for r in self._db.execute(sql, args)]
        return [_loads(r[0]) for r in self._db.execute(sql, args)]

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
        """Count records; ``where``/``exclude`` test top-level members inside the JSON
        (``exclude={"connectionState": ["deleted", "rejected"]}``) without decoding rows."""
        clauses, args = filters(kind, "?", account=account, region=region, parent=parent)
        index = _index(parent, account, False)
        for member, value in (where or {}).items():
            if member == "location":  # a column of its own (clauses.location_of)
                clauses.append("location=?")
                args.append(value)
                if parent is None and account is not None and region is not None:
                    index = "INDEXED BY records_location"
                continue
            clauses.append("json_extract(data, ?)=?")
            args += [f"$.{member}", value]
        for member, values in (exclude or {}).items():
            values = list(values) if isinstance(values, list | tuple | set) else [values]
            marks = ",".join("?" * len(values))
            clauses.append(f"coalesce(json_extract(data, ?), '') NOT IN ({marks})")
            args += [f"$.{member}", *values]
        return self._db.execute(
            f"SELECT count(*) FROM records {index} WHERE {' AND '.join(clauses)}",
            args,
        ).fetchone()[0]

    def schedule(self, due: float, kind: str, id: str, event: str) -> None:
        due = min(due, 1e18)
        # A timer already set for the event keeps its time if that is sooner: writes to the
        # record (a peer added to a VIF) never push a step out; cancel first to restart.
        self._write().execute(
            "INSERT INTO timers (kind, id, event, due) VALUES (?,?,?,?)"
            " ON CONFLICT (kind, id, event) DO UPDATE SET due=min(due, excluded.due)",
            (kind, id, event, due),
        )
        self.soonest = min(self.soonest, due)

    def cancel(self, kind: str, id: str, event: str | None = None) -> None:
        if event is None:
            self._write().execute("DELETE FROM timers WHERE kind=? AND id=?", (kind, id))
        else:
            self._write().execute(
                "DELETE FROM timers WHERE kind=? AND id=? AND event=?", (kind, id, event)
            )

    def due_timers(self, now: float, limit: int = 500) -> list[tuple[float, str, str, str]]:
        return self._db.execute(
            "SELECT due, kind, id, event FROM timers WHERE due<=? ORDER BY due LIMIT ?",
            (now, limit),
        ).fetchall()

    def rows(self) -> Iterator[tuple[str, str, str, str, str | None, str | None, Record]]:
        sql = "SELECT kind, id, account, region, parent, peer_account, data FROM records"
        for row in self._db.execute(sql + " ORDER BY kind, id"):
            yield (*row[:6], _loads(row[6]))

    def timers(self) -> list[tuple[float, str, str, str]]:
        sql = "SELECT due, kind, id, event FROM timers ORDER BY due, kind, id, event"
        return list(self._db.execute(sql))

    def next_due(self) -> float | None:
        row = self._db.execute("SELECT min(due) FROM timers").fetchone()
        return row[0] if row else None


def _index(parent: str | None, account: str | None, include_peer: bool) -> str:
    """Name the index a filtered query must use: without planner statistics SQLite would
    otherwise walk the primary key over every record of the kind."""
    if parent is not None:
        return "INDEXED BY records_parent"
    if account is not None and not include_peer:
        return "INDEXED BY records_owner"
    return ""


class _Checkpointer(threading.Thread):
    """Copies the WAL into the database file from a connection of its own. ``PASSIVE``
    never blocks the writer, but a writer starts the WAL over only when all of it has been
    copied, which rarely happens between commits under load; so once the WAL holds
    ``limit`` frames the last ones are copied holding the store's lock (between two
    transactions), and the next writer starts the WAL over."""

    def __init__(self, location: str, lock: threading.RLock, interval: float, limit: int):
        super().__init__(name="dxlocal-checkpoint", daemon=True)
        self._db = sqlite3.connect(location, isolation_level=None, check_same_thread=False)
        self._lock = lock
        self._interval = interval
        self._limit = limit
        self._done = threading.Event()

    def run(self) -> None:
        try:
            while not self._done.wait(self._interval):
                _, frames, _ = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames >= self._limit:
                    with self._lock:
                        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            self._db.close()

    def stop(self) -> None:
        self._done.set()
        self.join()


class SqliteStore:
    """``location``: a file path or ``:memory:``; ``wal_cap``: the WAL's cap in bytes."""

    shared = False

    def __init__(self, location: str, durability: str = "normal", wal_cap: int = WAL_CAP) -> None:
        if durability not in DURABILITY:
            raise ValueError(f"durability must be one of {', '.join(DURABILITY)}")
        self.location = location
        self.durability = durability
        self._lock_fd: int | None = None
        self._wal: str | None = None
        if location != ":memory:":
            parent = os.path.dirname(os.path.abspath(location))
            os.makedirs(parent, exist_ok=True)
            self._lock_fd = lock_state(location)
            self._wal = location + "-wal"
        try:
            self._db = sqlite3.connect(location, isolation_level=None, check_same_thread=False)
            try:
                fresh = _check_existing(self._db, location)
                self._setup(fresh)
            except BaseException:
                self._db.close()
                raise
        except BaseException:
            self._unlock()
            raise
        # The COMMIT that takes the WAL past this checkpoints and truncates it itself.
        self._wal_high = wal_cap * 3 // 4
        self._lock = threading.RLock()
        self._depth = 0
        self._begun = False
        self._unopened: list[SqliteTx] = []  # nested units with no savepoint yet
        # Deferred events (rows for ``_LOG``), when the oldest
        # came, and how many of them the open transaction has written.
        self._later: list[tuple[str, str, str, str]] = []
        self._later_since = 0.0
        self._written = 0
        self._checkpointer: _Checkpointer | None = None
        self._leases: dict[str, tuple[str, float]] = {}
        self._records = RecordCache()
        self._data_version = -1  # PRAGMA data_version at the last outermost transaction
        # The -shm file's WAL-index header, mapped (``_wal_header``), and as last seen.
        self._shm: _SharedIndex | None = None
        self._shm_tried = False
        self._header: bytes | None = None

    def _setup(self, fresh: bool) -> None:
        db = self._db
        # 8 KiB pages: a create cost less CPU than at 4 KiB (fewer levels, fewer splits),
        # though it writes more bytes to the WAL (benchmarks/README.md). New files only.
        db.execute("PRAGMA page_size=8192")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={'FULL' if self.durability == 'full' else 'NORMAL'}")
        db.execute("PRAGMA temp_store=MEMORY")
        # A page cache of up to 16 MiB (SQLite's default is 2 MiB) holds a file of 10,000
        # connections (~15 MB with their events), so a lookup by id among them reads no
        # page from the OS; resident memory grows by what is cached (benchmarks/README.md).
        db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        # A WAL grown under a burst of writes is cut back to 16 MiB when it next restarts.
        db.execute("PRAGMA journal_size_limit=16777216")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if fresh or version != SCHEMA_VERSION:
            # Made, or upgraded, and stamped in one transaction: a crash leaves the old layout.
            db.execute("BEGIN IMMEDIATE")
            if fresh:
                for statement in _statements(_SCHEMA):
                    db.execute(statement)
            else:
                _upgrade(db)
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")

    def start_background(self, interval: float = 0.5, limit: int = 8_000) -> None:
        """Stop checkpointing inside COMMIT; a thread checkpoints every ``interval`` seconds
        instead (a file store only: ``:memory:`` has no WAL).

        A checkpoint copies each page once however often it was rewritten since the last
        one, so a longer interval copies less (a new connection's page is written at create
        and again at each of its two lifecycle steps, 0.4 s apart); the price is a WAL of up
        to ``limit`` 8 KiB frames (~64 MiB) under sustained writes, and ``WAL_CAP`` at
        most."""
        if self.location == ":memory:" or self._checkpointer is not None:
            return
        with self._lock:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = _Checkpointer(self.location, self._lock, interval, limit)
        self._checkpointer.start()

    def transaction(self) -> _Transaction:
        """``with store.transaction() as tx``: the outermost is a transaction, committed at
        its end; one opened inside another (a request inside a group commit, a timer inside
        a request) is a savepoint, so a failure undoes that unit only. The savepoint opens at
        the unit's first write (``SqliteTx._write``): a unit that only reads costs nothing."""
        return _Transaction(self)

    def _check_version(self) -> None:
        """Forget the cached records if another connection committed since the last look
        (the same file opened under another name, through a link, or another program).

        ``PRAGMA data_version`` tells, but it opens a read transaction: a statement and two
        ``fcntl`` locks on the ``-shm`` file per group of requests, about 4% of a read's
        CPU under load. Every commit, ours or another's, rewrites the WAL-index header at
        the start of that file (SQLite's documented "WAL-mode File Format": two copies of
        48 bytes, the commit's frame count and checksums in each), which is mapped in
        memory here: while it reads as it did at the last look, nothing was committed and
        the pragma is skipped. The header is read before the pragma, so a commit landing
        between the two makes the next look ask again."""
        header = self._wal_header()
        if header is not None and header == self._header:
            return
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        self._header = header
        if version != self._data_version:
            self._data_version = version
            self._records.clear()

    def _wal_header(self) -> bytes | None:
        """The WAL-index header's two copies, or None where there is no ``-shm`` to map
        (``:memory:``, or SQLite keeping the index elsewhere): then the pragma always asks."""
        if self._shm is None:
            if self._wal is None or self._shm_tried:
                return None
            self._shm_tried = True
            # SQLite names the -shm after the file a link leads to.
            self._shm = _SharedIndex.open(os.path.realpath(self.location) + "-shm")
            if self._shm is None:
                return None
        return self._shm.map[:_WAL_HEADER]

    def _end_nested(self, tx: SqliteTx, failed: bool) -> None:
        try:
            if failed:
                if tx._opened:
                    self._db.execute("ROLLBACK TO step")
                    self._db.execute("RELEASE step")
                    self._rolled_back(tx._mark)
            elif tx._opened:
                self._db.execute("RELEASE step")
        finally:
            if not tx._opened:
                self._unopened.remove(tx)
            self._depth -= 1

    def _end(self, tx: SqliteTx, failed: bool) -> None:
        try:
            if failed:
                self._roll_back()
                return
            try:
                if self._later and (
                    self._begun
                    or len(self._later) >= LATER_MAX
                    or time.monotonic() - self._later_since >= LATER_AGE
                ):
                    tx._flush_later()  # into a COMMIT made anyway, or they waited enough
            except BaseException:
                self._roll_back()
                raise
            if self._begun:
                try:
                    self._db.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT (disk full, I/O error) may leave the transaction
                    # open: end it, so the next call does not commit these writes.
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    self._written = 0
                    raise
                if self._written:
                    del self._later[: self._written]
                    self._written = 0
                self._cap_wal()
        finally:
            self._depth = 0
            self._begun = False
            self._unopened.clear()
            self._records.written.clear()

    def _roll_back(self) -> None:
        if self._begun:
            self._db.execute("ROLLBACK")
        self._written = 0

    def _rolled_back(self, mark: int) -> None:
        """A savepoint rolled back: the deferred inserts it wrote are to be written again."""
        self._written = min(self._written, mark)

    def flush_later(self, age: float | None = None) -> None:
        """Write the deferred inserts in a transaction of their own, if the oldest has waited
        ``age`` seconds (default ``LATER_AGE``; 0: now). Nothing while one is open."""
        with self._lock:
            if not self._later or self._depth:
                return
            if time.monotonic() - self._later_since < (LATER_AGE if age is None else age):
                return
            with self.transaction() as tx:
                tx._flush_later()

    def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        """One process owns the file, so its leases live in that process."""
        with self._lock:
            now = time.monotonic()
            current = self._leases.get(name)
            if current is None or current[0] == holder or current[1] < now:
                self._leases[name] = (holder, now + ttl)
                return True
            return False

    def release_lease(self, name: str, holder: str) -> None:
        with self._lock:
            if self._leases.get(name, ("", 0.0))[0] == holder:
                del self._leases[name]

    def _cap_wal(self) -> None:
        """Checkpoint and truncate a WAL that grew past three quarters of its cap (a burst
        the background checkpoints did not keep up with); a stat per COMMIT otherwise."""
        if self._wal is None:
            return
        try:
            size = os.stat(self._wal).st_size
        except FileNotFoundError:
            return
        if size >= self._wal_high:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def wal_size(self) -> int:
        """Bytes in the WAL file now (0 for ``:memory:``)."""
        try:
            return os.stat(self._wal).st_size if self._wal else 0
        except FileNotFoundError:
            return 0

    def reset(self) -> None:
        with self._lock:
            self._later.clear()
            self._written = 0
            self._records.clear()
            own = not self._db.in_transaction  # else part of the unit that is open
            if own:
                self._db.execute("BEGIN IMMEDIATE")  # all or nothing
            try:
                for table in ("records", "timers", "events"):
                    self._db.execute(f"DELETE FROM {table}")
            except BaseException:
                if own:
                    self._db.execute("ROLLBACK")
                raise
            if own:
                self._db.execute("COMMIT")

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._lock:
            if self._later and self._depth == 0:
                self.flush_later(0)
            self._db.close()
            if self._shm is not None:
                self._shm.release()  # after SQLite's connections (see _SharedIndex)
                self._shm = None
            self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            self._lock_fd = None

    def iter_kinds(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT kind FROM records").fetchall()
        yield from (r[0] for r in rows)


class _SharedIndex:
    """A read-only map of the start of one ``-shm`` file, shared by the stores of this
    process that use it (the same file under two names) and closed with the last of them.

    Closing any descriptor of a file drops every POSIX lock this process holds on it,
    SQLite's on the ``-shm`` among them (SQLite itself keeps such descriptors open while a
    connection of the process uses the file): so the map (which holds a descriptor of its
    own) is closed only when no store of this process has the file open, after their
    connections closed. A SQLite connection that the application opened on the same file
    itself and keeps open past that point loses its locks, as it would with any descriptor
    closed behind SQLite's back."""

    _open: dict[tuple[int, int], _SharedIndex] = {}  # by (device, inode)
    _kept: list[int] = []  # descriptors whose map failed
    _guard = threading.Lock()

    def __init__(self, key: tuple[int, int], fd: int) -> None:
        self.key = key
        self.fd = fd
        self.map = mmap.mmap(fd, _WAL_HEADER, access=mmap.ACCESS_READ)
        self.users = 1

    @classmethod
    def open(cls, path: str) -> _SharedIndex | None:
        with cls._guard:
            try:
                info = os.stat(path)
            except OSError:
                return None
            key = (info.st_dev, info.st_ino)
            shared = cls._open.get(key)
            if shared is not None:
                shared.users += 1
                return shared
            if info.st_size < _WAL_HEADER:
                return None
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            try:
                shared = cls._open[key] = cls(key, fd)
            except (OSError, ValueError):
                cls._kept.append(fd)  # not closed (see above): kept, unused, for good
                return None
            return shared

    def release(self) -> None:
        with self._guard:
            self.users -= 1
            if self.users:
                return
            del self._open[self.key]
            self.map.close()
            os.close(self.fd)


class _Transaction:
    """``SqliteStore.transaction()``: a class rather than a generator, as it wraps every
    call. Holds the store's lock from enter to exit."""

    __slots__ = ("store", "tx", "nested")

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    def __enter__(self) -> SqliteTx:
        store = self.store
        store._lock.acquire()
        try:
            tx = self.tx = SqliteTx(store)
            self.nested = bool(store._depth)
            if self.nested:
                store._depth += 1
                store._unopened.append(tx)
            else:
                store._depth = 1
                store._check_version()
        except BaseException:
            store._lock.release()
            raise
        return tx

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        store = self.store
        try:
            if self.nested:
                store._end_nested(self.tx, exc is not None)
            else:
                store._end(self.tx, exc is not None)
        finally:
            store._lock.release()
        return False


def _check_existing(db: sqlite3.Connection, location: str) -> bool:
    """Whether ``db`` is a new, empty database; ``StateRefused`` unless it is dxlocal's
    state at a layout this release reads. Only reads: a refused file is left as it was."""
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        }
        if tables or app_id or version:
            check = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        else:
            check = "ok"
    except sqlite3.DatabaseError as exc:
        raise StateRefused(
            f"{location} is not a dxlocal state file (SQLite: {exc}); give another --state"
        ) from None
    if check != "ok":
        raise StateRefused(
            f"{location} is corrupt (SQLite quick_check: {check.splitlines()[0]});"
            " restore it from a copy or give another --state"
        )
    if not tables and not app_id and not version:
        return True
    if app_id not in (0, APPLICATION_ID) or not {"records", "timers"} <= tables:
        raise StateRefused(
            f"{location} is another program's SQLite database"
            f" (tables: {', '.join(sorted(tables)) or 'none'}); give another --state"
        )
    if version > SCHEMA_VERSION:
        raise StateRefused(
            f"{location} was written by a newer dxlocal (state schema {version}; this"
            f" release reads up to {SCHEMA_VERSION}); upgrade dxlocal or give another --state"
        )
    return False
