"""Ports: what dedicated connections, interconnects and LAGs have in common (docs/behavior.md,
"Connections, interconnects and LAGs").

A port is a dedicated connection or an interconnect (both ``dxcon-`` ids); a LAG bundles
ports on one AWS endpoint. This module owns what several providers need to know about them:
how to find one the caller may use, its capacity, which ports a LAG holds and the LAG's
state derived from them. ``connections``, ``interconnects``, ``lags``,
``hosted_connections`` and ``rate_limiters`` build on it; it imports none of them.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from dxlocal.core import errors, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError

Record = dict[str, Any]

# --- kinds and state groups ------------------------------------------------------------------
CONNECTION = "connection"
INTERCONNECT = "interconnect"
LAG = "lag"
GONE = {"deleted", "rejected"}
TRANSITIONAL = {"ordering", "requested", "pending", "deleting"}
PROVISIONING = {"ordering", "requested", "pending"}
ENDED = {"deleting", "deleted"}

# --- capacity --------------------------------------------------------------------------------
DEDICATED_SPEEDS = ("1Gbps", "10Gbps", "100Gbps", "400Gbps")
PORT_MBPS = {"1Gbps": 1000, "10Gbps": 10000, "100Gbps": 100000, "400Gbps": 400000}
# Dedicated connections (or interconnects) per LAG: four below 100G, two at 100G/400G
# (CreateLag doc, user guide quotas).
LAG_MEMBERS = {"1Gbps": 4, "10Gbps": 4, "100Gbps": 2, "400Gbps": 2}


def member_limit(bandwidth: str) -> int:
    return LAG_MEMBERS.get(bandwidth, 4)


def capacity(ctx: RequestContext, kind: str, record: Record) -> int:
    """Mbps of a port, or of a LAG's bundled ports (the most a hosted connection or a VIF
    rate limiter on it may use)."""
    if kind == LAG:
        return PORT_MBPS[record["connectionsBandwidth"]] * max(
            1, len(lag_members(ctx, record["lagId"]))
        )
    return PORT_MBPS[record["bandwidth"]]


# --- finding ports ---------------------------------------------------------------------------


def visible(ctx: RequestContext, record: Record | None) -> bool:
    """A connection its owner, or the partner of a hosted connection, may see."""
    return (
        record is not None
        and record.get("region") == ctx.region
        and ctx.account in (record.get("ownerAccount"), record.get("_partnerAccount"))
    )


def get_connection(ctx: RequestContext, connection_id: str, *, owner: bool = True) -> Record:
    """The caller's connection (``owner``), or one it can see as the partner."""
    record = ctx.tx.get(CONNECTION, connection_id) if connection_id else None
    if not visible(ctx, record) or (owner and record["ownerAccount"] != ctx.account):
        raise errors.connection_not_found(connection_id)
    return record


def get_lag(ctx: RequestContext, lag_id: str) -> Record:
    """A LAG the caller owns in this region."""
    lag = ctx.tx.get(LAG, lag_id) if lag_id else None
    if lag is None or lag.get("ownerAccount") != ctx.account or lag.get("region") != ctx.region:
        raise errors.lag_not_found(lag_id)
    return lag


def get_parent(ctx: RequestContext, parent_id: str) -> tuple[str, Record]:
    """A connection or LAG the caller owns, for calls that accept either id (VIFs)."""
    if parent_id.startswith("dxlag-"):
        return LAG, get_lag(ctx, parent_id)
    return CONNECTION, get_connection(ctx, parent_id)


def get_port(ctx: RequestContext, port_id: str) -> tuple[str, Record]:
    """A physical port the caller owns: a dedicated connection or an interconnect (both
    ``dxcon-`` ids)."""
    record = ctx.tx.get(INTERCONNECT, port_id) if port_id else None
    if (
        record is not None
        and record.get("ownerAccount") == ctx.account
        and record.get("region") == ctx.region
    ):
        return INTERCONNECT, record
    return CONNECTION, get_connection(ctx, port_id)


def port_id(record: Record) -> str:
    return record.get("connectionId") or record.get("interconnectId") or record.get("lagId", "")


def port_state(kind: str, record: Record) -> str:
    return record[lifecycle.STATE_FIELD[kind]]


def port_device(ctx: RequestContext, location: str) -> str:
    """The endpoint an account's new ports at a location land on. dxlocal keeps one endpoint
    per (account, region, location), so a LAG can take any of the account's ports there
    (AssociateConnectionWithLag needs the same endpoint)."""
    return _endpoint(ctx.account, ctx.region, location)


