"""BGP failover tests: StartBgpFailoverTest, StopBgpFailoverTest, ListVirtualInterfaceTestHistory
(docs/behavior.md#failover-tests; user guide "AWS Direct Connect Failover Test").

Only the VIF's owner runs a test. While it runs the VIF is ``testing`` and the chosen peers
(all live peers when none are named) are held DOWN: each carries ``_failoverTest`` so the
simulated customer router leaves it down. A test ends ``cancelled`` by StopBgpFailoverTest or
``completed`` when its duration is over (its declared step, core/lifecycle.py, taken at the
time it was due), ``failed`` if the VIF left ``testing`` some other way (deleted); BGP is
then restored. History is kept 365 days.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import bgp_peers as peer_ops
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import operation

KIND = "virtualInterfaceTest"
DEFAULT_MINUTES = 180
MAX_MINUTES = 4320
STARTABLE = {"available", "down"}


def running_test(ctx: RequestContext, vif: dict[str, Any]) -> dict[str, Any] | None:
    test_id = vif.get("_failoverTest")
    test = ctx.tx.get(KIND, test_id) if test_id else None
    return test if test and test["status"] == "in_progress" else None


def chosen_peers(vif: dict[str, Any], peer_ids: list[str] | None) -> list[dict[str, Any]]:
    live = peer_ops.live_peers(vif)
    if not peer_ids:
        return live
    by_id = {p["bgpPeerId"]: p for p in live}
    missing = [p for p in peer_ids if p not in by_id]
    if missing:
        raise ClientError(
            f"BGP peer {missing[0]} does not exist on virtual interface {vif['virtualInterfaceId']}."
        )
    return [by_id[p] for p in dict.fromkeys(peer_ids)]


@operation("StartBgpFailoverTest")
def start_bgp_failover_test(
    ctx: RequestContext,
    *,
    virtual_interface_id: str,
    bgp_peers: list[str] | None = None,
    test_duration_in_minutes: int | None = None,
) -> dict[str, Any]:
    vif = peer_ops.owned_vif(ctx, virtual_interface_id)
    if running_test(ctx, vif):
        raise ClientError(
            f"A failover test is already running on virtual interface {virtual_interface_id}."
        )
    state = vif["virtualInterfaceState"]
    if state not in STARTABLE:
        raise ClientError(
            f"Virtual interface {virtual_interface_id} is in state {state}; a failover test "
            "needs it available or down."
        )
    minutes = DEFAULT_MINUTES if test_duration_in_minutes is None else test_duration_in_minutes
    if not 1 <= minutes <= MAX_MINUTES:
        raise ClientError(f"testDurationInMinutes must be from 1 to {MAX_MINUTES} (72 hours).")
    peers = chosen_peers(vif, bgp_peers)
    if not peers:
        raise ClientError(f"Virtual interface {virtual_interface_id} has no BGP peer to test.")
    test = {
        "testId": ids.mint_uuid(),
        "virtualInterfaceId": virtual_interface_id,
        "bgpPeers": [p["bgpPeerId"] for p in peers],
        "status": "in_progress",
        "ownerAccount": vif["ownerAccount"],
        "testDurationInMinutes": minutes,
        "startTime": ctx.now,
        lifecycle.ENTERED: ctx.now,
    }
    test["_order"] = f"{ctx.now:020.6f}{test['testId']}"
    for peer in peers:
        peer["_failoverTest"] = test["testId"]
        peer["bgpStatus"] = "down"
    vif["_failoverTest"] = test["testId"]
    lifecycle.advance(vifs.KIND, vif, "testing")
    peer_ops.save(ctx, vif)
    ctx.tx.insert(KIND, test["testId"], test, account=vif["ownerAccount"], region=vif["region"],
                  parent=virtual_interface_id)  # fmt: skip
    ctx.follow(KIND, test["testId"], "in_progress", record=test)  # its end, a duration on
    return {"virtualInterfaceTest": test}


@lifecycle.on_timer(KIND, "end")
def _older_state_file(ctx: RequestContext, test: dict[str, Any]) -> None:
    """A state file written before a test's end was its declared step holds it as an
    ``end`` timer, due when the test's duration is over: the step is taken then."""
    test.setdefault(lifecycle.ENTERED, test["startTime"])
    step = lifecycle.handler(KIND, "step")
    if step is not None:
        step(ctx, test)


@lifecycle.on_step(KIND, "completed")
def _duration_over(ctx: RequestContext, test: dict[str, Any], at: float) -> str:
    """The test's duration is over: completed, or failed if its VIF left ``testing``."""
    vif = ctx.tx.get(vifs.KIND, test["virtualInterfaceId"])
    testing = vif is not None and vif["virtualInterfaceState"] == "testing"
    test["endTime"] = at
    restore(ctx, test, vif)
    return "completed" if testing else "failed"


def restore(ctx: RequestContext, test: dict[str, Any], vif: dict[str, Any] | None) -> None:
    """Restore BGP on the test's VIF."""
    if vif is None:
        return
    for peer in vif["bgpPeers"]:
        if peer.get("_failoverTest") == test["testId"]:
            peer.pop("_failoverTest")
    if vif.get("_failoverTest") == test["testId"]:
        vif.pop("_failoverTest")
    if vif["virtualInterfaceState"] == "testing":
        lifecycle.advance(vifs.KIND, vif, "down")
        vifs.restore_bgp(ctx, vif)
    peer_ops.save(ctx, vif)


@operation("StopBgpFailoverTest")
def stop_bgp_failover_test(ctx: RequestContext, *, virtual_interface_id: str) -> dict[str, Any]:
    vif = peer_ops.owned_vif(ctx, virtual_interface_id)
    test = running_test(ctx, vif)
    if test is None:
        raise ClientError(
            f"No failover test is running on virtual interface {virtual_interface_id}."
        )
    ctx.enter(KIND, test, "cancelled")  # its end's timer goes, its purge is set
    test["endTime"] = ctx.now
    ctx.tx.update(KIND, test["testId"], test)
    restore(ctx, test, vif)
    return {"virtualInterfaceTest": test}


@operation("ListVirtualInterfaceTestHistory")
def list_virtual_interface_test_history(
    ctx: RequestContext,
    *,
    test_id: str | None = None,
    virtual_interface_id: str | None = None,
    bgp_peers: list[str] | None = None,
    status: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """The caller's tests in this Region, newest last; every given filter must match."""
    if virtual_interface_id:
        records = ctx.tx.list(KIND, parent=virtual_interface_id)
    else:
        records = ctx.tx.list(KIND, account=ctx.account, region=ctx.region)
    records = [
        t
        for t in records
        if t["ownerAccount"] == ctx.account
        and (not test_id or t["testId"] == test_id)
        and (not status or t["status"] == status)
        and all(p in t["bgpPeers"] for p in bgp_peers or [])
    ]
    items, token = page(records, "_order", max_results, next_token)
    return {"virtualInterfaceTestHistory": items, "nextToken": token}
