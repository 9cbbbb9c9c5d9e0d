"""Declared lifecycles: which state may follow which, and the timers that move them.

Each resource kind has a transition table (AWS's states, docs/behavior.md#lifecycle); ``advance``
refuses any move the table does not list, so a bug cannot put a record in a state AWS
never shows. Progression is a timer per record and event, stored with the records: the
``progress`` policy of the settings decides when timers fire (after ``delay`` seconds, or
only when the control API says so). Handlers are registered by the provider modules with
``@on_timer(kind, event)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dxlocal.core.context import RequestContext

Record = dict[str, Any]
TimerHandler = Callable[[RequestContext, Record], None]

TRANSITIONS: dict[str, dict[str, set[str]]] = {
    # docs/behavior.md#connections
    "connection": {
        "ordering": {"pending", "rejected", "deleted", "deleting"},
        "requested": {"pending", "deleting", "deleted", "available", "down"},
        "pending": {"available", "down", "deleting", "deleted"},
        "available": {"down", "deleting", "deleted", "requested"},
        "down": {"available", "deleting", "deleted", "requested"},
        "deleting": {"deleted"},
        "deleted": set(),
        "rejected": set(),
        "unknown": {"available", "down", "deleting", "deleted"},
    },
    # docs/behavior.md#vifs
    "virtualInterface": {
        "confirming": {"pending", "verifying", "rejected", "deleting", "deleted"},
        "verifying": {"pending", "deleting", "deleted", "down", "available"},
        "pending": {"available", "down", "deleting", "deleted", "testing"},
        "available": {"down", "testing", "deleting", "pending"},
        "down": {"available", "testing", "deleting", "pending"},
        "testing": {"available", "down", "deleting"},
        "deleting": {"deleted"},
        "deleted": set(),
        "rejected": set(),
        "unknown": {"available", "down", "deleting"},
    },
    # docs/behavior.md#bgp-peers
    "bgpPeer": {
        "verifying": {"pending", "available", "deleting"},
        "pending": {"available", "deleting"},
        "available": {"deleting"},
        "deleting": {"deleted"},
        "deleted": set(),
    },
    # docs/behavior.md#gateways; AWS may accept a delete and go back to available
    # (hashicorp/terraform-provider-aws#10214).
    "directConnectGateway": {
        "pending": {"available", "deleting"},
        "available": {"deleting"},
        "deleting": {"deleted", "available"},
        "deleted": set(),
    },
    # docs/behavior.md#associations
    "directConnectGatewayAssociation": {
        "associating": {"associated", "disassociating"},
        "associated": {"updating", "disassociating"},
        "updating": {"associated", "disassociating"},
        "disassociating": {"disassociated"},
        "disassociated": set(),
    },
    # docs/behavior.md#proposals
    "directConnectGatewayAssociationProposal": {
        "requested": {"accepted", "deleted"},
        "accepted": set(),
        "deleted": set(),
    },
    # docs/behavior.md#gateways (attachments)
    "directConnectGatewayAttachment": {
        "attaching": {"attached", "detaching"},
        "attached": {"detaching"},
        "detaching": {"detached"},
        "detached": set(),
    },
    # docs/behavior.md#failover-tests: a failover test runs until stopped (cancelled) or its duration ends (completed).
    "virtualInterfaceTest": {
        "in_progress": {"completed", "cancelled", "failed"},
        "completed": set(),
        "cancelled": set(),
        "failed": set(),
    },
}

STATE_FIELD = {
    "connection": "connectionState",
    "virtualInterface": "virtualInterfaceState",
    "bgpPeer": "bgpPeerState",
    "directConnectGateway": "directConnectGatewayState",
    "directConnectGatewayAssociation": "associationState",
    "directConnectGatewayAssociationProposal": "proposalState",
    "directConnectGatewayAttachment": "attachmentState",
    "virtualInterfaceTest": "status",
}


class IllegalTransition(RuntimeError):
    pass


def advance(kind: str, record: Record, new_state: str) -> None:
    """Move ``record`` to ``new_state`` if its lifecycle allows it."""
    field = STATE_FIELD[kind]
    old = record.get(field)
    if old == new_state:
        return
    allowed = TRANSITIONS[kind].get(old, set())
    if new_state not in allowed:
        raise IllegalTransition(f"{kind} cannot go from {old!r} to {new_state!r}")
    record[field] = new_state


def can_advance(kind: str, record: Record, new_state: str) -> bool:
    old = record.get(STATE_FIELD[kind])
    return old == new_state or new_state in TRANSITIONS[kind].get(old, set())


_HANDLERS: dict[tuple[str, str], TimerHandler] = {}


def on_timer(kind: str, event: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(fn: TimerHandler) -> TimerHandler:
        _HANDLERS[(kind, event)] = fn
        return fn

    return register


def handler(kind: str, event: str) -> TimerHandler | None:
    return _HANDLERS.get((kind, event))


# --- the physical layer: LAGs, interconnects, MACsec keys, resiliency groups ----------------
TRANSITIONS.update(
    {
        # docs/behavior.md#lags: CreateLag answers ``pending``; the LAG then follows its members.
        "lag": {
            "requested": {"pending", "available", "down", "deleting", "deleted"},
            "pending": {"available", "down", "deleting", "deleted"},
            "available": {"down", "pending", "deleting", "deleted"},
            "down": {"available", "pending", "deleting", "deleted"},
            "deleting": {"deleted"},
            "deleted": set(),
            "unknown": {"available", "down", "deleting", "deleted"},
        },
        # docs/behavior.md#interconnects: the lifecycle of a dedicated connection.
        "interconnect": {
            "requested": {"pending", "deleting", "deleted", "available", "down"},
            "pending": {"available", "down", "deleting", "deleted"},
            "available": {"down", "deleting", "deleted"},
            "down": {"available", "deleting", "deleted"},
            "deleting": {"deleted"},
            "deleted": set(),
            "unknown": {"available", "down", "deleting", "deleted"},
        },
        # docs/behavior.md#macsec (MacSecKey.state doc).
        "macSecKey": {
            "associating": {"associated", "disassociating", "disassociated"},
            "associated": {"disassociating", "disassociated"},
            "disassociating": {"disassociated"},
            "disassociated": set(),
        },
        # ResiliencyGroup.state and ResiliencyGroupAssociation.state (model enums).
        "resiliencyGroup": {
            "pending": {"available", "deleting", "deleted"},
            "available": {"deleting", "deleted"},
            "deleting": {"deleted"},
            "deleted": set(),
        },
        "resiliencyGroupAssociation": {
            "associating": {"associated", "disassociating", "disassociated"},
            "associated": {"disassociating", "disassociated"},
            "disassociating": {"disassociated"},
            "disassociated": set(),
        },
    }
)
STATE_FIELD.update(
    {
        "lag": "lagState",
        "interconnect": "interconnectState",
        "macSecKey": "state",
        "resiliencyGroup": "state",
        "resiliencyGroupAssociation": "state",
    }
)
