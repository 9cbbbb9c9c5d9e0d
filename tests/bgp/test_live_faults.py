"""Injected faults against a real router (docs/failures.md#live): ``dxlocal serve --bgp live``
with BIRD 2 (and FRR with bfdd for a connection fault) in a namespace wired by ``dxlocal lab attach`` and configured only from
``dxlocal lab config`` (which carries BFD at 300 ms x 3). Each fault must stop the BGP
session and BFD as BIRD sees them, keep them down while it lasts, show in the API and the
event log, and let both come back when it ends.

Every wait is bounded; the bounds are generous (nothing here measures speed)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bgplab import need
from livelab import LiveBgpServer, birdc, serving, start_frr, statuses

from dxtest import wait_until

PREFIX = "192.0.2.0/24"
VPC = "10.100.0.0/16"
BOUND = 20.0  # seconds: generous bound on any change to show


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    with serving(tmp_path) as srv:
        yield srv


# -- helpers ----------------------------------------------------------------------------------
def wait(fetch: Callable[[], Any], until: Callable[[Any], bool], what: str,
         timeout: float = BOUND) -> Any:  # fmt: skip
    return wait_until(fetch, until, timeout=timeout, every=0.1, what=f"for {what}")


def new_vgw(server: LiveBgpServer) -> str:
    vgw = "vgw-" + secrets.token_hex(4)
    server.control("POST", "/virtual-gateways",
                   {"virtualGatewayId": vgw, "account": "111122223333", "vpcCidrs": [VPC]})  # fmt: skip
    return vgw


def new_vif(server: LiveBgpServer, parent: str, vgw: str, vlan: int) -> dict:
    """A private IPv4 VIF on a connection or LAG, its one peer available."""
    vif = server.client().create_private_virtual_interface(
        connectionId=parent,
        newPrivateVirtualInterface={"virtualInterfaceName": f"f{vlan}", "vlan": vlan,
                                    "asnLong": 65010, "authKey": "fault-key",
                                    "addressFamily": "ipv4", "virtualGatewayId": vgw},
    )  # fmt: skip
    return server.wait_vif(vif["virtualInterfaceId"],
                           lambda v: v["bgpPeers"][0]["bgpPeerState"] == "available")  # fmt: skip


def new_connection(server: LiveBgpServer) -> str:
    dx = server.client()
    con = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="f")
    return con["connectionId"]


class Bird:
    """BIRD on one VIF, in its own namespace (or on the loopback transport, where lab config
    gives it no BFD), from ``dxlocal lab config``."""

    def __init__(self, server: LiveBgpServer, vif: dict, label: str, loopback: bool = False):
        self.vif_id = vif["virtualInterfaceId"]
        self.peer = vif["bgpPeers"][0]["bgpPeerId"]
        self.amazon = vif["bgpPeers"][0]["amazonAddress"].split("/")[0]
        self.proto = "aws_" + self.peer.replace("-", "_")
        self.with_bfd = not loopback
        ns = None if loopback else server.new_netns(label)
        server.cli("attach", self.vif_id, *(["--loopback"] if loopback else ["--netns", ns]))
        conf = server.cli("config", self.vif_id, "--format", "bird", "--announce", PREFIX).stdout
        assert ("protocol bfd" in conf and "bfd on;" in conf) == self.with_bfd, conf
        self.log = server.workdir / f"bird-{label}.events"
        path = server.workdir / f"bird-{label}.conf"
        path.write_text(f'log "{self.log}" all;\ndebug protocols {{ states, events }};\n' + conf)
        self.ctl = server.workdir / f"bird-{label}.ctl"
        argv = [need("bird"), "-f", "-c", str(path), "-s", str(self.ctl)]
        self.proc = server.spawn(argv, server.workdir / f"bird-{label}.log", ns)

    def events(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def bgp(self) -> str:
        """BIRD's view of the session: the protocol's state column (Established, Active…)."""
        out = birdc(self.ctl, "show", "protocols", self.proto)
        line = next((x for x in out.splitlines() if x.startswith(self.proto)), "")
        return line.split()[-1] if line.split() else ""

    def bfd(self) -> str:
        """BIRD's BFD session state toward the Amazon address (Up, Down, Init, or '')."""
        if not self.with_bfd:
            return ""
        out = birdc(self.ctl, "show", "bfd", "sessions")
        line = next((x for x in out.splitlines() if x.split()[:1] == [self.amazon]), "")
        return line.split()[2] if line else ""

    def details(self) -> str:
        return birdc(self.ctl, "show", "protocols", "all", self.proto)

    def wait_up(self, server: LiveBgpServer) -> None:
        server.wait_vif(self.vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=BOUND)
        wait(self.bgp, lambda s: s == "Established", "BIRD Established")
        if self.with_bfd:
            wait(self.bfd, lambda s: s == "Up", "BIRD's BFD session Up")
            wait(lambda: server.sessions()[self.peer]["bfd"]["state"], lambda s: s == "Up",
                 "the Amazon side's BFD Up")  # fmt: skip

    def wait_down(self, server: LiveBgpServer) -> None:
        server.wait_vif(self.vif_id, lambda v: statuses(v) == {"ipv4": "down"}
                        and v["virtualInterfaceState"] == "down", timeout=BOUND)  # fmt: skip
        wait(self.bgp, lambda s: s != "Established", "BIRD leaves Established")
        wait(self.bfd, lambda s: s != "Up", "BIRD's BFD session down (or gone with the link)")

    def stays_down(self, server: LiveBgpServer, seconds: float) -> None:
        """While the fault lasts BIRD keeps trying (connect retry 1-2 s) and never gets in."""
        count = server.sessions()[self.peer]["establishedCount"]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.bgp() != "Established", self.details()
            assert self.bfd() != "Up", birdc(self.ctl, "show", "bfd", "sessions")
            assert server.describe(self.vif_id)["bgpPeers"][0]["bgpStatus"] == "down"
            time.sleep(0.25)
        session = server.sessions()[self.peer]
        assert session["establishedCount"] == count and session["state"] != "Established"


