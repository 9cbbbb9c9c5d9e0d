"""Virtual interfaces: create (private, public, transit), describe, delete, and their
lifecycle (docs/behavior.md#vifs).

Lifecycle, one progression delay per step, worked out when the VIF is read (vif_steps.py):
    private/transit  pending ──▶ peers available ──▶ BGP up: available (or down)
    public           verifying ──▶ pending ──▶ …
    delete           deleting ──▶ deleted ──(15 min)──▶ gone
The customer's router decides ``bgpStatus``: simulated healthy (peers come up), absent
(they stay down), or live BGP sessions (the speaker reports).
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import addressing, errors, ids, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import bgp_peers, dx_gateways, prefix_pools, rate_limiters, virtual_gateways
from dxlocal.provider._registry import operation
from dxlocal.provider.ports import get_connection, get_parent
from dxlocal.provider.vif_steps import (  # noqa: F401 (the VIF's lifecycle, used through this module)
    SIM,
    STEP,
    derive_state,
    held_down,
    release_address,
    request_step,
    restore_bgp,
)

KIND = "virtualInterface"
PUBLIC_AMAZON_ASN = 7224
MTUS = {"private": (1500, 8500, 9001), "transit": (1500, 8500), "public": (1500,)}
GONE = {"deleted", "rejected"}
PARENT_OK = {"requested", "pending", "available", "down"}
# User guide "Direct Connect quotas" (docs/behavior.md#vifs).
QUOTA_PRIVATE_PUBLIC = 50
QUOTA_TRANSIT = 4
QUOTA_TOTAL_DEDICATED = 51
QUOTA_HOSTED = 1
QUOTA_LAG = 51
MAX_PUBLIC_PREFIXES = 1000
DX_GATEWAY = dx_gateways.KIND


def visible(ctx: RequestContext, vif: dict[str, Any] | None) -> bool:
    return (
        vif is not None
        and vif.get("region") == ctx.region
        and ctx.account in (vif.get("ownerAccount"), vif.get("_connectionOwner"))
    )


def get_vif(ctx: RequestContext, vif_id: str) -> dict[str, Any]:
    """A VIF the caller owns or whose connection it owns (hosted VIFs)."""
    vif = ctx.tx.get(KIND, vif_id) if vif_id else None
    if not visible(ctx, vif):
        raise errors.vif_not_found(vif_id)
    return vif


def active_vifs(ctx: RequestContext, parent_id: str) -> list[dict[str, Any]]:
    return [
        v for v in ctx.tx.list(KIND, parent=parent_id) if v["virtualInterfaceState"] not in GONE
    ]


def check_name(name: str | None) -> str:
    if not name or len(name) > 100:
        raise ClientError("virtualInterfaceName must be 1 to 100 characters.")
    return name


def check_vlan_free(ctx: RequestContext, parent_id: str, vlan: int, *, exclude: str = "") -> None:
    if not 1 <= vlan <= 4094:
        raise ClientError(f"VLAN {vlan} is not valid: use 1 to 4094.")
    for other in active_vifs(ctx, parent_id):
        if other["vlan"] == vlan and other["virtualInterfaceId"] != exclude:
            raise ClientError(
                f"VLAN {vlan} is already in use on {parent_id} by virtual interface "
                f"{other['virtualInterfaceId']}."
            )


def check_quota(
    ctx: RequestContext, parent_kind: str, parent: dict[str, Any], vif_type: str
) -> None:
    parent_id = parent.get("connectionId") or parent.get("lagId")
    existing = active_vifs(ctx, parent_id)
    if parent.get("_hosted"):
        limits = {"total": QUOTA_HOSTED}
    elif parent_kind == "lag":
        limits = {
            "total": QUOTA_LAG,
            "transit": QUOTA_TRANSIT,
            "private/public": QUOTA_PRIVATE_PUBLIC,
        }
    else:
        limits = {
            "total": QUOTA_TOTAL_DEDICATED,
            "transit": QUOTA_TRANSIT,
            "private/public": QUOTA_PRIVATE_PUBLIC,
        }
    same = [
        v for v in existing if (v["virtualInterfaceType"] == "transit") == (vif_type == "transit")
    ]
    key = "transit" if vif_type == "transit" else "private/public"
    if key in limits and len(same) >= limits[key]:
        raise ClientError(
            f"{parent_id} already has the maximum of {limits[key]} {key} virtual interfaces."
        )
    if len(existing) >= limits["total"]:
        raise ClientError(
            f"{parent_id} already has the maximum of {limits['total']} virtual interfaces."
        )


def dx_gateway(ctx: RequestContext, gateway_id: str, vif_type: str = "private") -> dict[str, Any]:
    """The caller's usable Direct Connect gateway, with room for one more VIF of this type."""
    gw = dx_gateways.owned(ctx, gateway_id, usable=True)
    dx_gateways.check_attachable(ctx, gw, vif_type)
    return gw


