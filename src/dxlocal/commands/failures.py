"""``dxlocal fault | maintenance | events``: break things on a running server, and watch what
happens (docs/failures.md), through its control API.

    dxlocal fault down connection dxcon-… [--in 30s | --at T] [--duration 5m]
    dxlocal fault list
    dxlocal fault clear FAULT_ID
    dxlocal maintenance schedule DEVICE|CONNECTION [--in 14d | --at T] --duration 2h [--emergency]
    dxlocal maintenance list
    dxlocal events [--resource ID] [--type T] [--since ID|T] [--follow]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from dxlocal.commands.state import _guard
from dxlocal.control_client import call as _call
from dxlocal.control_client import endpoint_parser

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
TARGETS = ("connection", "lag", "device", "location", "virtualInterface")


def seconds(text: str) -> float:
    """``90``, ``90s``, ``5m``, ``2h``, ``14d``."""
    unit = UNITS.get(text[-1:])
    try:
        value = float(text[:-1] if unit else text) * (unit or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (90, 90s, 5m, 2h, 14d)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("a duration is 0 or more")
    return value


def moment(text: str) -> float:
    """Epoch seconds, or an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time (epoch seconds or ISO 8601)"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _when(args: argparse.Namespace, body: dict[str, Any]) -> dict[str, Any]:
    if args.at is not None:
        body["at"] = args.at
    elif args.within is not None:
        body["in"] = args.within
    if args.duration is not None:
        body["duration"] = args.duration
    return body


def _print(data: Any) -> int:
    print(json.dumps(data, indent=2))
    return 0


def _fault_down(args: argparse.Namespace) -> int:
    body = _when(args, {"target": args.target, "id": args.id})
    return _print(_call(args.endpoint, "POST", "/faults", body))


def _fault_list(args: argparse.Namespace) -> int:
    return _print(_call(args.endpoint, "GET", "/faults"))


def _fault_clear(args: argparse.Namespace) -> int:
    return _print(_call(args.endpoint, "DELETE", f"/faults/{args.fault_id}"))


def _maintenance_schedule(args: argparse.Namespace) -> int:
    target = "connection" if args.id.startswith("dxcon-") else "device"
    body = _when(args, {"target": target, "id": args.id, "emergency": args.emergency})
    return _print(_call(args.endpoint, "POST", "/maintenance", body))


def _maintenance_list(args: argparse.Namespace) -> int:
    return _print(_call(args.endpoint, "GET", "/maintenance"))


def line(event: dict[str, Any]) -> str:
    """One event, readably."""
    when = dt.datetime.fromtimestamp(event["time"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kind = event["type"]
    if kind == "api":
        what = f"{event['service']} {event['operation']} {event['status']}"
    elif kind == "state":
        what = f"{event['from']} -> {event['to']}"
    elif kind == "session":
        what = f"BGP {event['peer']} {event['bgpStatus']}"
    elif kind == "fault":
        what = f"{event['what']} {event['faultId']}"
    else:
        what = f"{event.get('what', '')} {event.get('maintenanceId', '')}"
    cause = f" ({event['fault']})" if event.get("fault") else ""
    who = event["account"] or "-"
    return f"{when}  {who:12}  {kind:11}  {event['resource'] or '-':24}  {what}{cause}"


def _events(args: argparse.Namespace) -> int:
    try:
        return _read_events(args)
    except KeyboardInterrupt:
        return 0


def _read_events(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"resource": args.resource, "type": args.type}
    body["since"] = args.since
    while True:
        if args.follow:
            body["wait"] = 25
        answer = _call(
            args.endpoint, "POST", "/events", {k: v for k, v in body.items() if v is not None}
        )
        for event in answer["events"]:
            print(line(event), flush=True)
        if not args.follow:
            return 0
        body["since"] = answer["next"]


def add_commands(sub: Any) -> None:
    endpoint = endpoint_parser()
    timing = argparse.ArgumentParser(add_help=False)
    when = timing.add_mutually_exclusive_group()
    when.add_argument("--at", type=moment, help="start at this time (epoch seconds or ISO 8601)")
    when.add_argument("--in", dest="within", type=seconds, help="start after this long (5m)")
    timing.add_argument("--duration", type=seconds, help="end by itself after this long (2h)")

    fault = sub.add_parser("fault", help="take a connection, LAG, device, location or VIF down")
    fault_sub = fault.add_subparsers(dest="fault_command", required=True)
    down = fault_sub.add_parser("down", parents=[endpoint, timing], help="inject a fault")
    down.add_argument("target", choices=TARGETS)
    down.add_argument("id", metavar="ID")
    down.set_defaults(func=_guard(_fault_down))
    listed = fault_sub.add_parser("list", parents=[endpoint], help="every fault")
    listed.set_defaults(func=_guard(_fault_list))
    clear = fault_sub.add_parser("clear", parents=[endpoint], help="end a fault now")
    clear.add_argument("fault_id", metavar="FAULT_ID")
    clear.set_defaults(func=_guard(_fault_clear))

    maint = sub.add_parser("maintenance", help="AWS's maintenance on a device or connection")
    maint_sub = maint.add_subparsers(dest="maintenance_command", required=True)
    schedule = maint_sub.add_parser(
        "schedule", parents=[endpoint, timing], help="announce a maintenance window"
    )
    schedule.add_argument("id", metavar="DEVICE|CONNECTION")
    schedule.add_argument("--emergency", action="store_true", help="short notice")
    schedule.set_defaults(func=_guard(_maintenance_schedule))
    windows = maint_sub.add_parser("list", parents=[endpoint], help="every window")
    windows.set_defaults(func=_guard(_maintenance_list))

    events = sub.add_parser("events", parents=[endpoint], help="print the event log")
    events.add_argument("--resource", help="only this resource's events")
    events.add_argument("--type", choices=("api", "state", "session", "fault", "maintenance"))
    events.add_argument("--since", help="after this event id, or from this time")
    events.add_argument("--follow", action="store_true", help="keep printing events as they come")
    events.set_defaults(func=_guard(_events))
