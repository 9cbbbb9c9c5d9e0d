"""Dedicated and hosted connections (dx-behavior.md §3.1, §5.2 "Connections").

Lifecycle: CreateConnection answers ``requested``; AWS then approves (``pending``) and the
cross-connect comes up (``available``), each step one progression delay here. Hosted
connections start in ``ordering`` (the partner's AllocateHostedConnection) and move on only
when their owner confirms them.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import locations
from dxlocal.provider._registry import operation

KIND = "connection"
DEDICATED_SPEEDS = ("1Gbps", "10Gbps", "100Gbps", "400Gbps")
# User guide quotas: active dedicated connections per location per Region per account.
MAX_PER_LOCATION = 10
GONE = {"deleted", "rejected"}
TRANSITIONAL = {"ordering", "requested", "pending", "deleting"}


def visible(ctx: RequestContext, record: dict[str, Any] | None) -> bool:
    return (
        record is not None
        and record.get("region") == ctx.region
        and ctx.account in (record.get("ownerAccount"), record.get("_partnerAccount"))
    )


def get_connection(ctx: RequestContext, connection_id: str, *, owner: bool = True) -> dict[str, Any]:
    """The caller's connection (``owner``), or one it can see as the partner."""
    record = ctx.tx.get(KIND, connection_id) if connection_id else None
    if not visible(ctx, record) or (owner and record["ownerAccount"] != ctx.account):
        raise errors.connection_not_found(connection_id)
    return record


def get_parent(ctx: RequestContext, parent_id: str) -> tuple[str, dict[str, Any]]:
    """A connection or LAG the caller owns, for calls that accept either id (VIFs)."""
    if parent_id.startswith("dxlag-"):
        lag = ctx.tx.get("lag", parent_id)
        if lag is None or lag.get("ownerAccount") != ctx.account or lag.get("region") != ctx.region:
            raise errors.lag_not_found(parent_id)
        return "lag", lag
    return KIND, get_connection(ctx, parent_id)


def new_connection(
    ctx: RequestContext,
    *,
    name: str,
    location: str,
    bandwidth: str,
    state: str,
    owner: str | None = None,
    tag_list: list[dict[str, str]] | None = None,
    provider_name: str | None = None,
    mac_sec: bool = False,
    device: str | None = None,
) -> dict[str, Any]:
    """A connection record with AWS's defaults (a freshly requested connection reports
    ``jumboFrameCapable: false`` and ``hasLogicalRedundancy: "unknown"``, aws-sdk-go#2717)."""
    device = device or ids.device(location)
    record: dict[str, Any] = {
        "ownerAccount": owner or ctx.account,
        "connectionId": ids.mint("dxcon"),
        "connectionName": name,
        "connectionState": state,
        "region": ctx.region,
        "location": location,
        "bandwidth": bandwidth,
        "awsDevice": device,
        "awsDeviceV2": device,
        "awsLogicalDeviceId": device,
        "jumboFrameCapable": False,
        "hasLogicalRedundancy": "unknown",
        "tags": tag_list or [],
        "macSecCapable": mac_sec,
        "macSecKeys": [],
        "_created": ctx.now,
    }
    if provider_name:
        record["providerName"] = provider_name
    if mac_sec:
        record["portEncryptionStatus"] = "Encryption Down"
        record["encryptionMode"] = "must_encrypt"
    return record


def save_new(ctx: RequestContext, record: dict[str, Any], *, parent: str | None = None) -> None:
    ctx.tx.insert(
        KIND,
        record["connectionId"],
        record,
        account=record["ownerAccount"],
        region=record["region"],
        parent=parent,
        peer_account=record.get("_partnerAccount"),
    )