def gateway_fields(ctx: RequestContext, vif_type: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Which gateway the VIF reaches and the Amazon side ASN that follows from it."""
    vgw_id = spec.get("virtualGatewayId")
    dxgw_id = spec.get("directConnectGatewayId")
    if vif_type == "public":
        return {
            "virtualGatewayId": "",
            "directConnectGatewayId": "",
            "amazonSideAsn": PUBLIC_AMAZON_ASN,
        }
    if vif_type == "transit":
        if vgw_id:
            raise ClientError(
                "A transit virtual interface attaches to a Direct Connect gateway, not a virtual gateway."
            )
        if not dxgw_id:
            raise ClientError("directConnectGatewayId is required for a transit virtual interface.")
    elif bool(vgw_id) == bool(dxgw_id):
        raise ClientError("Specify exactly one of virtualGatewayId and directConnectGatewayId.")
    if dxgw_id:
        gw = dx_gateway(ctx, dxgw_id, vif_type)
        return {
            "virtualGatewayId": "",
            "directConnectGatewayId": dxgw_id,
            "amazonSideAsn": gw["amazonSideAsn"],
        }
    vgw = virtual_gateways.ensure(ctx, vgw_id)
    return {
        "virtualGatewayId": vgw_id,
        "directConnectGatewayId": "",
        "amazonSideAsn": vgw["_amazonSideAsn"],
    }


def build_vif(
    ctx: RequestContext,
    vif_type: str,
    parent_kind: str,
    parent: dict[str, Any],
    spec: dict[str, Any],
    *,
    owner: str,
    state: str,
    gateway: dict[str, Any],
) -> dict[str, Any]:
    """Validate a New*VirtualInterface(+Allocation) and build the record with its first peer."""
    parent_id = parent.get("connectionId") or parent.get("lagId")
    if parent.get(f"{parent_kind}State", parent.get("connectionState")) not in PARENT_OK:
        raise ClientError(f"{parent_id} is not in a state that accepts new virtual interfaces.")
    name = check_name(spec.get("virtualInterfaceName"))
    vlan = spec.get("vlan")
    if vlan is None:
        raise ClientError("vlan is required.")
    if parent.get("_hosted") and vlan != parent.get("vlan"):
        raise ClientError(
            f"VLAN {vlan} does not match VLAN {parent.get('vlan')} of hosted connection {parent_id}."
        )
    check_vlan_free(ctx, parent_id, vlan)
    check_quota(ctx, parent_kind, parent, vif_type)
    mtu = spec.get("mtu", 1500)
    if mtu not in MTUS[vif_type]:
        raise ClientError(
            f"MTU {mtu} is not supported on a {vif_type} virtual interface: use {', '.join(map(str, MTUS[vif_type]))}."
        )
    prefixes = spec.get("routeFilterPrefixes") or []
    if vif_type == "public":
        prefixes = check_public_prefixes(prefixes, spec.get("addressFamily") or "ipv4")
    tag_list = tagging.check(spec.get("tags"))
    if spec.get("enableSiteLink") and not (
        vif_type == "transit" or gateway.get("directConnectGatewayId")
    ):
        raise ClientError(
            "SiteLink needs a transit virtual interface or a private one on a Direct Connect gateway."
        )
    device = parent.get("awsDeviceV2") or ids.device(parent["location"])
    vif: dict[str, Any] = {
        "ownerAccount": owner,
        "virtualInterfaceId": ids.mint("dxvif"),
        "location": parent["location"],
        "connectionId": parent_id,
        "virtualInterfaceType": vif_type,
        "virtualInterfaceName": name,
        "vlan": vlan,
        "amazonSideAsn": gateway["amazonSideAsn"],
        "virtualInterfaceState": state,
        lifecycle.ENTERED: ctx.now,
        "mtu": mtu,
        "jumboFrameCapable": bool(parent.get("jumboFrameCapable")) or mtu > 1500,
        "virtualGatewayId": gateway["virtualGatewayId"],
        "directConnectGatewayId": gateway["directConnectGatewayId"],
        "routeFilterPrefixes": prefixes,
        "bgpPeers": [],
        "region": ctx.region,
        "awsDeviceV2": device,
        "awsLogicalDeviceId": device,
        "tags": tag_list,
        "siteLinkEnabled": bool(spec.get("enableSiteLink")),
        "_created": ctx.now,
    }
    pool = {k: spec.get(k) for k in prefix_pools.ALLOCATED.values()}
    prefix_pools.apply(ctx, vif, pool, parent)
    if spec.get("rateLimit"):
        rate_limiters.check(ctx, parent, spec["rateLimit"])
        vif["rateLimit"] = spec["rateLimit"]
    peer = bgp_peers.new_peer(ctx, vif, spec, first=True)
    vif["bgpPeers"].append(peer)
    # The top-level BGP fields mirror the first peer and never change afterwards.
    for key in ("asn", "asnLong", "authKey", "amazonAddress", "customerAddress", "addressFamily"):
        vif[key] = peer[key]
    if vif_type == "public":
        vif["_asnAllowList"] = [peer["asnLong"]]
    if peer["asnLong"] == vif["amazonSideAsn"]:
        raise ClientError(
            f"The customer ASN {peer['asnLong']} must differ from the Amazon side ASN."
        )
    return vif


def check_public_prefixes(prefixes: list[dict[str, Any]], family: str) -> list[dict[str, str]]:
    import ipaddress

    if family == "ipv4" and not prefixes:
        raise ClientError(
            "A public virtual interface needs at least one route filter prefix to advertise."
        )
    if len(prefixes) > MAX_PUBLIC_PREFIXES:
        raise ClientError(f"At most {MAX_PUBLIC_PREFIXES} route filter prefixes are allowed.")
    out = []
    for item in prefixes:
        cidr = item.get("cidr", "")
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ClientError(f"Route filter prefix {cidr!r} is not a valid CIDR.") from None
        if net.version == 6 and net.prefixlen > 64:
            raise ClientError(f"IPv6 route filter prefix {cidr} must be /64 or shorter.")
        out.append({"cidr": str(net)})
    return out


def save_new(
    ctx: RequestContext, vif: dict[str, Any], *, connection_owner: str | None = None
) -> None:
    vif["customerRouterConfig"] = bgp_peers.customer_router_config(vif)
    if connection_owner and connection_owner != vif["ownerAccount"]:
        vif["_connectionOwner"] = connection_owner
    ctx.tx.insert(
        KIND,
        vif["virtualInterfaceId"],
        vif,
        account=vif["ownerAccount"],
        region=vif["region"],
        parent=vif["connectionId"],
        peer_account=vif.get("_connectionOwner"),
    )
    if vif.get("rateLimit"):
        rate_limiters.refresh(ctx, vif["connectionId"])
    prefix_pools.refresh(ctx, vif["connectionId"])


def _create(
    ctx: RequestContext, vif_type: str, connection_id: str, spec: dict[str, Any] | None
) -> dict[str, Any]:
    if not spec:
        raise ClientError(f"The new {vif_type} virtual interface's details are required.")
    parent_kind, parent = get_parent(ctx, connection_id)
    gateway = gateway_fields(ctx, vif_type, spec)
    state = "verifying" if vif_type == "public" else "pending"
    vif = build_vif(
        ctx, vif_type, parent_kind, parent, spec, owner=ctx.account, state=state, gateway=gateway
    )
    request_step(ctx, vif)
    save_new(ctx, vif)
    if vif["directConnectGatewayId"]:
        dx_gateways.attach(ctx, vif)
    return vif


@operation("CreatePrivateVirtualInterface")
def create_private_virtual_interface(
    ctx: RequestContext, *, connection_id: str, new_private_virtual_interface: dict[str, Any]
) -> dict[str, Any]:
    return _create(ctx, "private", connection_id, new_private_virtual_interface)


@operation("CreatePublicVirtualInterface")
def create_public_virtual_interface(
    ctx: RequestContext, *, connection_id: str, new_public_virtual_interface: dict[str, Any]
) -> dict[str, Any]:
    return _create(ctx, "public", connection_id, new_public_virtual_interface)


@operation("CreateTransitVirtualInterface")
def create_transit_virtual_interface(
    ctx: RequestContext, *, connection_id: str, new_transit_virtual_interface: dict[str, Any]
) -> dict[str, Any]:
    # Transit answers are wrapped: {"virtualInterface": …} (model output shape).
    return {
        "virtualInterface": _create(ctx, "transit", connection_id, new_transit_virtual_interface)
    }


@operation("DescribeVirtualInterfaces")
def describe_virtual_interfaces(
    ctx: RequestContext,
    *,
    connection_id: str | None = None,
    virtual_interface_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if virtual_interface_id:
        vif = get_vif(ctx, virtual_interface_id)
        if connection_id and vif["connectionId"] != connection_id:
            return {"virtualInterfaces": []}
        return {"virtualInterfaces": [vif]}
    if connection_id:
        if connection_id.startswith("dxlag-"):
            get_parent(ctx, connection_id)
        else:
            get_connection(ctx, connection_id, owner=False)
        records = [v for v in ctx.tx.list(KIND, parent=connection_id) if visible(ctx, v)]
    else:
        records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region, include_peer=True)
    items, token = page(records, "virtualInterfaceId", max_results, next_token)
    return {"virtualInterfaces": items, "nextToken": token}


@operation("DeleteVirtualInterface")
def delete_virtual_interface(ctx: RequestContext, *, virtual_interface_id: str) -> dict[str, Any]:
    vif = get_vif(ctx, virtual_interface_id)
    state = vif["virtualInterfaceState"]
    if state in GONE:
        raise errors.vif_not_found(virtual_interface_id)
    if state == "confirming" and ctx.account == vif["ownerAccount"]:
        # The owner of a hosted VIF rejects it by deleting it (docs/behavior.md#hosted-vifs).
        lifecycle.advance(KIND, vif, "rejected")
        _retire(ctx, vif)
    elif state != "deleting":
        lifecycle.advance(KIND, vif, "deleting", ctx.now)
        for peer in vif["bgpPeers"]:
            peer["bgpStatus"] = "down"
        vif.pop(STEP, None)
        vif.pop(SIM, None)
        ctx.tx.cancel(KIND, virtual_interface_id)
        _retire(ctx, vif)  # deleted one delay from now, then kept for the retention
        if vif.get("directConnectGatewayId"):
            dx_gateways.detach(ctx, virtual_interface_id)
    ctx.tx.update(KIND, virtual_interface_id, vif)
    if vif.get("rateLimit"):
        rate_limiters.refresh(ctx, vif["connectionId"])
    prefix_pools.refresh(ctx, vif["connectionId"])
    return {"virtualInterfaceState": vif["virtualInterfaceState"]}


def _retire(ctx: RequestContext, vif: dict[str, Any]) -> None:
    """A deleted or rejected VIF frees its /30s as it is deleted, and stays visible for a
    while (docs/behavior.md#lifecycle): its purge is due from now."""
    for peer in vif["bgpPeers"]:
        if peer["addressFamily"] == "ipv4":
            addressing.release_ipv4(
                ctx.tx, vif["ownerAccount"], vif["region"], peer["amazonAddress"]
            )
    ctx.follow(KIND, vif["virtualInterfaceId"], vif["virtualInterfaceState"])