def events_since(server: LiveBgpServer, cursor: str | None) -> list[dict]:
    path = "/events?limit=1000" + (f"&since={cursor}" if cursor else "")
    return server.control("GET", path)["events"]


def cursor(server: LiveBgpServer) -> str | None:
    return server.control("GET", "/events?limit=1000").get("next")


def fault_events(evs: list[dict], fault_id: str) -> set[tuple[str, ...]]:
    """(type, resource, what/to/bgpStatus) of the events a fault caused."""
    out: set[tuple[str, ...]] = set()
    for e in evs:
        if e["type"] == "fault" and e.get("faultId") == fault_id:
            out.add(("fault", e["resource"], e["what"]))
        elif e["type"] == "state" and e.get("fault") in (fault_id, None):
            # live, a VIF comes back when its session does ("cause": "bgp"), not with the fault
            out.add(("state", e["resource"], e["to"]))
        elif e["type"] == "session":
            out.add(("session", e["resource"], e["bgpStatus"]))
    return out


def port_state(server: LiveBgpServer, kind: str, pid: str) -> str:
    dx = server.client()
    if kind == "lag":
        return dx.describe_lags(lagId=pid)["lags"][0]["lagState"]
    return dx.describe_connections(connectionId=pid)["connections"][0]["connectionState"]


# -- the faults -------------------------------------------------------------------------------
def _setup(server: LiveBgpServer, target: str) -> tuple[dict, str, str, list[tuple[str, str]]]:
    """A VIF for ``target``; (vif, fault target, fault id, [(kind, id) of ports that go down])."""
    vgw = new_vgw(server)
    if target == "lag":
        dx = server.client()
        lag = dx.create_lag(numberOfConnections=2, location="EqDC2",
                            connectionsBandwidth="10Gbps", lagName="f")  # fmt: skip
        lag_id = lag["lagId"]
        dx.update_lag(lagId=lag_id, minimumLinks=2)
        wait(lambda: port_state(server, "lag", lag_id), lambda s: s == "available", "LAG up")
        vif = new_vif(server, lag_id, vgw, 301)
        member = dx.describe_lags(lagId=lag_id)["lags"][0]["connections"][0]["connectionId"]
        # one member of two lost: below minimumLinks 2, the LAG goes down with its VIFs
        return vif, "connection", member, [("connection", member), ("lag", lag_id)]
    con = new_connection(server)
    wait(lambda: port_state(server, "connection", con), lambda s: s == "available", "port up")
    vif = new_vif(server, con, vgw, 201)
    if target == "device":
        device = server.client().describe_connections(connectionId=con)["connections"][0]
        return vif, "device", device["awsDeviceV2"], [("connection", con)]
    if target == "virtualInterface":
        return vif, "virtualInterface", vif["virtualInterfaceId"], []
    return vif, "connection", con, [("connection", con)]


