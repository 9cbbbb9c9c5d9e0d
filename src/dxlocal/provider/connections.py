"""Dedicated and hosted connections (docs/behavior.md#connections).

Lifecycle (declared in core/lifecycle.py): CreateConnection answers ``requested``; AWS then
approves (``pending``) and the cross-connect comes up (``available``), each step one
progression delay, worked out when the connection is read. Hosted connections start in
``ordering`` (the partner's AllocateHostedConnection) and move on only when their owner
confirms them.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import locations, ports, prefix_pools, rate_limiters
from dxlocal.provider._registry import operation

KIND = ports.CONNECTION
DEDICATED_SPEEDS = ports.DEDICATED_SPEEDS
# User guide quotas: active dedicated connections per location per Region per account.
MAX_PER_LOCATION = 10
GONE = ports.GONE
ENCRYPTION_MODES = ("no_encrypt", "should_encrypt", "must_encrypt")
INTERCONNECT = ports.INTERCONNECT
LAG = ports.LAG


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
    device = device or ports.port_device(ctx, location)
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
        lifecycle.ENTERED: ctx.now,
    }
    if provider_name:
        record["providerName"] = provider_name
    if mac_sec:
        record["portEncryptionStatus"] = "Encryption Down"
        record["encryptionMode"] = "must_encrypt"
    return record


def save_new(ctx: RequestContext, record: dict[str, Any], *, parent: str | None = None) -> None:
    if not record.get("_hosted"):  # dedicated: room for VIF rate limiters, a prefix pool
        record.setdefault("rateLimiterStatus", rate_limiters.initial_status())
        prefix_pools.initial(record)
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
    limit = ctx.settings.quotas.get("connections_per_location", MAX_PER_LOCATION)
    where = {"location": location}
    # Every connection there, an index count, bounds the active ones; only near the quota
    # are the records themselves read.
    active = ctx.tx.count(KIND, account=ctx.account, region=ctx.region, where=where)
    if active >= limit:
        active = ctx.tx.count(
            KIND,
            account=ctx.account,
            region=ctx.region,
            where=where,
            exclude={"connectionState": [*GONE, "deleting"], "_hosted": [1]},
        )
    if active >= limit:
        raise ClientError(
            f"Connection limit exceeded: an account can have {limit} active connections "
            f"per location; {location} already has {active}."
        )
    device = None
    if lag_id:
        lag = ports.get_lag(ctx, lag_id)
        if lag["lagState"] in ("deleting", "deleted"):
            raise errors.lag_not_found(lag_id)
        if lag.get("location") != location or lag.get("connectionsBandwidth") != bandwidth:
            raise ClientError(
                f"Connection must match Lag {lag_id}: location {lag.get('location')}, "
                f"bandwidth {lag.get('connectionsBandwidth')}."
            )
        limit = ports.member_limit(bandwidth)
        if len(ports.lag_members(ctx, lag_id)) >= limit:
            raise ClientError(
                f"Lag {lag_id} already has the maximum of {limit} {bandwidth} connections."
            )
        device = lag.get("awsDeviceV2")
        request_mac_sec = request_mac_sec or bool(lag.get("macSecCapable"))
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
        ports.refresh_lag(ctx, lag_id)  # the LAG's state so far, before it has one more port
    save_new(ctx, record, parent=lag_id)
    return record


@operation("DescribeConnections")
def describe_connections(
    ctx: RequestContext,
    *,
    connection_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if connection_id:
        # The partner of a hosted connection may look it up by id too.
        return {"connections": [ports.get_connection(ctx, connection_id, owner=False)]}
    records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    items, token = page(records, "connectionId", max_results, next_token)
    return {"connections": items, "nextToken": token}


@operation("UpdateConnection")
def update_connection(
    ctx: RequestContext,
    *,
    connection_id: str,
    connection_name: str | None = None,
    encryption_mode: str | None = None,
) -> dict[str, Any]:
    record = ports.get_connection(ctx, connection_id)
    if record["connectionState"] in GONE | {"deleting"}:
        raise errors.connection_not_found(connection_id)
    if connection_name is not None:
        if not connection_name or len(connection_name) > 100:
            raise ClientError("connectionName must be 1 to 100 characters.")
        record["connectionName"] = connection_name
    if encryption_mode is not None:
        set_encryption_mode(record, connection_id, encryption_mode)
    ctx.tx.update(KIND, connection_id, record)
    return record


def set_encryption_mode(record: dict[str, Any], resource_id: str, mode: str) -> None:
    """MACsec encryption mode: MACsec-capable ports only (UpdateConnection/UpdateLag docs)."""
    if mode not in ENCRYPTION_MODES:
        raise ClientError(
            f"encryptionMode {mode!r} is not valid: use {', '.join(ENCRYPTION_MODES)}."
        )
    if not record.get("macSecCapable"):
        raise ClientError(f"{resource_id} does not support MAC Security (MACsec).")
    record["encryptionMode"] = mode


@operation("ConfirmConnection")
def confirm_connection(ctx: RequestContext, *, connection_id: str) -> dict[str, Any]:
    """The owner accepts a hosted connection: ordering -> pending (ConfirmConnection doc)."""
    record = ports.get_connection(ctx, connection_id)
    if record["connectionState"] != "ordering":
        raise errors.confirm_connection_state(connection_id, record["connectionState"])
    ctx.enter(KIND, record, "pending")
    ctx.tx.update(KIND, connection_id, record)
    return {"connectionState": record["connectionState"]}


@operation("DeleteConnection")
def delete_connection(ctx: RequestContext, *, connection_id: str) -> dict[str, Any]:
    record = ports.get_connection(ctx, connection_id, owner=False)
    is_owner = record["ownerAccount"] == ctx.account
    if not is_owner and not record.get("_hosted"):
        raise errors.connection_not_found(connection_id)
    state = record["connectionState"]
    if state in GONE:
        raise errors.connection_not_found(connection_id)
    if state == "ordering" and is_owner:
        # The owner of a hosted connection rejects it by deleting it (DeleteConnection doc).
        ctx.enter(KIND, record, "rejected")
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
    lag_id = record.get("lagId") if not record.get("_hosted") else None
    if lag_id:
        ports.check_can_leave(ctx, ctx.tx.get(LAG, lag_id), connection_id)
    ctx.tx.cancel(KIND, connection_id)
    ctx.enter(KIND, record, "deleted")
    drop_resiliency_association(ctx, record)
    if lag_id:
        ports.leave_lag(ctx, KIND, record)
        ports.refresh_lag(ctx, lag_id)
    else:
        ctx.tx.update(KIND, connection_id, record)
    return record


def drop_resiliency_association(ctx: RequestContext, record: dict[str, Any]) -> None:
    """A deleted connection leaves its resiliency group."""
    group_id = record.pop("_resiliencyGroupId", None)
    if group_id:
        ctx.tx.delete("resiliencyGroupAssociation", f"{group_id}:{record['connectionId']}")