@operation("CreateConnection")
def create_connection(
    ctx: RequestContext,
    *,
    location: str,
    bandwidth: str,
    connection_name: str,
    lag_id: str | None = None,
    tags: list[dict[str, Any]] | None = None,
    provider_name: str | None = None,
    request_mac_sec: bool | None = None,
    billing_mode: str | None = None,
) -> dict[str, Any]:
    tag_list = tagging.check(tags)
    loc = locations.find(ctx.region, location)
    if bandwidth not in DEDICATED_SPEEDS or bandwidth not in loc["availablePortSpeeds"]:
        raise ClientError(
            f"Bandwidth {bandwidth} is not available at {location}. "
            f"Available port speeds: {', '.join(loc['availablePortSpeeds'])}."
        )
    if not connection_name or len(connection_name) > 100:
        raise ClientError("connectionName must be 1 to 100 characters.")
    if request_mac_sec and bandwidth not in loc["availableMacSecPortSpeeds"]:
        raise ClientError(f"MACsec is not available for {bandwidth} ports at {location}.")
    if provider_name and provider_name not in loc["availableProviders"]:
        raise ClientError(f"Provider {provider_name} is not available at {location}.")
    active = [
        c
        for c in ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
        if c["location"] == location and c["connectionState"] not in GONE | {"deleting"}
        and not c.get("_hosted")
    ]
    limit = ctx.settings.quotas.get("connections_per_location", MAX_PER_LOCATION)
    if len(active) >= limit:
        raise ClientError(
            f"Connection limit exceeded: an account can have {limit} active connections "
            f"per location; {location} already has {len(active)}."
        )
    device = None
    if lag_id:
        lag = ctx.tx.get("lag", lag_id)
        if lag is None or lag.get("ownerAccount") != ctx.account or lag.get("region") != ctx.region:
            raise errors.lag_not_found(lag_id)
        if lag.get("location") != location or lag.get("connectionsBandwidth") != bandwidth:
            raise ClientError(
                f"Connection must match Lag {lag_id}: location {lag.get('location')}, "
                f"bandwidth {lag.get('connectionsBandwidth')}."
            )
        device = lag.get("awsDeviceV2")
    record = new_connection(
        ctx,
        name=connection_name,
        location=location,
        bandwidth=bandwidth,
        state="requested",
        tag_list=tag_list,
        provider_name=provider_name,
        mac_sec=bool(request_mac_sec),
        device=device,
    )
    if billing_mode:
        record["billingMode"] = billing_mode
    if lag_id:
        record["lagId"] = lag_id
    save_new(ctx, record, parent=lag_id)
    ctx.schedule(KIND, record["connectionId"], "progress")
    return record


@lifecycle.on_timer(KIND, "progress")
def _progress(ctx: RequestContext, record: dict[str, Any]) -> None:
    """requested -> pending (LOA issued) -> available (cross-connect up)."""
    state = record["connectionState"]
    if state == "requested":
        lifecycle.advance(KIND, record, "pending")
        ctx.schedule(KIND, record["connectionId"], "progress")
    elif state == "pending":
        lifecycle.advance(KIND, record, "available")
        record["jumboFrameCapable"] = True  # provisioned on a port that supports 9001/8500
    elif state == "deleting":
        lifecycle.advance(KIND, record, "deleted")
    else:
        return
    ctx.tx.update(KIND, record["connectionId"], record)


@operation("DescribeConnections")
def describe_connections(
    ctx: RequestContext,
    *,
    connection_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if connection_id:
        return {"connections": [get_connection(ctx, connection_id)]}
    records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    items, token = page(records, "connectionId", max_results, next_token)
    return {"connections": items, "nextToken": token}


@operation("DeleteConnection")
def delete_connection(ctx: RequestContext, *, connection_id: str) -> dict[str, Any]:
    record = get_connection(ctx, connection_id)
    state = record["connectionState"]
    if state in GONE:
        raise errors.connection_not_found(connection_id)
    if state == "ordering":
        # The owner of a hosted connection rejects it by deleting it (DeleteConnection doc).
        lifecycle.advance(KIND, record, "rejected")
        ctx.tx.update(KIND, connection_id, record)
        return record
    vifs = [
        v
        for v in ctx.tx.list("virtualInterface", parent=connection_id)
        if v["virtualInterfaceState"] not in ("deleted", "rejected")
    ]
    if vifs:
        raise ClientError(
            f"Connection {connection_id} has {len(vifs)} virtual interface(s) attached "
            f"({', '.join(v['virtualInterfaceId'] for v in vifs[:5])}); delete them first."
        )
    hosted = [
        c for c in ctx.tx.list(KIND, parent=connection_id) if c["connectionState"] not in GONE
    ]
    if hosted:
        raise ClientError(
            f"Connection {connection_id} still has {len(hosted)} hosted connection(s)."
        )
    ctx.tx.cancel(KIND, connection_id)
    lifecycle.advance(KIND, record, "deleted")
    ctx.tx.update(KIND, connection_id, record)
    return record

