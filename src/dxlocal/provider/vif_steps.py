"""A virtual interface's and its BGP peers' steps, worked out from the clock when the VIF is
read (docs/lifecycle.md#virtual-interfaces-and-their-peers).

    private/transit  pending ──▶ peers available ──▶ sessions settle: available (or down)
    public           verifying ──▶ pending ──▶ …
    delete           deleting ──▶ deleted (peers deleting) ──(retention)──▶ purged
    peer             pending/verifying ──▶ available; deleting ──▶ deleted ──▶ gone

A call that starts steps (a create, a confirm, a peer added or deleted, a move, a new MTU,
a session reset) stamps when they are due in the VIF record it writes anyway (``_step``);
from then on ``settle`` takes them at read, each at the time it was due, and nothing is
written for them. Peers live inside their VIF, so they step with it.
"""

from __future__ import annotations

import math
from typing import Any

from dxlocal.core import addressing, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.router_xml import LIVE_PEER_STATES, customer_router_config

KIND = "virtualInterface"


def live_peers(vif: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in vif.get("bgpPeers", []) if p.get("bgpPeerState") in LIVE_PEER_STATES]


def derive_state(vif: dict[str, Any]) -> None:
    """Once no peer is provisioning, the VIF is ``available`` if any session is up, else ``down``."""
    if vif["virtualInterfaceState"] not in ("pending", "available", "down"):
        return
    peers = live_peers(vif)
    if any(p["bgpPeerState"] in ("pending", "verifying") for p in peers):
        return
    up = any(p["bgpStatus"] == "up" for p in peers)
    lifecycle.advance(KIND, vif, "available" if up else "down")


_PEER_STEPS = lifecycle.KINDS["bgpPeer"].steps
STEP = "_step"  # when the VIF's next peer or session step is due (clock seconds)
SIM = "_sim"  # that step was asked for under the simulated customer router (--bgp sim)


def request_step(ctx: RequestContext, vif: dict[str, Any]) -> None:
    """Ask for the VIF's and its peers' steps from one delay after now (an earlier pending
    step keeps its time: a step is never pushed out); the caller saves the VIF. With live
    BGP a public VIF's sessions start as it leaves ``verifying``: that step is written at
    its moment, so the speaker hears of it."""
    due = ctx.now + ctx.settings.delay
    vif[STEP] = min(vif.get(STEP, due), due)
    vif[SIM] = ctx.settings.bgp == "sim"
    if ctx.settings.bgp == "live" and vif["virtualInterfaceState"] == "verifying":
        ctx.tx.schedule(_due(vif, ctx.settings.delay), KIND, vif["virtualInterfaceId"], "sessions")


@lifecycle.on_timer(KIND, "sessions")
def _sessions(ctx: RequestContext, stored: dict[str, Any]) -> None:
    """With live BGP, a public VIF's leaving ``verifying`` is written as it happens."""
    vif = ctx.tx.get(KIND, stored["virtualInterfaceId"])  # as of now
    if vif is not None:
        vif["customerRouterConfig"] = customer_router_config(vif)
        ctx.tx.update(KIND, vif["virtualInterfaceId"], vif)


@lifecycle.on_timer(KIND, "progress")
def _older_state_file(ctx: RequestContext, stored: dict[str, Any]) -> None:
    """A state file written before the steps were worked out at read holds a VIF's steps as
    a ``progress`` timer: from when it fires, the VIF takes the steps its times allow."""
    vif = ctx.tx.get(KIND, stored["virtualInterfaceId"])
    if vif is None or STEP in vif:
        return
    vif[STEP] = ctx.now
    vif[SIM] = ctx.settings.bgp == "sim"
    settle(vif, ctx.now, ctx.settings.delay)
    vif["customerRouterConfig"] = customer_router_config(vif)
    ctx.tx.update(KIND, vif["virtualInterfaceId"], vif)


def _due(item: dict[str, Any], delay: float) -> float:
    """When a VIF or peer takes its next step: one delay after it entered its state."""
    return item.get(lifecycle.ENTERED, -math.inf) + delay


def _when(item: dict[str, Any], delay: float, now: float) -> float:
    """The time a step that has come was due (now, for a record without entry times)."""
    due = _due(item, delay)
    return due if math.isfinite(due) else now


