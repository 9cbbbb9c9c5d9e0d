"""TagResource, UntagResource, DescribeTags on every taggable ARN (docs/behavior.md#ids).

    arn:aws:directconnect:<region>:<acct>:dxcon/<id>          connection or interconnect
    arn:aws:directconnect:<region>:<acct>:dxlag/<id>          LAG
    arn:aws:directconnect:<region>:<acct>:dxvif/<id>          virtual interface
    arn:aws:directconnect::<acct>:dx-gateway/<uuid>           Direct Connect gateway (global)
    arn:aws:directconnect::<acct>:dx-resiliency-group/<id>    resiliency group

Tags live in each record's ``tags`` member. Only the account named in the ARN may read or
change them, and it must own the resource (or, for a hosted connection or hosted VIF, be
the other party that can see it).
"""

from __future__ import annotations

import re
from typing import Any

from dxlocal.core import tags as tagging
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider._registry import operation

_ARN = re.compile(
    r"^arn:aws[a-z-]*:directconnect:(?P<region>[a-z0-9-]*):(?P<account>\d{12}):"
    r"(?P<type>dxcon|dxlag|dxvif|dx-gateway|dx-resiliency-group)/(?P<id>[A-Za-z0-9-]+)$"
)
KINDS = {
    "dxcon": ("connection", "interconnect"),
    "dxlag": ("lag",),
    "dxvif": ("virtualInterface",),
    "dx-gateway": ("directConnectGateway",),
    "dx-resiliency-group": ("resiliencyGroup",),
}
GLOBAL = {"dx-gateway", "dx-resiliency-group"}
# Accounts other than the owner that see a record (hosted connection partner, hosted VIF's
# connection owner).
_SECOND_PARTY = ("_partnerAccount", "_connectionOwner")


def resolve(ctx: RequestContext, arn: str) -> tuple[str, str, dict[str, Any]]:
    """(kind, id, record) for an ARN the caller may tag."""
    match = _ARN.match(arn or "")
    if not match:
        raise ClientError(f"Invalid ARN: {arn}")
    rtype, region, account, rid = match["type"], match["region"], match["account"], match["id"]
    if (rtype in GLOBAL) != (region == ""):
        raise ClientError(f"Invalid ARN: {arn}")
    for kind in KINDS[rtype]:
        record = ctx.tx.get(kind, rid)
        if record is not None and _allowed(ctx, record, region, account):
            return kind, rid, record
    raise ClientError(f"Resource {arn} does not exist.")


def _allowed(ctx: RequestContext, record: dict[str, Any], region: str, account: str) -> bool:
    if account != ctx.account or (
        region and (region != ctx.region or record.get("region") != region)
    ):
        return False
    parties = {record.get("ownerAccount"), *(record.get(k) for k in _SECOND_PARTY)}
    return ctx.account in parties


@operation("TagResource")
def tag_resource(
    ctx: RequestContext, *, resource_arn: str, tags: list[dict[str, Any]]
) -> dict[str, Any]:
    new = tagging.check(tags)
    if not new:
        raise ClientError("tags must contain at least one tag.")
    kind, rid, record = resolve(ctx, resource_arn)
    record["tags"] = tagging.merge(record.get("tags") or [], new)
    ctx.tx.update(kind, rid, record)
    return {}


@operation("UntagResource")
def untag_resource(
    ctx: RequestContext, *, resource_arn: str, tag_keys: list[str]
) -> dict[str, Any]:
    kind, rid, record = resolve(ctx, resource_arn)
    drop = set(tag_keys or [])
    record["tags"] = [t for t in record.get("tags") or [] if t["key"] not in drop]
    ctx.tx.update(kind, rid, record)
    return {}


@operation("DescribeTags")
def describe_tags(ctx: RequestContext, *, resource_arns: list[str]) -> dict[str, Any]:
    if not resource_arns:
        raise ClientError("resourceArns must name at least one resource.")
    out = []
    for arn in resource_arns:
        _, _, record = resolve(ctx, arn)
        out.append({"resourceArn": arn, "tags": record.get("tags") or []})
    return {"resourceTags": out}
