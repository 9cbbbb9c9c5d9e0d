"""The lab's control routes: wire a customer's router to a VIF of ``dxlocal serve --bgp live``.

The running server is the only process that knows the speaker, so the ``dxlocal lab``
commands (``lab_client.py``) call these; the composition root mounts them
(``routes(bridge)``) beside the routes registered with ``@route``:

    POST /_dxlocal/lab/attach   {"virtualInterfaceId", "netns": NAME}   customer side in NAME
                                {"virtualInterfaceId", "loopback": true} loopback transport
    POST /_dxlocal/lab/detach   {"virtualInterfaceId"} or {"netns": NAME}
    GET  /_dxlocal/lab                          every VIF with sessions, and how it is wired
    GET  /_dxlocal/lab/{virtualInterfaceId}      one VIF: peers, transports, timers
    GET  /_dxlocal/bgp/sessions                 every session: FSM state, prefixes, errors
    GET  /_dxlocal/bgp/sessions/{bgpPeerId}     one session, with its accepted/advertised routes

Namespace mode: NAME gets ``dxc<id>`` (one end of the VIF's veth pair) with an 802.1Q
subinterface ``dxc<id>.<vlan>`` holding the peers' customer addresses (netns.py); a router
started with ``ip netns exec NAME …`` peers with the Amazon addresses on port 179, as with
AWS. Loopback mode (no namespaces, or ``--loopback``; docs/behavior.md#lab): each peer has its own transport pair
on 127/8 (IPv6: ::1 with distinct ports), reported under ``transport``.

Attach and detach run ``ip`` in a worker thread; the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from dxlocal.core import lifecycle
from dxlocal.core.errors import ClientError
from dxlocal.core.work import ControlContext

from .live import VIF, LiveBgp

NETNS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _vif(ctx: ControlContext, vif_id: Any) -> dict[str, Any]:
    with ctx.unit() as unit:
        reader = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)  # as of now
        vif = reader.get(VIF, str(vif_id or ""))
    if vif is None:
        raise ClientError(f"Virtual interface {vif_id} does not exist.")
    return vif


def describe(bridge: LiveBgp, vif: dict[str, Any]) -> dict[str, Any]:
    vif_id = vif["virtualInterfaceId"]
    plumbing = bridge.plumbing
    att = plumbing.attached.get(vif_id) if plumbing else None
    port = bridge.port_of(vif)
    if plumbing is None or vif_id in bridge.loopback_vifs:
        mode = "loopback"
    else:
        mode = "netns" if att else "unattached"
    peers = []
    for peer in bridge.session_peers(vif):
        key = peer["bgpPeerId"]
        peers.append({
            "bgpPeerId": key,
            "addressFamily": peer["addressFamily"],
            "amazonAddress": peer["amazonAddress"],
            "customerAddress": peer["customerAddress"],
            "transport": bridge.transport(vif_id, peer).to_dict(),
            "bgpStatus": bridge.speaker.status(key),
        })  # fmt: skip
    return {
        "virtualInterfaceId": vif_id,
        "ownerAccount": vif.get("ownerAccount"),
        "region": vif.get("region"),
        "virtualInterfaceState": vif.get("virtualInterfaceState"),
        "vlan": vif.get("vlan"),
        "mode": mode,
        "amazonNetns": plumbing.netns if plumbing else None,
        "netns": att.netns if att else None,
        "interface": plumbing.holder(port, "c") if att and port and plumbing else None,
        "vlanMode": plumbing.vlan_mode if plumbing else None,
        "holdTime": bridge.settings.bgp_hold_time,
        "connectRetry": bridge.settings.bgp_connect_retry,
        "peers": peers,
    }


def routes(bridge: LiveBgp) -> list[tuple[str, str, Callable[..., Any]]]:
    """The lab's routes, bound to the running bridge."""

    async def attach(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
        vif = _vif(ctx, body.get("virtualInterfaceId"))
        vif_id = vif["virtualInterfaceId"]
        port = bridge.port_of(vif)
        if port is None:
            raise ClientError(
                f"Virtual interface {vif_id} is {vif['virtualInterfaceState']} and has no BGP "
                "peer with a session to attach."
            )
        plumbing = bridge.plumbing
        if body.get("loopback"):
            if plumbing is not None:
                await asyncio.to_thread(plumbing.detach, vif_id)
            bridge.loopback_vifs.add(vif_id)
            bridge.kick(vif_id)
            return describe(bridge, vif)
        netns = str(body.get("netns") or "")
        if not NETNS_NAME.match(netns):
            raise ClientError(f"Namespace name {netns!r} is not valid.")
        if plumbing is None:
            raise ClientError(
                "Network namespaces are not available to this server (ip netns add failed or "
                "bgp_netns is empty): attach with loopback instead."
            )
        if netns == plumbing.netns:
            raise ClientError(f"{netns} is the Amazon side's own namespace.")
        try:
            await asyncio.to_thread(plumbing.attach, port, netns)
        except OSError as exc:
            raise ClientError(f"Attaching {vif_id} to {netns} failed: {exc}") from None
        if vif_id in bridge.loopback_vifs:
            bridge.loopback_vifs.discard(vif_id)
            bridge.kick(vif_id)
        return describe(bridge, vif)

    async def detach(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
        plumbing = bridge.plumbing
        vif_ids: list[str] = []
        if body.get("virtualInterfaceId"):
            vif_ids.append(str(body["virtualInterfaceId"]))
        netns = body.get("netns")
        if netns and plumbing is not None:
            vif_ids += [v for v, a in plumbing.attached.items() if a.netns == netns]
        if not vif_ids and not netns:
            raise ClientError("Name the virtualInterfaceId or the netns to detach.")
        done = []
        for vif_id in dict.fromkeys(vif_ids):
            hit = (
                plumbing is not None
                and await asyncio.to_thread(plumbing.detach, vif_id) is not None
            )
            if vif_id in bridge.loopback_vifs:
                bridge.loopback_vifs.discard(vif_id)
                bridge.kick(vif_id)
                hit = True
            if hit:
                done.append(vif_id)
        return {"detached": done}

    def lab_list(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
        with ctx.unit() as unit:
            reader = lifecycle.reader(unit.tx, ctx.clock.now(), ctx.settings.delay)
            vifs = [reader.get(VIF, v) for v in sorted(bridge.specs)]
        return {"mode": bridge.mode, "labs": [describe(bridge, v) for v in vifs if v]}

    def lab_show(ctx: ControlContext, body: dict[str, Any], vif_id: str) -> dict[str, Any]:
        return describe(bridge, _vif(ctx, vif_id))

    def sessions(ctx: ControlContext, body: dict[str, Any]) -> dict[str, Any]:
        items = [bridge.session(k) for k in sorted(bridge.speaker.keys())]
        up = sum(1 for s in items if s["bgpStatus"] == "up")
        return {"mode": bridge.mode, "sessions": items, "up": up, "reconciles": bridge.reconciles}

    def session(ctx: ControlContext, body: dict[str, Any], peer_id: str) -> dict[str, Any]:
        if not bridge.speaker.info(peer_id)["configured"]:
            raise ClientError(f"BGP peer {peer_id} has no live session.")
        out = bridge.session(peer_id)
        out["accepted"] = bridge.speaker.accepted_routes(peer_id)
        out["advertised"] = bridge.speaker.advertised_routes(peer_id)
        return out

    return [
        ("POST", "/lab/attach", attach),
        ("POST", "/lab/detach", detach),
        ("GET", "/lab", lab_list),
        ("GET", "/lab/{vif_id}", lab_show),
        ("GET", "/bgp/sessions", sessions),
        ("GET", "/bgp/sessions/{peer_id}", session),
    ]
