"""Fault injection: the AWS-side failures a Direct Connect customer lives through, each one
undoable (docs/failures.md).

    POST   /_dxlocal/faults             {"target": T, "id": ID, "in": s?, "at": t?, "duration": s?}
    GET    /_dxlocal/faults             every fault, newest first
    GET    /_dxlocal/faults/{faultId}   one fault
    DELETE /_dxlocal/faults/{faultId}   end it now: what it took down comes back

Targets and what each takes down (``T``):

    connection        one port: a dedicated connection, a hosted connection or an interconnect
    lag               every member of a LAG
    device            every port on one AWS device (``awsDeviceV2``), whoever owns it
    location          every port at one Direct Connect location
    virtualInterface  one VIF's BGP sessions (its physical port stays up)

A port that goes down takes down what hangs off it, as AWS's would: the hosted connections
on an interconnect or LAG, a LAG left below its ``minimumLinks`` (worked out by
``ports``), and the BGP sessions of every VIF on any of those (``bgpStatus: down``, so the
VIF is ``down``; with ``--bgp live`` the sessions really stop). Each affected record keeps
the ids of the faults holding it (``_faults``), so overlapping faults end independently and
a port comes back only when the last of them ends.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import events, ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider import ports, virtual_interfaces
from dxlocal.provider._registry import route

KIND = "fault"
TARGETS = ("connection", "lag", "device", "location", "virtualInterface")
HOLD = "_faults"  # on ports and BGP peers: the faults holding them down
Record = dict[str, Any]


# --- control routes ------------------------------------------------------------------------


@route("POST", "/faults")
def inject(ctx: ControlContext, body: dict[str, Any]) -> Record:
    target, target_id = body.get("target"), body.get("id")
    if target not in TARGETS:
        raise ClientError(f"target must be one of {', '.join(TARGETS)}.")
    if not isinstance(target_id, str) or not target_id:
        raise ClientError("id must name the connection, LAG, device, location or VIF.")
    start_in = _seconds(body, "in", 0.0)
    duration = _seconds(body, "duration", None)
    with ctx.request("fault") as rctx:
        now = rctx.now
        start = float(body["at"]) if body.get("at") is not None else now + start_in
        return create(rctx, target, target_id, start, duration)


def create(
    rctx: RequestContext,
    target: str,
    target_id: str,
    start: float,
    duration: float | None,
    maintenance_id: str | None = None,
) -> Record:
    """A fault on ``target_id`` from ``start`` (now or later) for ``duration`` seconds."""
    now = rctx.now
    if start < now:
        raise ClientError("at must not be in the past.")
    fault: Record = {
        "faultId": ids.mint("fault"),
        "target": target,
        "targetId": target_id,
        "state": "scheduled",
        "startTime": start,
        "endTime": start + duration if duration is not None else None,
        "affected": [],
    }
    if maintenance_id:
        fault["maintenanceId"] = maintenance_id
    if not _ports_of(rctx, fault) and target != "virtualInterface":
        raise ClientError(f"No {target} {target_id} to fail.")
    if target == "virtualInterface" and rctx.tx.get("virtualInterface", target_id) is None:
        raise ClientError(f"No virtualInterface {target_id} to fail.")
    rctx.tx.insert(KIND, fault["faultId"], fault, account="", region="")
    _log(rctx, fault, "scheduled")
    if start <= now:
        _begin(rctx, fault)
    else:
        rctx.tx.schedule(start, KIND, fault["faultId"], "begin")
    if fault["endTime"] is not None:
        rctx.tx.schedule(fault["endTime"], KIND, fault["faultId"], "end")
    rctx.tx.update(KIND, fault["faultId"], fault)
    return fault


@route("GET", "/faults")
def list_faults(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    with ctx.unit() as unit:
        faults = unit.tx.list(KIND)
    return {"faults": sorted(faults, key=lambda f: f["startTime"], reverse=True)}


@route("GET", "/faults/{fault_id}")
def get_fault(ctx: ControlContext, body: dict[str, Any], fault_id: str) -> Record:
    with ctx.unit() as unit:
        fault = unit.tx.get(KIND, fault_id)
    if fault is None:
        raise ClientError(f"No fault {fault_id}.")
    return fault


@route("DELETE", "/faults/{fault_id}")
def clear(ctx: ControlContext, body: dict[str, Any], fault_id: str) -> Record:
    with ctx.request("fault") as rctx:
        fault = rctx.tx.get(KIND, fault_id)
        if fault is None:
            raise ClientError(f"No fault {fault_id}.")
        _finish(rctx, fault)
        rctx.tx.cancel(KIND, fault_id)
    return fault


def _seconds(body: dict[str, Any], name: str, default: float | None) -> float | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ClientError(f"{name} must be a number of seconds, 0 or more.")
    return float(value)


# --- timers --------------------------------------------------------------------------------


@lifecycle.on_timer(KIND, "begin")
def _on_begin(ctx: RequestContext, fault: Record) -> None:
    if fault["state"] == "scheduled":
        _begin(ctx, fault)
        ctx.tx.update(KIND, fault["faultId"], fault)


@lifecycle.on_timer(KIND, "end")
def _on_end(ctx: RequestContext, fault: Record) -> None:
    _finish(ctx, fault)


# --- the cascade ---------------------------------------------------------------------------


def _begin(ctx: RequestContext, fault: Record) -> None:
    """Take down what the fault reaches; remember each record it holds."""
    fid = fault["faultId"]
    tx = ctx.tx
    reader = lifecycle.reader(tx, ctx.now, ctx.settings.delay)
    affected: list[tuple[str, str]] = []
    parents: set[str] = set()
    lags: set[str] = set()
    found = _ports_of(ctx, fault)
    lag_ids = {r["lagId"] for _, r in found if r.get("lagId")}
    lag_states = _lag_states(
        reader, lag_ids | ({fault["targetId"]} if fault["target"] == "lag" else set())
    )
    for kind, record in found:
        pid = ports.port_id(record)
        _hold_port(ctx, kind, record, fid)
        affected.append((kind, pid))
        parents.add(pid)
        if record.get("lagId"):
            lags.add(record["lagId"])
        if kind == ports.INTERCONNECT or fault["target"] == "lag":
            lags.discard(pid)
    if fault["target"] == "lag":
        lags.add(fault["targetId"])
    for lag_id in lags:
        lag = reader.get(ports.LAG, lag_id)
        if lag is not None and lag["lagState"] == "down":
            parents.add(lag_id)
    _log_lags(ctx, reader, lag_states, fid)
    # Hosted connections ride on an interconnect or LAG that went down.
    for parent in list(parents):
        for hosted in tx.list(ports.CONNECTION, parent=parent):
            if hosted.get("_hosted"):
                hosted = reader.get(ports.CONNECTION, hosted["connectionId"]) or hosted
                _hold_port(ctx, ports.CONNECTION, hosted, fid)
                affected.append((ports.CONNECTION, hosted["connectionId"]))
                parents.add(hosted["connectionId"])
    vif_ids = [fault["targetId"]] if fault["target"] == "virtualInterface" else []
    for parent in parents:
        vif_ids += [v["virtualInterfaceId"] for v in tx.list("virtualInterface", parent=parent)]
    for vif_id in dict.fromkeys(vif_ids):
        vif = reader.get("virtualInterface", vif_id)
        if vif is None:
            continue
        before = events.snapshot("virtualInterface", vif)
        if _hold_vif(vif, fid):
            tx.update("virtualInterface", vif_id, vif)
            events.changes(tx, ctx.now, "virtualInterface", vif_id, before, vif, fault=fid)
            affected.append(("virtualInterface", vif_id))
    fault["affected"] = [list(a) for a in affected]
    fault["state"] = "active"
    fault["startTime"] = min(fault["startTime"], ctx.now)
    _log(ctx, fault, "begun")


def _finish(ctx: RequestContext, fault: Record) -> None:
    """Release everything the fault holds; what no other fault holds comes back."""
    if fault["state"] == "ended":
        return
    fid = fault["faultId"]
    tx = ctx.tx
    reader = lifecycle.reader(tx, ctx.now, ctx.settings.delay)
    lag_ids = set()
    for kind, rid in fault["affected"]:
        record = reader.get(kind, rid) if kind != "virtualInterface" else None
        if record is not None and record.get("lagId"):
            lag_ids.add(record["lagId"])
    lag_states = _lag_states(reader, lag_ids)
    for kind, rid in fault["affected"]:
        record = reader.get(kind, rid)
        if record is None:
            continue
        before = events.snapshot(kind, record)
        if kind == "virtualInterface":
            for peer in record.get("bgpPeers", []):
                _release(peer, fid)
            virtual_interfaces.restore_bgp(ctx, record)
        elif not _release(record, fid):
            state = ports.port_state(kind, record)
            if state == "down" and lifecycle.can_advance(kind, record, "available"):
                lifecycle.advance(kind, record, "available", ctx.now)
        tx.update(kind, rid, record)
        events.changes(tx, ctx.now, kind, rid, before, record, fault=fid)
    _log_lags(ctx, reader, lag_states, fid)
    fault["state"] = "ended"
    fault["endTime"] = ctx.now
    tx.update(KIND, fid, fault)
    _log(ctx, fault, "ended")


def _lag_states(reader: Any, lag_ids: set[str]) -> dict[str, Any]:
    """A snapshot of each LAG's state, worked out from its members (``ports``)."""
    out = {}
    for lag_id in lag_ids:
        lag = reader.get(ports.LAG, lag_id)
        if lag is not None:
            out[lag_id] = events.snapshot(ports.LAG, lag)
    return out


