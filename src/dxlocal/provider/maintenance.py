"""Scheduled maintenance on AWS's side (docs/failures.md#maintenance).

    POST /_dxlocal/maintenance  {"target": "device"|"connection", "id": ID,
                                 "at": t | "in": s, "duration": s, "emergency": bool}
    GET  /_dxlocal/maintenance  every window, newest first

A window is announced when it is scheduled (an AWS Health event, provider/health.py) and takes
its ports down from ``at`` for ``duration`` seconds through a fault (provider/faults.py), so
the connections, LAGs and BGP sessions on them go down and come back as under any fault.
Planned maintenance is announced at least ``NOTICE`` ahead and lasts at most ``WINDOW``;
emergency maintenance may start as soon as it is announced.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import events, ids
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider import faults
from dxlocal.provider._registry import route

KIND = "maintenance"
NOTICE = 14 * 86_400.0  # planned work: announced at least 14 days ahead (User Guide)
WINDOW = 4 * 3600.0  # a planned window lasts up to 4 hours (choice from the User Guide)
TARGETS = ("device", "connection")


@route("POST", "/maintenance")
def schedule(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    target, target_id = body.get("target"), body.get("id")
    if target not in TARGETS:
        raise ClientError("target must be device or connection.")
    if not isinstance(target_id, str) or not target_id:
        raise ClientError("id must name the AWS device or the connection.")
    emergency = bool(body.get("emergency", False))
    duration = faults._seconds(body, "duration", 3600.0)
    start_in = faults._seconds(body, "in", None)
    if not duration or duration > WINDOW:
        raise ClientError(f"duration must be more than 0 and at most {WINDOW:.0f} seconds.")
    with ctx.request("maintenance") as rctx:
        now = rctx.now
        if body.get("at") is not None:
            start = faults._seconds(body, "at", None)
        else:
            start = now + (start_in if start_in is not None else (0.0 if emergency else NOTICE))
        assert start is not None
        if not emergency and start - now < NOTICE:
            raise ClientError(
                f"Planned maintenance is announced at least {NOTICE:.0f} seconds ahead; "
                "use emergency for less notice."
            )
        window: dict[str, Any] = {
            "maintenanceId": ids.mint("maintenance"),
            "target": target,
            "targetId": target_id,
            "emergency": emergency,
            "announced": now,
            "startTime": start,
            "endTime": start + duration,
        }
        fault = faults.create(rctx, target, target_id, start, duration, window["maintenanceId"])
        window["faultId"] = fault["faultId"]
        window["connections"] = [faults.ports.port_id(r) for _, r in faults._ports_of(rctx, fault)]
        window["accounts"] = sorted(
            {r.get("ownerAccount", "") for _, r in faults._ports_of(rctx, fault)} - {""}
        )
        rctx.tx.insert(KIND, window["maintenanceId"], window, account="", region="")
        for account in window["accounts"] or [""]:
            events.write(
                rctx.tx, now, "maintenance", account=account, resource=target_id,
                resource_type=target, maintenanceId=window["maintenanceId"], what="announced",
                startTime=start, endTime=start + duration, emergency=emergency,
            )  # fmt: skip
    return window


@route("GET", "/maintenance")
def list_windows(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    with ctx.unit() as unit:
        found = unit.tx.list(KIND)
    return {"maintenance": sorted(found, key=lambda w: w["startTime"], reverse=True)}
