"""What AWS announces to the customer's router over a VIF (docs/routing.md "What AWS
announces"; user guide "Allowed prefixes interactions", "Routing policies and BGP
communities", "SiteLink").

- VIF attached straight to a virtual private gateway: the VPC CIDRs.
- Private VIF on a Direct Connect gateway, per virtual private gateway association
  (associated or updating): the VGW's VPC CIDRs that lie within the association's allowed
  prefixes; the allowed prefixes only filter.
- Transit VIF, per transit gateway association: the allowed prefixes themselves.
- AS_PATH: the VIF's Amazon side ASN (the gateway's).
- SiteLink: a VIF with SiteLink on also gets the best route to every prefix learned on the
  gateway's other SiteLink VIFs, with the gateway's ASN prepended; never a route whose best
  path is the VIF itself.
- Public VIF: Amazon's public prefixes, AS_PATH 7224 16509, tagged 7224:8100 when the
  prefix belongs to the VIF's Region, 7224:8200 when it belongs to the same continent,
  nothing when further away, and NO_EXPORT on every one.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.route_table import NO_EXPORT, Candidate, select
from dxlocal.provider import dx_gateways, virtual_gateways
from dxlocal.provider.accepted_routes import accepted_routes

# A few of Amazon's public prefixes and the Region each belongs to (sample of ip-ranges.json).
AMAZON_PUBLIC = {
    "3.5.0.0/19": "us-east-1",
    "52.94.0.0/22": "us-east-1",
    "52.95.0.0/16": "us-west-2",
    "54.239.0.0/17": "eu-west-1",
    "2600:1f00::/24": "us-east-1",
    "2600:1f14::/35": "us-west-2",
}
PUBLIC_PATH = [7224, 16509]
SAME_REGION, SAME_CONTINENT = "7224:8100", "7224:8200"


def _continent(region: str) -> str:
    """us-east-1 -> us, eu-west-1 -> eu, ap-southeast-2 -> ap (GovCloud counts as us)."""
    return region.split("-", 1)[0]


def public_communities(vif_region: str, prefix_region: str) -> list[str]:
    if prefix_region == vif_region:
        return [SAME_REGION, NO_EXPORT]
    if _continent(prefix_region) == _continent(vif_region):
        return [SAME_CONTINENT, NO_EXPORT]
    return [NO_EXPORT]


def _within(cidr: str, allowed: list[str]) -> bool:
    net = ipaddress.ip_network(cidr)
    for a in allowed:
        other = ipaddress.ip_network(a)
        if net.version == other.version and net.subnet_of(other):
            return True
    return False


def announcements(ctx: RequestContext, vif: dict[str, Any]) -> list[dict[str, Any]]:
    """Every route AWS announces on the VIF: ``{"cidr", "asPath", "communities", "since"}``."""
    created = vif.get("_created", 0.0)
    if vif["virtualInterfaceType"] == "public":
        return [
            {"cidr": c, "asPath": list(PUBLIC_PATH), "since": created,
             "communities": public_communities(vif["region"], r)}
            for c, r in AMAZON_PUBLIC.items()
        ]  # fmt: skip
    path = [int(vif["amazonSideAsn"])]
    out: dict[str, dict[str, Any]] = {}

    def add(cidr: str, since: float, as_path: list[int] = path) -> None:
        out.setdefault(cidr, {"cidr": cidr, "asPath": list(as_path), "communities": [],
                              "since": since})  # fmt: skip

    if vif.get("virtualGatewayId"):
        record = virtual_gateways.find(ctx.tx, vif["virtualGatewayId"], vif["ownerAccount"])
        for cidr in virtual_gateways.vpc_cidrs(record):
            add(cidr, created)
        return list(out.values())
    gw_id = vif.get("directConnectGatewayId") or ""
    for assoc in dx_gateways.live_associations(ctx, gw_id or "-"):
        if assoc["associationState"] not in ("associated", "updating"):
            continue
        since = max(assoc.get("_created", 0.0), created)
        allowed = [p["cidr"] for p in assoc["allowedPrefixesToDirectConnectGateway"]]
        if assoc["associatedGateway"]["type"] == "virtualPrivateGateway":
            gateway = assoc["associatedGateway"]
            record = virtual_gateways.find(ctx.tx, gateway["id"], gateway["ownerAccount"])
            for cidr in virtual_gateways.vpc_cidrs(record):
                if _within(cidr, allowed):
                    add(cidr, since)
        else:
            for cidr in allowed:
                add(cidr, since)
    if vif.get("siteLinkEnabled") and gw_id:
        for cidr, (as_path, since) in site_link_routes(ctx, vif, gw_id).items():
            add(cidr, since, as_path)
    return list(out.values())


def site_link_routes(
    ctx: RequestContext, vif: dict[str, Any], gw_id: str
) -> dict[str, tuple[list[int], float]]:
    """Routes of the gateway's SiteLink VIFs that reach ``vif`` (prefix -> (path, since))."""
    gw = ctx.tx.get(dx_gateways.KIND, gw_id)
    if gw is None:
        return {}
    me = vif["virtualInterfaceId"]
    by_prefix: dict[str, list[Candidate]] = {}
    since: dict[tuple[str, str], float] = {}
    for att in dx_gateways.live_attachments(ctx, gw_id):
        other = ctx.tx.get("virtualInterface", att["virtualInterfaceId"])
        if other is None or not other.get("siteLinkEnabled"):
            continue
        if other["virtualInterfaceState"] not in ("available", "down", "pending", "testing"):
            continue
        for r in accepted_routes(ctx, other):
            flat = tuple(a for seg in r["asPath"] for a in seg["path"])
            cand = Candidate(other["virtualInterfaceId"], flat, tuple(r["communities"]))
            by_prefix.setdefault(r["cidr"], []).append(cand)
            since[(r["cidr"], cand.vif_id)] = r["routeInstalledAt"]
    out = {}
    for cidr, cands in by_prefix.items():
        entry = select(cidr, cands)
        if any(c.vif_id == me for c in entry.chosen):
            continue  # never back to the VIF the best path came from
        best = entry.chosen[0]
        out[cidr] = ([int(gw["amazonSideAsn"]), *best.as_path], since[(cidr, best.vif_id)])
    return out