def _log_lags(ctx: RequestContext, reader: Any, before: dict[str, Any], fid: str) -> None:
    """A LAG's state follows its members: log it when the fault moved it (minimumLinks)."""
    for lag_id, snap in before.items():
        lag = reader.get(ports.LAG, lag_id)
        if lag is not None:
            events.changes(ctx.tx, ctx.now, ports.LAG, lag_id, snap, lag, fault=fid)


def _log(ctx: RequestContext, fault: Record, what: str) -> None:
    """A fault event on its target, for the account that owns it (when it is one record)."""
    owner = ""
    if fault["target"] in ("connection", "virtualInterface", "lag"):
        for kind in ("connection", "interconnect", "lag", "virtualInterface"):
            record = ctx.tx.get(kind, fault["targetId"])
            if record is not None:
                owner = record.get("ownerAccount", "")
                break
    events.write(
        ctx.tx, ctx.now, "fault", account=owner, resource=fault["targetId"],
        resource_type=fault["target"], faultId=fault["faultId"], what=what,
        maintenance=fault.get("maintenanceId"),
    )  # fmt: skip


def _ports_of(ctx: RequestContext, fault: Record) -> list[tuple[str, Record]]:
    """The ports (connections and interconnects) a fault's target names, as of now."""
    target, tid = fault["target"], fault["targetId"]
    reader = lifecycle.reader(ctx.tx, ctx.now, ctx.settings.delay)
    if target == "virtualInterface":
        return []
    if target == "connection":
        for kind in (ports.CONNECTION, ports.INTERCONNECT):
            record = reader.get(kind, tid)
            if record is not None:
                return [(kind, record)]
        return []
    if target == "lag":
        if reader.get(ports.LAG, tid) is None:
            return []
        return [
            (kind, reader.get(kind, ports.port_id(rec)) or rec)
            for kind, rec in ports.lag_members(ctx, tid)
        ]
    field = "awsDeviceV2" if target == "device" else "location"
    found = []
    for kind in (ports.CONNECTION, ports.INTERCONNECT):
        for record in ctx.tx.list(kind):
            if record.get(field) == tid and not record.get("_hosted"):
                found.append((kind, reader.get(kind, ports.port_id(record)) or record))
    return found