@functools.lru_cache(maxsize=4096)
def _endpoint(account: str, region: str, location: str) -> str:
    digest = hashlib.sha256(f"{account}:{region}:{location}".encode()).hexdigest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return f"{location}-" + "".join(
        alphabet[int(digest[i : i + 2], 16) % 36] for i in range(0, 24, 2)
    )


def is_partner(ctx: RequestContext, account: str | None = None) -> bool:
    """dxlocal's rule for "authorized Direct Connect partner" in a region: the account owns an
    interconnect there (any account may create one: CreateInterconnect is the partner's
    onboarding), or a LAG that hosts connections."""
    account = account or ctx.account
    if any(
        i["interconnectState"] != "deleted"
        for i in ctx.tx.list(INTERCONNECT, account=account, region=ctx.region)
    ):
        return True
    return any(
        lag.get("allowsHostedConnections") and lag["lagState"] != "deleted"
        for lag in ctx.tx.list(LAG, account=account, region=ctx.region)
    )


def as_connection(kind: str, record: Record) -> Record:
    """A port in the Connection shape (a LAG's ``connections`` lists interconnects too)."""
    if kind == CONNECTION:
        return record
    out = {k: v for k, v in record.items() if not k.startswith("interconnect")}
    out.update(
        connectionId=record["interconnectId"],
        connectionName=record["interconnectName"],
        connectionState=record["interconnectState"],
    )
    return out


# --- LAG membership and derived state --------------------------------------------------------


def lag_members(ctx: RequestContext, lag_id: str) -> list[tuple[str, Record]]:
    """The ports bundled by a LAG (hosted connections hang off a LAG too, but are no members)."""
    return _members(ctx.tx, lag_id)


def _members(tx: Any, lag_id: str) -> list[tuple[str, Record]]:
    members = [
        (CONNECTION, c)
        for c in tx.list(CONNECTION, parent=lag_id)
        if not c.get("_hosted") and c["connectionState"] not in GONE
    ]
    members += [
        (INTERCONNECT, i)
        for i in tx.list(INTERCONNECT, parent=lag_id)
        if i["interconnectState"] != "deleted"
    ]
    return members


def leave_lag(ctx: RequestContext, kind: str, record: Record) -> None:
    """Take a port out of its LAG (record and parent column)."""
    record.pop("lagId", None)
    ctx.tx.update(kind, port_id(record), record, parent=None)


def check_can_leave(ctx: RequestContext, lag: Record | None, member_id: str) -> None:
    """A member may leave unless the LAG would fall below ``minimumLinks`` operational
    members; the last member may always leave (DisassociateConnectionFromLag doc)."""
    if lag is None:
        return
    rest = [(k, r) for k, r in lag_members(ctx, lag["lagId"]) if port_id(r) != member_id]
    if not rest:
        return
    up = sum(port_state(k, r) == "available" for k, r in rest)
    if up < lag.get("minimumLinks", 0):
        raise ClientError(
            f"Removing {member_id} would leave Lag {lag['lagId']} with {up} operational "
            f"connection(s), below its minimumLinks of {lag['minimumLinks']}."
        )


@lifecycle.derived(LAG)
def _lag_state(tx: Any, lag: Record) -> None:
    """A LAG's state, worked out from its members when it is read: ``pending`` until it has
    members and none is still provisioning, then ``available`` if at least
    ``max(minimumLinks, 1)`` members are up, else ``down``."""
    if lag["lagState"] in ENDED:
        return
    states = [port_state(kind, rec) for kind, rec in _members(tx, lag["lagId"])]
    if lag["lagState"] in ("requested", "pending") and (not states or PROVISIONING & set(states)):
        return  # still provisioning
    up = sum(s == "available" for s in states)
    lag["lagState"] = "available" if up >= max(lag.get("minimumLinks", 0), 1) else "down"
    if lag["lagState"] == "available":
        lag["jumboFrameCapable"] = True


def refresh_lag(ctx: RequestContext, lag_id: str | None) -> None:
    """Keep the LAG's state as worked out now (called as its membership changes, so that a
    LAG which left ``pending`` does not go back when a new port joins it)."""
    lag = ctx.tx.get(LAG, lag_id) if lag_id else None
    if lag is not None and lag["lagState"] not in ENDED:
        ctx.tx.update(LAG, lag["lagId"], lag)


def _provisioned(record: Record) -> None:
    """A port whose cross-connect came up: on hardware that takes jumbo frames, and its
    MACsec encryption up if a key is associated."""
    record["jumboFrameCapable"] = True
    if record.get("macSecCapable"):
        up = any(k["state"] == "associated" for k in record.get("macSecKeys", []))
        record["portEncryptionStatus"] = "Encryption Up" if up else "Encryption Down"


lifecycle.on_enter(CONNECTION, "available")(_provisioned)
lifecycle.on_enter(INTERCONNECT, "available")(_provisioned)
