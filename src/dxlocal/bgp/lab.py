"""The lab: wire a customer's router to a VIF, and print a configuration it can run.

Control routes (the running ``dxlocal serve --bgp live`` is the only process that knows the
speaker, so the ``dxlocal lab`` commands call these):

    POST /_dxlocal/lab/attach   {"virtualInterfaceId", "netns": NAME}   customer side in NAME
                                {"virtualInterfaceId", "loopback": true} loopback transport
    POST /_dxlocal/lab/detach   {"virtualInterfaceId"} or {"netns": NAME}
    GET  /_dxlocal/lab                          every VIF with sessions, and how it is wired
    GET  /_dxlocal/lab/{virtualInterfaceId}      one VIF: peers, transports, timers
    GET  /_dxlocal/bgp/sessions                 every session: FSM state, prefixes, errors
    GET  /_dxlocal/bgp/sessions/{bgpPeerId}     one session, with its accepted/advertised routes

Namespace mode: NAME gets ``dxc<id>`` (one end of the VIF's veth pair) with an 802.1Q
subinterface ``dxc<id>.<vlan>`` holding the peers' customer addresses (netns.py); a router
started with ``ip netns exec NAME …`` peers with the Amazon addresses on port 179, as with AWS.

Loopback mode (no namespaces, or ``--loopback``; docs/behavior.md#lab): each peer has its own
transport pair on 127/8 (IPv6: ::1 with distinct ports), reported under ``transport``. The
customer router must then use exactly those addresses and ports, allow a non-connected
neighbor (BIRD ``multihop``, FRR ``disable-connected-check``/``ebgp-multihop``) and announce
its VIF customer address as next hop (127/8 is martian); Amazon announces its amazonAddress.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from dxlocal.core.errors import ClientError
from dxlocal.server.control import route

from . import live
from .session import router_id_for
from .speaker import PeerSpec

if TYPE_CHECKING:
    from dxlocal.server.service import Service

NETNS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _bridge() -> live.LiveBgp:
    bridge = live.current()
    if bridge is None:
        raise ClientError(
            "Live BGP is not running: start the server with dxlocal serve --bgp live."
        )
    return bridge


def _vif(service: Service, vif_id: Any) -> dict[str, Any]:
    with service.store.transaction() as tx:
        vif = tx.get(live.VIF, str(vif_id or ""))
    if vif is None:
        raise ClientError(f"Virtual interface {vif_id} does not exist.")
    return vif


def describe(bridge: live.LiveBgp, vif: dict[str, Any]) -> dict[str, Any]:
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


@route("POST", "/lab/attach")
def attach(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    bridge = _bridge()
    vif = _vif(service, body.get("virtualInterfaceId"))
    vif_id = vif["virtualInterfaceId"]
    port = bridge.port_of(vif)
    if port is None:
        raise ClientError(
            f"Virtual interface {vif_id} is {vif['virtualInterfaceState']} and has no BGP peer "
            "with a session to attach."
        )
    if body.get("loopback"):
        if bridge.plumbing is not None:
            bridge.plumbing.detach(vif_id)
        bridge.loopback_vifs.add(vif_id)
        bridge.kick(vif_id)
        return describe(bridge, vif)
    netns = str(body.get("netns") or "")
    if not NETNS_NAME.match(netns):
        raise ClientError(f"Namespace name {netns!r} is not valid.")
    if bridge.plumbing is None:
        raise ClientError(
            "Network namespaces are not available to this server (ip netns add failed or "
            "bgp_netns is empty): attach with loopback instead."
        )
    if netns == bridge.plumbing.netns:
        raise ClientError(f"{netns} is the Amazon side's own namespace.")
    try:
        bridge.plumbing.attach(port, netns)
    except OSError as exc:
        raise ClientError(f"Attaching {vif_id} to {netns} failed: {exc}") from None
    if vif_id in bridge.loopback_vifs:
        bridge.loopback_vifs.discard(vif_id)
        bridge.kick(vif_id)
    return describe(bridge, vif)


@route("POST", "/lab/detach")
def detach(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    bridge = _bridge()
    vif_ids: list[str] = []
    if body.get("virtualInterfaceId"):
        vif_ids.append(str(body["virtualInterfaceId"]))
    netns = body.get("netns")
    if netns and bridge.plumbing is not None:
        vif_ids += [v for v, a in bridge.plumbing.attached.items() if a.netns == netns]
    if not vif_ids and not netns:
        raise ClientError("Name the virtualInterfaceId or the netns to detach.")
    done = []
    for vif_id in dict.fromkeys(vif_ids):
        hit = bridge.plumbing is not None and bridge.plumbing.detach(vif_id) is not None
        if vif_id in bridge.loopback_vifs:
            bridge.loopback_vifs.discard(vif_id)
            bridge.kick(vif_id)
            hit = True
        if hit:
            done.append(vif_id)
    return {"detached": done}


@route("GET", "/lab")
def lab_list(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    bridge = _bridge()
    with service.store.transaction() as tx:
        vifs = [tx.get(live.VIF, v) for v in sorted(bridge.specs)]
    return {"mode": bridge.mode, "labs": [describe(bridge, v) for v in vifs if v]}


@route("GET", "/lab/{vif_id}")
def lab_show(service: Service, body: dict[str, Any], vif_id: str) -> dict[str, Any]:
    return describe(_bridge(), _vif(service, vif_id))


@route("GET", "/bgp/sessions")
def sessions(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    bridge = _bridge()
    items = [bridge.session(k) for k in sorted(bridge.speaker.keys())]
    up = sum(1 for s in items if s["bgpStatus"] == "up")
    return {"mode": bridge.mode, "sessions": items, "up": up, "reconciles": bridge.reconciles}


@route("GET", "/bgp/sessions/{peer_id}")
def session(service: Service, body: dict[str, Any], peer_id: str) -> dict[str, Any]:
    bridge = _bridge()
    if not bridge.speaker.info(peer_id)["configured"]:
        raise ClientError(f"BGP peer {peer_id} has no live session.")
    out = bridge.session(peer_id)
    out["accepted"] = bridge.speaker.accepted_routes(peer_id)
    out["advertised"] = bridge.speaker.advertised_routes(peer_id)
    return out


# -- customer-side configurations ----------------------------------------------------------------
def _addr(address: str) -> str:
    return address.split("/")[0]


def _router_id(peers: list[dict[str, Any]]) -> str:
    """The customer's BGP Identifier: its IPv4 VIF address, else one derived like ours."""
    for p in peers:
        if p["addressFamily"] == "ipv4":
            return _addr(p["customerAddress"])
    p = peers[0]
    spec = PeerSpec("x", "ipv6", _addr(p["customerAddress"]), _addr(p["amazonAddress"]), 1, 2, None)
    return router_id_for(spec)


