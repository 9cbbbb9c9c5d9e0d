"""The event log: what happened, when, to what and for whom (docs/failures.md#events).

An event is a record of kind ``event`` written in the unit of work that made it happen, so
it is committed with the change it tells of and rolled back with it. Its id sorts in the
order events were written by this process (the clock's microseconds, kept increasing), and
it is filed under its resource (the store's ``parent`` column), so "the events of one
resource" is an indexed read.

    {"eventId", "time", "type", "account", "region", "resource", "resourceType", ...}

Types: ``api`` (operation, service, status), ``state`` (from, to), ``session`` (peer,
bgpStatus), ``fault`` and ``maintenance`` (what and the fault or window id).
"""

from __future__ import annotations

from random import getrandbits
from typing import Any

KIND = "event"
STATE_FIELDS = {
    "connection": "connectionState",
    "interconnect": "interconnectState",
    "lag": "lagState",
    "virtualInterface": "virtualInterfaceState",
}
_last = 0


def next_id(now: float) -> str:
    """An id after every one this process gave out: time order, then write order. The 16
    random bits (the process's own generator, seeded from the system's at start: no call
    into the kernel per event) keep two servers on one shared store apart."""
    global _last
    micros = max(int(now * 1_000_000), _last + 1)
    _last = micros
    return f"ev-{micros:015x}{getrandbits(16):04x}"


def write(
    tx: Any,
    now: float,
    type_: str,
    *,
    account: str = "",
    region: str = "",
    resource: str = "",
    resource_type: str = "",
    later: bool = False,
    **detail: Any,
) -> dict[str, Any]:
    """Write one event in ``tx`` (the caller's unit); ``later``: the unit changed nothing
    else, so the event may be written after it (``Tx.insert_later``, docs/failures.md#events)."""
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
    insert = tx.insert_later if later else tx.insert
    insert(KIND, eid, event, account=account, region=region, parent=resource or None)
    return event


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