def _step_peers(vif: dict[str, Any], now: float, delay: float) -> float:
    """Each peer whose time has come takes its step (a deleted one goes, a step after it
    got there); returns when the next peer step is due (``inf``: none)."""
    nxt = math.inf
    keep = []
    for peer in vif["bgpPeers"]:
        state = peer["bgpPeerState"]
        if state in _PEER_STEPS or state == "deleted":
            due = _due(peer, delay)
            if due > now + lifecycle.EPSILON:
                nxt = min(nxt, due)
            elif state == "deleted":
                continue
            else:
                at = _when(peer, delay, now)
                lifecycle.advance("bgpPeer", peer, _PEER_STEPS[state], at)
                nxt = min(nxt, at + delay)
        keep.append(peer)
    vif["bgpPeers"] = keep
    return nxt


def _simulated_router(vif: dict[str, Any]) -> None:
    """The default customer router: every provisioned session comes up, unless a test or the
    control API holds it down."""
    if vif["virtualInterfaceState"] not in ("pending", "available", "down"):
        return
    for peer in vif["bgpPeers"]:
        if peer["bgpPeerState"] == "available" and not held_down(peer):
            peer["bgpStatus"] = "up"


def restore_bgp(ctx: RequestContext, vif: dict[str, Any]) -> None:
    """After a hold ends (failover test): sessions come back as the customer router allows."""
    if ctx.settings.bgp == "sim":
        _simulated_router(vif)
    derive_state(vif)


def held_down(peer: dict[str, Any]) -> bool:
    """A session the simulated router must not bring up: held by the control API, by a
    running failover test, by an injected fault (provider/faults.py), or idle after too
    many announced routes (docs/behavior.md#routes)."""
    return bool(
        peer.get("_heldDown")
        or peer.get("_failoverTest")
        or peer.get("_faults")
        or peer.get("_overLimit")
    )


def release_address(ctx: RequestContext, vif: dict[str, Any], peer: dict[str, Any]) -> None:
    """Free an auto-assigned /30 unless a live peer still uses it (a re-provisioned peer
    keeps its addresses, AssociateVirtualInterface)."""
    if peer["addressFamily"] != "ipv4":
        return
    if any(
        p is not peer and addressing.same_address(p["amazonAddress"], peer["amazonAddress"])
        for p in live_peers(vif)
    ):
        return
    addressing.release_ipv4(ctx.tx, vif["ownerAccount"], vif["region"], peer["amazonAddress"])


@lifecycle.stepper(KIND)
def settle(vif: dict[str, Any], now: float, delay: float) -> None:
    """The VIF's and its peers' steps reached by ``now``, worked out when the VIF is read
    (docs/lifecycle.md): ``verifying`` and ``deleting`` end one delay after the VIF entered
    them; each peer steps one delay after it entered its state; one delay after the last of
    those steps (and after the VIF entered its state) the sessions settle: the simulated
    router brings up what it may, and the VIF is ``available`` if a session is up, else
    ``down``. Each step is taken at the time it was due, so reading later changes nothing."""
    state = vif["virtualInterfaceState"]
    due = _due(vif, delay) if state in ("verifying", "deleting") else vif.get(STEP)
    for _ in range(64):  # every round takes a step; a VIF has a handful
        if due is None or due > now + lifecycle.EPSILON:
            break
        due = _progress(vif, due, delay)
    if due is None:
        vif.pop(STEP, None)
        vif.pop(SIM, None)
    else:
        vif[STEP] = due


def _progress(vif: dict[str, Any], now: float, delay: float) -> float | None:
    """One round of steps at ``now``; returns when the next is due (None: no more)."""
    state = vif["virtualInterfaceState"]
    if state in ("verifying", "deleting"):
        at = _when(vif, delay, now)
        if state == "verifying":
            lifecycle.advance(KIND, vif, "pending", at)
            return at + delay
        lifecycle.advance(KIND, vif, "deleted", at)
        for peer in vif["bgpPeers"]:
            if lifecycle.can_advance("bgpPeer", peer, "deleting"):
                lifecycle.advance("bgpPeer", peer, "deleting", at)
        vif["customerRouterConfig"] = customer_router_config(vif)  # no live peer left
        return None
    if state not in ("pending", "available", "down", "testing"):
        return None
    nxt = _step_peers(vif, now, delay)
    if nxt < math.inf:
        return nxt
    settled = max([_due(vif, delay)] + [_due(p, delay) for p in vif["bgpPeers"]])
    if settled > now + lifecycle.EPSILON:
        return settled
    if vif.get(SIM):
        _simulated_router(vif)
    derive_state(vif)
    return None
