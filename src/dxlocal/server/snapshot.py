"""Export and import of the whole state, and lists of records, on the control API:

    GET  /_dxlocal/records/{kind}   {"records": [...]}: every record of a kind, as of now
    GET  /_dxlocal/export           the state document (below)
    POST /_dxlocal/import           {"document": "<the state document's JSON text>",
                                     "replace": true}  (false: add to what is there)

The state document: ``{"dxlocal": version, "format": 1, "exportedAt": time, "records":
[{"kind", "id", "account", "region", "parent", "peerAccount", "data"}, ...], "timers":
[{"due", "kind", "id", "event"}, ...]}``. The event log's events are records of kind
``event`` there, filed under their resource (``parent``). Records keep their ids, owners and internal
members and timers their due times, so an import restores exactly what was exported (a
lifecycle step that fell due in between happens at once). Import carries the document as
text: record data is not control input and is checked only as a whole, here.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from dxlocal import __version__
from dxlocal.core import events, lifecycle
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider._registry import route
from dxlocal.store import IdTaken

FORMAT = 1


def export(ctx: ControlContext) -> dict[str, Any]:
    with ctx.unit() as unit:
        tx = unit.tx
        records = [
            {
                "kind": kind,
                "id": rid,
                "account": account,
                "region": region,
                "parent": parent,
                "peerAccount": peer,
                "data": data,
            }
            for kind, rid, account, region, parent, peer, data in tx.rows()
        ]
        records += (
            {
                "kind": events.KIND,
                "id": event["eventId"],
                "account": event.get("account", ""),
                "region": event.get("region", ""),
                "parent": event.get("resource") or None,
                "peerAccount": None,
                "data": event,
            }
            for event in tx.events()
        )
        timers = [
            {"due": due, "kind": kind, "id": rid, "event": event}
            for due, kind, rid, event in tx.timers()
        ]
    return {
        "dxlocal": __version__,
        "format": FORMAT,
        "exportedAt": ctx.clock.now(),
        "records": records,
        "timers": timers,
    }


def _text(value: Any, what: str, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise ClientError(f"State document: {what} must be a string, not {value!r}.")
    return value


def _optional(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


def load(ctx: ControlContext, document: Any, *, replace: bool) -> dict[str, int]:
    """Write a state document's records and timers in one transaction. The whole document
    is checked first, so a bad one changes nothing (not even with ``replace``)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ClientError(f"Not a dxlocal state document of format {FORMAT}.")
    records, timers = document.get("records", []), document.get("timers", [])
    if not isinstance(records, list) or not isinstance(timers, list):
        raise ClientError("State document: records and timers must be lists.")
    rows, seen = [], set()
    for item in records:
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise ClientError("State document: each record needs kind, id and data.")
        kind, rid = _text(item.get("kind"), "kind"), _text(item.get("id"), "id")
        if (kind, rid) in seen:
            raise ClientError(f"State document: {kind} {rid} appears twice.")
        seen.add((kind, rid))
        rows.append(
            (kind, rid, item["data"], {
                # "" for what belongs to no account (a location's or a device's fault).
                "account": _text(item.get("account"), "account", empty=True),
                "region": _text(item.get("region"), "region", empty=True),
                "parent": _optional(item.get("parent"), "parent"),
                "peer_account": _optional(item.get("peerAccount"), "peerAccount"),
            })
        )  # fmt: skip
    due_timers = []
    for item in timers:
        due = item.get("due") if isinstance(item, dict) else None
        if isinstance(due, bool) or not isinstance(due, int | float) or math.isnan(due):
            raise ClientError("State document: each timer needs a numeric due time.")
        names = (_text(item.get(k), k) for k in ("kind", "id", "event"))
        due_timers.append((float(due), *names))
    if replace:
        ctx.work.reset()
    # The imported timers' soonest due time is the work's next look at timers.
    with ctx.unit() as unit:
        tx = unit.tx
        for kind, rid, data, columns in rows:
            if kind == events.KIND:
                _log(tx, rid, data)
                continue
            if tx.get(kind, rid) is not None:
                raise ClientError(f"State document: {kind} {rid} exists already.")
            tx.insert(kind, rid, data, **columns)
        for due, kind, rid, event in due_timers:
            tx.schedule(due, kind, rid, event)
    return {"records": len(rows), "timers": len(due_timers)}


def _log(tx: Any, rid: str, event: dict[str, Any]) -> None:
    """An exported event back into the log, under its own id."""
    try:
        tx.log({**event, "eventId": rid, "type": str(event.get("type") or ""),
                "resource": str(event.get("resource") or "")})  # fmt: skip
    except IdTaken:
        raise ClientError(f"State document: event {rid} exists already.") from None


@route("GET", "/records/{kind}")
def list_records(ctx: ControlContext, body: dict[str, Any], kind: str) -> dict[str, Any]:
    with ctx.unit() as unit:
        reader = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)
        return {"records": reader.list(kind)}


@route("GET", "/export")
def export_route(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    return export(ctx)


@route("POST", "/import")
def import_route(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("document")
    if not isinstance(text, str):
        raise ClientError('Give the state document as text in "document".')
    try:
        document = orjson.loads(text)
    except ValueError:
        raise ClientError("The state document is not valid JSON.") from None
    return load(ctx, document, replace=body.get("replace", True) is not False)
