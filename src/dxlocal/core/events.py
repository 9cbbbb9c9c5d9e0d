"""The event log: what happened, when, to what and for whom (docs/failures.md#events).

An event is appended to the store's log (``Tx.log``) in the unit of work that made it
happen, so it is committed with the change it tells of and rolled back with it. Its id
sorts in the order events were written by this process (the clock's microseconds, kept
increasing). What changed one resource is an indexed read; the calls that only read it are
found by a scan of the log (store/base.py, "Events").

    {"eventId", "time", "type", "account", "region", "resource", "resourceType", ...}

Types: ``api`` (operation, service, status), ``state`` (from, to), ``session`` (peer,
bgpStatus), ``fault`` and ``maintenance`` (what and the fault or window id).
"""

from __future__ import annotations

import re
import time
from random import getrandbits
from typing import Any

KIND = "event"  # what an export calls an event (server/snapshot.py)
STATE_FIELDS = {
    "connection": "connectionState",
    "interconnect": "interconnectState",
    "lag": "lagState",
    "virtualInterface": "virtualInterfaceState",
}
_last = 0
_HEX_ID_LIMIT = 1 << 60  # micros beyond 15 hex digits


_ID = re.compile(r"^(dx[a-z]*-|vgw-|tgw-)[0-9a-z-]+$|^[0-9a-f-]{36}$")


def _named(document: Any) -> str:
    """The first top-level member named ``…Id`` whose value looks like a resource id."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key.endswith("Id") and isinstance(value, str) and _ID.match(value):
                return value
    return ""


def resource_of(operation: str, request: Any, answer: Any) -> str:
    """The resource an API call is about, for its event and its log line: what a create made
    (CreateBGPPeer's is the VIF it names), else what the call names, else what it found.
    ``request`` and ``answer`` are the call's input and output shapes (``None``: not at hand)."""
    asked = _named(request)
    creates = operation.startswith(("Create", "Allocate")) and operation != "CreateBGPPeer"
    if asked and not creates:
        return asked
    made = _named(answer)
    if not made and isinstance(answer, dict):  # {"directConnectGateway": {...}}
        made = next((_named(v) for v in answer.values() if _named(v)), "")
    return (made or asked) if creates else (asked or made)


def id_at(time: float) -> str:
    """An id that sorts before every event written at or after ``time`` (ids start with
    the microsecond they were written at, never before their time) and after the rest."""
    return f"ev-{max(int(time * 1_000_000), 0):015x}"


def next_id(now: float) -> str:
    """An id after every one this process gave out: time order, then write order. The 16
    random bits (the process's own generator, seeded from the system's at start: no call
    into the kernel per event) keep two servers on one shared store apart."""
    global _last
    micros = int(now * 1_000_000)
    if micros <= _last:
        micros = _last + 1
    _last = micros
    if micros >= _HEX_ID_LIMIT:  # not before the year 38,000; the same text, formatted
        return "ev-%015x%04x" % (micros, getrandbits(16))  # noqa: UP031
    # Ten bytes' hex less its first digit (always 0 here): the 19 digits the format above
    # writes, at two thirds of its cost (on every call).
    return "ev-" + ((micros << 16) | getrandbits(16)).to_bytes(10).hex()[1:]


def write(
    tx: Any,
    now: float,
    type_: str,
    *,
    account: str = "",
    region: str = "",
    resource: str = "",
    resource_type: str = "",
    read_only: bool = False,
    **detail: Any,
) -> dict[str, Any]:
    """Write one event in ``tx`` (the caller's unit); ``read_only``: the unit changed nothing
    else, so the event may be written after it (``Tx.log``, docs/failures.md#events)."""
    eid = next_id(now)
    event = {
        "eventId": eid,
        "time": now,
        "type": type_,
        "account": account,
        "region": region,
        "resourceType": resource_type,
        "resource": resource,
        **detail,
    }
    tx.log(event, read_only=read_only)
    return event


def api_call(
    tx: Any, now: float, account: str, region: str, resource: str, service: str,
    operation: str, status: int, read_only: bool,
) -> None:  # fmt: skip
    """``write`` of an API call's event (type ``api``), one per call: built straight."""
    event = {
        "eventId": next_id(now), "time": now, "type": "api", "account": account,
        "region": region, "resourceType": "", "resource": resource, "service": service,
        "operation": operation, "status": status,
    }  # fmt: skip
    tx.log(event, read_only=read_only)


def snapshot(kind: str, record: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """What ``changes`` compares: a record's state and its sessions' statuses."""
    state = record.get(STATE_FIELDS.get(kind, ""), "")
    peers = {p["bgpPeerId"]: p.get("bgpStatus", "") for p in record.get("bgpPeers", ())}
    return state, peers


def changes(
    tx: Any,
    now: float,
    kind: str,
    rid: str,
    before: tuple[str, dict[str, str]],
    record: dict[str, Any],
    **detail: Any,
) -> None:
    """Log the state and session changes between ``before`` (a ``snapshot``) and ``record``."""
    state, peers = snapshot(kind, record)
    where = {
        "account": record.get("ownerAccount", ""),
        "region": record.get("region", ""),
        "resource": rid,
        "resource_type": kind,
    }
    if state != before[0]:
        write(tx, now, "state", **where, **{"from": before[0], "to": state}, **detail)
    for peer, status in peers.items():
        if status != before[1].get(peer, status):
            write(tx, now, "session", **where, peer=peer, bgpStatus=status, **detail)


class Retention:
    """Keeps the log to the events of the last ``max_age`` seconds of dxlocal's clock and
    the newest ``max_count`` (0: no limit), dropping the oldest in batches from the server's
    timer task, never in a call (docs/failures.md#events)."""

    BATCH = 1_000  # events dropped by a pass at most, while the log keeps to its limits
    MAX_BATCH = 8_000  # a pass's limit grows to this while the log runs past them
    EVERY = 1.0  # seconds between passes, while the last one found nothing more to drop
    # Seconds between two counts (a count walks the newest ``max_count`` events, ~10 ms per
    # 100,000): while the log is over its cap, every ``EVERY``; else every ``COUNT_EVERY``.
    COUNT_EVERY = 10.0

    def __init__(self, max_age: float, max_count: int) -> None:
        self.max_age = max_age
        self.max_count = max_count
        self._next = 0.0  # time.monotonic() of the next pass
        self._next_count = 0.0
        self._over: str | None = None  # the last count's bound: it and all before it go
        self.batch = self.BATCH

    def due(self) -> bool:
        return (self.max_age > 0 or self.max_count > 0) and time.monotonic() >= self._next

    def run(self, tx: Any, now: float) -> int:
        """One pass in ``tx``: how many events it dropped (``Tx.trim_events``). The count's
        bound is kept between counts, so the passes of a log far over its cap (a server
        under load) drop batches without walking the kept events each time."""
        mono = time.monotonic()
        if self.max_count > 0 and mono >= self._next_count:
            self._over = tx.event_beyond(self.max_count)
            self._next_count = mono + (self.COUNT_EVERY if self._over is None else self.EVERY)
        before = id_at(now - self.max_age) if self.max_age > 0 else None
        dropped = tx.trim_events(before=before, through=self._over, limit=self.batch)
        if dropped >= self.batch:
            # More to drop: again at the next tick, and a bigger pass, so that a log written
            # faster than a thousand events a tick (a server under load) still keeps its cap.
            self._next = mono
            self.batch = min(self.batch * 2, self.MAX_BATCH)
        else:
            self.batch = self.BATCH
            self._next = mono + self.EVERY
            self._over = None  # reached
        return dropped
