"""Direct Connect gateways and their VIF attachments (docs/behavior.md#gateways).

A Direct Connect gateway is global: it is filed under region ``""`` and answers from any
Region. Lifecycle, one progression delay per step:

    gateway      pending ──▶ available;  delete: deleting ──▶ deleted (then gone)
    attachment   attaching ──▶ attached;  VIF deleted: detaching ──▶ detached

Attachments are made implicitly when a private or transit VIF is created on, or confirmed
to, a gateway; their id is the VIF's id (a VIF attaches to one gateway at most).
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import prefix_pools
from dxlocal.provider._registry import operation

KIND = "directConnectGateway"
ATTACHMENT = "directConnectGatewayAttachment"
ASSOCIATION = "directConnectGatewayAssociation"
GLOBAL = ""
DEFAULT_ASN = 64512
ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
# User guide "Direct Connect quotas" (docs/behavior.md#gateways).
MAX_GATEWAYS = 200
MAX_VIFS_PER_GATEWAY = 30
ATTACHMENT_TYPES = {"private": "PrivateVirtualInterface", "transit": "TransitVirtualInterface"}
LIVE_ATTACHMENT = {"attaching", "attached", "detaching"}
LIVE_ASSOCIATION = {"associating", "associated", "updating", "disassociating"}


def find(ctx: RequestContext, gateway_id: str | None) -> dict[str, Any]:
    """Any account's gateway by id (proposals cross accounts); deleted ones do not exist."""
    if not gateway_id or not ids.matches("uuid", gateway_id):
        raise errors.invalid_dxgw_format(gateway_id or "")
    gw = ctx.tx.get(KIND, gateway_id)
    if gw is None or gw["directConnectGatewayState"] == "deleted":
        raise errors.dxgw_not_found(gateway_id)
    return gw


def owned(ctx: RequestContext, gateway_id: str | None, *, usable: bool = False) -> dict[str, Any]:
    """The caller's gateway; ``usable`` also refuses one being deleted."""
    gw = find(ctx, gateway_id)
    if gw["ownerAccount"] != ctx.account:
        raise errors.dxgw_not_found(gateway_id or "")
    if usable and gw["directConnectGatewayState"] == "deleting":
        raise errors.dxgw_not_found(gateway_id or "")
    return gw


def check_asn(asn: int) -> int:
    if not any(lo <= asn <= hi for lo, hi in ASN_RANGES):
        raise ClientError(
            f"amazonSideAsn {asn} is not valid: use a private ASN from 64512 to 65534 or "
            "from 4200000000 to 4294967294."
        )
    return asn


def check_name(name: str | None) -> str:
    if not name or len(name) > 100:
        raise ClientError("directConnectGatewayName must be 1 to 100 characters.")
    return name


def live_attachments(ctx: RequestContext, gateway_id: str) -> list[dict[str, Any]]:
    return [
        a
        for a in ctx.tx.list(ATTACHMENT, parent=gateway_id)
        if a["attachmentState"] in LIVE_ATTACHMENT
    ]


def live_associations(ctx: RequestContext, gateway_id: str) -> list[dict[str, Any]]:
    return [
        a
        for a in ctx.tx.list(ASSOCIATION, parent=gateway_id)
        if a["associationState"] in LIVE_ASSOCIATION
    ]


def _save(ctx: RequestContext, gw: dict[str, Any]) -> None:
    ctx.tx.update(KIND, gw["directConnectGatewayId"], gw)