def _plan(vif: dict[str, Any], info: dict[str, Any], peer_ids: list[str] | None) -> list[dict]:
    """The API's peers (addresses, ASNs, keys) joined with the lab's transports."""
    transports = {p["bgpPeerId"]: p["transport"] for p in info.get("peers", [])}
    peers = [p for p in vif.get("bgpPeers", []) if p["bgpPeerId"] in transports]
    if peer_ids:
        missing = [p for p in peer_ids if p not in {x["bgpPeerId"] for x in peers}]
        if missing:
            raise ValueError(f"BGP peer {missing[0]} has no session on {vif['virtualInterfaceId']}")
        peers = [p for p in peers if p["bgpPeerId"] in peer_ids]
    if not peers:
        raise ValueError(f"{vif['virtualInterfaceId']} has no BGP peer with a session")
    return [dict(p, transport=transports[p["bgpPeerId"]]) for p in peers]


def render(fmt: str, vif: dict[str, Any], info: dict[str, Any], peer_ids: list[str] | None = None,
           announce: list[str] | None = None) -> str:  # fmt: skip
    """A customer-side configuration from a DescribeVirtualInterfaces item and the lab info."""
    peers = _plan(vif, info, peer_ids)
    announce = announce or []
    if fmt == "bird":
        return _bird(vif, info, peers, announce)
    if fmt == "frr":
        return _frr(vif, info, peers, announce)
    raise ValueError(f"unknown format {fmt!r}: use bird or frr")


