"""Virtual private gateways and transit gateways as Direct Connect sees them.

dxlocal has no EC2, so gateways become known in two ways:

- a well-formed ``vgw-``/``tgw-`` id used in a call is remembered as an ``available``
  gateway of the caller's account and region (Amazon side ASN 64512, no VPC CIDRs);
- the control API registers one with its owner, region, ASN and VPC CIDRs (the CIDRs are
  what a virtual gateway advertises over a VIF, and the default allowed prefixes of its
  Direct Connect gateway association):

    POST /_dxlocal/virtual-gateways
         {"virtualGatewayId": "vgw-…", "account": "…", "region": "…",
          "amazonSideAsn": 64512, "vpcCidrs": ["10.0.0.0/16"], "state": "available"}
    POST /_dxlocal/transit-gateways
         {"transitGatewayId": "tgw-…", "account": "…", "region": "…",
          "amazonSideAsn": 64513, "vpcCidrs": ["10.1.0.0/16"]}

  Both answer the stored record; registering again updates it. ``account`` and ``region``
  default to the server's defaults.

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


def find(tx: Tx, gateway_id: str) -> dict[str, Any] | None:
    """A known gateway of any account (cross-account proposals)."""
    return tx.get(kind_of(gateway_id), gateway_id)


def ensure_gateway(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    """The caller's VGW or TGW in this region, remembered on first use."""
    kind = kind_of(gateway_id)
    record = ctx.tx.get(kind, gateway_id)
    if ctx.settings.ec2_endpoint:
        return _from_ec2(ctx, kind, gateway_id, record)
    if record is None:
        record = _new_record(gateway_id, ctx.account, ctx.region, DEFAULT_ASN, [])
        ctx.tx.insert(kind, gateway_id, record, account=ctx.account, region=ctx.region)
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
    with ctx.unit() as unit:
        tx = unit.tx
        record = tx.get(kind, gateway_id)
        fresh = _new_record(gateway_id, account, region, asn, cidrs)
        if prefix == "vgw" and body.get("state"):
            fresh["virtualGatewayState"] = str(body["state"])
        if record is not None:
            tx.delete(kind, gateway_id)  # owner or region may change: file it anew
        tx.insert(kind, gateway_id, fresh, account=account, region=region)
    return fresh


@route("POST", "/virtual-gateways")
def register_virtual_gateway(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    """Make a virtual private gateway known, with its owner, region, ASN and VPC CIDRs."""
    return _register(ctx, body, "virtualGatewayId", "vgw")


@route("POST", "/transit-gateways")
def register_transit_gateway(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    """Make a transit gateway known, with its owner, region, ASN and attached VPC CIDRs."""
    return _register(ctx, body, "transitGatewayId", "tgw")
