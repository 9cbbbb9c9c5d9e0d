"""Direct Connect gateway associations with virtual private gateways and transit gateways
(docs/behavior.md#associations; CreateDirectConnectGatewayAssociation doc).

Lifecycle, one progression delay per step:

    associating ──▶ associated ──(update prefixes)──▶ updating ──▶ associated
    delete: disassociating ──▶ disassociated (visible 15 minutes, then gone)

An association is filed under the gateway's owner (region ``""``, parent = the gateway),
with the associated gateway's owner as the second account that may see it. Rules:

- a virtual private gateway is associated with at most one Direct Connect gateway;
- a transit gateway needs allowed prefixes, and its ASN must differ from the gateway's;
- quotas: 20 VGWs and 6 TGWs per Direct Connect gateway, 20 Direct Connect gateways per
  TGW, 200 allowed prefixes per TGW association; allowed prefixes of the TGWs on one gateway
  must not overlap;
- a VGW's association without prefixes advertises the VPC CIDRs.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from dxlocal.core import errors, ids
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import dx_gateways, virtual_gateways
from dxlocal.provider._registry import operation

KIND = dx_gateways.ASSOCIATION
LIVE = dx_gateways.LIVE_ASSOCIATION
MAX_VGWS_PER_DXGW = 20
MAX_TGWS_PER_DXGW = 6
MAX_DXGWS_PER_TGW = 20
MAX_TGW_PREFIXES = 200
VGW_TYPE = "virtualPrivateGateway"
TGW_TYPE = "transitGateway"


def check_prefixes(prefixes: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in prefixes or []:
        cidr = (item or {}).get("cidr", "")
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ClientError(f"Allowed prefix {cidr!r} is not a valid CIDR.") from None
        if {"cidr": str(net)} not in out:
            out.append({"cidr": str(net)})
    return out


def apply_prefixes(
    current: list[dict[str, str]], add: list[dict[str, str]], remove: list[dict[str, str]]
) -> list[dict[str, str]]:
    result = [p for p in current if p not in remove]
    return result + [p for p in add if p not in result]


def quota(ctx: RequestContext, name: str, default: int) -> int:
    return ctx.settings.quotas.get(name, default)


def own_gateway(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    """A VGW/TGW of the caller's (any region once registered); unknown ids are remembered."""
    record = virtual_gateways.find(ctx.tx, gateway_id, ctx.account)
    if record is None:
        return virtual_gateways.ensure_gateway(ctx, gateway_id)
    if record["ownerAccount"] != ctx.account:
        raise ClientError(
            f"Gateway {gateway_id} belongs to another account: associate it through a proposal."
        )
    return record


def associated_gateway(gateway_id: str, record: dict[str, Any]) -> dict[str, str]:
    return {
        "id": gateway_id,
        "type": virtual_gateways.gateway_type(gateway_id),
        "ownerAccount": record["ownerAccount"],
        "region": record["region"],
    }


def live_for_gateway(ctx: RequestContext, gateway_id: str) -> list[dict[str, Any]]:
    """Live associations of one VGW/TGW, across every Direct Connect gateway."""
    return [
        a
        for a in ctx.tx.list(KIND)
        if a["associatedGateway"]["id"] == gateway_id and a["associationState"] in LIVE
    ]


def check_tgw_prefixes(
    ctx: RequestContext, dxgw_id: str, tgw_id: str, prefixes: list[dict[str, str]]
) -> None:
    if not prefixes:
        raise ClientError("Allowed prefixes are required for a transit gateway association.")
    limit = quota(ctx, "tgw_allowed_prefixes", MAX_TGW_PREFIXES)
    if len(prefixes) > limit:
        raise ClientError(
            f"A transit gateway association can have at most {limit} allowed prefixes."
        )
    mine = [ipaddress.ip_network(p["cidr"]) for p in prefixes]
    for other in dx_gateways.live_associations(ctx, dxgw_id):
        if (
            other["associatedGateway"]["type"] != TGW_TYPE
            or other["associatedGateway"]["id"] == tgw_id
        ):
            continue
        for p in other.get("allowedPrefixesToDirectConnectGateway", []):
            theirs = ipaddress.ip_network(p["cidr"])
            if any(n.version == theirs.version and n.overlaps(theirs) for n in mine):
                raise ClientError(
                    f"Allowed prefix {p['cidr']} overlaps a prefix of transit gateway "
                    f"{other['associatedGateway']['id']} on Direct Connect gateway {dxgw_id}."
                )


