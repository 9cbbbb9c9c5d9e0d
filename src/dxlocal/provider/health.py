"""AWS Health on the same port: Direct Connect's maintenance and operational issues
(docs/failures.md#health).

    DescribeEvents            maintenance windows (provider/maintenance.py) and faults
                              (provider/faults.py) touching the caller's connections
    DescribeEventDetails      each event with its description
    DescribeAffectedEntities  the connections each event touches

Event types as AWS Health names them for Direct Connect: ``AWS_DIRECTCONNECT_MAINTENANCE_
SCHEDULED`` and ``AWS_DIRECTCONNECT_EMERGENCY_MAINTENANCE_SCHEDULED`` (category
``scheduledChange``), ``AWS_DIRECTCONNECT_OPERATIONAL_ISSUE`` (category ``issue``). A window
is ``upcoming`` until it starts, ``open`` during it, ``closed`` after; a fault is ``open``
while active.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.provider import faults, maintenance
from dxlocal.provider._registry import operation

SERVICE = "health"
PLANNED = "AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED"
EMERGENCY = "AWS_DIRECTCONNECT_EMERGENCY_MAINTENANCE_SCHEDULED"
ISSUE = "AWS_DIRECTCONNECT_OPERATIONAL_ISSUE"
Event = dict[str, Any]


def _events(ctx: RequestContext) -> list[tuple[Event, list[str], str]]:
    """(event, affected connection ids, description) visible to the caller, newest first."""
    found = []
    for window in ctx.tx.list(maintenance.KIND):
        if ctx.account not in window["accounts"]:
            continue
        code = EMERGENCY if window["emergency"] else PLANNED
        start, end = window["startTime"], window["endTime"]
        status = "upcoming" if ctx.now < start else "open" if ctx.now < end else "closed"
        event = _event(ctx, code, "scheduledChange", window["maintenanceId"], start, end, status)
        event["lastUpdatedTime"] = (
            window["announced"] if status == "upcoming" else min(ctx.now, end)
        )
        text = (
            f"{'Emergency' if window['emergency'] else 'Planned'} maintenance on {window['target']}"
            f" {window['targetId']}: your Direct Connect connections there will be down during"
            " the window; traffic should fail over to your other connections."
        )
        found.append((event, _owned(ctx, window["connections"]), text))
    for fault in ctx.tx.list(faults.KIND):
        if fault.get("maintenanceId") or fault["state"] == "scheduled":
            continue
        connections = _owned(ctx, [i for k, i in fault["affected"] if k != "virtualInterface"])
        if not connections:
            continue
        status = "open" if fault["state"] == "active" else "closed"
        event = _event(ctx, ISSUE, "issue", fault["faultId"], fault["startTime"], fault["endTime"],
                       status)  # fmt: skip
        text = f"Connectivity issue: {fault['target']} {fault['targetId']} is down."
        found.append((event, connections, text))
    found.sort(key=lambda f: f[0]["lastUpdatedTime"], reverse=True)
    return found


def _event(ctx: RequestContext, code: str, category: str, key: str, start: float,
           end: float | None, status: str) -> Event:  # fmt: skip
    event = {
        "arn": f"arn:aws:health:{ctx.region}::event/DIRECTCONNECT/{code}/{code}_{key}",
        "service": "DIRECTCONNECT", "eventTypeCode": code, "eventTypeCategory": category,
        "region": ctx.region, "startTime": start, "lastUpdatedTime": start,
        "statusCode": status, "eventScopeCode": "ACCOUNT_SPECIFIC",
    }  # fmt: skip
    if end is not None and (status == "closed" or category == "scheduledChange"):
        event["endTime"] = end
    return event


def _owned(ctx: RequestContext, connection_ids: list[str]) -> list[str]:
    owned = []
    for cid in connection_ids:
        for kind in ("connection", "interconnect"):
            record = ctx.tx.get(kind, cid)
            if record is not None and record.get("ownerAccount") == ctx.account:
                owned.append(cid)
                break
    return owned


def _matches(event: Event, connections: list[str], flt: dict[str, Any]) -> bool:
    checks = {
        "eventArns": event["arn"], "eventTypeCodes": event["eventTypeCode"],
        "services": event["service"], "regions": event["region"],
        "eventTypeCategories": event["eventTypeCategory"], "eventStatusCodes": event["statusCode"],
    }  # fmt: skip
    for name, value in checks.items():
        if flt.get(name) and value not in flt[name]:
            return False
    values = flt.get("entityValues")
    return not values or any(c in values for c in connections)


@operation("DescribeEvents", service=SERVICE)
def describe_events(
    ctx: RequestContext, filter: dict[str, Any] | None = None, **_: Any
) -> dict[str, Any]:  # noqa: A002
    return {"events": [e for e, c, _ in _events(ctx) if _matches(e, c, filter or {})]}


@operation("DescribeEventDetails", service=SERVICE)
def describe_event_details(ctx: RequestContext, event_arns: list[str], **_: Any) -> dict[str, Any]:
    by_arn = {e["arn"]: (e, text) for e, _, text in _events(ctx)}
    ok, failed = [], []
    for arn in event_arns:
        if arn in by_arn:
            event, text = by_arn[arn]
            ok.append({"event": event, "eventDescription": {"latestDescription": text},
                       "eventMetadata": {}})  # fmt: skip
        else:
            failed.append({"eventArn": arn, "errorName": "NotFound",
                           "errorMessage": f"Event {arn} was not found."})  # fmt: skip
    return {"successfulSet": ok, "failedSet": failed}


@operation("DescribeAffectedEntities", service=SERVICE)
def describe_affected_entities(
    ctx: RequestContext, filter: dict[str, Any], **_: Any
) -> dict[str, Any]:  # noqa: A002
    arns = set(filter.get("eventArns", ()))
    values = set(filter.get("entityValues", ()))
    entities = []
    for event, connections, _ in _events(ctx):
        if event["arn"] not in arns:
            continue
        for cid in connections:
            if values and cid not in values:
                continue
            entities.append({
                "entityArn": f"arn:aws:health:{ctx.region}:{ctx.account}:entity/{cid}",
                "eventArn": event["arn"], "entityValue": cid, "awsAccountId": ctx.account,
                "lastUpdatedTime": event["lastUpdatedTime"],
                "statusCode": "RESOLVED" if event["statusCode"] == "closed" else "IMPAIRED"
                if event["statusCode"] == "open" else "PENDING",
            })  # fmt: skip
    return {"entities": entities}
