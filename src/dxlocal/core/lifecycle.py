"""Declared lifecycles: each kind's states, its timed steps and how long its ended records
stay visible, in one table (docs/lifecycle.md).

For every kind the table gives

- ``transitions``: which state may follow which (AWS's states); ``advance`` refuses any
  other move, so a bug cannot put a record in a state AWS never shows;
- ``steps``: the transitional states AWS leaves on its own, one progression delay
  (``--delay``) after the record entered them, and the state each one becomes;
- ``retained``: the ended states whose records are purged after a while (seconds; ``None``
  is ``--deleted-retention``);
- ``lasts``: how long a record stays in a state with a step when that is its own (a
  failover test's duration), not one ``--delay``;
- ``written``: whether a step is written at its moment (other parts act on it then: a VIF
  attachment or a gateway association changes what a BGP session announces), or worked
  out when the record is read;
- ``nested``: lists of records of another kind kept inside this one (a port's MACsec
  keys), which step with it when it is read; one that reaches a state kept for 0 seconds
  leaves the list.

A record keeps the time it entered its state in ``_at``. For a kind whose steps are not
written, ``settle`` works out the state from ``_at`` and the clock whenever the record is
read (``Reader`` does it for every ``ctx.tx`` read), so a create is one write and nothing
fires until the record is read. A kind whose records hold others that step (a VIF and its
BGP peers) registers its own ``stepper``; records nested in another (a port's MACsec keys)
step when it is read. A written step, a purge and a provider's own timed side effect (a
failover test's end, a public VIF's live sessions starting) are timers: ``(due, kind, id,
event)`` rows, due at a fixed time from when they were scheduled and fired by the server
before it serves the requests that follow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dxlocal.core.context import RequestContext
    from dxlocal.store.base import Tx

Record = dict[str, Any]
TimerHandler = Callable[["RequestContext", Record], None]
ENTERED = "_at"  # when the record entered its current state (clock seconds)
# A step due within this of now has come: ``entered + delay`` and a clock moved by ``delay``
# may differ in the last bit of a float.
EPSILON = 1e-6


@dataclass(frozen=True)
class Lifecycle:
    kind: str
    field: str
    id_field: str
    transitions: Mapping[str, frozenset[str]]
    steps: Mapping[str, str] = field(default_factory=dict)
    retained: Mapping[str, float | None] = field(default_factory=dict)
    written: bool = False
    nested: Mapping[str, str] = field(default_factory=dict)
    # How long a record stays in a state with a step, when not one ``--delay``.
    lasts: Callable[[Record], float] | None = None

    def step_time(self, record: Record | None, delay: float) -> float:
        return delay if self.lasts is None or record is None else self.lasts(record)


def _table(**moves: str) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets.split()) for state, targets in moves.items()}


_DECLARED = [
    # docs/lifecycle.md "Connections": CreateConnection answers requested; AWS approves it
    # (pending, LOA issued) and the cross-connect comes up (available). A hosted connection
    # waits in ordering until its owner confirms it (pending) or rejects it.
    Lifecycle(
        "connection",
        "connectionState",
        "connectionId",
        _table(
            ordering="pending rejected deleted deleting",
            requested="pending deleting deleted available down",
            pending="available down deleting deleted",
            available="down deleting deleted requested",
            down="available deleting deleted requested",
            deleting="deleted",
            deleted="",
            rejected="",
            unknown="available down deleting deleted",
        ),
        steps={"requested": "pending", "pending": "available", "deleting": "deleted"},
        retained={"deleted": None, "rejected": None},
        nested={"macSecKeys": "macSecKey"},
    ),
    # An interconnect is provisioned like a dedicated connection.
    Lifecycle(
        "interconnect",
        "interconnectState",
        "interconnectId",
        _table(
            requested="pending deleting deleted available down",
            pending="available down deleting deleted",
            available="down deleting deleted",
            down="available deleting deleted",
            deleting="deleted",
            deleted="",
            unknown="available down deleting deleted",
        ),
        steps={"requested": "pending", "pending": "available", "deleting": "deleted"},
        retained={"deleted": None},
        nested={"macSecKeys": "macSecKey"},
    ),
    # CreateLag answers pending; from then on the LAG's state follows its members
    # (provider/ports.py works it out when the LAG is read).
    Lifecycle(
        "lag",
        "lagState",
        "lagId",
        _table(
            requested="pending available down deleting deleted",
            pending="available down deleting deleted",
            available="down pending deleting deleted",
            down="available pending deleting deleted",
            deleting="deleted",
            deleted="",
            unknown="available down deleting deleted",
        ),
        retained={"deleted": None},
        nested={"macSecKeys": "macSecKey"},
    ),
    # A VIF and its BGP peers step together, worked out at read by the VIF's stepper
    # (provider/vif_steps.py): its peers step inside it, then its sessions settle.
    Lifecycle(
        "virtualInterface",
        "virtualInterfaceState",
        "virtualInterfaceId",
        _table(
            confirming="pending verifying rejected deleting deleted",
            verifying="pending deleting deleted down available",
            pending="available down deleting deleted testing",
            available="down testing deleting pending",
            down="available testing deleting pending",
            testing="available down deleting",
            deleting="deleted",
            deleted="",
            rejected="",
            unknown="available down deleting",
        ),
        steps={"verifying": "pending", "deleting": "deleted"},
        retained={"deleted": None, "rejected": None},
    ),
    Lifecycle(
        "bgpPeer",
        "bgpPeerState",
        "bgpPeerId",
        _table(
            verifying="pending available deleting",
            pending="available deleting",
            available="deleting",
            deleting="deleted",
            deleted="",
        ),
        steps={"verifying": "available", "pending": "available", "deleting": "deleted"},
    ),
    # Describe never returns a deleted gateway: it is purged as it gets there. A delete
    # refused after acceptance goes back to available.
    Lifecycle(
        "directConnectGateway",
        "directConnectGatewayState",
        "directConnectGatewayId",
        _table(
            pending="available deleting",
            available="deleting",
            deleting="deleted available",
            deleted="",
        ),
        steps={"pending": "available", "deleting": "deleted"},
        retained={"deleted": 0.0},
    ),
    Lifecycle(
        "directConnectGatewayAssociation",
        "associationState",
        "associationId",
        _table(
            associating="associated disassociating",
            associated="updating disassociating",
            updating="associated disassociating",
            disassociating="disassociated",
            disassociated="",
        ),
        steps={
            "associating": "associated",
            "updating": "associated",
            "disassociating": "disassociated",
        },
        retained={"disassociated": None},
        written=True,
    ),
    Lifecycle(
        "directConnectGatewayAssociationProposal",
        "proposalState",
        "proposalId",
        _table(requested="accepted deleted", accepted="", deleted=""),
        retained={"deleted": None},
    ),
    Lifecycle(
        "directConnectGatewayAttachment",
        "attachmentState",
        "virtualInterfaceId",
        _table(
            attaching="attached detaching",
            attached="detaching",
            detaching="detached",
            detached="",
        ),
        steps={"attaching": "attached", "detaching": "detached"},
        retained={"detached": None},
        written=True,
    ),
    # A failover test runs until stopped (cancelled) or its duration ends: completed, or
    # failed if its VIF left testing meanwhile (provider/failover_tests.py decides as the
    # step is taken; it restores BGP then, so the step is written). Kept for a year.
    Lifecycle(
        "virtualInterfaceTest",
        "status",
        "testId",
        _table(in_progress="completed cancelled failed", completed="", cancelled="", failed=""),
        steps={"in_progress": "completed"},
        retained={"completed": 365 * 86400.0, "cancelled": 365 * 86400.0, "failed": 365 * 86400.0},
        written=True,
        lasts=lambda test: test["testDurationInMinutes"] * 60.0,
    ),
    # MacSecKey.state: the keys live in their port's record (``nested``) and step when it is
    # read; a disassociated key leaves the list as it gets there.
    Lifecycle(
        "macSecKey",
        "state",
        "secretARN",
        _table(
            associating="associated disassociating disassociated",
            associated="disassociating disassociated",
            disassociating="disassociated",
            disassociated="",
        ),
        steps={"associating": "associated", "disassociating": "disassociated"},
        retained={"disassociated": 0.0},
    ),
    # ResiliencyGroup.state and ResiliencyGroupAssociation.state (model enums); a
    # disassociated connection leaves the group as it gets there.
    Lifecycle(
        "resiliencyGroup",
        "state",
        "resiliencyGroupId",
        _table(
            pending="available deleting deleted",
            available="deleting deleted",
            deleting="deleted",
            deleted="",
        ),
        steps={"pending": "available", "deleting": "deleted"},
        retained={"deleted": None},
    ),
    Lifecycle(
        "resiliencyGroupAssociation",
        "state",
        "_key",
        _table(
            associating="associated disassociating disassociated",
            associated="disassociating disassociated",
            disassociating="disassociated",
            disassociated="",
        ),
        steps={"associating": "associated", "disassociating": "disassociated"},
        retained={"disassociated": 0.0},
    ),
]

KINDS: dict[str, Lifecycle] = {spec.kind: spec for spec in _DECLARED}
TRANSITIONS = {kind: spec.transitions for kind, spec in KINDS.items()}
STATE_FIELD = {kind: spec.field for kind, spec in KINDS.items()}
# Kinds whose steps are worked out at read.
_COMPUTED = {kind: spec for kind, spec in KINDS.items() if spec.steps and not spec.written}


class IllegalTransition(RuntimeError):
    pass


def advance(kind: str, record: Record, new_state: str, now: float | None = None) -> None:
    """Move ``record`` to ``new_state`` if its lifecycle allows it; ``now`` stamps when it
    got there (needed for a state with a timed step)."""
    spec = KINDS[kind]
    old = record.get(spec.field)
    if old == new_state:
        return
    if new_state not in spec.transitions.get(old, ()):
        raise IllegalTransition(f"{kind} cannot go from {old!r} to {new_state!r}")
    record[spec.field] = new_state
    if now is not None:
        record[ENTERED] = now


def can_advance(kind: str, record: Record, new_state: str) -> bool:
    old = record.get(STATE_FIELD[kind])
    return old == new_state or new_state in TRANSITIONS[kind].get(old, ())


# --- reading: transitional states worked out from the clock ----------------------------------

Hook = Callable[[Record], None]
_ON_ENTER: dict[tuple[str, str], Hook] = {}
Deriver = Callable[["Reader", Record], None]
_DERIVED: dict[str, Deriver] = {}
Stepper = Callable[[Record, float, float], None]
_STEPPERS: dict[str, Stepper] = {}
_NESTED = {kind: spec.nested for kind, spec in KINDS.items() if spec.nested}
NestedHook = Callable[[str, Record], None]
_ON_NESTED: dict[str, NestedHook] = {}


def on_nested_step(*kinds: str) -> Callable[[NestedHook], NestedHook]:
    """Register what else changes in a record of ``kinds`` when a record nested in it took
    a step at read (``fn(kind, record)``; pure, like ``on_enter``)."""

    def register(fn: NestedHook) -> NestedHook:
        for kind in kinds:
            _ON_NESTED[kind] = fn
        return fn

    return register


def on_enter(kind: str, state: str) -> Callable[[Hook], Hook]:
    """Register what else changes in a record as it takes a step into ``state`` (pure: the
    record only, since it also runs at read)."""

    def register(fn: Hook) -> Hook:
        _ON_ENTER[(kind, state)] = fn
        return fn

    return register


def derived(kind: str) -> Callable[[Deriver], Deriver]:
    """Register how a kind's state is worked out from other records at read (a LAG's)."""

    def register(fn: Deriver) -> Deriver:
        _DERIVED[kind] = fn
        return fn

    return register


def stepper(kind: str) -> Callable[[Stepper], Stepper]:
    """Register how a kind whose records hold others that step (a VIF and its BGP peers)
    takes its steps at read: ``fn(record, now, delay)``, in place, in its declared states."""

    def register(fn: Stepper) -> Stepper:
        _STEPPERS[kind] = fn
        _SETTLERS[kind] = fn
        return fn

    return register


def settle(kind: str, record: Record, now: float, delay: float) -> Record:
    """Take every step that ``record`` has reached by ``now`` (in place). A record without
    an entry time (written before it was kept) has reached them all."""
    fn = _SETTLERS.get(kind)
    if fn is not None:
        fn(record, now, delay)
    return record


def _steps(spec: Lifecycle) -> Stepper:
    """How a kind worked out at read takes its declared steps, then those of the records
    nested in it."""
    kind, state_field, steps = spec.kind, spec.field, spec.steps
    nested = tuple(spec.nested)

    def take(record: Record, now: float, delay: float) -> None:
        nxt = steps.get(record.get(state_field))  # type: ignore[arg-type]
        if nxt is not None:
            at = record.get(ENTERED, -math.inf)
            while nxt is not None and at + delay <= now + EPSILON:
                at += delay
                record[state_field] = nxt
                record[ENTERED] = at if math.isfinite(at) else now
                hook = _ON_ENTER.get((kind, nxt))
                if hook is not None:
                    hook(record)
                nxt = steps.get(nxt)
        for list_field in nested:
            if record.get(list_field):  # most ports hold no key
                _settle_nested(kind, record, now, delay)
                return

    return take


def _settle_nested(kind: str, record: Record, now: float, delay: float) -> None:
    stepped = False
    for list_field, child_kind in KINDS[kind].nested.items():
        children = record.get(list_field)
        if not children:
            continue
        spec = KINDS[child_kind]
        take = _SETTLERS[child_kind]
        kept = []
        for child in children:
            before = child.get(spec.field)
            take(child, now, delay)
            state = child.get(spec.field)
            stepped = stepped or state != before
            if spec.retained.get(state) != 0.0:
                kept.append(child)
        record[list_field] = kept
    hook = _ON_NESTED.get(kind) if stepped else None
    if hook is not None:
        hook(kind, record)


# What settles a record of each kind at read (a stepper registered later replaces its kind's).
_SETTLERS: dict[str, Stepper] = {
    kind: _steps(spec) for kind, spec in KINDS.items() if kind in _COMPUTED or spec.nested
}


class Reader:
    """A transaction whose reads show each record's state as of ``now`` (``settle``, and a
    derived kind's rule); writes go through unchanged."""

    __slots__ = ("tx", "now", "delay")

    def __init__(self, tx: Tx, now: float, delay: float) -> None:
        self.tx = tx
        self.now = now
        self.delay = delay

    def get(self, kind: str, id: str) -> Record | None:
        record = self.tx.get(kind, id)
        if record is not None and (kind in _SETTLERS or kind in _DERIVED):
            return self._settle(kind, record)
        return record

    def list(self, kind: str, **where: Any) -> list[Record]:
        records = self.tx.list(kind, **where)
        if kind in _SETTLERS or kind in _DERIVED:
            return [r for r in records if self._settle(kind, r) is not None]
        return records

    def _settle(self, kind: str, record: Record) -> Record | None:
        """The record as of now; None once it reached a state it is purged in at once (its
        purge timer is due, maybe not yet fired)."""
        spec = KINDS[kind]
        take = _SETTLERS.get(kind)
        if take is not None:
            take(record, self.now, self.delay)
        if spec.retained.get(record.get(spec.field, "")) == 0.0:
            return None
        fn = _DERIVED.get(kind)
        if fn is not None:
            fn(self, record)
        return record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tx, name)


