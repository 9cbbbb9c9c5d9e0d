"""ListVirtualInterfaceRoutes: the routes of a VIF's BGP sessions (model doc), and the control
route that says what the simulated customer router announces.

- ``accepted``: received from the customer network. With ``--bgp live`` they are the real
  session's Adj-RIB-In (``ctx.live``, given by the composition root); in simulation, what the control API
  says the customer's router announces, kept on the peer record as ``_announced``. A public VIF accepts only prefixes inside its
  route filter prefixes. More prefixes on one session than its VIF's allocation for the
  family (private/transit, default 100) or 1,000 (public) put it idle and DOWN
  (docs/routing.md#prefix-pools).
- ``advertised``: sent to the customer network, from what the VIF reaches: a virtual
  gateway's VPC CIDRs, the allowed prefixes of its Direct Connect gateway's associations,
  or, on a public VIF, Amazon's public prefixes for the Region.

Only sessions that are up carry routes. Control API:

    POST /_dxlocal/bgp-peers/{peerId}/routes
         {"prefixes": ["192.0.2.0/24", {"cidr": "198.51.100.0/24", "asPath": [65000, 65010],
          "communities": ["7224:7100"]}], "virtualInterfaceId": "dxvif-…" (optional)}
"""

from __future__ import annotations

import ipaddress
from typing import Any

from dxlocal.core import lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.core.work import ControlContext
from dxlocal.provider import announcements, bgp_peers, prefix_pools
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import operation, route
from dxlocal.provider.accepted_routes import (
    accepted,
    family_of,
    live_accepted,
    retained,
    route_entry,
)

MAX_FILTER_CIDRS = 10


def reachable(ctx: RequestContext, vif: dict[str, Any]) -> list[tuple[str, float]]:
    """Prefixes AWS announces on the VIF, with when they became reachable."""
    return [(a["cidr"], a["since"]) for a in announcements.announcements(ctx, vif)]


def advertised(ctx: RequestContext, vif: dict[str, Any], family: str) -> list[dict[str, Any]]:
    return [
        route_entry(vif, a["cidr"], "advertised", a["asPath"], list(a["communities"]), a["since"])
        for a in announcements.announcements(ctx, vif)
        if family_of(a["cidr"]) == family
    ]


def live_routes(
    ctx: RequestContext, vif: dict[str, Any], peer: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The routes of the peer's real BGP session (``--bgp live``); None in simulation."""
    if ctx.live is None:
        return None
    held = ctx.live(peer["bgpPeerId"])
    rib_out = held[1]
    since = dict(reachable(ctx, vif))
    return (live_accepted(ctx, vif, peer) or []) + [
        route_entry(vif, r["prefix"], "advertised", r["asPath"], r["communities"],
               since.get(r["prefix"], vif.get("_created", 0.0)))
        for r in rib_out
    ]  # fmt: skip


def vif_routes(ctx: RequestContext, vif: dict[str, Any]) -> list[dict[str, Any]]:
    routes: dict[str, dict[str, Any]] = {}
    for peer in bgp_peers.live_peers(vif):
        if peer["bgpStatus"] != "up" and not retained(ctx, peer):
            continue
        found = live_routes(ctx, vif, peer)
        if found is None:
            found = accepted(vif, peer) + advertised(ctx, vif, peer["addressFamily"])
        for r in found:
            routes.setdefault(r["_key"], r)
    return list(routes.values())


def matches(r: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Every given filter must hold; a CIDR filter matches that prefix and more specific ones."""
    if filters.get("routeDirection") and r["routeDirection"] != filters["routeDirection"]:
        return False
    if filters.get("addressFamily") and r["addressFamily"] != filters["addressFamily"]:
        return False
    if filters.get("cidrs"):
        net = ipaddress.ip_network(r["cidr"])
        if not any(net.version == f.version and net.subnet_of(f) for f in filters["_nets"]):
            return False
    path = [asn for seg in r["asPath"] for asn in seg["path"]]
    if any(asn not in path for asn in filters.get("asPath") or []):
        return False
    return all(c in r["communities"] for c in filters.get("communities") or [])


def check_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    filters = dict(filters or {})
    cidrs = filters.get("cidrs") or []
    if len(cidrs) > MAX_FILTER_CIDRS:
        raise ClientError(f"Specify at most {MAX_FILTER_CIDRS} CIDRs.")
    try:
        filters["_nets"] = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    except ValueError:
        raise ClientError("The cidrs filter holds an invalid CIDR.") from None
    return filters


@operation("ListVirtualInterfaceRoutes")
def list_virtual_interface_routes(
    ctx: RequestContext,
    *,
    virtual_interface_id: str | None = None,
    filters: dict[str, Any] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if not virtual_interface_id:
        raise ClientError("virtualInterfaceId is required.")
    vif = vifs.get_vif(ctx, virtual_interface_id)
    wanted = check_filters(filters)
    routes = [r for r in vif_routes(ctx, vif) if matches(r, wanted)]
    items, token = page(routes, "_key", max_results, next_token)
    return {"virtualInterfaceId": virtual_interface_id, "routes": items, "nextToken": token}


# --- control API ------------------------------------------------------------------------


def parse_announcements(prefixes: Any, family: str, now: float) -> list[dict[str, Any]]:
    if not isinstance(prefixes, list):
        raise ClientError(
            '"prefixes" must be a list of CIDRs or {"cidr", "asPath", "communities"}.'
        )
    out = []
    for item in prefixes:
        entry = {"cidr": item} if isinstance(item, str) else dict(item or {})
        try:
            cidr = str(ipaddress.ip_network(entry.get("cidr", ""), strict=True))
        except (TypeError, ValueError):
            raise ClientError(f"Prefix {entry.get('cidr')!r} is not a valid CIDR.") from None
        if family_of(cidr) != family:
            raise ClientError(
                f"Prefix {cidr} is not {family}: an {family} session carries {family} only."
            )
        out.append({"cidr": cidr, "asPath": [int(a) for a in entry.get("asPath") or []],
                    "communities": [str(c) for c in entry.get("communities") or []],
                    "installedAt": now})  # fmt: skip
    return out


@route("POST", "/bgp-peers/{peer_id}/routes")
def announce(ctx: ControlContext, body: dict[str, Any], peer_id: str) -> dict[str, Any]:
    """The simulated customer router announces these prefixes (replacing earlier ones)."""
    with ctx.unit() as unit:
        tx = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)  # the VIF as of now
        vif_id = body.get("virtualInterfaceId")
        candidates = [tx.get(vifs.KIND, vif_id)] if vif_id else tx.list(vifs.KIND)
        found = [
            (v, p) for v in candidates if v for p in v["bgpPeers"] if p["bgpPeerId"] == peer_id
        ]
        if not found:
            raise ClientError(f"BGP peer {peer_id} does not exist.")
        vif, peer = found[0]
        peer["_announced"] = parse_announcements(
            body.get("prefixes", []), peer["addressFamily"], ctx.clock.now()
        )
        prefix_pools.enforce(vif)
        if not peer["_overLimit"] and (
            ctx.settings.bgp == "sim"
            and peer["bgpPeerState"] == "available"
            and vif["virtualInterfaceState"] in ("pending", "available", "down")
        ):
            peer["bgpStatus"] = "down" if vifs.held_down(peer) else "up"
        vifs.derive_state(vif)
        tx.update(vifs.KIND, vif["virtualInterfaceId"], vif)
    return {
        "bgpPeerId": peer_id,
        "bgpStatus": peer["bgpStatus"],
        "prefixes": len(peer["_announced"]),
    }
