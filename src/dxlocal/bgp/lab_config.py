"""Customer-side router configurations for a VIF of the lab: BIRD 2 or FRR.

Built from a DescribeVirtualInterfaces item (addresses, ASNs, keys) joined with
``GET /_dxlocal/lab/{virtualInterfaceId}`` (each peer's transport). In loopback mode
(docs/behavior.md#lab) the customer router uses exactly the transport's addresses and ports,
allows a non-connected neighbor (BIRD ``multihop``, FRR ``disable-connected-check``) and
announces its VIF customer address as next hop (127/8 is martian); Amazon announces its
amazonAddress.

Both formats carry what the Amazon side runs (docs/bfd.md): graceful restart with a restart
time of 120 s and, over a namespace, BFD at 300 ms x 3 (``bfd=False``, ``gr=False`` leave them
out: AWS's user guide advises against running both on one session). On the
loopback transport the session is multihop, where BIRD and FRR would run multihop BFD
(RFC 5883), which the Amazon side does not answer: no BFD there.
"""

from __future__ import annotations

from typing import Any

from . import bfd as bfd_timers
from .session import router_id_for
from .speaker import PeerSpec

RESTART_TIME = PeerSpec.restart_time  # what the speaker advertises (RFC 4724)
BFD_MS = round(bfd_timers.MIN_INTERVAL * 1000)


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
           announce: list[str] | None = None, bfd: bool = True, gr: bool = True) -> str:  # fmt: skip
    """A customer-side configuration from a DescribeVirtualInterfaces item and the lab info."""
    peers = _plan(vif, info, peer_ids)
    announce = announce or []
    bfd = bfd and info.get("mode") == "netns"
    if fmt == "bird":
        return _bird(vif, info, peers, announce, bfd, gr)
    if fmt == "frr":
        return _frr(vif, info, peers, announce, bfd, gr)
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


def _bird(vif: dict, info: dict, peers: list[dict], announce: list[str], bfd: bool,
          gr: bool) -> str:  # fmt: skip
    hold = int(info.get("holdTime") or 90)
    retry = max(1, int(info.get("connectRetry") or 2))
    amazon_asn = int(vif["amazonSideAsn"])
    run = [f"{_in_netns(info)}bird -c <this file> -s <control socket>"]
    lines = _header(vif, info, "#", run)
    lines += [f"router id {_router_id(peers)};", "protocol device {}"]
    if bfd:
        iface = info.get("interface") or "*"
        lines.append(f'protocol bfd {{ interface "{iface}" {{ min rx interval {BFD_MS} ms; '
                     f"min tx interval {BFD_MS} ms; multiplier {bfd_timers.MULTIPLIER}; }}; }}")  # fmt: skip
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
            f"  graceful restart on; graceful restart time {RESTART_TIME};" if gr else "",
            "  bfd on;" if bfd else "",
            "  multihop 2;" if loop else "",
            f"  {fam} {{ import all; export where source = RTS_STATIC;{next_hop} }};",
            "}",
        ]
    return "\n".join(x for x in lines if x) + "\n"


def _frr(vif: dict, info: dict, peers: list[dict], announce: list[str], bfd: bool,
         gr: bool) -> str:  # fmt: skip
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
               *([f"{ns}/usr/lib/frr/bfdd -d -P 0 --vty_socket DIR -i DIR/bfdd.pid "
                  "-z DIR/zserv.api --bfdctl DIR/bfdd.sock"] if bfd else []),
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
              " no bgp network import-check", " no bgp default ipv4-unicast",
              *([" bgp graceful-restart", f" bgp graceful-restart restart-time {RESTART_TIME}"]
                if gr else [])]  # fmt: skip
    for p in peers:
        t = p["transport"]
        n = t["amazon"]["address"]
        lines += [f" neighbor {n} remote-as {vif['amazonSideAsn']}",
                  f" neighbor {n} description {p['bgpPeerId']}",
                  f" neighbor {n} timers {max(1, hold // 3)} {hold}",
                  f" neighbor {n} timers connect {retry}"]  # fmt: skip
        if p.get("authKey"):
            lines.append(f" neighbor {n} password {p['authKey']}")
        if bfd:  # multiplier, min rx, min tx; bfdd must run beside bgpd
            lines.append(f" neighbor {n} bfd {bfd_timers.MULTIPLIER} {BFD_MS} {BFD_MS}")
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
