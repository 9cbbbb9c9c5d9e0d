"""One unit of work: the only way anything changes the store.

Every change (an API call, a control route, a lifecycle timer, a BGP session going up or
down) runs inside ``work.unit(origin)``:

    with work.unit("CreateConnection", account=...) as unit:
        ... unit.tx.insert(...) ...

- The outermost unit is one store transaction. Before its own work it fires the lifecycle
  timers that are due (the one place timers fire; ``fire_due`` with a horizon is the
  control API's ``advance``).
- A unit opened inside another is a savepoint: it can fail alone, and publishes nothing.
  Its changes join the enclosing unit's when it succeeds and are dropped when it fails.
- After the outermost COMMIT, and only then, listeners hear what the unit changed
  (``Committed``); a rolled-back unit publishes nothing. Listeners therefore never see
  state that could still be rolled back, and reading the store from a listener reads
  committed records.

Front ends that hold many requests behind one COMMIT (the native server's group commit)
open the outermost unit themselves; each request inside it is a nested unit.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dxlocal.core import events, lifecycle
from dxlocal.core.bell import Bell
from dxlocal.core.context import LiveRoutes, RequestContext
from dxlocal.store.base import Conflict

if TYPE_CHECKING:
    from dxlocal.config import Settings
    from dxlocal.core.clock import Clock
    from dxlocal.store.base import Store, Tx

log = logging.getLogger("dxlocal")

# On a shared store, how long a "no timer due before T" answer is trusted, in seconds: other
# servers schedule timers this one does not hear of.
SHARED_TIMER_POLL = 0.5
ALL = "*"  # a Change of kind and id "*": everything may have changed (a reset)


@dataclass(frozen=True)
class Change:
    """One record a committed unit inserted, updated or deleted."""

    kind: str
    id: str
    account: str | None  # the record's owner (for a deleted record: the unit's caller)
    origin: str  # the operation name, "timer", "control", "bgp", "reset"


@dataclass(frozen=True)
class Committed:
    """What one COMMIT made durable."""

    changes: tuple[Change, ...]

    def keys(self) -> set[tuple[str, str]]:
        return {(c.kind, c.id) for c in self.changes}

    def kinds(self) -> set[str]:
        return {c.kind for c in self.changes}


Listener = Callable[[Committed], None]


class Unit:
    """An open unit of work: its transaction, and what it has changed so far."""

    __slots__ = ("tx", "origin", "account", "changes", "soonest", "logged")

    def __init__(self, tx: Tx, origin: str, account: str | None) -> None:
        self.tx = tx
        self.origin = origin
        self.account = account
        self.changes: dict[tuple[str, str], Change] = {}
        self.soonest = math.inf
        self.logged = False  # wrote events (core/events.py), which are not published as changes

    def touched(self, kind: str, id: str) -> None:
        """Record a change the store cannot see (a reset)."""
        self.changes[(kind, id)] = Change(kind, id, self.account, self.origin)


class Work:
    """The units of work of one store, the lifecycle timers they fire, their listeners."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._listeners: list[Listener] = []
        self._event_listeners: list[Callable[[], None]] = []
        self._open: list[Unit] = []
        self._next_due = -math.inf  # unknown until the first unit looks
        self._idle = Bell()  # rung when the last open unit ends
        # Trims the event log from ``tick``.
        self.retention = events.Retention(settings.events_max_age, settings.events_max)

    # --- listeners -----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(Committed)`` after every COMMIT that changed something; returns
        the function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def on_events(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every COMMIT that wrote events (core/events.py)."""
        self._event_listeners.append(listener)

    def _publish(self, changes: tuple[Change, ...]) -> None:
        event = Committed(changes)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("change listener failed")

    # --- units ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A unit is open (its changes are not committed yet)."""
        return bool(self._open)

    def unit(self, origin: str, *, account: str | None = None, now: float | None = None) -> _Scope:
        """Open a unit of work (see the module's docstring): ``with work.unit(...) as u``."""
        return _Scope(self, origin, account, now)

    def _collect(self, unit: Unit) -> None:
        """Take the transaction's changes into the unit (only while someone listens: the
        owner of each record is read for them) and its soonest timer."""
        tx = unit.tx
        if tx.soonest < unit.soonest:
            unit.soonest = tx.soonest
        if self._event_listeners and not unit.logged:
            unit.logged = tx.logged
        if not tx.changed or not self._listeners:
            return
        for kind, rid in tx.changed:
            record = tx.get(kind, rid)
            owner = record.get("ownerAccount") if record else None
            unit.changes[(kind, rid)] = Change(kind, rid, owner or unit.account, unit.origin)

    def _committed(self, unit: Unit) -> None:
        if unit.soonest < self._next_due:
            self._next_due = unit.soonest
        if self._idle.waiters:
            self._idle.ring()
        if unit.changes and self._listeners:
            self._publish(tuple(unit.changes.values()))
        if unit.logged:
            for listener in list(self._event_listeners):
                listener()

    def _failed(self) -> None:
        """The outermost unit rolled back: timers it fired are due again."""
        self._next_due = -math.inf
        self._idle.ring()

    async def idle(self) -> None:
        """Wait (on the event loop) until no unit is open, so what follows reads committed
        state only. A group commit stays open for a few milliseconds at most."""
        while self._open:
            await self._idle.wait()

    def reset(self) -> None:
        """Empty the store; listeners hear that everything changed."""
        with self.unit("reset") as unit:
            self.store.reset()
            unit.touched(ALL, ALL)
        self._next_due = math.inf

    # --- lifecycle timers ----------------------------------------------------------------

    def _fire_if_due(self, now: float) -> None:
        if now + lifecycle.EPSILON < self._next_due:
            return
        try:
            with self.unit("timer") as timers:  # nested: a savepoint of the unit opening
                self._fire(timers.tx, now, 0.0, single_pass=False)
        except Conflict:
            raise  # lost a race with another server: the whole unit runs again
        except Exception:  # the timers' savepoint is rolled back; the unit goes on
            log.exception("lifecycle timers failed")

    def fire_due(self, horizon: float = 0.0, *, single_pass: bool = False) -> int:
        """Fire every timer due by now + ``horizon`` (``single_pass``: only what is due at
        the start, one lifecycle step each, as the control API's ``advance`` does)."""
        try:
            # now=-inf: the unit does not fire what is due on opening (as an outermost unit
            # would); else a step fired there could be followed by its next timer (a purge)
            # below, two steps in one single pass.
            with self.unit("timer", now=-math.inf) as unit:
                return self._fire(unit.tx, self.clock.now(), horizon, single_pass=single_pass)
        except Conflict:
            return 0  # another server fired some of them first; the next pass does the rest

    def _fire(self, tx: Tx, now: float, horizon: float, *, single_pass: bool) -> int:
        """Fire due timers in the open transaction; a failing timer is logged and dropped,
        the others still apply."""
        fired = 0
        while True:
            due = tx.due_timers(
                now + horizon + lifecycle.EPSILON, limit=10_000 if single_pass else 500
            )
            if not due:
                break
            fired += self._fire_all(tx, due, now)
            if single_pass:
                break
        nxt = tx.next_due()
        self._next_due = nxt if nxt is not None else math.inf
        if self.store.shared:
            self._next_due = min(self._next_due, now + SHARED_TIMER_POLL)
        return fired

    def _fire_all(self, tx: Tx, due: list[tuple[float, str, str, str]], now: float) -> int:
        """Fire a batch of timers in one savepoint; should one fail, the batch is rolled
        back and fired again with a savepoint per timer, so only the failing one is lost."""
        try:
            with tx.savepoint():
                return sum(
                    self._fire_one(tx, kind, rid, event, now, when)
                    for when, kind, rid, event in due
                )
        except Conflict:
            raise  # lost a race with another server: the whole pass rolls back
        except Exception:
            pass  # the batch is rolled back; each timer again, alone
        return sum(self._fire_alone(tx, kind, rid, event, now, when) for when, kind, rid, event in due)  # fmt: skip

    def _fire_alone(self, tx: Tx, kind: str, rid: str, event: str, now: float, when: float) -> int:
        try:
            with tx.savepoint():
                return self._fire_one(tx, kind, rid, event, now, when)
        except Conflict:
            raise
        except Exception:
            log.exception("timer %s on %s %s failed; dropped", event, kind, rid)
            tx.cancel(kind, rid, event)
            return 0

    def _fire_one(self, tx: Tx, kind: str, rid: str, event: str, now: float, when: float) -> int:
        tx.cancel(kind, rid, event)
        record = tx.get(kind, rid)
        fn = lifecycle.handler(kind, event)
        if record is None or fn is None:
            return 0
        ctx = RequestContext(
            record.get("ownerAccount", self.settings.default_account),
            record.get("region", self.settings.default_region),
            f"timer-{event}",
            max(now, when) if math.isfinite(when) else now,
            tx,
            self.settings,
        )
        fn(ctx, record)
        return 1

    async def tick(self, interval: float = 0.1) -> None:
        """Fire timers that fall due while no request arrives (a server's background task),
        write the store's deferred inserts (read calls' events) that waited long enough, and
        trim the event log (``retention``).
        Waits for open units to commit first, so a tick never joins a group's COMMIT."""
        flush_later = getattr(self.store, "flush_later", None)  # SQLite only
        while True:
            await asyncio.sleep(interval)
            await self.idle()
            if flush_later is not None:
                try:
                    flush_later()  # those that waited long enough (store/sqlite.py)
                except Exception:
                    log.exception("writing deferred events failed")
            if self.retention.due():
                try:
                    with self.unit("retention") as unit:
                        self.retention.run(unit.tx, self.clock.now())
                except Conflict:
                    pass  # another server trimmed the log first
                except Exception:
                    log.exception("event log retention failed")
            if self.clock.now() >= self._next_due:
                try:
                    with self.unit("timer"):
                        pass  # the outermost unit fires what is due
                except Conflict:
                    pass  # another server fired them first
                except Exception:
                    log.exception("lifecycle tick failed")


class _Scope:
    """``with work.unit(...)``: a class rather than a generator, as it wraps every call."""

    __slots__ = ("work", "origin", "account", "now", "_cm", "_unit", "_outermost")

    def __init__(self, work: Work, origin: str, account: str | None, now: float | None) -> None:
        self.work = work
        self.origin = origin
        self.account = account
        self.now = now

    def __enter__(self) -> Unit:
        work = self.work
        self._cm = work.store.transaction()
        unit = self._unit = Unit(self._cm.__enter__(), self.origin, self.account)
        self._outermost = not work._open
        work._open.append(unit)
        if self._outermost:
            try:
                work._fire_if_due(work.clock.now() if self.now is None else self.now)
            except BaseException as exc:
                self.__exit__(type(exc), exc, exc.__traceback__)
                raise
        return unit

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        work, unit = self.work, self._unit
        if exc is None:
            try:
                work._collect(unit)
            except BaseException as failure:
                kind, exc, tb = type(failure), failure, failure.__traceback__
        work._open.pop()
        try:
            self._cm.__exit__(kind, exc, tb)  # COMMIT / RELEASE, or ROLLBACK and re-raise
        except BaseException:
            if self._outermost:
                work._failed()
            raise
        if exc is not None:
            if self._outermost:
                work._failed()
            if kind is not None and exc is not None and not isinstance(exc, kind):
                raise exc  # a failure of our own after the block
            return False
        if self._outermost:
            work._committed(unit)
        else:
            parent = work._open[-1]
            if unit.changes:
                parent.changes.update(unit.changes)
            if unit.soonest < parent.soonest:
                parent.soonest = unit.soonest
            parent.logged = parent.logged or unit.logged
        return False


@dataclass
class ControlContext:
    """What a control route gets: units of work on the store (``work.unit``, ``work.reset``,
    ``work.fire_due``), the settings, dxlocal's clock (core/clock.py) and, with live BGP, the
    sessions' routes; never the server."""

    work: Work
    settings: Settings
    live: LiveRoutes | None = None

    @property
    def clock(self) -> Clock:
        return self.work.clock

    def unit(self) -> AbstractContextManager[Unit]:
        return self.work.unit("control")

    @contextmanager
    def request(self, name: str) -> Iterator[RequestContext]:
        """A unit read as a provider call of the default account and Region would read."""
        settings = self.settings
        with self.unit() as unit:
            yield RequestContext(
                settings.default_account, settings.default_region, name, self.clock.now(),
                unit.tx, settings, live=self.live,
            )  # fmt: skip