@pytest.mark.parametrize("target", ["connection", "lag", "device", "virtualInterface"])
def test_fault_stops_bgp_and_bfd_in_bird_and_undo_brings_them_back(
    server: LiveBgpServer, target: str
) -> None:
    vif, kind, target_id, ports = _setup(server, target)
    bird = Bird(server, vif, target[:3])
    bird.wait_up(server)
    since = cursor(server)

    fault = server.control("POST", "/faults", {"target": kind, "id": target_id})
    assert fault["state"] == "active"
    bird.wait_down(server)
    for pkind, pid in ports:
        assert port_state(server, pkind, pid) == "down", (pkind, pid)
    if target == "virtualInterface":
        # the port stays up; the Amazon side ends the session with Cease/Administrative
        # Shutdown (RFC 4486) and tells BFD AdminDown
        assert port_state(server, "connection", vif["connectionId"]) == "available"
        wait(bird.events, lambda s: "Received: Administrative shutdown" in s,
             "BIRD got the NOTIFICATION")  # fmt: skip
        # BIRD retries at once; the Amazon side closes each connection while the fault lasts
        wait(bird.details, lambda s: "Connection closed" in s, "a refused reconnection")
    else:
        # a port lost as a cut fibre is: BIRD's interface loses its carrier, and BIRD ends
        # the session for it (no NOTIFICATION could cross a lost link)
        wait(
            lambda: birdc(bird.ctl, "show", "interfaces"),
            lambda s: "LinkDown" in s,
            "BIRD sees the link go",
        )
        assert "Link down" in bird.details()
        assert "Received:" not in bird.events()
    bird.stays_down(server, 4.0)

    server.control("DELETE", f"/faults/{fault['faultId']}")
    bird.wait_up(server)
    for pkind, pid in ports:
        assert port_state(server, pkind, pid) == "available", (pkind, pid)
    assert server.describe(bird.vif_id)["virtualInterfaceState"] == "available"

    seen = wait(lambda: fault_events(events_since(server, since), fault["faultId"]),
                lambda s: ("session", bird.vif_id, "up") in s, "the events")  # fmt: skip
    vid = bird.vif_id
    want = {("fault", target_id, "begun"), ("fault", target_id, "ended"),
            ("state", vid, "down"), ("state", vid, "available"), ("session", vid, "down")}  # fmt: skip
    want |= {("state", pid, s) for _, pid in ports for s in ("down", "available")}
    assert want <= seen, sorted(want - seen)


def test_scheduled_fault_and_maintenance_run_and_end_by_themselves(
    server: LiveBgpServer,
) -> None:
    vif, kind, con, _ = _setup(server, "connection")
    bird = Bird(server, vif, "sch")
    bird.wait_up(server)
    fault = server.control("POST", "/faults",
                           {"target": kind, "id": con, "in": 2, "duration": 5})  # fmt: skip
    assert fault["state"] == "scheduled"
    assert bird.bgp() == "Established"  # nothing happens before its time
    bird.wait_down(server)
    assert server.control("GET", f"/faults/{fault['faultId']}")["state"] == "active"
    bird.wait_up(server)  # no call: the fault's end is a timer
    assert server.control("GET", f"/faults/{fault['faultId']}")["state"] == "ended"
    assert port_state(server, "connection", con) == "available"

    # an emergency maintenance window on the connection's AWS device: the same, by itself
    device = server.client().describe_connections(connectionId=con)["connections"][0]
    window = server.control("POST", "/maintenance", {"target": "device", "emergency": True,
                            "id": device["awsDeviceV2"], "in": 1, "duration": 4})  # fmt: skip
    bird.wait_down(server)
    assert "LinkDown" in birdc(bird.ctl, "show", "interfaces")
    bird.wait_up(server)
    assert server.control("GET", f"/faults/{window['faultId']}")["state"] == "ended"


def test_route_table_fails_over_to_the_surviving_vif_and_back(server: LiveBgpServer) -> None:
    """Two VIFs on two connections to one VGW, BIRD announcing the same prefix on each."""
    vgw = new_vgw(server)
    birds = []
    for n, vlan in enumerate((401, 402)):
        con = new_connection(server)
        wait(lambda c=con: port_state(server, "connection", c), lambda s: s == "available", "up")
        birds.append(Bird(server, new_vif(server, con, vgw, vlan), f"rt{n}"))
    a, b = birds
    for bird in birds:
        bird.wait_up(server)

    def chosen() -> list[str]:
        routes = server.control("GET", f"/route-tables/{vgw}")["routes"]
        return sorted(next((r["virtualInterfaceIds"] for r in routes if r["prefix"] == PREFIX),
                           []))  # fmt: skip

    both = sorted([a.vif_id, b.vif_id])
    wait(chosen, lambda c: c == both, "both VIFs carry the prefix (multipath)")
    con_a = server.describe(a.vif_id)["connectionId"]
    fault = server.control("POST", "/faults", {"target": "connection", "id": con_a})
    a.wait_down(server)
    wait(chosen, lambda c: c == [b.vif_id], "the route table on the surviving VIF")
    assert b.bgp() == "Established"
    server.control("DELETE", f"/faults/{fault['faultId']}")
    a.wait_up(server)
    wait(chosen, lambda c: c == both, "the route table back on both VIFs")