@operation("CreateDirectConnectGateway")
def create_direct_connect_gateway(
    ctx: RequestContext,
    *,
    direct_connect_gateway_name: str,
    tags: list[dict[str, Any]] | None = None,
    amazon_side_asn: int | None = None,
) -> dict[str, Any]:
    name = check_name(direct_connect_gateway_name)
    asn = check_asn(DEFAULT_ASN if amazon_side_asn is None else amazon_side_asn)
    tag_list = tagging.check(tags)
    limit = ctx.settings.quotas.get("dx_gateways", MAX_GATEWAYS)
    existing = [
        g
        for g in ctx.tx.list(KIND, account=ctx.account, region=GLOBAL)
        if g["directConnectGatewayState"] != "deleted"
    ]
    if len(existing) >= limit:
        raise ClientError(f"Direct Connect gateway limit exceeded: an account can have {limit}.")
    gw = {
        "directConnectGatewayId": ids.mint_uuid(),
        "directConnectGatewayName": name,
        "amazonSideAsn": asn,
        "ownerAccount": ctx.account,
        "directConnectGatewayState": "pending",
        "tags": tag_list,
        "_created": ctx.now,
        lifecycle.ENTERED: ctx.now,
    }
    ctx.tx.insert(KIND, gw["directConnectGatewayId"], gw, account=ctx.account, region=GLOBAL)
    return {"directConnectGateway": gw}


