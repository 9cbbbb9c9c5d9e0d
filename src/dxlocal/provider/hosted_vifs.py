"""Hosted virtual interfaces: allocated by a connection's owner to another account, confirmed
(or rejected by deletion) by that account (docs/behavior.md#hosted-vifs).

    connection owner   Allocate{Private,Public,Transit}VirtualInterface -> confirming
    VIF owner          Confirm{Private,Transit}VirtualInterface + gateway -> pending -> …
                       ConfirmPublicVirtualInterface                 -> verifying -> …
                       DeleteVirtualInterface while confirming       -> rejected

Both accounts see the VIF: it is filed under its owner with the connection's owner as the
second account (``_connectionOwner``). An allocated VIF has no gateway until it is
confirmed; its Amazon side ASN is then the gateway's.
"""

from __future__ import annotations

import re
from typing import Any

from dxlocal.core import errors, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider import bgp_peers, dx_gateways, prefix_pools
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import operation
from dxlocal.provider.ports import get_parent

ACCOUNT = re.compile(r"^\d{12}$")
NO_GATEWAY = {
    "virtualGatewayId": "",
    "directConnectGatewayId": "",
    "amazonSideAsn": vifs.PUBLIC_AMAZON_ASN,
}


def _allocate(
    ctx: RequestContext,
    vif_type: str,
    connection_id: str,
    owner_account: str,
    spec: dict[str, Any] | None,
) -> dict[str, Any]:
    if not spec:
        raise ClientError(
            f"The new {vif_type} virtual interface allocation's details are required."
        )
    if not ACCOUNT.match(owner_account or ""):
        raise ClientError(f"ownerAccount {owner_account} is not a valid account ID.")
    parent_kind, parent = get_parent(ctx, connection_id)
    if owner_account == ctx.account:
        raise errors.allocate_to_owner()
    vif = vifs.build_vif(
        ctx,
        vif_type,
        parent_kind,
        parent,
        spec,
        owner=owner_account,
        state="confirming",
        gateway=dict(NO_GATEWAY),
    )
    vifs.save_new(ctx, vif, connection_owner=ctx.account)
    return vif


@operation("AllocatePrivateVirtualInterface")
def allocate_private_virtual_interface(
    ctx: RequestContext,
    *,
    connection_id: str,
    owner_account: str,
    new_private_virtual_interface_allocation: dict[str, Any],
) -> dict[str, Any]:
    return _allocate(
        ctx, "private", connection_id, owner_account, new_private_virtual_interface_allocation
    )


@operation("AllocatePublicVirtualInterface")
def allocate_public_virtual_interface(
    ctx: RequestContext,
    *,
    connection_id: str,
    owner_account: str,
    new_public_virtual_interface_allocation: dict[str, Any],
) -> dict[str, Any]:
    return _allocate(
        ctx, "public", connection_id, owner_account, new_public_virtual_interface_allocation
    )


@operation("AllocateTransitVirtualInterface")
def allocate_transit_virtual_interface(
    ctx: RequestContext,
    *,
    connection_id: str,
    owner_account: str,
    new_transit_virtual_interface_allocation: dict[str, Any],
) -> dict[str, Any]:
    # Wrapped like CreateTransitVirtualInterface's answer (model output shape).
    vif = _allocate(
        ctx, "transit", connection_id, owner_account, new_transit_virtual_interface_allocation
    )
    return {"virtualInterface": vif}


def _confirmable(ctx: RequestContext, vif_id: str, vif_type: str) -> dict[str, Any]:
    """A VIF allocated to the caller, still waiting for confirmation."""
    vif = ctx.tx.get(vifs.KIND, vif_id) if vif_id else None
    if vif is None or vif["ownerAccount"] != ctx.account or vif["region"] != ctx.region:
        raise errors.vif_not_found(vif_id)
    if vif["virtualInterfaceType"] != vif_type:
        raise ClientError(
            f"Virtual interface {vif_id} is a {vif['virtualInterfaceType']} virtual interface, not {vif_type}."
        )
    if vif["virtualInterfaceState"] != "confirming":
        raise ClientError(
            f"Virtual interface {vif_id} is in state {vif['virtualInterfaceState']}; only a "
            "confirming virtual interface can be confirmed."
        )
    return vif


def _confirm(
    ctx: RequestContext, vif: dict[str, Any], gateway: dict[str, Any], state: str
) -> dict[str, Any]:
    for peer in vif["bgpPeers"]:
        if peer["asnLong"] == gateway["amazonSideAsn"]:
            raise ClientError(
                f"The customer ASN {peer['asnLong']} must differ from the Amazon side ASN."
            )
    vif.update(gateway)
    # Joining a Direct Connect gateway counts against its prefix allocations (prefix_pools).
    prefix_pools.apply(ctx, vif, {}, None)
    lifecycle.advance(vifs.KIND, vif, state, ctx.now)
    vifs.request_step(ctx, vif)
    bgp_peers.save(ctx, vif)
    if vif["directConnectGatewayId"]:
        dx_gateways.attach(ctx, vif)
    return {"virtualInterfaceState": vif["virtualInterfaceState"]}


@operation("ConfirmPrivateVirtualInterface")
def confirm_private_virtual_interface(
    ctx: RequestContext,
    *,
    virtual_interface_id: str,
    virtual_gateway_id: str | None = None,
    direct_connect_gateway_id: str | None = None,
) -> dict[str, Any]:
    """To a virtual private gateway or a Direct Connect gateway, one of them."""
    vif = _confirmable(ctx, virtual_interface_id, "private")
    spec = {
        "virtualGatewayId": virtual_gateway_id,
        "directConnectGatewayId": direct_connect_gateway_id,
    }
    return _confirm(ctx, vif, vifs.gateway_fields(ctx, "private", spec), "pending")


@operation("ConfirmTransitVirtualInterface")
def confirm_transit_virtual_interface(
    ctx: RequestContext, *, virtual_interface_id: str, direct_connect_gateway_id: str
) -> dict[str, Any]:
    vif = _confirmable(ctx, virtual_interface_id, "transit")
    spec = {"directConnectGatewayId": direct_connect_gateway_id}
    return _confirm(ctx, vif, vifs.gateway_fields(ctx, "transit", spec), "pending")


@operation("ConfirmPublicVirtualInterface")
def confirm_public_virtual_interface(
    ctx: RequestContext, *, virtual_interface_id: str
) -> dict[str, Any]:
    """Public VIFs go on to ``verifying`` (AWS checks the prefixes and ASN)."""
    vif = _confirmable(ctx, virtual_interface_id, "public")
    return _confirm(ctx, vif, vifs.gateway_fields(ctx, "public", {}), "verifying")