def reader(tx: Any, now: float, delay: float) -> Reader:
    if isinstance(tx, Reader):
        tx = tx.tx
    return Reader(tx, now, delay)


# --- timers: purges, written steps, and a provider's own -------------------------------------


def follow_ups(
    kind: str, state: str, at: float, delay: float, kept: float, record: Record | None = None
) -> Iterable[tuple[str, float]]:
    """The timers a record needs once it entered ``state`` at ``at``: ``("step", due)`` for
    a written step, ``("purge", due)`` when it reaches a retained state (for a kind worked
    out at read, also one reached later by its steps); ``kept`` is the default retention."""
    spec = KINDS[kind]
    if spec.written:
        if state in spec.steps:
            yield "step", at + spec.step_time(record, delay)
        elif state in spec.retained:
            yield "purge", at + retention(kind, state, kept)
        return
    seen = 0
    while True:
        if state in spec.retained:
            yield "purge", at + seen * delay + retention(kind, state, kept)
            return
        nxt = spec.steps.get(state)
        if nxt is None or seen > len(spec.steps):
            return
        state, seen = nxt, seen + 1


def retention(kind: str, state: str, default: float) -> float:
    kept = KINDS[kind].retained.get(state)
    return default if kept is None else kept


_HANDLERS: dict[tuple[str, str], TimerHandler] = {}
PurgeHook = Callable[["RequestContext", Record], None]
_ON_PURGE: dict[str, PurgeHook] = {}
StepHook = Callable[["RequestContext", Record, float], "str | None"]
_ON_STEP: dict[tuple[str, str], StepHook] = {}


