"""Hosted connections: a partner carves a connection for a customer out of its interconnect
or LAG (docs/behavior.md#hosted-connections).

    partner: AllocateHostedConnection ─▶ ordering (owner = customer, partner = caller)
    customer: ConfirmConnection ─▶ pending ─▶ available      (connections.py)
    customer: DeleteConnection while ordering ─▶ rejected    (connections.py)

A hosted connection is a ``connection`` record with ``_hosted``, ``_partnerAccount`` and
``_parentId``, filed with ``parent=<interconnect or LAG>`` and ``peer_account=<partner>``:
the customer lists it with DescribeConnections, the partner with DescribeHostedConnections.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import connections as conns
from dxlocal.provider import ports
from dxlocal.provider._registry import operation

# AllocateHostedConnection doc: sub-1G for every partner, 1G and up for qualified (NNI v2)
# partners; dxlocal's partners are all v2 (DescribeCustomerMetadata says so).
HOSTED_SPEEDS = {
    "50Mbps": 50,
    "100Mbps": 100,
    "200Mbps": 200,
    "300Mbps": 300,
    "400Mbps": 400,
    "500Mbps": 500,
    "1Gbps": 1000,
    "2Gbps": 2000,
    "5Gbps": 5000,
    "10Gbps": 10000,
    "25Gbps": 25000,
}


def hosting_parent(
    ctx: RequestContext, parent_id: str, *, lag_ok: bool = True
) -> tuple[str, dict[str, Any]]:
    """The caller's interconnect, or LAG that hosts connections, to put hosted connections on."""
    if not ports.is_partner(ctx):
        raise errors.not_a_partner(ctx.account, ctx.region)
    if parent_id.startswith("dxlag-") and lag_ok:
        lag = ports.get_lag(ctx, parent_id)
        if lag["lagState"] in ("deleting", "deleted"):
            raise errors.lag_not_found(parent_id)
        if not lag.get("allowsHostedConnections"):
            raise ClientError(f"Lag {parent_id} does not allow hosted connections.")
        return ports.LAG, lag
    record = ctx.tx.get(ports.INTERCONNECT, parent_id) if parent_id else None
    if record is None or record["ownerAccount"] != ctx.account or record["region"] != ctx.region:
        raise errors.interconnect_not_found(parent_id)
    if record["interconnectState"] in ("deleting", "deleted"):
        raise errors.interconnect_not_found(parent_id)
    return ports.INTERCONNECT, record


def hosted_on(ctx: RequestContext, parent_id: str) -> list[dict[str, Any]]:
    return [c for c in ctx.tx.list(ports.CONNECTION, parent=parent_id) if c.get("_hosted")]


def check_vlan(ctx: RequestContext, parent_id: str, vlan: int, *, exclude: str = "") -> None:
    if not 1 <= vlan <= 4094:
        raise ClientError(f"VLAN {vlan} is not valid: use 1 to 4094.")
    for other in hosted_on(ctx, parent_id):
        if (
            other["vlan"] == vlan
            and other["connectionState"] not in ports.GONE
            and other["connectionId"] != exclude
        ):
            raise ClientError(
                f"VLAN {vlan} is already in use on {parent_id} by connection {other['connectionId']}."
            )


def _allocate(
    ctx: RequestContext,
    parent_id: str,
    owner_account: str,
    bandwidth: str,
    name: str,
    vlan: int,
    tags: list[dict[str, Any]] | None,
    *,
    lag_ok: bool = True,
) -> dict[str, Any]:
    tag_list = tagging.check(tags)
    kind, parent = hosting_parent(ctx, parent_id, lag_ok=lag_ok)
    if not ids.is_account(owner_account or ""):
        raise ClientError(f"ownerAccount {owner_account!r} is not a 12-digit AWS account ID.")
    if bandwidth not in HOSTED_SPEEDS:
        raise ClientError(
            f"Bandwidth {bandwidth} is not valid for a hosted connection: use {', '.join(HOSTED_SPEEDS)}."
        )
    if HOSTED_SPEEDS[bandwidth] > ports.capacity(ctx, kind, parent):
        raise ClientError(f"Bandwidth {bandwidth} exceeds the capacity of {parent_id}.")
    if not name or len(name) > 100:
        raise ClientError("connectionName must be 1 to 100 characters.")
    check_vlan(ctx, parent_id, vlan)
    record = conns.new_connection(
        ctx,
        name=name,
        location=parent["location"],
        bandwidth=bandwidth,
        state="ordering",
        owner=owner_account,
        tag_list=tag_list,
        device=parent["awsDeviceV2"],
    )
    record.update(
        vlan=vlan,
        partnerName=parent.get("providerName")
        or parent.get("interconnectName")
        or parent.get("lagName"),
        partnerInterconnectMacSecCapable=bool(parent.get("macSecCapable")),
        _hosted=True,
        _partnerAccount=ctx.account,
        _parentId=parent_id,
    )
    conns.save_new(ctx, record, parent=parent_id)
    return record