@operation("DescribeDirectConnectGateways")
def describe_direct_connect_gateways(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if direct_connect_gateway_id:
        # An unknown, deleted or foreign gateway is an empty answer, not an error: Terraform's
        # gateway finder treats any error as fatal and waits for an empty list or `deleted`
        # after DeleteDirectConnectGateway (docs/behavior.md#gateways).
        if not ids.matches("uuid", direct_connect_gateway_id):
            raise errors.invalid_dxgw_format(direct_connect_gateway_id)
        gw = ctx.tx.get(KIND, direct_connect_gateway_id)
        visible = gw is not None and gw["ownerAccount"] == ctx.account
        records = [gw] if visible and gw["directConnectGatewayState"] != "deleted" else []
    else:
        records = [
            g
            for g in ctx.tx.list(KIND, account=ctx.account, region=GLOBAL)
            if g["directConnectGatewayState"] != "deleted"
        ]
    items, token = page(records, "directConnectGatewayId", max_results, next_token)
    # Prefix allocations of the attached VIFs, both families (prefix_pools.py).
    items = [
        {
            **g,
            "totalPrefixPoolAllocations": prefix_pools.gateway_total(
                ctx, g["directConnectGatewayId"]
            ),
        }
        for g in items
    ]
    return {"directConnectGateways": items, "nextToken": token}


@operation("UpdateDirectConnectGateway")
def update_direct_connect_gateway(
    ctx: RequestContext, *, direct_connect_gateway_id: str, new_direct_connect_gateway_name: str
) -> dict[str, Any]:
    gw = owned(ctx, direct_connect_gateway_id, usable=True)
    gw["directConnectGatewayName"] = check_name(new_direct_connect_gateway_name)
    _save(ctx, gw)
    return {"directConnectGateway": gw}


@operation("DeleteDirectConnectGateway")
def delete_direct_connect_gateway(
    ctx: RequestContext, *, direct_connect_gateway_id: str
) -> dict[str, Any]:
    """Refused while VIFs are attached or gateways associated (DeleteDirectConnectGateway doc)."""
    gw = owned(ctx, direct_connect_gateway_id)
    if gw["directConnectGatewayState"] == "deleting":
        return {"directConnectGateway": gw}
    attached = live_attachments(ctx, gw["directConnectGatewayId"])
    if attached:
        raise ClientError(
            f"Direct Connect gateway {gw['directConnectGatewayId']} has virtual interfaces attached "
            f"({', '.join(a['virtualInterfaceId'] for a in attached[:5])}); delete them first."
        )
    associated = live_associations(ctx, gw["directConnectGatewayId"])
    if associated:
        raise ClientError(
            f"Direct Connect gateway {gw['directConnectGatewayId']} has associations "
            f"({', '.join(a['associationId'] for a in associated[:5])}); disassociate them first."
        )
    ctx.enter(KIND, gw, "deleting")
    _save(ctx, gw)
    return {"directConnectGateway": gw}


# --- attachments ------------------------------------------------------------------------


def check_attachable(ctx: RequestContext, gw: dict[str, Any], vif_type: str) -> None:
    """Quota and gateway-type rules for attaching one more VIF to ``gw``."""
    gw_id = gw["directConnectGatewayId"]
    limit = ctx.settings.quotas.get("vifs_per_dx_gateway", MAX_VIFS_PER_GATEWAY)
    if len(live_attachments(ctx, gw_id)) >= limit:
        raise ClientError(
            f"Direct Connect gateway {gw_id} already has the maximum of {limit} virtual interfaces."
        )
    wanted = "transitGateway" if vif_type == "transit" else "virtualPrivateGateway"
    for assoc in live_associations(ctx, gw_id):
        if assoc["associatedGateway"]["type"] != wanted:
            raise ClientError(
                f"A {vif_type} virtual interface cannot attach to Direct Connect gateway {gw_id}: it is "
                f"associated with a {assoc['associatedGateway']['type']}."
            )


def attach(ctx: RequestContext, vif: dict[str, Any]) -> dict[str, Any]:
    """The implicit attachment of a private/transit VIF to its gateway (``attaching``)."""
    gw_id = vif["directConnectGatewayId"]
    record = {
        "directConnectGatewayId": gw_id,
        "virtualInterfaceId": vif["virtualInterfaceId"],
        "virtualInterfaceRegion": vif["region"],
        "virtualInterfaceOwnerAccount": vif["ownerAccount"],
        "attachmentState": "attaching",
        "attachmentType": ATTACHMENT_TYPES[vif["virtualInterfaceType"]],
        lifecycle.ENTERED: ctx.now,
    }
    if ctx.tx.get(ATTACHMENT, vif["virtualInterfaceId"]) is not None:
        ctx.tx.delete(ATTACHMENT, vif["virtualInterfaceId"])
    ctx.tx.insert(
        ATTACHMENT,
        vif["virtualInterfaceId"],
        record,
        account=vif["ownerAccount"],
        region=GLOBAL,
        parent=gw_id,
    )
    ctx.follow(ATTACHMENT, vif["virtualInterfaceId"], "attaching")
    return record


def detach(ctx: RequestContext, vif_id: str) -> None:
    """The VIF is being deleted: ``detaching`` now, ``detached`` one step later."""
    record = ctx.tx.get(ATTACHMENT, vif_id)
    if record is None or not lifecycle.can_advance(ATTACHMENT, record, "detaching"):
        return
    if record["attachmentState"] != "detaching":
        ctx.enter(ATTACHMENT, record, "detaching")
        ctx.tx.update(ATTACHMENT, vif_id, record)


@operation("DescribeDirectConnectGatewayAttachments")
def describe_direct_connect_gateway_attachments(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str | None = None,
    virtual_interface_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """Give a gateway, a VIF or both (DescribeDirectConnectGatewayAttachments doc)."""
    if not direct_connect_gateway_id and not virtual_interface_id:
        raise ClientError("Specify a Direct Connect gateway ID, a virtual interface ID, or both.")
    if direct_connect_gateway_id:
        owned(ctx, direct_connect_gateway_id)
        records = ctx.tx.list(ATTACHMENT, parent=direct_connect_gateway_id)
    else:
        vif = ctx.tx.get("virtualInterface", virtual_interface_id)
        if vif is None or vif["ownerAccount"] != ctx.account:
            raise errors.vif_not_found(virtual_interface_id or "")
        record = ctx.tx.get(ATTACHMENT, virtual_interface_id)
        records = [record] if record else []
    if virtual_interface_id:
        records = [r for r in records if r["virtualInterfaceId"] == virtual_interface_id]
    items, token = page(records, "virtualInterfaceId", max_results, next_token)
    return {"directConnectGatewayAttachments": items, "nextToken": token}