def on_timer(kind: str, event: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register a provider's own timed side effect (``ctx.schedule(kind, id, event, …)``)."""

    def register(fn: TimerHandler) -> TimerHandler:
        _HANDLERS[(kind, event)] = fn
        return fn

    return register


def on_purge(kind: str) -> Callable[[PurgeHook], PurgeHook]:
    """Register what else goes when a record of ``kind`` is purged."""

    def register(fn: PurgeHook) -> PurgeHook:
        _ON_PURGE[kind] = fn
        return fn

    return register


def on_step(kind: str, state: str) -> Callable[[StepHook], StepHook]:
    """Register the side effects of a written step into ``state``: ``fn(ctx, record, at)``
    runs as the record takes it (``at``: when it was due) and may name another state the
    record may move to instead (a failover test that ends ``failed``)."""

    def register(fn: StepHook) -> StepHook:
        _ON_STEP[(kind, state)] = fn
        return fn

    return register


def handler(kind: str, event: str) -> TimerHandler | None:
    if event == "purge" and kind in KINDS:
        return partial(_purge, KINDS[kind])
    if event == "step" and kind in KINDS:
        return partial(_step, KINDS[kind])
    return _HANDLERS.get((kind, event))


def _purge(spec: Lifecycle, ctx: RequestContext, record: Record) -> None:
    """The one purge: a record still in a retained state goes, with what hangs off it."""
    settle(spec.kind, record, ctx.now, ctx.settings.delay)
    if record.get(spec.field) not in spec.retained:
        return
    hook = _ON_PURGE.get(spec.kind)
    if hook is not None:
        hook(ctx, record)
    ctx.tx.delete(spec.kind, record_id(spec, record))


def _step(spec: Lifecycle, ctx: RequestContext, record: Record) -> None:
    """A written step: the record takes it (if its time has come) and is saved."""
    state = record.get(spec.field)
    nxt = spec.steps.get(state)  # type: ignore[arg-type]
    if nxt is None:
        return
    rid = record_id(spec, record)
    due = record.get(ENTERED, -math.inf) + spec.step_time(record, ctx.settings.delay)
    if due > ctx.now + EPSILON:  # an older timer of an earlier state: wait for this one's
        ctx.tx.schedule(due, spec.kind, rid, "step")
        return
    at = due if math.isfinite(due) else ctx.now  # taken when it was due, however late
    hook = _ON_STEP.get((spec.kind, nxt))
    if hook is not None:
        nxt = hook(ctx, record, at) or nxt
    advance(spec.kind, record, nxt, at)
    ctx.tx.update(spec.kind, rid, record)
    ctx.follow(spec.kind, rid, nxt, at, record)


def record_id(spec: Lifecycle, record: Record) -> str:
    if spec.id_field == "_key":  # a resiliency group association
        return f"{record['resiliencyGroupId']}:{record['_connectionId']}"
    return record[spec.id_field]