def check_new(
    ctx: RequestContext,
    gw: dict[str, Any],
    gateway_id: str,
    record: dict[str, Any],
    prefixes: list[dict[str, str]],
) -> None:
    """Every rule for a new association of ``gateway_id`` with ``gw``."""
    dxgw_id = gw["directConnectGatewayId"]
    if gw["directConnectGatewayState"] not in ("pending", "available"):
        raise errors.dxgw_not_found(dxgw_id)
    kind = virtual_gateways.gateway_type(gateway_id)
    existing = dx_gateways.live_associations(ctx, dxgw_id)
    if any(a["associatedGateway"]["id"] == gateway_id for a in existing):
        raise ClientError(
            f"Gateway {gateway_id} is already associated with Direct Connect gateway {dxgw_id}."
        )
    wanted_vif = "PrivateVirtualInterface" if kind == VGW_TYPE else "TransitVirtualInterface"
    for att in dx_gateways.live_attachments(ctx, dxgw_id):
        if att["attachmentType"] != wanted_vif:
            raise ClientError(
                f"Direct Connect gateway {dxgw_id} has a {att['attachmentType']} attached; "
                f"a {kind} cannot be associated with it."
            )
    same_kind = [a for a in existing if a["associatedGateway"]["type"] == kind]
    if kind == VGW_TYPE:
        if live_for_gateway(ctx, gateway_id):
            raise ClientError(
                f"Virtual gateway {gateway_id} is already associated with a Direct Connect gateway."
            )
        limit = quota(ctx, "vgws_per_dx_gateway", MAX_VGWS_PER_DXGW)
        if len(same_kind) >= limit:
            raise ClientError(
                f"Direct Connect gateway {dxgw_id} already has the maximum of {limit} virtual private gateways."
            )
        return
    limit = quota(ctx, "tgws_per_dx_gateway", MAX_TGWS_PER_DXGW)
    if len(same_kind) >= limit:
        raise ClientError(
            f"Direct Connect gateway {dxgw_id} already has the maximum of {limit} transit gateways."
        )
    limit = quota(ctx, "dx_gateways_per_tgw", MAX_DXGWS_PER_TGW)
    if len(live_for_gateway(ctx, gateway_id)) >= limit:
        raise ClientError(
            f"Transit gateway {gateway_id} is already associated with {limit} Direct Connect gateways."
        )
    if virtual_gateways.asn_of(record) == gw["amazonSideAsn"]:
        raise ClientError(
            f"The Amazon side ASN {gw['amazonSideAsn']} of transit gateway {gateway_id} must differ "
            f"from the ASN of Direct Connect gateway {dxgw_id}."
        )
    check_tgw_prefixes(ctx, dxgw_id, gateway_id, prefixes)


def make_association(
    ctx: RequestContext,
    gw: dict[str, Any],
    gateway_id: str,
    record: dict[str, Any],
    prefixes: list[dict[str, str]],
) -> dict[str, Any]:
    """Validate and store a new association in ``associating``."""
    if not prefixes and virtual_gateways.gateway_type(gateway_id) == VGW_TYPE:
        prefixes = [{"cidr": c} for c in virtual_gateways.vpc_cidrs(record)]
    check_new(ctx, gw, gateway_id, record, prefixes)
    assoc: dict[str, Any] = {
        "directConnectGatewayId": gw["directConnectGatewayId"],
        "directConnectGatewayOwnerAccount": gw["ownerAccount"],
        "associationState": "associating",
        "associatedGateway": associated_gateway(gateway_id, record),
        "associationId": ids.mint_uuid(),
        "allowedPrefixesToDirectConnectGateway": prefixes,
        "_created": ctx.now,
    }
    if assoc["associatedGateway"]["type"] == VGW_TYPE:
        # The legacy members, still sent for VGW associations (docs/behavior.md#associations).
        assoc.update(
            virtualGatewayId=gateway_id,
            virtualGatewayRegion=record["region"],
            virtualGatewayOwnerAccount=record["ownerAccount"],
        )
    peer = record["ownerAccount"] if record["ownerAccount"] != gw["ownerAccount"] else None
    ctx.tx.insert(
        KIND,
        assoc["associationId"],
        assoc,
        account=gw["ownerAccount"],
        region=dx_gateways.GLOBAL,
        parent=gw["directConnectGatewayId"],
        peer_account=peer,
    )
    ctx.follow(KIND, assoc["associationId"], "associating")
    return assoc


def visible(ctx: RequestContext, assoc: dict[str, Any] | None) -> bool:
    return assoc is not None and ctx.account in (
        assoc["directConnectGatewayOwnerAccount"],
        assoc["associatedGateway"]["ownerAccount"],
    )


def get_association(ctx: RequestContext, association_id: str | None) -> dict[str, Any]:
    assoc = ctx.tx.get(KIND, association_id) if association_id else None
    if not visible(ctx, assoc) or assoc["associationState"] == "disassociated":
        raise errors.association_not_found(association_id or "")
    return assoc


def change_prefixes(
    ctx: RequestContext,
    assoc: dict[str, Any],
    add: list[dict[str, str]],
    remove: list[dict[str, str]],
) -> dict[str, Any]:
    """New allowed prefixes on an association: ``updating``, then ``associated``."""
    if assoc["associationState"] not in ("associated", "updating"):
        raise ClientError(
            f"Direct Connect gateway association {assoc['associationId']} is in state "
            f"{assoc['associationState']}; it can be updated once associated."
        )
    prefixes = apply_prefixes(assoc.get("allowedPrefixesToDirectConnectGateway", []), add, remove)
    if assoc["associatedGateway"]["type"] == TGW_TYPE:
        check_tgw_prefixes(
            ctx, assoc["directConnectGatewayId"], assoc["associatedGateway"]["id"], prefixes
        )
    assoc["allowedPrefixesToDirectConnectGateway"] = prefixes
    ctx.enter(KIND, assoc, "updating")
    ctx.tx.update(KIND, assoc["associationId"], assoc)
    return assoc