@operation("AllocateHostedConnection")
def allocate_hosted_connection(
    ctx: RequestContext,
    *,
    connection_id: str,
    owner_account: str,
    bandwidth: str,
    connection_name: str,
    vlan: int,
    tags: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return _allocate(ctx, connection_id, owner_account, bandwidth, connection_name, vlan, tags)


@operation("AllocateConnectionOnInterconnect")
def allocate_connection_on_interconnect(
    ctx: RequestContext,
    *,
    bandwidth: str,
    connection_name: str,
    owner_account: str,
    interconnect_id: str,
    vlan: int,
) -> dict[str, Any]:
    """Deprecated form of AllocateHostedConnection, interconnects only."""
    return _allocate(
        ctx, interconnect_id, owner_account, bandwidth, connection_name, vlan, None, lag_ok=False
    )


@operation("DescribeHostedConnections")
def describe_hosted_connections(
    ctx: RequestContext,
    *,
    connection_id: str,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    parent = _own_parent(ctx, connection_id)
    if parent is None:
        raise errors.hosted_parent_missing(ctx.account, connection_id)
    items, token = page(hosted_on(ctx, connection_id), "connectionId", max_results, next_token)
    return {"connections": items, "nextToken": token}


@operation("DescribeConnectionsOnInterconnect")
def describe_connections_on_interconnect(
    ctx: RequestContext, *, interconnect_id: str
) -> dict[str, Any]:
    """Deprecated form of DescribeHostedConnections, interconnects only."""
    if interconnect_id.startswith("dxlag-") or _own_parent(ctx, interconnect_id) is None:
        raise errors.interconnect_not_found(interconnect_id)
    return {"connections": hosted_on(ctx, interconnect_id)}


def _own_parent(ctx: RequestContext, parent_id: str) -> dict[str, Any] | None:
    kind = ports.LAG if parent_id.startswith("dxlag-") else ports.INTERCONNECT
    record = ctx.tx.get(kind, parent_id) if parent_id else None
    if record is None or record["ownerAccount"] != ctx.account or record["region"] != ctx.region:
        return None
    return record


@operation("AssociateHostedConnection")
def associate_hosted_connection(
    ctx: RequestContext, *, connection_id: str, parent_connection_id: str
) -> dict[str, Any]:
    """The partner moves a hosted connection (and its VIFs, which hang off it) to another of
    its interconnects or LAGs; a VLAN conflict there refuses the move (model doc)."""
    record = ctx.tx.get(ports.CONNECTION, connection_id) if connection_id else None
    if (
        record is None
        or not record.get("_hosted")
        or record.get("_partnerAccount") != ctx.account
        or record.get("region") != ctx.region
        or record["connectionState"] in ports.GONE
    ):
        raise errors.connection_not_found(connection_id)
    kind, parent = hosting_parent(ctx, parent_connection_id)
    if record["_parentId"] == parent_connection_id:
        return record
    if parent["location"] != record["location"]:
        raise ClientError(
            f"{parent_connection_id} is at {parent['location']}; connection {connection_id} is at {record['location']}."
        )
    if HOSTED_SPEEDS.get(record["bandwidth"], 0) > ports.capacity(ctx, kind, parent):
        raise ClientError(
            f"Bandwidth {record['bandwidth']} exceeds the capacity of {parent_connection_id}."
        )
    check_vlan(ctx, parent_connection_id, record["vlan"], exclude=connection_id)
    record["_parentId"] = parent_connection_id
    record["awsDevice"] = record["awsDeviceV2"] = record["awsLogicalDeviceId"] = parent[
        "awsDeviceV2"
    ]
    record["partnerInterconnectMacSecCapable"] = bool(parent.get("macSecCapable"))
    ctx.tx.update(ports.CONNECTION, connection_id, record, parent=parent_connection_id)
    return record
