"""Virtual private gateways as Direct Connect sees them.

dxlocal has no EC2, so a well-formed ``vgw-`` id used in a call is remembered as an
``available`` gateway of the caller's account and region; DescribeVirtualGateways lists them.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import ids
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider._registry import operation

KIND = "virtualGateway"
DEFAULT_ASN = 64512  # the default Amazon side ASN of a new virtual private gateway


def ensure(ctx: RequestContext, vgw_id: str) -> dict[str, Any]:
    if not ids.matches("vgw", vgw_id):
        raise ClientError(f"Virtual gateway ID {vgw_id} has an invalid format.")
    record = ctx.tx.get(KIND, vgw_id)
    if record is None:
        record = {
            "virtualGatewayId": vgw_id,
            "virtualGatewayState": "available",
            "ownerAccount": ctx.account,
            "region": ctx.region,
            "_amazonSideAsn": DEFAULT_ASN,
            "_vpcCidrs": [],
        }
        ctx.tx.insert(KIND, vgw_id, record, account=ctx.account, region=ctx.region)
    elif record["ownerAccount"] != ctx.account or record["region"] != ctx.region:
        raise ClientError(f"Virtual gateway {vgw_id} does not exist.")
    return record


@operation("DescribeVirtualGateways")
def describe_virtual_gateways(ctx: RequestContext) -> dict[str, Any]:
    return {"virtualGateways": ctx.tx.list(KIND, account=ctx.account, region=ctx.region)}
