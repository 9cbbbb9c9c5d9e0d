"""Virtual private gateways and transit gateways as Direct Connect sees them.

dxlocal has no EC2, so gateways become known in two ways:

- a well-formed ``vgw-``/``tgw-`` id that is not registered is the caller's own: it is
  remembered per account (stored as ``<id>#<account>``), as an ``available`` gateway in the
  caller's region (Amazon side ASN 64512, no VPC CIDRs). Another account naming the same id
  gets a gateway of its own, so no account can claim an id first or learn which ids exist;
- the control API registers one (``_registered``); a registered gateway belongs to its
  registered owner and region only, and cannot be registered again for another account.
  It registers one with its owner, region, ASN and VPC CIDRs (the CIDRs are
  what a virtual gateway advertises over a VIF, and the default allowed prefixes of its
  Direct Connect gateway association):

    POST /_dxlocal/virtual-gateways
         {"virtualGatewayId": "vgw-…", "account": "…", "region": "…",
          "amazonSideAsn": 64512, "vpcCidrs": ["10.0.0.0/16"], "state": "available"}
    POST /_dxlocal/transit-gateways
         {"transitGatewayId": "tgw-…", "account": "…", "region": "…",
          "amazonSideAsn": 64513, "vpcCidrs": ["10.1.0.0/16"]}

    DELETE /_dxlocal/virtual-gateways/{id}, /_dxlocal/transit-gateways/{id}
         forget a registration (as if the gateway were deleted in EC2)

  Both answer the stored record; registering again (same account) updates it. ``account``
  and ``region`` default to the server's defaults.

DescribeVirtualGateways (deprecated in AWS) lists the caller's virtual private gateways in
the region; transit gateways are not listed there, as in AWS.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from dxlocal.core import ids
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider import ec2_source
from dxlocal.provider._registry import operation, route

if TYPE_CHECKING:
    from dxlocal.store.base import Tx

KIND = "virtualGateway"
TGW_KIND = "transitGateway"
DEFAULT_ASN = 64512  # the default Amazon side ASN of a new virtual private or transit gateway
# VirtualGateway.virtualGatewayState (DescribeVirtualGateways doc).
VGW_STATES = ("pending", "available", "deleting", "deleted")
GATEWAY_TYPES = {"vgw": "virtualPrivateGateway", "tgw": "transitGateway"}


def kind_of(gateway_id: str) -> str:
    """``vgw-…`` -> virtualGateway, ``tgw-…`` -> transitGateway; anything else is refused."""
    if gateway_id and ids.matches("vgw", gateway_id):
        return KIND
    if gateway_id and ids.matches("tgw", gateway_id):
        return TGW_KIND
    raise ClientError(f"Gateway ID {gateway_id} has an invalid format.")


def gateway_type(gateway_id: str) -> str:
    """The ``AssociatedGateway.type`` of an id."""
    return "virtualPrivateGateway" if kind_of(gateway_id) == KIND else "transitGateway"


def _new_record(
    gateway_id: str, account: str, region: str, asn: int, cidrs: list[str]
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ownerAccount": account,
        "region": region,
        "_amazonSideAsn": asn,
        "_vpcCidrs": cidrs,
    }
    if kind_of(gateway_id) == KIND:
        record.update(virtualGatewayId=gateway_id, virtualGatewayState="available")
    else:
        record.update(transitGatewayId=gateway_id, transitGatewayState="available")
    return record


def _remembered(gateway_id: str, account: str) -> str:
    """The store key of an unregistered gateway as ``account`` knows it."""
    return f"{gateway_id}#{account}"


def find(tx: Tx, gateway_id: str, account: str | None = None) -> dict[str, Any] | None:
    """The registered gateway with this id (any account), else the one ``account``
    remembered; with no account, any account's (control API views)."""
    kind = kind_of(gateway_id)
    record = tx.get(kind, gateway_id)
    if record is not None and (
        record.get("_registered") or account in (None, record["ownerAccount"])
    ):
        return record
    if account is not None:
        return tx.get(kind, _remembered(gateway_id, account))
    field = "virtualGatewayId" if kind == KIND else "transitGatewayId"
    return next((r for r in tx.list(kind) if r.get(field) == gateway_id), None)