@operation("CreateDirectConnectGatewayAssociation")
def create_direct_connect_gateway_association(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str,
    gateway_id: str | None = None,
    add_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
    virtual_gateway_id: str | None = None,
) -> dict[str, Any]:
    if gateway_id and virtual_gateway_id and gateway_id != virtual_gateway_id:
        raise ClientError("Specify either gatewayId or virtualGatewayId, not both.")
    target = gateway_id or virtual_gateway_id
    if not target:
        raise ClientError("gatewayId (or virtualGatewayId) is required.")
    if virtual_gateway_id and not gateway_id and not ids.matches("vgw", virtual_gateway_id):
        raise ClientError(f"Virtual gateway ID {virtual_gateway_id} has an invalid format.")
    gw = dx_gateways.owned(ctx, direct_connect_gateway_id, usable=True)
    record = own_gateway(ctx, target)
    prefixes = check_prefixes(add_allowed_prefixes_to_direct_connect_gateway)
    return {"directConnectGatewayAssociation": make_association(ctx, gw, target, record, prefixes)}


@operation("DescribeDirectConnectGatewayAssociations")
def describe_direct_connect_gateway_associations(
    ctx: RequestContext,
    *,
    association_id: str | None = None,
    associated_gateway_id: str | None = None,
    direct_connect_gateway_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
    virtual_gateway_id: str | None = None,
) -> dict[str, Any]:
    gateway = associated_gateway_id or virtual_gateway_id
    if not (association_id or gateway or direct_connect_gateway_id):
        raise ClientError(
            "Specify a Direct Connect gateway, an associated gateway or an association ID."
        )
    if association_id:
        assoc = ctx.tx.get(KIND, association_id)
        if not visible(ctx, assoc):
            raise errors.association_not_found(association_id)
        records = [assoc]
    elif direct_connect_gateway_id:
        dx_gateways.find(ctx, direct_connect_gateway_id)
        records = ctx.tx.list(KIND, parent=direct_connect_gateway_id)
    else:
        records = ctx.tx.list(
            KIND, account=ctx.account, region=dx_gateways.GLOBAL, include_peer=True
        )
    records = [
        r
        for r in records
        if visible(ctx, r)
        and (not gateway or r["associatedGateway"]["id"] == gateway)
        and (
            not direct_connect_gateway_id
            or r["directConnectGatewayId"] == direct_connect_gateway_id
        )
    ]
    items, token = page(records, "associationId", max_results, next_token)
    return {"directConnectGatewayAssociations": items, "nextToken": token}


@operation("UpdateDirectConnectGatewayAssociation")
def update_direct_connect_gateway_association(
    ctx: RequestContext,
    *,
    association_id: str | None = None,
    add_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
    remove_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if not association_id:
        raise ClientError("associationId is required.")
    assoc = get_association(ctx, association_id)
    if assoc["directConnectGatewayOwnerAccount"] != ctx.account:
        raise ClientError(
            "Only the owner of the Direct Connect gateway can update the association; "
            "the gateway owner proposes changes with CreateDirectConnectGatewayAssociationProposal."
        )
    add = check_prefixes(add_allowed_prefixes_to_direct_connect_gateway)
    remove = check_prefixes(remove_allowed_prefixes_to_direct_connect_gateway)
    if not add and not remove:
        raise ClientError("Specify prefixes to add or to remove.")
    return {"directConnectGatewayAssociation": change_prefixes(ctx, assoc, add, remove)}


@operation("DeleteDirectConnectGatewayAssociation")
def delete_direct_connect_gateway_association(
    ctx: RequestContext,
    *,
    association_id: str | None = None,
    direct_connect_gateway_id: str | None = None,
    virtual_gateway_id: str | None = None,
) -> dict[str, Any]:
    """By ``associationId``, or by the gateway pair (DeleteDirectConnectGatewayAssociation doc)."""
    if association_id:
        assoc = get_association(ctx, association_id)
    elif direct_connect_gateway_id and virtual_gateway_id:
        dx_gateways.find(ctx, direct_connect_gateway_id)
        match = [
            a
            for a in dx_gateways.live_associations(ctx, direct_connect_gateway_id)
            if a["associatedGateway"]["id"] == virtual_gateway_id and visible(ctx, a)
        ]
        if not match:
            raise ClientError(
                f"The association between Direct Connect gateway {direct_connect_gateway_id} and "
                f"{virtual_gateway_id} does not exist."
            )
        assoc = match[0]
    else:
        raise ClientError("Specify associationId, or directConnectGatewayId and virtualGatewayId.")
    if assoc["associationState"] != "disassociating":
        ctx.enter(KIND, assoc, "disassociating")
        ctx.tx.update(KIND, assoc["associationId"], assoc)
    return {"directConnectGatewayAssociation": assoc}
