"""Reading the event log (core/events.py; docs/failures.md#events).

    GET  /_dxlocal/events?since=…&resource=…&type=…&account=…&limit=…&wait=…
    POST /_dxlocal/events  {"since": …, "resource": …, "wait": s, …}   the same, as JSON

``since`` is an event id (the events written after it) or a time on dxlocal's clock (the
events at or after it); absent, every event kept. ``wait`` (at most 30 s) waits for the first
matching event when there is none yet, so a test or ``dxlocal events --follow`` hears of
events as they are committed. The answer is ``{"events": [...], "next": ID}``: pass ``next``
as ``since`` to read on.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import Any

from dxlocal.core import events
from dxlocal.core.bell import Bell
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext, Work
from dxlocal.provider._registry import route

MAX_WAIT = 30.0
DEFAULT_LIMIT = 1000
FILTERS = ("resource", "type", "account", "resourceType", "operation")


_BELLS: weakref.WeakKeyDictionary[Work, Bell] = weakref.WeakKeyDictionary()


def bell(work: Work) -> Bell:
    """The bell of ``work`` that rings when a COMMIT wrote events (made at its first use)."""
    found = _BELLS.get(work)
    if found is None:
        found = _BELLS[work] = Bell()
        work.on_events(found.ring)
    return found


def read(tx: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    """The events matching ``query`` (already checked by ``_query``), oldest first. The log
    filters by id, resource and type; the other filters are applied here, page by page."""
    since, limit, kind = query.get("since"), query["limit"], query.get("type") or None
    at = None if since is None or isinstance(since, str) else since  # a time, not an id
    after = events.id_at(at) if at is not None else since or ""
    wanted = [(name, query[name]) for name in FILTERS[2:] if query.get(name)]
    page = max(limit, 1000) if wanted or at is not None else limit  # filtered here: read on
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        batch = tx.events(
            after=after, resource=query.get("resource") or None, type=kind, limit=page
        )
        found += (
            e for e in batch
            if all(e.get(name) == value for name, value in wanted)
            and (at is None or e["time"] >= at)
        )  # fmt: skip
        if len(batch) < page:
            break
        after = batch[-1]["eventId"]
    return found[:limit]


def _query(body: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    since = body.get("since")
    if isinstance(since, str) and not since.startswith("ev-"):
        try:
            since = float(since)
        except ValueError:
            raise ClientError("since must be an event id (ev-…) or a time in seconds.") from None
    if since is not None and (
        isinstance(since, bool)
        or not isinstance(since, str | int | float)
        or (not isinstance(since, str) and not math.isfinite(since))
    ):
        raise ClientError("since must be an event id (ev-…) or a time in seconds.")
    query["since"] = since
    for name in FILTERS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ClientError(f"{name} must be a string.")
        query[name] = value
    query["limit"] = _number(body, "limit", DEFAULT_LIMIT, integer=True)
    query["wait"] = min(_number(body, "wait", 0), MAX_WAIT)
    return query


def _number(body: dict[str, Any], name: str, default: float, integer: bool = False) -> Any:
    value = body.get(name, default)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ClientError(f"{name} must be a number.") from None
    if isinstance(value, bool) or number < 0 or number != number:
        raise ClientError(f"{name} must be a number, 0 or more.")
    return number


@route("GET", "/events")
@route("POST", "/events")
async def list_events(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    query = _query(body)
    the_bell = bell(ctx.work)
    deadline = time.monotonic() + query["wait"]
    while True:
        await ctx.work.idle()
        with ctx.unit() as unit:
            found = read(unit.tx, query)
        left = deadline - time.monotonic()
        if found or left <= 0:
            break
        await the_bell.wait(left)
    return {"events": found, "next": found[-1]["eventId"] if found else query["since"]}
