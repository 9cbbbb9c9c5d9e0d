"""The routes a VIF's BGP sessions accepted from the customer's router (docs/routing.md).

In simulation they are what the control API says the customer's router announces (kept on the
peer record as ``_announced``); with ``--bgp live`` they are the real session's Adj-RIB-In
(``ctx.live``). A public VIF accepts only prefixes inside its route filter prefixes. Both
ListVirtualInterfaceRoutes (provider/routes.py) and what AWS builds from them (route tables,
SiteLink announcements) read them here.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.route_table import accepted_communities
from dxlocal.core.router_xml import peer_asn
from dxlocal.provider import bgp_peers


def announced(peer: dict[str, Any]) -> list[dict[str, Any]]:
    """What the customer's router announces on this session (the one place routes are read)."""
    return list(peer.get("_announced", []))


def family_of(cidr: str) -> str:
    """The family of a CIDR already validated and normalized (IPv6 ones hold a colon)."""
    return "ipv6" if ":" in cidr else "ipv4"


def route_entry(vif: dict[str, Any], cidr: str, direction: str, path: list[int],
           communities: list[str], installed: float) -> dict[str, Any]:  # fmt: skip
    return {
        "cidr": cidr,
        "routeDirection": direction,
        "addressFamily": family_of(cidr),
        "asPath": [{"pathType": "seq", "path": path}] if path else [],
        "communities": communities,
        "awsLogicalDeviceId": vif.get("awsLogicalDeviceId", ""),
        "routeInstalledAt": installed,
        "_key": f"{direction}|{family_of(cidr)}|{cidr}",
    }


def accepted(vif: dict[str, Any], peer: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in announced(peer):
        if not in_filter(vif, entry["cidr"]):
            continue
        path = entry.get("asPath") or [peer_asn(peer)]
        installed = entry.get("installedAt", 0.0)
        kept = accepted_communities(vif["virtualInterfaceType"], entry.get("communities", []))
        out.append(route_entry(vif, entry["cidr"], "accepted", path, kept, installed))
    return out


def accepted_routes(ctx: RequestContext, vif: dict[str, Any]) -> list[dict[str, Any]]:
    """The routes AWS accepted on the VIF's sessions that are up (no advertised ones)."""
    routes: dict[str, dict[str, Any]] = {}
    for peer in bgp_peers.live_peers(vif):
        if peer["bgpStatus"] != "up" and not retained(ctx, peer):
            continue
        found = live_accepted(ctx, vif, peer)
        for r in accepted(vif, peer) if found is None else found:
            routes.setdefault(r["_key"], r)
    return list(routes.values())


def in_filter(vif: dict[str, Any], cidr: str) -> bool:
    """A public VIF accepts only prefixes inside its route filter prefixes."""
    if vif["virtualInterfaceType"] != "public":
        return True
    net = ipaddress.ip_network(cidr)
    return any(
        net.version == a.version and net.subnet_of(a)
        for a in map(ipaddress.ip_network, (p["cidr"] for p in vif.get("routeFilterPrefixes", [])))
    )


def retained(ctx: RequestContext, peer: dict[str, Any]) -> bool:
    """A live session that is down but keeps the customer's routes while its router
    restarts (graceful restart, docs/bfd.md#graceful-restart)."""
    return ctx.live is not None and bool(ctx.live(peer["bgpPeerId"])[0])


def live_accepted(
    ctx: RequestContext, vif: dict[str, Any], peer: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The accepted routes of the peer's real BGP session; None in simulation."""
    if ctx.live is None:
        return None
    held = ctx.live(peer["bgpPeerId"])
    vif_type = vif["virtualInterfaceType"]
    return [
        route_entry(vif, r["prefix"], "accepted", r["asPath"],
               accepted_communities(vif_type, r["communities"]), r.get("installedAt", 0.0))
        for r in held[0]
        if in_filter(vif, r["prefix"])
    ]  # fmt: skip