def ensure_gateway(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    """The caller's VGW or TGW in this region: a registered one must be the caller's; an
    unregistered id is the caller's own, remembered on first use (per account)."""
    kind = kind_of(gateway_id)
    if ctx.settings.ec2_endpoint:
        return _from_ec2(ctx, kind, gateway_id, ctx.tx.get(kind, gateway_id))
    record = find(ctx.tx, gateway_id, ctx.account)
    if record is None:
        record = _new_record(gateway_id, ctx.account, ctx.region, DEFAULT_ASN, [])
        ctx.tx.insert(
            kind, _remembered(gateway_id, ctx.account), record,
            account=ctx.account, region=ctx.region,
        )  # fmt: skip
    elif record["ownerAccount"] != ctx.account or record["region"] != ctx.region:
        what = "Virtual gateway" if kind == KIND else "Transit gateway"
        raise ClientError(f"{what} {gateway_id} does not exist.")
    return record


def _from_ec2(
    ctx: RequestContext, kind: str, gateway_id: str, record: dict[str, Any] | None
) -> dict[str, Any]:
    """``--ec2-endpoint``: the gateway as EC2 shows it to the caller now (provider/ec2_source)."""
    lookup = ec2_source.virtual_gateway if kind == KIND else ec2_source.transit_gateway
    found = lookup(ctx.settings.ec2_endpoint, ctx.account, ctx.region, gateway_id)
    if found is None:
        what = "Virtual gateway" if kind == KIND else "Transit gateway"
        raise ClientError(f"{what} {gateway_id} does not exist.")
    fresh = _new_record(gateway_id, ctx.account, ctx.region, found["asn"], found["cidrs"])
    fresh["_registered"] = True  # EC2 knows it: strict ownership, as for a registration
    if kind == KIND:
        fresh["virtualGatewayState"] = found["state"]
    if record is None:
        ctx.tx.insert(kind, gateway_id, fresh, account=ctx.account, region=ctx.region)
    elif record != fresh:
        ctx.tx.update(kind, gateway_id, fresh, account=ctx.account)
    return fresh


def ensure(ctx: RequestContext, vgw_id: str) -> dict[str, Any]:
    """The caller's virtual private gateway (``vgw-`` only)."""
    if not ids.matches("vgw", vgw_id or ""):
        raise ClientError(f"Virtual gateway ID {vgw_id} has an invalid format.")
    return ensure_gateway(ctx, vgw_id)


def asn_of(record: dict[str, Any]) -> int:
    return int(record.get("_amazonSideAsn", DEFAULT_ASN))


def vpc_cidrs(record: dict[str, Any] | None) -> list[str]:
    return list((record or {}).get("_vpcCidrs", []))


@operation("DescribeVirtualGateways")
def describe_virtual_gateways(ctx: RequestContext) -> dict[str, Any]:
    if ctx.settings.ec2_endpoint:  # the caller's VGWs in EC2, remembered as they are now
        ids_ = ec2_source.virtual_gateway_ids(ctx.settings.ec2_endpoint, ctx.account, ctx.region)
        return {"virtualGateways": [ensure_gateway(ctx, vgw_id) for vgw_id in ids_]}
    return {"virtualGateways": ctx.tx.list(KIND, account=ctx.account, region=ctx.region)}


# --- control API ------------------------------------------------------------------------


def _register(
    ctx: ControlContext, body: dict[str, Any], id_field: str, prefix: str
) -> dict[str, Any]:
    gateway_id = body.get(id_field) or ""
    if not ids.matches(prefix, gateway_id):
        raise ClientError(f"{id_field} {gateway_id!r} is not a valid {prefix}- id.")
    account = str(body.get("account") or ctx.settings.default_account)
    region = str(body.get("region") or ctx.settings.default_region)
    asn = body.get("amazonSideAsn", DEFAULT_ASN)
    if not isinstance(asn, int) or not 1 <= asn <= 4294967294:
        raise ClientError("amazonSideAsn must be an integer from 1 to 4294967294.")
    cidrs = []
    for cidr in body.get("vpcCidrs") or []:
        try:
            cidrs.append(str(ipaddress.ip_network(cidr, strict=True)))
        except (TypeError, ValueError):
            raise ClientError(f"VPC CIDR {cidr!r} is not valid.") from None
    kind = kind_of(gateway_id)
    state = body.get("state")
    if prefix == "vgw" and state is not None and state not in VGW_STATES:
        raise ClientError(f"state must be one of {', '.join(VGW_STATES)}.")
    with ctx.unit() as unit:
        tx = unit.tx
        record = tx.get(kind, gateway_id)
        if record is not None and record["ownerAccount"] != account and record.get("_registered"):
            raise ClientError(
                f"{gateway_id} is registered to account {record['ownerAccount']}: another "
                "account cannot register it."
            )
        fresh = _new_record(gateway_id, account, region, asn, cidrs)
        fresh["_registered"] = True
        if prefix == "vgw" and state:
            fresh["virtualGatewayState"] = state
        if record is not None:
            tx.delete(kind, gateway_id)  # its region may change: file it anew
        # The owner's own remembered view of the id gives way to the registration.
        if tx.get(kind, _remembered(gateway_id, account)) is not None:
            tx.delete(kind, _remembered(gateway_id, account))
        tx.insert(kind, gateway_id, fresh, account=account, region=region)
    return fresh


@route("POST", "/virtual-gateways")
def register_virtual_gateway(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    """Make a virtual private gateway known, with its owner, region, ASN and VPC CIDRs."""
    return _register(ctx, body, "virtualGatewayId", "vgw")


def _deregister(ctx: ControlContext, gateway_id: str, prefix: str) -> dict[str, Any]:
    if not ids.matches(prefix, gateway_id):
        raise ClientError(f"{gateway_id!r} is not a valid {prefix}- id.")
    kind = kind_of(gateway_id)
    with ctx.unit() as unit:
        record = unit.tx.get(kind, gateway_id)
        if record is None or not record.get("_registered"):
            raise ClientError(f"{gateway_id} is not registered.")
        unit.tx.delete(kind, gateway_id)
    return {"deleted": gateway_id}


@route("DELETE", "/virtual-gateways/{gateway_id}")
def deregister_virtual_gateway(
    ctx: ControlContext, body: dict[str, Any], gateway_id: str
) -> dict[str, Any]:
    """Forget a registered virtual private gateway (as if deleted in EC2)."""
    return _deregister(ctx, gateway_id, "vgw")


@route("DELETE", "/transit-gateways/{gateway_id}")
def deregister_transit_gateway(
    ctx: ControlContext, body: dict[str, Any], gateway_id: str
) -> dict[str, Any]:
    """Forget a registered transit gateway."""
    return _deregister(ctx, gateway_id, "tgw")


@route("POST", "/transit-gateways")
def register_transit_gateway(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    """Make a transit gateway known, with its owner, region, ASN and attached VPC CIDRs."""
    return _register(ctx, body, "transitGatewayId", "tgw")
