"""Link aggregation groups (docs/behavior.md#lags).

A LAG record is the model's Lag shape without its ``connections``: the members are the
connection (and interconnect) records filed with ``parent=<lagId>`` and carrying ``lagId``,
and every answer builds ``connections``/``numberOfConnections`` from them, so the two can
never drift apart.

Lifecycle: CreateLag answers ``pending`` with its new members ``requested``; once no member
is still provisioning the LAG is ``available`` if at least ``max(minimumLinks, 1)`` members
are up, else ``down``. DeleteLag answers ``deleted`` and leaves the member connections
standing on their own (the user guide: deleting a LAG does not delete its connections).
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import connections as conns
from dxlocal.provider import locations, ports, prefix_pools, rate_limiters
from dxlocal.provider._registry import operation

KIND = "lag"
# User guide quotas: LAGs per Region (adjustable).
MAX_LAGS = 10


# --- views and state ---------------------------------------------------------------------


def view(ctx: RequestContext, lag: dict[str, Any]) -> dict[str, Any]:
    """The Lag shape: the stored record plus its members as they are now."""
    members = [] if lag["lagState"] == "deleted" else ports.lag_members(ctx, lag["lagId"])
    out = dict(lag)
    out["connections"] = [ports.as_connection(kind, rec) for kind, rec in members]
    out["numberOfConnections"] = len(members)
    return out


def live_lag(ctx: RequestContext, lag_id: str) -> dict[str, Any]:
    lag = ports.get_lag(ctx, lag_id)
    if lag["lagState"] in ("deleting", "deleted"):
        raise errors.lag_not_found(lag_id)
    return lag


# --- CreateLag -----------------------------------------------------------------------------


def _check_create(
    ctx: RequestContext, count: int, location: str, bandwidth: str, name: str
) -> dict[str, Any]:
    loc = locations.find(ctx.region, location)
    if bandwidth not in ports.DEDICATED_SPEEDS or bandwidth not in loc["availablePortSpeeds"]:
        raise ClientError(
            f"Bandwidth {bandwidth} is not available at {location}. "
            f"Available port speeds: {', '.join(loc['availablePortSpeeds'])}."
        )
    if not name or len(name) > 100:
        raise ClientError("lagName must be 1 to 100 characters.")
    limit = ports.member_limit(bandwidth)
    if not 1 <= count <= limit:
        raise ClientError(f"numberOfConnections must be 1 to {limit} for {bandwidth} connections.")
    live = [
        lag
        for lag in ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
        if lag["lagState"] != "deleted"
    ]
    quota = ctx.settings.quotas.get("lags_per_region", MAX_LAGS)
    if len(live) >= quota:
        raise ClientError(f"LAG limit exceeded: an account can have {quota} LAGs per Region.")
    return loc


def _check_location_quota(ctx: RequestContext, location: str, new: int) -> None:
    active = [
        c
        for c in ctx.tx.list(conns.KIND, account=ctx.account, region=ctx.region)
        if c["location"] == location
        and c["connectionState"] not in ports.GONE | {"deleting"}
        and not c.get("_hosted")
    ]
    limit = ctx.settings.quotas.get("connections_per_location", conns.MAX_PER_LOCATION)
    if len(active) + new > limit:
        raise ClientError(
            f"Connection limit exceeded: an account can have {limit} active connections per location; "
            f"{location} has {len(active)} and the LAG needs {new} more."
        )


def _existing_member(
    ctx: RequestContext, port_id: str, location: str, bandwidth: str
) -> tuple[str, dict[str, Any]]:
    kind, port = ports.get_port(ctx, port_id)
    if port.get("_hosted"):
        raise ClientError(f"Hosted connection {port_id} cannot be bundled in a LAG.")
    if ports.port_state(kind, port) in ports.GONE | {"deleting"}:
        raise errors.connection_not_found(port_id)
    if port.get("lagId"):
        raise ClientError(f"Connection {port_id} is already associated with Lag {port['lagId']}.")
    if port["location"] != location or port["bandwidth"] != bandwidth:
        raise ClientError(
            f"Connection {port_id} ({port['location']}, {port['bandwidth']}) does not match the LAG's "
            f"location {location} and bandwidth {bandwidth}."
        )
    return kind, port


@operation("CreateLag")
def create_lag(
    ctx: RequestContext,
    *,
    number_of_connections: int,
    location: str,
    connections_bandwidth: str,
    lag_name: str,
    connection_id: str | None = None,
    tags: list[dict[str, Any]] | None = None,
    child_connection_tags: list[dict[str, Any]] | None = None,
    provider_name: str | None = None,
    request_mac_sec: bool | None = None,
    billing_mode: str | None = None,
) -> dict[str, Any]:
    tag_list = tagging.check(tags)
    child_tags = tagging.check(child_connection_tags)
    loc = _check_create(ctx, number_of_connections, location, connections_bandwidth, lag_name)
    if request_mac_sec and connections_bandwidth not in loc["availableMacSecPortSpeeds"]:
        raise ClientError(
            f"MACsec is not available for {connections_bandwidth} ports at {location}."
        )
    if provider_name and provider_name not in loc["availableProviders"]:
        raise ClientError(f"Provider {provider_name} is not available at {location}.")
    existing = (
        _existing_member(ctx, connection_id, location, connections_bandwidth)
        if connection_id
        else None
    )
    if existing and request_mac_sec and not existing[1].get("macSecCapable"):
        raise ClientError(f"Connection {connection_id} does not support MAC Security (MACsec).")
    new_count = number_of_connections - (1 if existing else 0)
    _check_location_quota(ctx, location, new_count)
    # The LAG lands on the existing port's endpoint (CreateLag doc).
    device = existing[1]["awsDeviceV2"] if existing else ports.port_device(ctx, location)
    lag = _new_lag(
        ctx,
        lag_name,
        location,
        connections_bandwidth,
        device,
        tag_list,
        provider_name,
        request_mac_sec,
    )
    if billing_mode:
        lag["billingMode"] = billing_mode
    ctx.tx.insert(KIND, lag["lagId"], lag, account=ctx.account, region=ctx.region)
    for n in range(1, new_count + 1):
        member = conns.new_connection(
            ctx,
            name=f"Requested Connection {n} for Lag {lag['lagId']}",
            location=location,
            bandwidth=connections_bandwidth,
            state="requested",
            tag_list=child_tags,
            provider_name=provider_name,
            mac_sec=bool(request_mac_sec),
            device=device,
        )
        member["lagId"] = lag["lagId"]
        if billing_mode:
            member["billingMode"] = billing_mode
        conns.save_new(ctx, member, parent=lag["lagId"])
    if existing:
        _join(ctx, *existing, lag)
        lag = ctx.tx.get(KIND, lag["lagId"])
    return view(ctx, lag)


def _new_lag(
    ctx: RequestContext,
    name: str,
    location: str,
    bandwidth: str,
    device: str,
    tag_list: list[dict[str, str]],
    provider_name: str | None,
    mac_sec: bool | None,
) -> dict[str, Any]:
    lag: dict[str, Any] = {
        "connectionsBandwidth": bandwidth,
        "lagId": ids.mint("dxlag"),
        "ownerAccount": ctx.account,
        "lagName": name,
        "lagState": "pending",
        "location": location,
        "region": ctx.region,
        "minimumLinks": 0,
        "awsDevice": device,
        "awsDeviceV2": device,
        "awsLogicalDeviceId": device,
        # A partner's LAG can host connections (CreateLag doc).
        "allowsHostedConnections": ports.is_partner(ctx),
        "jumboFrameCapable": False,
        "hasLogicalRedundancy": "unknown",
        "tags": tag_list,
        "macSecCapable": bool(mac_sec),
        "macSecKeys": [],
        "rateLimiterStatus": rate_limiters.initial_status(),
        "_created": ctx.now,
    }
    if provider_name:
        lag["providerName"] = provider_name
    if mac_sec:
        lag["encryptionMode"] = "must_encrypt"
    prefix_pools.initial(lag)
    return lag


def _join(ctx: RequestContext, kind: str, port: dict[str, Any], lag: dict[str, Any]) -> None:
    """Make a port a member: its VIFs (and an interconnect's hosted connections) move to the
    LAG unless they already hang off another LAG (AssociateConnectionWithLag doc)."""
    pid = ports.port_id(port)
    if not port.get("lagId"):
        for vif in ctx.tx.list("virtualInterface", parent=pid):
            vif["connectionId"] = lag["lagId"]
            ctx.tx.update("virtualInterface", vif["virtualInterfaceId"], vif, parent=lag["lagId"])
        if kind == conns.INTERCONNECT:
            for hosted in ctx.tx.list(conns.KIND, parent=pid):
                hosted["_parentId"] = lag["lagId"]
                ctx.tx.update(conns.KIND, hosted["connectionId"], hosted, parent=lag["lagId"])
    port["lagId"] = lag["lagId"]
    ctx.tx.update(kind, pid, port, parent=lag["lagId"])
    rate_limiters.refresh(ctx, lag["lagId"])
    prefix_pools.refresh(ctx, lag["lagId"])
    if kind == conns.KIND:
        rate_limiters.refresh(ctx, pid, port)
        prefix_pools.refresh(ctx, pid, port)


# --- Describe / Update / Delete --------------------------------------------------------------


@operation("DescribeLags")
def describe_lags(
    ctx: RequestContext,
    *,
    lag_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if lag_id:
        return {"lags": [view(ctx, ports.get_lag(ctx, lag_id))]}
    records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    items, token = page(records, "lagId", max_results, next_token)
    return {"lags": [view(ctx, lag) for lag in items], "nextToken": token}


@operation("UpdateLag")
def update_lag(
    ctx: RequestContext,
    *,
    lag_id: str,
    lag_name: str | None = None,
    minimum_links: int | None = None,
    encryption_mode: str | None = None,
) -> dict[str, Any]:
    lag = live_lag(ctx, lag_id)
    if lag_name is not None:
        if not lag_name or len(lag_name) > 100:
            raise ClientError("lagName must be 1 to 100 characters.")
        lag["lagName"] = lag_name
    members = ports.lag_members(ctx, lag_id)
    if minimum_links is not None:
        if not 0 <= minimum_links <= len(members):
            raise ClientError(
                f"minimumLinks must be between 0 and the number of connections in Lag {lag_id} ({len(members)})."
            )
        lag["minimumLinks"] = minimum_links
    if encryption_mode is not None:
        conns.set_encryption_mode(lag, lag_id, encryption_mode)
        # AWS applies the LAG's mode to every member (UpdateLag doc).
        for kind, rec in members:
            if rec.get("macSecCapable"):
                rec["encryptionMode"] = encryption_mode
                ctx.tx.update(kind, ports.port_id(rec), rec)
    ctx.tx.update(KIND, lag_id, lag)
    ports.refresh_lag(ctx, lag_id)
    return view(ctx, ctx.tx.get(KIND, lag_id))


@operation("DeleteLag")
def delete_lag(ctx: RequestContext, *, lag_id: str) -> dict[str, Any]:
    lag = live_lag(ctx, lag_id)
    vifs = [
        v
        for v in ctx.tx.list("virtualInterface", parent=lag_id)
        if v["virtualInterfaceState"] not in ("deleted", "rejected")
    ]
    if vifs:
        raise ClientError(
            f"Lag {lag_id} has {len(vifs)} virtual interface(s) attached; delete them first."
        )
    hosted = [
        c
        for c in ctx.tx.list(conns.KIND, parent=lag_id)
        if c.get("_hosted") and c["connectionState"] not in ports.GONE
    ]
    if hosted:
        raise ClientError(f"Lag {lag_id} still has {len(hosted)} hosted connection(s).")
    for kind, rec in ports.lag_members(ctx, lag_id):
        ports.leave_lag(ctx, kind, rec)
    ctx.tx.cancel(KIND, lag_id)
    ctx.enter(KIND, lag, "deleted")
    ctx.tx.update(KIND, lag_id, lag)
    return view(ctx, lag)


# --- membership ------------------------------------------------------------------------------


@operation("AssociateConnectionWithLag")
def associate_connection_with_lag(
    ctx: RequestContext, *, connection_id: str, lag_id: str
) -> dict[str, Any]:
    lag = live_lag(ctx, lag_id)
    kind, port = ports.get_port(ctx, connection_id)
    if port.get("_hosted"):
        raise ClientError(f"Hosted connection {connection_id} cannot be associated with a LAG.")
    state = ports.port_state(kind, port)
    if state in ports.GONE:
        raise errors.connection_not_found(connection_id)
    if state == "deleting":
        raise errors.transitioning(connection_id)
    if port.get("lagId") == lag_id:
        return ports.as_connection(kind, port)
    if port["bandwidth"] != lag["connectionsBandwidth"] or port["location"] != lag["location"]:
        raise ClientError(
            f"Connection {connection_id} ({port['location']}, {port['bandwidth']}) must match Lag {lag_id} "
            f"({lag['location']}, {lag['connectionsBandwidth']})."
        )
    if port["awsDeviceV2"] != lag["awsDeviceV2"]:
        raise ClientError(
            f"Connection {connection_id} is not on the Direct Connect endpoint of Lag {lag_id}."
        )
    if lag.get("macSecCapable") and not port.get("macSecCapable"):
        raise ClientError(
            f"Lag {lag_id} requires MACsec-capable connections; {connection_id} is not."
        )
    if kind == conns.INTERCONNECT and not lag.get("allowsHostedConnections"):
        raise ClientError(f"Lag {lag_id} cannot host interconnects.")
    limit = ports.member_limit(lag["connectionsBandwidth"])
    if len(ports.lag_members(ctx, lag_id)) >= limit:
        # ClientError: the model's LimitExceededException is about rate limiters only.
        raise ClientError(f"Lag {lag_id} already has the maximum of {limit} connections.")
    old_lag_id = port.get("lagId")
    if not old_lag_id:  # its VIFs move with it
        moving = ctx.tx.list("virtualInterface", parent=connection_id)
        rate_limiters.check_move(ctx, moving, lag, modelled=True)
    if old_lag_id:
        ports.check_can_leave(ctx, ctx.tx.get(KIND, old_lag_id), connection_id)
        port.pop("lagId")
    ports.refresh_lag(ctx, lag_id)  # the LAG's state so far, before it has one more port
    _join(ctx, kind, port, lag)
    if old_lag_id:
        ports.refresh_lag(ctx, old_lag_id)
    ports.refresh_lag(ctx, lag_id)
    return ports.as_connection(kind, port)


@operation("DisassociateConnectionFromLag")
def disassociate_connection_from_lag(
    ctx: RequestContext, *, connection_id: str, lag_id: str
) -> dict[str, Any]:
    lag = ports.get_lag(ctx, lag_id)
    kind, port = ports.get_port(ctx, connection_id)
    if port.get("lagId") != lag_id:
        raise ClientError(f"Connection {connection_id} is not associated with Lag {lag_id}.")
    if ports.port_state(kind, port) in ports.TRANSITIONAL:
        raise errors.transitioning(connection_id)
    ports.check_can_leave(ctx, lag, connection_id)
    ports.leave_lag(ctx, kind, port)
    if kind == conns.KIND and lag.get("allowsHostedConnections"):
        kind, port = _to_interconnect(ctx, port)
    ports.refresh_lag(ctx, lag_id)
    return ports.as_connection(kind, port)


def _to_interconnect(ctx: RequestContext, port: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A partner's connection leaving a LAG becomes an interconnect (same id; the
    DisassociateConnectionFromLag doc)."""
    record = {
        k: v
        for k, v in port.items()
        if not k.startswith("connection") and k not in ("billingMode", "vlan")
    }
    record.update(
        interconnectId=port["connectionId"],
        interconnectName=port["connectionName"],
        interconnectState=port["connectionState"],
    )
    ctx.tx.delete(conns.KIND, port["connectionId"])
    ctx.tx.insert(
        conns.INTERCONNECT,
        record["interconnectId"],
        record,
        account=record["ownerAccount"],
        region=record["region"],
    )
    return conns.INTERCONNECT, record
