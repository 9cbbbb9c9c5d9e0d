"""Interconnects: a partner's port that hosts other accounts' connections (docs/behavior.md#interconnects,
#hosted-connections).

Interconnect ids are ``dxcon-`` ids (AWS's samples), stored as kind ``interconnect``. Their
lifecycle is a dedicated connection's: ``requested`` -> ``pending`` -> ``available``.
Owning an interconnect in a Region is what makes an account an authorized partner there
(``connections.is_partner``).
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import locations, ports
from dxlocal.provider._registry import operation

KIND = ports.INTERCONNECT


def get_interconnect(ctx: RequestContext, interconnect_id: str) -> dict[str, Any]:
    record = ctx.tx.get(KIND, interconnect_id) if interconnect_id else None
    if (
        record is None
        or record.get("ownerAccount") != ctx.account
        or record.get("region") != ctx.region
    ):
        raise errors.interconnect_not_found(interconnect_id)
    return record


@operation("CreateInterconnect")
def create_interconnect(
    ctx: RequestContext,
    *,
    interconnect_name: str,
    bandwidth: str,
    location: str,
    lag_id: str | None = None,
    tags: list[dict[str, Any]] | None = None,
    provider_name: str | None = None,
    request_mac_sec: bool | None = None,
) -> dict[str, Any]:
    tag_list = tagging.check(tags)
    loc = locations.find(ctx.region, location)
    if bandwidth not in ports.DEDICATED_SPEEDS or bandwidth not in loc["availablePortSpeeds"]:
        raise ClientError(
            f"Bandwidth {bandwidth} is not available at {location}. "
            f"Available port speeds: {', '.join(loc['availablePortSpeeds'])}."
        )
    if not interconnect_name or len(interconnect_name) > 100:
        raise ClientError("interconnectName must be 1 to 100 characters.")
    if request_mac_sec and bandwidth not in loc["availableMacSecPortSpeeds"]:
        raise ClientError(f"MACsec is not available for {bandwidth} ports at {location}.")
    if provider_name and provider_name not in loc["availableProviders"]:
        raise ClientError(f"Provider {provider_name} is not available at {location}.")
    device = ports.port_device(ctx, location)
    lag = None
    if lag_id:
        lag = _check_lag(ctx, lag_id, location, bandwidth)
        device = lag["awsDeviceV2"]
    record: dict[str, Any] = {
        "interconnectId": ids.mint("dxcon"),
        "interconnectName": interconnect_name,
        "interconnectState": "requested",
        "ownerAccount": ctx.account,
        "region": ctx.region,
        "location": location,
        "bandwidth": bandwidth,
        "awsDevice": device,
        "awsDeviceV2": device,
        "awsLogicalDeviceId": device,
        "jumboFrameCapable": False,
        "hasLogicalRedundancy": "unknown",
        "tags": tag_list,
        "macSecCapable": bool(request_mac_sec),
        "macSecKeys": [],
        "_created": ctx.now,
        lifecycle.ENTERED: ctx.now,
    }
    if provider_name:
        record["providerName"] = provider_name
    if request_mac_sec:
        record["portEncryptionStatus"] = "Encryption Down"
        record["encryptionMode"] = "must_encrypt"
    if lag:
        record["lagId"] = lag_id
        # A LAG holding an interconnect hosts connections (CreateLag doc on partners' LAGs).
        lag["allowsHostedConnections"] = True
        ctx.tx.update(ports.LAG, lag_id, lag)
    ctx.tx.insert(
        KIND,
        record["interconnectId"],
        record,
        account=ctx.account,
        region=ctx.region,
        parent=lag_id,
    )
    return record


def _check_lag(ctx: RequestContext, lag_id: str, location: str, bandwidth: str) -> dict[str, Any]:
    lag = ports.get_lag(ctx, lag_id)
    if lag["lagState"] in ("deleting", "deleted"):
        raise errors.lag_not_found(lag_id)
    if lag["location"] != location or lag["connectionsBandwidth"] != bandwidth:
        raise ClientError(
            f"Interconnect must match Lag {lag_id}: location {lag['location']}, "
            f"bandwidth {lag['connectionsBandwidth']}."
        )
    limit = ports.member_limit(bandwidth)
    if len(ports.lag_members(ctx, lag_id)) >= limit:
        raise ClientError(
            f"Lag {lag_id} already has the maximum of {limit} {bandwidth} connections."
        )
    return lag


@operation("DescribeInterconnects")
def describe_interconnects(
    ctx: RequestContext,
    *,
    interconnect_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if interconnect_id:
        return {"interconnects": [get_interconnect(ctx, interconnect_id)]}
    records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    items, token = page(records, "interconnectId", max_results, next_token)
    return {"interconnects": items, "nextToken": token}


@operation("DeleteInterconnect")
def delete_interconnect(ctx: RequestContext, *, interconnect_id: str) -> dict[str, Any]:
    record = get_interconnect(ctx, interconnect_id)
    if record["interconnectState"] == "deleted":
        raise errors.interconnect_not_found(interconnect_id)
    hosted = [
        c
        for c in ctx.tx.list(ports.CONNECTION, parent=interconnect_id)
        if c["connectionState"] not in ports.GONE
    ]
    if hosted:
        raise ClientError(
            f"Interconnect {interconnect_id} still has {len(hosted)} hosted connection(s); delete them first."
        )
    vifs = [
        v
        for v in ctx.tx.list("virtualInterface", parent=interconnect_id)
        if v["virtualInterfaceState"] not in ("deleted", "rejected")
    ]
    if vifs:
        raise ClientError(
            f"Interconnect {interconnect_id} has {len(vifs)} virtual interface(s) attached."
        )
    lag_id = record.get("lagId")
    if lag_id:
        ports.check_can_leave(ctx, ctx.tx.get(ports.LAG, lag_id), interconnect_id)
    ctx.tx.cancel(KIND, interconnect_id)
    ctx.enter(KIND, record, "deleted")
    if lag_id:
        ports.leave_lag(ctx, KIND, record)
        ports.refresh_lag(ctx, lag_id)
    else:
        ctx.tx.update(KIND, interconnect_id, record)
    return {"interconnectState": record["interconnectState"]}