def _header(vif: dict[str, Any], info: dict[str, Any], comment: str, run: list[str]) -> list[str]:
    """Where the configuration comes from, then how to run it (``run``, one command a line)."""
    mode = info.get("mode")
    return [
        f"{comment} dxlocal lab: customer side of {vif['virtualInterfaceId']} "
        f"({vif.get('virtualInterfaceName', '')}, {vif['virtualInterfaceType']}, VLAN {vif['vlan']})",
        f"{comment} built from DescribeVirtualInterfaces and /_dxlocal/lab; transport: {mode}"
        + (f", interface {info.get('interface')}" if info.get("interface") else ""),
        f"{comment} run it with:",
        *(f"{comment}   {line}" for line in run),
    ]


def _in_netns(info: dict[str, Any]) -> str:
    return f"ip netns exec {info.get('netns')} " if info.get("mode") == "netns" else ""


def _bird(vif: dict, info: dict, peers: list[dict], announce: list[str]) -> str:
    hold = int(info.get("holdTime") or 90)
    retry = max(1, int(info.get("connectRetry") or 2))
    amazon_asn = int(vif["amazonSideAsn"])
    run = [f"{_in_netns(info)}bird -c <this file> -s <control socket>"]
    lines = _header(vif, info, "#", run)
    lines += [f"router id {_router_id(peers)};", "protocol device {}"]
    for fam, tag in (("ipv4", "4"), ("ipv6", "6")):
        mine = [p for p in announce if (":" in p) == (fam == "ipv6")]
        if mine:
            routes = " ".join(f"route {p} unreachable;" for p in mine)
            lines.append(f"protocol static announce{tag} {{ {fam}; {routes} }}")
    for p in peers:
        t, fam = p["transport"], p["addressFamily"]
        loop = t["mode"] == "loopback"
        key = str(p.get("authKey") or "").replace("\\", "\\\\").replace('"', '\\"')
        local_port = f" port {t['customer']['port']}" if loop else ""
        remote_port = f" port {t['amazon']['port']}" if loop else ""
        next_hop = f" next hop address {_addr(p['customerAddress'])};" if loop else ""
        lines += [
            f"protocol bgp aws_{p['bgpPeerId'].replace('-', '_')} {{",
            f'  description "{p["bgpPeerId"]} {fam}";',
            f"  local {t['customer']['address']}{local_port} as {p['asnLong']};",
            f"  neighbor {t['amazon']['address']}{remote_port} as {amazon_asn};",
            f'  password "{key}";' if key else "",
            f"  hold time {hold}; keepalive time {max(1, hold // 3)};",
            f"  connect delay time 1; connect retry time {retry}; error wait time 1, 10;",
            "  multihop 2;" if loop else "",
            f"  {fam} {{ import all; export where source = RTS_STATIC;{next_hop} }};",
            "}",
        ]
    return "\n".join(x for x in lines if x) + "\n"