def _hold_port(ctx: RequestContext, kind: str, record: Record, fid: str) -> None:
    before = events.snapshot(kind, record)
    holds = record.setdefault(HOLD, [])
    if fid not in holds:
        holds.append(fid)
    if ports.port_state(kind, record) == "available":
        lifecycle.advance(kind, record, "down", ctx.now)
    ctx.tx.update(kind, ports.port_id(record), record)
    events.changes(ctx.tx, ctx.now, kind, ports.port_id(record), before, record, fault=fid)


def _hold_vif(vif: Record, fid: str) -> bool:
    """Hold every session of ``vif`` down; False if it has none to hold."""
    peers = [p for p in vif.get("bgpPeers", []) if p.get("bgpPeerState") != "deleted"]
    if not peers:
        return False
    for peer in peers:
        holds = peer.setdefault(HOLD, [])
        if fid not in holds:
            holds.append(fid)
        peer["bgpStatus"] = "down"
    virtual_interfaces.derive_state(vif)
    return True


def _release(record: Record, fid: str) -> bool:
    """Drop ``fid`` from what holds ``record``; True while other faults still hold it."""
    holds = [h for h in record.get(HOLD, []) if h != fid]
    if holds:
        record[HOLD] = holds
        return True
    record.pop(HOLD, None)
    return False
