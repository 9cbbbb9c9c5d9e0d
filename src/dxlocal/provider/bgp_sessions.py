"""What live BGP sessions need from the provider (the ports of ``bgp/live.py``).

- ``VifRoutes``: what AWS announces on a VIF (the same list ListVirtualInterfaceRoutes
  serves, docs/routing.md) and how many prefixes a session may accept before it ends: the
  VIF's allocation for the family (docs/routing.md#prefix-pools).
- ``apply_session_status``: sessions went up or down; their peers' ``bgpStatus`` follows
  and the VIF's state is derived again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dxlocal.config import Settings
from dxlocal.core import events, lifecycle
from dxlocal.core.clock import Clock
from dxlocal.core.context import LiveRoutes, RequestContext
from dxlocal.provider import announcements, bgp_peers, prefix_pools, virtual_interfaces
from dxlocal.store.base import Tx


class VifRoutes:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def announced(
        self, tx: Tx, vif: dict[str, Any], sessions: LiveRoutes
    ) -> list[tuple[str, tuple[int, ...], tuple[str, ...]]]:
        # Read as the VIF's owner, with the live sessions' routes (SiteLink passes on what
        # the gateway's other VIFs accepted).
        ctx = RequestContext(
            vif["ownerAccount"], vif["region"], "live-bgp", self.clock.now(), tx,
            self.settings, live=sessions,
        )  # fmt: skip
        return [
            (a["cidr"], tuple(a["asPath"]), tuple(a["communities"]))
            for a in announcements.announcements(ctx, vif)
        ]

    def limit(self, vif: dict[str, Any], family: str) -> int:
        return prefix_pools.allocation(vif, family)


class StatusWriter:
    """``apply_session_status`` that also logs each session change on dxlocal's clock
    (core/events.py)."""

    def __init__(self, clock: Clock, delay: float) -> None:
        self.clock = clock
        self.delay = delay

    def __call__(self, tx: Tx, vif: dict[str, Any], statuses: Mapping[str, str]) -> None:
        # The VIF as of now: its peers' and its own steps are worked out at read.
        lifecycle.settle(virtual_interfaces.KIND, vif, self.clock.now(), self.delay)
        before = events.snapshot(virtual_interfaces.KIND, vif)
        apply_session_status(tx, vif, statuses)
        events.changes(
            tx, self.clock.now(), virtual_interfaces.KIND, vif["virtualInterfaceId"], before, vif,
            cause="bgp",
        )  # fmt: skip


def apply_session_status(tx: Tx, vif: dict[str, Any], statuses: Mapping[str, str]) -> None:
    """Write each session's status (``up``/``down``) onto its peer of ``vif``."""
    touched = False
    for peer in vif.get("bgpPeers", []):
        status = statuses.get(peer["bgpPeerId"])
        if status is not None and peer.get("bgpStatus") != status:
            peer["bgpStatus"] = status
            touched = True
    if touched:
        virtual_interfaces.derive_state(vif)
        vif["customerRouterConfig"] = bgp_peers.customer_router_config(vif)
        tx.update(virtual_interfaces.KIND, vif["virtualInterfaceId"], vif)
