"""What changed, for pages that keep themselves up to date (the console, docs/console.md).

    POST /_dxlocal/changes  {"since": N, "wait": s}   the committed changes after sequence N;
                                                      waits up to ``wait`` seconds (at most 30)
                                                      for the first one; ``since`` absent: only
                                                      the current sequence number
    GET  /_dxlocal/scopes                             the (account, Region) pairs that hold
                                                      resources, for choosing what to show

A feed subscribes to the unit of work's listeners (core/work.py), so it hears of a change only
after the COMMIT that made it, and numbers each one. It keeps the last ``KEEP`` changes: a
reader that fell further behind is told to start over (``"reset": true``).
"""

from __future__ import annotations

import weakref
from collections import deque
from typing import Any

from dxlocal.core.bell import Bell
from dxlocal.core.errors import ClientError
from dxlocal.core.work import Committed, ControlContext, Work
from dxlocal.provider._registry import route

KEEP = 10_000
MAX_WAIT = 30.0
SCOPED_KINDS = ("connection", "interconnect", "lag", "virtualInterface", "directConnectGateway")


class Feed:
    def __init__(self, work: Work) -> None:
        self.seq = 0
        self.kept: deque[tuple[int, dict[str, Any]]] = deque(maxlen=KEEP)
        self._bell = Bell()
        work.subscribe(self._heard)

    def _heard(self, event: Committed) -> None:
        for change in event.changes:
            self.seq += 1
            self.kept.append((self.seq, {
                "seq": self.seq, "kind": change.kind, "id": change.id,
                "account": change.account, "origin": change.origin,
            }))  # fmt: skip
        self._bell.ring()

    def since(self, seq: int) -> dict[str, Any]:
        if seq > self.seq or (self.kept and seq < self.kept[0][0] - 1):
            return {"seq": self.seq, "reset": True, "changes": []}
        return {"seq": self.seq, "changes": [c for n, c in self.kept if n > seq]}

    async def wait(self, seq: int, timeout: float) -> dict[str, Any]:
        if seq == self.seq and timeout > 0:
            await self._bell.wait(timeout)
        return self.since(seq)


_FEEDS: weakref.WeakKeyDictionary[Work, Feed] = weakref.WeakKeyDictionary()


def feed(work: Work) -> Feed:
    """The feed of ``work`` (made, and subscribed, at its first use)."""
    found = _FEEDS.get(work)
    if found is None:
        found = _FEEDS[work] = Feed(work)
    return found


@route("POST", "/changes")
async def changes(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    the_feed = feed(ctx.work)
    since, wait = body.get("since"), body.get("wait", 0)
    if since is None:
        return {"seq": the_feed.seq, "changes": []}
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        raise ClientError("since must be a sequence number (0 or more).")
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise ClientError("wait must be a number of seconds (0 or more).")
    return await the_feed.wait(since, min(float(wait), MAX_WAIT))


@route("GET", "/scopes")
def scopes(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    found: set[tuple[str, str]] = set()
    with ctx.unit() as unit:
        for kind in SCOPED_KINDS:
            for record in unit.tx.list(kind):
                account = record.get("ownerAccount") or record.get("_account")
                if account:
                    found.add((account, record.get("region") or ""))
    regional = sorted({(a, r) for a, r in found if r})
    accounts = sorted({a for a, _ in found})
    return {
        "accounts": accounts,
        "scopes": [{"account": a, "region": r} for a, r in regional],
        "defaultAccount": ctx.settings.default_account,
        "defaultRegion": ctx.settings.default_region,
        "bgp": ctx.settings.bgp,
        "progress": ctx.settings.progress,
    }
