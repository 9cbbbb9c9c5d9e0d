"""Resiliency groups: a managed set of the account's dedicated connections meant to meet a
resiliency model (model docs of CreateResiliencyGroup and its siblings).

Ids are ``dxrg-`` + 17 alphanumerics and ARNs ``arn:aws:directconnect::<acct>:
dx-resiliency-group/<id>`` (model patterns); a group belongs to the Region it was made in
(ListResiliencyGroups lists "the current Region"). Lifecycles, one progression delay per step:

    group        pending -> available;  delete: deleting -> deleted -> (later) gone
    association  associating -> associated;  disassociate: disassociating -> gone

Association and disassociation are atomic: every connection of the request is checked
before any is changed. Associations are records of their own (``parent=<group id>``), and
a connection carries ``_resiliencyGroupId`` so that deleting it also ends its association.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from dxlocal.core import errors, lifecycle
from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError, LimitExceededException
from dxlocal.core.pagination import page
from dxlocal.provider import ports
from dxlocal.provider._registry import operation

KIND = "resiliencyGroup"
ASSOC = "resiliencyGroupAssociation"
MODELS = ("maximum-resiliency", "high-resiliency", "basic-resiliency")
MAX_GROUPS = 10  # per account and Region (not published; a quota key can raise it)
MAX_MEMBERS = 50  # connections per group (ConnectionIdentifierList allows 50 per call)
_ID = re.compile(r"^(dxrg|DXRG)-[0-9a-zA-Z]{17}$")
_NAME = re.compile(r"^[a-zA-Z0-9_\-]{1,255}$")
_CONN_ARN = re.compile(
    r"^arn:aws[a-z-]*:directconnect:([a-z0-9-]+):(\d{12}):dxcon/(dxcon-[a-z0-9]+)$"
)
_ALNUM = string.ascii_lowercase + string.digits
SUMMARY = (
    "resiliencyGroupId",
    "resiliencyGroupArn",
    "resiliencyGroupName",
    "resiliencyGroupType",
    "ownerAccount",
    "state",
)


def _mint() -> str:
    return "dxrg-" + "".join(secrets.choice(_ALNUM) for _ in range(17))


def get_group(ctx: RequestContext, group_id: str, *, live: bool = False) -> dict[str, Any]:
    if not _ID.match(group_id or ""):
        raise ClientError(f"Resiliency group ID {group_id} has an invalid format.")
    group = ctx.tx.get(KIND, group_id.lower())
    if group is None or group["ownerAccount"] != ctx.account or group["region"] != ctx.region:
        raise errors.resiliency_group_not_found(group_id)
    if live and group["state"] in ("deleting", "deleted"):
        raise errors.resiliency_group_not_found(group_id)
    return group


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ClientError("resiliencyGroupName must be 1 to 255 letters, digits, '_' or '-'.")
    return name


@operation("CreateResiliencyGroup")
def create_resiliency_group(
    ctx: RequestContext,
    *,
    resiliency_group_name: str,
    intended_resiliency_model: str,
    client_token: str | None = None,
    tags: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    tag_list = tagging.check(tags)
    _check_name(resiliency_group_name)
    if intended_resiliency_model not in MODELS:
        raise ClientError(f"intendedResiliencyModel must be one of {', '.join(MODELS)}.")
    mine = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    if client_token:
        # Idempotency: the same token and request answer the same group.
        for group in mine:
            if group.get("_clientToken") == client_token:
                same = (group["resiliencyGroupName"], group["_intendedResiliencyModel"]) == (
                    resiliency_group_name,
                    intended_resiliency_model,
                )
                if not same:
                    raise ClientError(
                        f"clientToken {client_token} was already used with different parameters."
                    )
                return {"resiliencyGroup": group}
    quota = ctx.settings.quotas.get("resiliency_groups_per_region", MAX_GROUPS)
    if sum(g["state"] != "deleted" for g in mine) >= quota:
        raise LimitExceededException(f"An account can have {quota} resiliency groups per Region.")
    group_id = _mint()
    group = {
        "resiliencyGroupId": group_id,
        "resiliencyGroupArn": f"arn:aws:directconnect::{ctx.account}:dx-resiliency-group/{group_id}",
        "resiliencyGroupName": resiliency_group_name,
        "resiliencyGroupType": "Managed",
        "ownerAccount": ctx.account,
        "state": "pending",
        "tags": tag_list,
        "region": ctx.region,
        "_intendedResiliencyModel": intended_resiliency_model,
        "_clientToken": client_token,
        "_created": ctx.now,
        lifecycle.ENTERED: ctx.now,
    }
    ctx.tx.insert(KIND, group_id, group, account=ctx.account, region=ctx.region)
    return {"resiliencyGroup": group}


@operation("GetResiliencyGroup")
def get_resiliency_group(ctx: RequestContext, *, resiliency_group_id: str) -> dict[str, Any]:
    return {"resiliencyGroup": get_group(ctx, resiliency_group_id)}


@operation("ListResiliencyGroups")
def list_resiliency_groups(
    ctx: RequestContext, *, max_results: int | None = None, next_token: str | None = None
) -> dict[str, Any]:
    records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    items, token = page(records, "resiliencyGroupId", max_results, next_token)
    return {"items": [{k: g[k] for k in SUMMARY} for g in items], "nextToken": token}


@operation("UpdateResiliencyGroup")
def update_resiliency_group(
    ctx: RequestContext,
    *,
    resiliency_group_id: str,
    resiliency_group_name: str,
    client_token: str | None = None,
) -> dict[str, Any]:
    group = get_group(ctx, resiliency_group_id, live=True)
    group["resiliencyGroupName"] = _check_name(resiliency_group_name)
    ctx.tx.update(KIND, group["resiliencyGroupId"], group)
    return {"resiliencyGroup": group}


@operation("DeleteResiliencyGroup")
def delete_resiliency_group(ctx: RequestContext, *, resiliency_group_id: str) -> dict[str, Any]:
    group = get_group(ctx, resiliency_group_id, live=True)
    members = [
        a
        for a in ctx.tx.list(ASSOC, parent=group["resiliencyGroupId"])
        if a["state"] != "disassociating"
    ]
    if members:
        raise ClientError(
            f"Resiliency group {resiliency_group_id} still has {len(members)} associated connection(s); "
            "disassociate them first."
        )
    ctx.tx.cancel(KIND, group["resiliencyGroupId"])
    ctx.enter(KIND, group, "deleting")
    ctx.tx.update(KIND, group["resiliencyGroupId"], group)
    return {"resiliencyGroup": group}


# --- associations ------------------------------------------------------------------------------


def _connection(ctx: RequestContext, identifier: str) -> dict[str, Any]:
    """A dedicated connection of the caller, by id or ARN."""
    connection_id = identifier
    match = _CONN_ARN.match(identifier or "")
    if match:
        region, account, connection_id = match.groups()
        if (region, account) != (ctx.region, ctx.account):
            raise errors.connection_not_found(connection_id)
    record = ports.get_connection(ctx, connection_id)
    if record["connectionState"] in ports.GONE | {"deleting"}:
        raise errors.connection_not_found(connection_id)
    if record.get("_hosted"):
        raise ClientError(f"Hosted connection {connection_id} cannot join a resiliency group.")
    return record


def _unique(ctx: RequestContext, identifiers: list[str]) -> list[dict[str, Any]]:
    if not identifiers:
        raise ClientError("connectionIdentifiers must name 1 to 50 connections.")
    found: dict[str, dict[str, Any]] = {}
    for identifier in identifiers:
        record = _connection(ctx, identifier)
        found.setdefault(record["connectionId"], record)
    return list(found.values())


def _arn(record: dict[str, Any]) -> str:
    return f"arn:aws:directconnect:{record['region']}:{record['ownerAccount']}:dxcon/{record['connectionId']}"


def _view(assoc: dict[str, Any]) -> dict[str, Any]:
    return {k: assoc[k] for k in ("resiliencyGroupId", "connectionArn", "state")}


@operation("AssociateConnectionsToResiliencyGroup")
def associate_connections_to_resiliency_group(
    ctx: RequestContext,
    *,
    connection_identifiers: list[str],
    resiliency_group_id: str,
    client_token: str | None = None,
) -> dict[str, Any]:
    group = get_group(ctx, resiliency_group_id, live=True)
    gid = group["resiliencyGroupId"]
    records = _unique(ctx, connection_identifiers)
    for record in records:  # every check first: all or nothing
        current = record.get("_resiliencyGroupId")
        if current and current != gid:
            raise ClientError(
                f"Connection {record['connectionId']} is already associated with resiliency group {current}."
            )
    existing = {a["_connectionId"] for a in ctx.tx.list(ASSOC, parent=gid)}
    new = [r for r in records if r["connectionId"] not in existing]
    if len(existing) + len(new) > MAX_MEMBERS:
        raise LimitExceededException(
            f"A resiliency group can have at most {MAX_MEMBERS} connections."
        )
    out = []
    for record in records:
        key = f"{gid}:{record['connectionId']}"
        assoc = ctx.tx.get(ASSOC, key)
        if assoc is None:
            assoc = {
                "resiliencyGroupId": gid,
                "connectionArn": _arn(record),
                "state": "associating",
                "_connectionId": record["connectionId"],
                lifecycle.ENTERED: ctx.now,
            }
            ctx.tx.insert(ASSOC, key, assoc, account=ctx.account, region=ctx.region, parent=gid)
            record["_resiliencyGroupId"] = gid
            ctx.tx.update(ports.CONNECTION, record["connectionId"], record)
        elif assoc["state"] == "disassociating":
            raise ClientError(
                f"Connection {record['connectionId']} is being disassociated from {gid}; try again."
            )
        out.append(_view(assoc))
    return {"resiliencyGroupAssociations": out}


@operation("DisassociateConnectionsFromResiliencyGroup")
def disassociate_connections_from_resiliency_group(
    ctx: RequestContext,
    *,
    connection_identifiers: list[str],
    resiliency_group_id: str,
    client_token: str | None = None,
) -> dict[str, Any]:
    group = get_group(ctx, resiliency_group_id)
    gid = group["resiliencyGroupId"]
    pairs = []
    for record in _unique(ctx, connection_identifiers):  # every check first: all or nothing
        assoc = ctx.tx.get(ASSOC, f"{gid}:{record['connectionId']}")
        if assoc is None:
            raise ClientError(
                f"Connection {record['connectionId']} is not associated with resiliency group {gid}."
            )
        pairs.append(assoc)
    for assoc in pairs:
        if assoc["state"] != "disassociating":
            key = f"{gid}:{assoc['_connectionId']}"
            ctx.enter(ASSOC, assoc, "disassociating", key)
            ctx.tx.update(ASSOC, key, assoc)
    return {"resiliencyGroupAssociations": [_view(a) for a in pairs]}


@lifecycle.on_purge(ASSOC)
def _left(ctx: RequestContext, assoc: dict[str, Any]) -> None:
    """A disassociated connection leaves the group as it gets there."""
    record = ctx.tx.get(ports.CONNECTION, assoc["_connectionId"])
    if record is not None and record.get("_resiliencyGroupId") == assoc["resiliencyGroupId"]:
        record.pop("_resiliencyGroupId")
        ctx.tx.update(ports.CONNECTION, record["connectionId"], record)


@operation("ListResiliencyGroupAssociations")
def list_resiliency_group_associations(
    ctx: RequestContext,
    *,
    resiliency_group_id: str,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    group = get_group(ctx, resiliency_group_id)
    items, token = page(
        ctx.tx.list(ASSOC, parent=group["resiliencyGroupId"]),
        "connectionArn",
        max_results,
        next_token,
    )
    return {"items": [_view(a) for a in items], "nextToken": token}