@pytest.mark.parametrize("target", ["connection", "virtualInterface"])
def test_frr_with_bfdd_goes_down_on_a_fault_and_comes_back(
    server: LiveBgpServer, target: str
) -> None:
    """FRR (zebra, bgpd and bfdd) on the configuration ``dxlocal lab config --format frr``
    prints, BFD lines included: the lost link (or, on a VIF fault, Administrative Shutdown)
    takes its session and BFD down."""
    bfdd = Path("/usr/lib/frr/bfdd")
    if not bfdd.exists():
        pytest.skip("FRR's bfdd is not installed")
    vif, kind, target_id, _ = _setup(server, target)
    vif_id = vif["virtualInterfaceId"]
    amazon = vif["bgpPeers"][0]["amazonAddress"].split("/")[0]
    ns = server.new_netns("frr")
    server.cli("attach", vif_id, "--netns", ns)
    frr = start_frr(server, vif_id, [PREFIX], ns)
    assert f"neighbor {amazon} bfd 3 300 300" in (frr.rundir / "bgpd.conf").read_text()
    rundir = frr.rundir
    (rundir / "bfdd.conf").write_text("")
    server.spawn([str(bfdd), "-u", "root", "-g", "frrvty", "-P", "0", "--vty_socket",
                  str(rundir), "--log", "stdout", "-z", str(rundir / "zserv.api"), "-f",
                  str(rundir / "bfdd.conf"), "-i", str(rundir / "bfdd.pid"), "--bfdctl",
                  str(rundir / "bfdd.sock")], rundir / "bfdd.log", ns)  # fmt: skip

    def bgp() -> str:
        peers = json.loads(frr.vtysh("show bgp summary json")).get("ipv4Unicast", {})
        return peers.get("peers", {}).get(amazon, {}).get("state", "")

    def bfd() -> str:
        peers = json.loads(frr.vtysh("show bfd peers json") or "[]")
        return next((p["status"] for p in peers if p.get("peer") == amazon), "")

    def up() -> None:
        server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=BOUND)
        wait(bgp, lambda s: s == "Established", "FRR Established")
        wait(bfd, lambda s: s == "up", "FRR's BFD peer up")

    up()
    fault = server.control("POST", "/faults", {"target": kind, "id": target_id})
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"}, timeout=BOUND)
    wait(bgp, lambda s: s != "Established", "FRR leaves Established")
    wait(bfd, lambda s: s != "up", "FRR's BFD peer down")
    if target == "virtualInterface":  # told over BGP first (FRR's BFD then says AdminDown)
        stats = json.loads(frr.vtysh(f"show bgp neighbors {amazon} json"))[amazon]
        assert stats["messageStats"]["notificationsRecv"] >= 1, stats["messageStats"]
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:  # FRR retries every second and never gets in
        assert bgp() != "Established" and bfd() != "up"
        time.sleep(0.25)
    server.control("DELETE", f"/faults/{fault['faultId']}")
    up()


def test_on_the_loopback_transport_a_port_fault_ends_the_session_with_a_notification(
    tmp_path: Path,
) -> None:
    """No namespace, so no link to cut: the Amazon side says Administrative Shutdown."""
    with serving(tmp_path, loopback=True) as server:
        vif, kind, con, ports = _setup(server, "connection")
        bird = Bird(server, vif, "lo", loopback=True)
        bird.wait_up(server)
        fault = server.control("POST", "/faults", {"target": kind, "id": con})
        bird.wait_down(server)
        assert port_state(server, "connection", con) == "down"
        wait(bird.events, lambda s: "Received: Administrative shutdown" in s,
             "BIRD got the NOTIFICATION")  # fmt: skip
        bird.stays_down(server, 3.0)
        server.control("DELETE", f"/faults/{fault['faultId']}")
        bird.wait_up(server)
