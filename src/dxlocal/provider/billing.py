"""UpdateConnectionsBillingMode: one billing mode for up to 200 of the caller's dedicated
connections (model doc). All or nothing: every connection is checked before any changes.
Hosted connections are billed through their partner and interconnects are partners' ports,
so both are refused; deleted connections are not found.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider import ports
from dxlocal.provider._registry import operation

MODES = (
    "PayAsYouGo",
    "FlatRateTier1",
    "FlatRateTier2",
    "FlatRateTier3",
    "FlatRateTier4",
    "FlatRateTier5",
)
MAX_IDS = 200


@operation("UpdateConnectionsBillingMode")
def update_connections_billing_mode(
    ctx: RequestContext, *, connection_ids: list[str], billing_mode: str
) -> dict[str, Any]:
    if billing_mode not in MODES:
        raise ClientError(f"billingMode {billing_mode!r} is not valid: use {', '.join(MODES)}.")
    unique = list(dict.fromkeys(connection_ids or []))
    if not unique or len(connection_ids) > MAX_IDS:
        raise ClientError(f"connectionIds must name 1 to {MAX_IDS} connections.")
    records = []
    for connection_id in unique:
        record = ports.get_connection(ctx, connection_id)
        if record["connectionState"] in ports.GONE | {"deleting"}:
            raise errors.connection_not_found(connection_id)
        if record.get("_hosted"):
            raise ClientError(
                f"The billing mode of hosted connection {connection_id} is set by its partner."
            )
        records.append(record)
    for record in records:
        record["billingMode"] = billing_mode
        ctx.tx.update(ports.CONNECTION, record["connectionId"], record)
    return {"billingMode": billing_mode, "connections": records}