def _frr(vif: dict, info: dict, peers: list[dict], announce: list[str]) -> str:
    hold = int(info.get("holdTime") or 90)
    retry = max(1, int(info.get("connectRetry") or 2))
    asn = peers[0]["asnLong"]
    for p in peers:
        # FRR's "neighbor X password WORD" takes one token and has no quoting.
        if any(c.isspace() for c in str(p.get("authKey") or "")):
            raise ValueError(f"BGP peer {p['bgpPeerId']}'s authKey contains whitespace, which an "
                             "FRR configuration cannot express; use --format bird")  # fmt: skip
    loop = any(p["transport"]["mode"] == "loopback" for p in peers)
    # DIR holds the daemons' sockets and pid files. They drop to user frr, which must be able
    # to read DIR and this file; or add -u root -g frrvty.
    opts = "-d -P 0 --vty_socket DIR -i DIR/bgpd.pid"
    if loop:
        # No zebra in the host's namespace (it would install routes there); bgpd does not
        # listen (-p 0): it connects to the Amazon side's transport address and port.
        run = [f"/usr/lib/frr/bgpd -Z -p 0 {opts} -f <this file>"]
    else:
        # zebra too: without its interface list bgpd rejects IPv6 updates with a link-local
        # next hop. It installs the Amazon routes in the namespace's own table.
        ns = _in_netns(info)
        run = [f"{ns}/usr/lib/frr/zebra -d -P 0 --vty_socket DIR -i DIR/zebra.pid -z DIR/zserv.api",
               f"{ns}/usr/lib/frr/bgpd -z DIR/zserv.api {opts} -f <this file>",
               f"{ns}vtysh --vty_socket DIR -c 'show bgp summary'"]  # fmt: skip
    lines = _header(vif, info, "!", run)
    lines += ["frr defaults traditional", "hostname dxlocal-customer"]
    # Loopback: announce the VIF customer address as next hop. The route-maps come before
    # "router bgp": a neighbor whose outbound route-map is not yet defined when the session
    # comes up has everything filtered until FRR's route-map delay timer (5 s) re-runs it.
    for p in peers:
        if p["transport"]["mode"] == "loopback":
            v = "ip" if p["addressFamily"] == "ipv4" else "ipv6"
            glob = "" if v == "ip" else " global"
            lines += [f"route-map nh-{p['bgpPeerId']} permit 10",
                      f" set {v} next-hop{glob} {_addr(p['customerAddress'])}",
                      "exit"]  # fmt: skip
    lines += [f"router bgp {asn}",
              f" bgp router-id {_router_id(peers)}", " no bgp ebgp-requires-policy",
              " no bgp network import-check", " no bgp default ipv4-unicast"]  # fmt: skip
    for p in peers:
        t = p["transport"]
        n = t["amazon"]["address"]
        lines += [f" neighbor {n} remote-as {vif['amazonSideAsn']}",
                  f" neighbor {n} description {p['bgpPeerId']}",
                  f" neighbor {n} timers {max(1, hold // 3)} {hold}",
                  f" neighbor {n} timers connect {retry}"]  # fmt: skip
        if p.get("authKey"):
            lines.append(f" neighbor {n} password {p['authKey']}")
        if t["mode"] == "loopback":
            lines += [f" neighbor {n} port {t['amazon']['port']}",
                      f" neighbor {n} update-source {t['customer']['address']}",
                      f" neighbor {n} disable-connected-check"]  # fmt: skip
    for fam in ("ipv4", "ipv6"):
        mine = [p for p in peers if p["addressFamily"] == fam]
        if not mine:
            continue
        lines.append(f" address-family {fam} unicast")
        lines += [f"  network {x}" for x in announce if (":" in x) == (fam == "ipv6")]
        for p in mine:
            n = p["transport"]["amazon"]["address"]
            lines.append(f"  neighbor {n} activate")
            if p["transport"]["mode"] == "loopback":
                lines.append(f"  neighbor {n} route-map nh-{p['bgpPeerId']} out")
        lines.append(" exit-address-family")
    return "\n".join(lines) + "\n"


# -- client side (the dxlocal lab commands) ----------------------------------------------------
def call(endpoint: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body or {}).encode() if method != "GET" else None
    req = urllib.request.Request(endpoint.rstrip("/") + "/_dxlocal" + path, data=data,
                                 method=method, headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", "")
        except ValueError:
            message = str(exc)
        raise RuntimeError(message or str(exc)) from None


def describe_vif(endpoint: str, account: str, region: str, vif_id: str) -> dict[str, Any]:
    """DescribeVirtualInterfaces through the server, as the VIF's owner (awsJson1_1)."""
    auth = (f"AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/directconnect/aws4_request, "
            "SignedHeaders=host, Signature=0")  # fmt: skip
    req = urllib.request.Request(
        endpoint.rstrip("/") + "/",
        data=json.dumps({"virtualInterfaceId": vif_id}).encode(),
        method="POST",
        headers={
            "content-type": "application/x-amz-json-1.1",
            "authorization": auth,
            "x-amz-target": "OvertureService.DescribeVirtualInterfaces",
        },  # fmt: skip
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            items = json.loads(r.read()).get("virtualInterfaces", [])
    except urllib.error.HTTPError as exc:
        raise RuntimeError(exc.read().decode(errors="replace")) from None
    if not items:
        raise RuntimeError(f"{vif_id} not found")
    return items[0]
