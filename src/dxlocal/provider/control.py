"""The control API's own routes: what a test needs that AWS has no call for.

    GET    /_dxlocal/health                     ready? version, model, operations served
    POST   /_dxlocal/reset                      empty the store
    POST   /_dxlocal/advance  {"seconds": N}    fire lifecycle timers due within N seconds
                                                 (default: every pending step, once)
    GET    /_dxlocal/records/{kind}/{id}        a raw record, internal fields included
    PATCH  /_dxlocal/records/{kind}/{id}        merge fields into a record; state fields
                                                 must follow the declared lifecycle
    POST   /_dxlocal/bgp-peers/{peerId}         {"bgpStatus": "up"|"down"}: the simulated
                                                 customer router brings a session up/down

Other families register theirs beside their operations (``provider/routes.py``,
``provider/virtual_gateways.py``); the live BGP lab mounts its own (``bgp/lab_routes.py``).
"""

from __future__ import annotations

from typing import Any

from dxlocal import __version__, spec
from dxlocal.core import lifecycle
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider import _registry, bgp_peers, record_patch, virtual_interfaces
from dxlocal.provider._registry import route


@route("GET", "/health")
def health(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "botocore": spec.BOTOCORE_VERSION,
        "operations": len(spec.operation_names()),
        "implemented": len(_registry.implemented()),
        "state": ctx.settings.state,
        "bgp": ctx.settings.bgp,
        "progress": ctx.settings.progress,
    }


@route("POST", "/reset")
def reset(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    ctx.work.reset()
    return {"status": "ok"}


@route("POST", "/advance")
def advance(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
    """Move the clock (core/clock.py): ``seconds`` forward, or one step (``--delay``) with
    every pending timer fired once."""
    seconds = body.get("seconds")
    if seconds is None:
        ctx.clock.advance(ctx.settings.delay)
        return {"fired": ctx.work.fire_due(1e19, single_pass=True)}
    ctx.clock.advance(float(seconds))
    return {"fired": ctx.work.fire_due()}


@route("GET", "/records/{kind}/{rid}")
def get_record(ctx: ControlContext, body: dict[str, Any], kind: str, rid: str) -> dict[str, Any]:
    with ctx.unit() as unit:
        reader = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)
        record = reader.get(kind, rid)
    if record is None:
        raise ClientError(f"No {kind} record {rid}.")
    return record


@route("PATCH", "/records/{kind}/{rid}")
def patch_record(ctx: ControlContext, body: dict[str, Any], kind: str, rid: str) -> dict[str, Any]:
    with ctx.unit() as unit:
        now = ctx.clock.now()
        record = lifecycle.reader(unit.tx, now, ctx.settings.delay).get(kind, rid)
        if record is None:
            raise ClientError(f"No {kind} record {rid}.")
        record_patch.check(kind, rid, record, body)  # no move, rename or broken record
        state_field = lifecycle.STATE_FIELD.get(kind)
        for key, value in body.items():
            if key == state_field:
                try:
                    lifecycle.advance(kind, record, value, now)
                except lifecycle.IllegalTransition as exc:
                    raise ClientError(str(exc)) from None
            else:
                record[key] = value
        record_patch.still_readable(kind, record)
        unit.tx.update(kind, rid, record)
    return record


@route("POST", "/bgp-peers/{peer_id}")
def set_peer_status(ctx: ControlContext, body: dict[str, Any], peer_id: str) -> dict[str, Any]:
    """The simulated customer router: hold a session down, or let it come back up."""
    status = body.get("bgpStatus")
    if status not in ("up", "down"):
        raise ClientError('bgpStatus must be "up" or "down".')
    with ctx.unit() as unit:
        tx = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)
        vif_id = body.get("virtualInterfaceId")
        vifs = [tx.get("virtualInterface", vif_id)] if vif_id else tx.list("virtualInterface")
        for vif in vifs:
            for peer in (vif or {}).get("bgpPeers", []):
                if peer["bgpPeerId"] != peer_id:
                    continue
                peer["_heldDown"] = status == "down"
                if status == "down" or peer["bgpPeerState"] == "available":
                    peer["bgpStatus"] = status
                virtual_interfaces.derive_state(vif)
                vif["customerRouterConfig"] = bgp_peers.customer_router_config(vif)
                tx.update("virtualInterface", vif["virtualInterfaceId"], vif)
                return peer
        raise ClientError(f"BGP peer {peer_id} does not exist.")
