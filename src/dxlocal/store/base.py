"""The store contract: everything the rest of dxlocal may ask of a backend.

Records
    A record is wire-shaped JSON (what a Describe call returns) plus internal members whose
    names start with ``_``; the serializer drops those because they are not in the model. A
    record read back equals the record written (same keys, same order, same values).

    Every record is filed under (account, region, kind, id). Ids are unique per kind across
    accounts, so a record can also be found by (kind, id) alone, which cross-account calls
    need (a partner's hosted connection, a proposal for someone else's gateway). Two more
    columns make the common lists indexed rather than scanned:

    - ``parent``: the record this one hangs off (a VIF's connection, a connection's LAG);
    - ``peer_account``: a second account that may see the record (the partner of a hosted
      connection, the connection owner of a hosted VIF).

    Global resources (Direct Connect gateways) use region ``""``. ``list`` returns records
    in id order (byte order), which pagination relies on.

Timers
    ``(due, kind, id, event)``, at most one per (kind, id, event): scheduling again moves it.
    Deleting a record drops its timers. ``due_timers`` returns the due ones, soonest first;
    on a shared backend a timer another server is firing right now is left out, so each
    fires once.

Events
    The event log (core/events.py) is kept apart from the records: ``log`` appends an event
    (its ``eventId`` sorts after every earlier one and is unique by construction), ``events``
    reads it in id order from a point, ``trim_events`` drops the oldest. An event logged
    ``read_only`` (a call that changed nothing) may be written after its unit commits, but
    before anything reads the log. What happened to one resource (``events(resource=...,
    type=...)`` of a type other than ``api``) is an index lookup; one resource's API calls
    are found by a scan from ``after``. Events are not records: they are not in ``changed``, ``list`` or ``rows``.

Transactions
    ``with store.transaction() as tx`` is one unit: committed when the block ends, rolled
    back whole on any exception, so a failed call changes nothing. Readers never see half a
    unit. A transaction opened inside another is a savepoint of it: its failure undoes only
    its own changes, and its changes become durable with the outermost COMMIT only.
    ``tx.savepoint()`` is the same nesting inside one ``tx``.

    After the block, ``tx.changed`` holds the (kind, id) of every record the unit inserted,
    updated or deleted (for listeners, which must only hear of committed changes), and
    ``tx.soonest`` the earliest due time the unit scheduled (``math.inf`` if none).

Failures a caller handles
    ``IdTaken``: an insert hit an existing (kind, id) (a freshly minted id collided). The
    transaction can no longer commit; run the whole unit again with fresh ids.
    ``Conflict``: the unit raced another writer (a serialization failure on a shared
    backend) and was rolled back; run it again, it is safe. Only the outermost transaction
    retries: a nested one lets both through.
    ``StateInUse``: another process owns a state that only one may own.
    ``StateRefused``: the state is not dxlocal's (corrupt, another program's, or written by
    a newer dxlocal); nothing was changed. Both carry a one-line message for the user.

Durability
    ``normal``: a COMMIT that returned survives the death of the process (SIGKILL).
    ``full``: it also survives an operating-system crash or power loss (an fsync per COMMIT).

Sharing
    ``store.shared`` is true when other processes write the same state (several servers on
    one database). Then calls must not share a transaction (one call's conflict would undo
    the others), and a cached "next timer due" is a hint only: timers scheduled by another
    server are found by asking ``next_due`` again.

Leases
    ``hold_lease(name, holder, ttl)`` takes or renews a named role for ``ttl`` seconds and
    says whether ``holder`` has it: one holder at a time, and another may take it once the
    holder stopped renewing (it died) and the time ran out. On a shared store the lease is
    in the database (the live BGP speaker runs on one server at a time); on a store one
    process owns, it is held in that process. ``release_lease`` gives it up at once.

Lifetime
    ``start_background()`` lets a long-running server hand housekeeping (checkpoints) to
    the backend's own threads; ``reset()`` drops every record, timer and event; ``close()`` ends
    the store (and releases what it holds: a file lock, connections, leases).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

Record = dict[str, Any]
# (kind, id, account, region, parent, peer_account, data): a record with its columns.
Row = tuple[str, str, str, str, "str | None", "str | None", Record]

DURABILITY = ("normal", "full")


class StoreError(Exception):
    """A failure of the store itself (not of a call's rules)."""


class IdTaken(StoreError):
    """An insert hit an existing (kind, id); the caller runs the unit again with fresh ids."""


class Conflict(StoreError):
    """The unit raced another writer and was rolled back; the caller runs it again."""


class StateInUse(StoreError):
    """Another process owns the state."""


class StateRefused(StoreError):
    """The state is not one this dxlocal can use: corrupt, another program's, or newer."""


class Tx(Protocol):
    #: (kind, id) of every record this unit inserted, updated or deleted.
    changed: set[tuple[str, str]]
    #: The earliest due time this unit scheduled (``math.inf``: none).
    soonest: float
    #: This unit appended to the event log (``log``), now or deferred.
    logged: bool

    @property
    def wrote(self) -> bool:
        """False while the outermost transaction this unit belongs to has certainly written
        nothing, so its COMMIT would make nothing durable (the front end then answers its
        reads at once, server/http.py); a backend that cannot tell says True."""
        ...

    def get(self, kind: str, id: str) -> Record | None: ...

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
        """File a new record; ``IdTaken`` if (kind, id) exists."""

    def update(
        self,
        kind: str,
        id: str,
        data: Record,
        *,
        parent: str | None = ...,
        peer_account: str | None = ...,
        account: str = ...,
    ) -> None:
        """Replace a record's data (and the columns given); ``KeyError`` if it is absent."""

    def delete(self, kind: str, id: str) -> None:
        """Drop a record and its timers (nothing if it is absent)."""

    def list(
        self,
        kind: str,
        *,
        account: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        include_peer: bool = False,
    ) -> list[Record]:
        """Records of a kind, filtered by the columns given, in id order.
        ``include_peer``: ``account`` matches the owner or the peer account."""

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
        """Count records; ``where`` (member equals value) and ``exclude`` (member is not one
        of the values) test top-level members of the data. Values are JSON scalars; ``true``
        and ``false`` compare equal to 1 and 0; a missing member is ``""`` for ``exclude``."""

    def schedule(self, due: float, kind: str, id: str, event: str) -> None:
        """Set the timer (kind, id, event) to ``due`` (capped at 1e18: "never"); one already
        set keeps the sooner of the two times, so a timer is never pushed out (``cancel``
        it first to restart it)."""

    def cancel(self, kind: str, id: str, event: str | None = None) -> None:
        """Drop one timer of a record, or all of them."""

    def due_timers(self, now: float, limit: int = 500) -> list[tuple[float, str, str, str]]:
        """``(due, kind, id, event)`` of timers due by ``now``, soonest first."""

    def next_due(self) -> float | None:
        """The earliest due time of any timer (``None``: no timers)."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested unit that can fail alone (a lifecycle timer among several)."""

    def log(self, event: Record, *, read_only: bool = False) -> None:
        """Append ``event`` (``eventId``, ``type`` and ``resource`` are filed beside it);
        ``IdTaken`` if its id is in the log. ``read_only``: the event of a call that changed
        nothing, which may be written after this unit commits (SQLite: with the next write,
        before any read of the log, or within a fraction of a second; store/sqlite.py)."""

    def events(
        self,
        *,
        after: str = "",
        resource: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Events whose id sorts after ``after``, oldest first, at most ``limit``: only those
        of ``resource`` and of ``type``, as given."""

    def trim_events(
        self,
        *,
        before: str | None = None,
        through: str | None = None,
        limit: int = 1000,
    ) -> int:
        """Drop the oldest events (the log's retention): those whose id sorts before
        ``before`` and those up to ``through`` (itself included; ``event_beyond`` gives the
        bound of a count), at most ``limit``; how many were dropped."""

    def event_beyond(self, keep: int) -> str | None:
        """The id of the newest event older than the newest ``keep`` (``None``: the log
        holds no more than ``keep``). It walks ``keep`` events: about 10 ms per 100,000."""

    def rows(self) -> Iterator[Row]:
        """Every record with its columns, by kind then id: what an export holds."""

    def timers(self) -> list[tuple[float, str, str, str]]:
        """Every timer, ``(due, kind, id, event)``, soonest first."""


class Store(Protocol):
    location: str
    durability: str
    shared: bool

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def start_background(self) -> None: ...

    def hold_lease(self, name: str, holder: str, ttl: float) -> bool: ...

    def release_lease(self, name: str, holder: str) -> None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...

    def iter_kinds(self) -> Iterator[str]: ...
