"""Changing a virtual interface after it exists: AssociateVirtualInterface (move it to another
connection or LAG) and UpdateVirtualInterfaceAttributes (docs/behavior.md#vifs).

AssociateVirtualInterface (model doc): the caller owns the VIF or its current connection,
and owns the target; same Region; a VIF on a hosted connection cannot move to a LAG; a VLAN
or IP address already used on the target is refused. Connectivity is interrupted: the VIF
goes back to ``pending`` and its peers are re-provisioned (the old ones show ``deleting``,
new ones with the same addresses ``pending``; CLI sample associate-virtual-interface).

UpdateVirtualInterfaceAttributes: a new MTU reconfigures the interface, which goes back to
``pending`` and comes up again (up to 30 s of disruption in AWS); SiteLink only on transit
VIFs and private VIFs on a Direct Connect gateway; a name change alone is immediate.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import addressing, errors, ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.router_xml import customer_router_config
from dxlocal.provider import bgp_peers, prefix_pools, rate_limiters
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import operation
from dxlocal.provider.ports import get_parent

FIXED = {"deleting", "deleted", "rejected"}
REPROVISION = {"verifying", "pending", "available", "down"}


def parent_of(ctx: RequestContext, parent_id: str) -> dict[str, Any]:
    return ctx.tx.get("lag" if parent_id.startswith("dxlag-") else "connection", parent_id) or {}


def check_addresses_free(ctx: RequestContext, vif: dict[str, Any], target_id: str) -> None:
    mine = bgp_peers.live_peers(vif)
    for other in vifs.active_vifs(ctx, target_id):
        for theirs in bgp_peers.live_peers(other):
            for peer in mine:
                if any(
                    addressing.same_address(peer[f], theirs[g])
                    for f in ("amazonAddress", "customerAddress")
                    for g in ("amazonAddress", "customerAddress")
                ):
                    raise ClientError(
                        f"Address {peer['customerAddress']} conflicts with virtual interface "
                        f"{other['virtualInterfaceId']} on {target_id}."
                    )


def reprovision_peers(ctx: RequestContext, vif: dict[str, Any]) -> None:
    """Old sessions go ``deleting``; new ones with the same addresses start ``pending``."""
    fresh = []
    for peer in bgp_peers.live_peers(vif):
        new = {k: v for k, v in peer.items() if not k.startswith("_")}
        new.update(
            bgpPeerId=ids.mint("dxpeer"),
            bgpPeerState="pending",
            bgpStatus="down",
            awsDeviceV2=vif["awsDeviceV2"],
            awsLogicalDeviceId=vif["awsLogicalDeviceId"],
            _at=ctx.now,
        )
        if peer.get("_announced"):
            new["_announced"] = peer["_announced"]
        lifecycle.advance("bgpPeer", peer, "deleting", ctx.now)
        peer["bgpStatus"] = "down"
        fresh.append(new)
    vif["bgpPeers"].extend(fresh)


@operation("AssociateVirtualInterface")
def associate_virtual_interface(
    ctx: RequestContext, *, virtual_interface_id: str, connection_id: str
) -> dict[str, Any]:
    vif = vifs.get_vif(ctx, virtual_interface_id)
    state = vif["virtualInterfaceState"]
    if state in FIXED or state == "testing":
        raise ClientError(
            f"Virtual interface {virtual_interface_id} is in state {state} and cannot be moved."
        )
    target_kind, target = get_parent(ctx, connection_id)
    target_id = target.get("connectionId") or target.get("lagId")
    if target_id == vif["connectionId"]:
        raise ClientError(f"Virtual interface {virtual_interface_id} is already on {target_id}.")
    if parent_of(ctx, vif["connectionId"]).get("_hosted") and target_kind == "lag":
        raise ClientError(
            "A virtual interface on a hosted connection cannot be associated with a LAG; "
            "move the hosted connection with AssociateHostedConnection."
        )
    if target.get(f"{target_kind}State", target.get("connectionState")) not in vifs.PARENT_OK:
        raise ClientError(f"{target_id} is not in a state that accepts virtual interfaces.")
    if target.get("_hosted") and vif["vlan"] != target.get("vlan"):
        raise ClientError(
            f"VLAN {vif['vlan']} does not match VLAN {target.get('vlan')} of hosted connection {target_id}."
        )
    vifs.check_vlan_free(ctx, target_id, vif["vlan"], exclude=virtual_interface_id)
    vifs.check_quota(ctx, target_kind, target, vif["virtualInterfaceType"])
    check_addresses_free(ctx, vif, target_id)
    rate_limiters.check_move(ctx, [vif], target, modelled=False)
    prefix_pools.apply(ctx, vif, {}, target)
    source_id = vif["connectionId"]
    device = target.get("awsDeviceV2") or ids.device(target["location"])
    vif.update(connectionId=target_id, location=target["location"], awsDeviceV2=device,
               awsLogicalDeviceId=device)  # fmt: skip
    vif["jumboFrameCapable"] = bool(target.get("jumboFrameCapable")) or vif["mtu"] > 1500
    if state in REPROVISION:
        reprovision_peers(ctx, vif)
        if state != "verifying":
            lifecycle.advance(vifs.KIND, vif, "pending", ctx.now)
        vifs.request_step(ctx, vif)
    vif["customerRouterConfig"] = customer_router_config(vif)
    # The new parent may belong to another account: who else sees the VIF follows it.
    owner = target.get("ownerAccount")
    if owner and owner != vif["ownerAccount"]:
        vif["_connectionOwner"] = owner
    else:
        vif.pop("_connectionOwner", None)
    ctx.tx.update(
        vifs.KIND,
        virtual_interface_id,
        vif,
        parent=target_id,
        peer_account=vif.get("_connectionOwner"),
    )
    if vif.get("rateLimit"):
        rate_limiters.refresh(ctx, source_id)
        rate_limiters.refresh(ctx, target_id)
    prefix_pools.refresh(ctx, source_id)
    prefix_pools.refresh(ctx, target_id)
    return vif


@operation("UpdateVirtualInterfaceAttributes")
def update_virtual_interface_attributes(
    ctx: RequestContext,
    *,
    virtual_interface_id: str,
    mtu: int | None = None,
    enable_site_link: bool | None = None,
    virtual_interface_name: str | None = None,
    prefix_pool_allocated_count_ipv4: int | None = None,
    prefix_pool_allocated_count_ipv6: int | None = None,
    rate_limit: str | None = None,
) -> dict[str, Any]:
    vif = bgp_peers.owned_vif(ctx, virtual_interface_id)
    state = vif["virtualInterfaceState"]
    if state in FIXED:
        raise errors.vif_not_found(virtual_interface_id)
    vif_type = vif["virtualInterfaceType"]
    if virtual_interface_name is not None:
        vif["virtualInterfaceName"] = vifs.check_name(virtual_interface_name)
    if enable_site_link is not None:
        if enable_site_link and not (vif_type == "transit" or vif.get("directConnectGatewayId")):
            raise ClientError(
                "SiteLink needs a transit virtual interface or a private one on a Direct Connect gateway."
            )
        if enable_site_link != vif.get("siteLinkEnabled", False):
            reset_sessions(ctx, vif)  # user guide, SiteLink: the VIF's BGP sessions reset
        vif["siteLinkEnabled"] = enable_site_link
    pool = {
        "prefixPoolAllocatedCountIpv4": prefix_pool_allocated_count_ipv4,
        "prefixPoolAllocatedCountIpv6": prefix_pool_allocated_count_ipv6,
    }
    prefix_pools.apply(ctx, vif, pool, parent_of(ctx, vif["connectionId"]))
    if any(v is not None for v in pool.values()):
        prefix_pools.enforce(vif)  # a new allocation holds sessions down or lets them up
        if vif["virtualInterfaceState"] != "testing":
            vifs.restore_bgp(ctx, vif)
    if rate_limit is not None and rate_limit != vif.get("rateLimit", ""):
        if rate_limit:
            rate_limiters.check(
                ctx, parent_of(ctx, vif["connectionId"]), rate_limit,
                vif_id=virtual_interface_id, modelled=False,
            )  # fmt: skip
            vif["rateLimit"] = rate_limit
        else:
            vif.pop("rateLimit", None)  # "" removes the limiter
    if mtu is not None and mtu != vif["mtu"]:
        change_mtu(ctx, vif, mtu)
    bgp_peers.save(ctx, vif)
    if rate_limit is not None:
        rate_limiters.refresh(ctx, vif["connectionId"])
    prefix_pools.refresh(ctx, vif["connectionId"])
    return vif


def reset_sessions(ctx: RequestContext, vif: dict[str, Any]) -> None:
    """The VIF's BGP sessions drop and come back (the simulated router re-establishes them
    one progression step later)."""
    if vif["virtualInterfaceState"] not in ("available", "down"):
        return
    for peer in bgp_peers.live_peers(vif):
        peer["bgpStatus"] = "down"
    vif["_sessionResets"] = vif.get("_sessionResets", 0) + 1
    vifs.derive_state(vif)
    vif[lifecycle.ENTERED] = ctx.now  # sessions settle one step from now; other steps keep theirs
    vifs.request_step(ctx, vif)


def change_mtu(ctx: RequestContext, vif: dict[str, Any], mtu: int) -> None:
    """The interface is reconfigured: sessions drop and come back (UpdateVirtualInterfaceAttributes doc)."""
    vif_type = vif["virtualInterfaceType"]
    if mtu not in vifs.MTUS[vif_type]:
        allowed = ", ".join(map(str, vifs.MTUS[vif_type]))
        raise ClientError(
            f"MTU {mtu} is not supported on a {vif_type} virtual interface: use {allowed}."
        )
    if vif["virtualInterfaceState"] == "testing":
        raise ClientError("The MTU cannot change while a failover test runs; stop the test first.")
    vif["mtu"] = mtu
    parent = parent_of(ctx, vif["connectionId"])
    vif["jumboFrameCapable"] = bool(parent.get("jumboFrameCapable")) or mtu > 1500
    if vif["virtualInterfaceState"] in ("available", "down"):
        for peer in bgp_peers.live_peers(vif):
            peer["bgpStatus"] = "down"
        lifecycle.advance(vifs.KIND, vif, "pending", ctx.now)
        vifs.request_step(ctx, vif)
