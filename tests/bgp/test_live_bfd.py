"""BFD and graceful restart on the Amazon side against real routers (docs/bfd.md): BIRD 2 with ``protocol bfd``
and FRR with bfdd, each in its own namespace, configured from ``dxlocal lab config`` (which
carries the BFD and graceful-restart lines). A router frozen with SIGSTOP sends nothing (no FIN, no
NOTIFICATION): with BFD, ``bgpStatus`` goes down within about a second; without it, only
when the hold time runs out."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgplab import need, record
from livelab import HOLD, LiveBgpServer, birdc, serving, start_frr, statuses

V4 = ["192.0.2.0/24"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    with serving(tmp_path) as srv:
        yield srv


def start_bird(server: LiveBgpServer, vif_id: str, ns: str, bfd: bool, name: str = "bird",
               gr: str | None = None):  # type: ignore[no-untyped-def]  # fmt: skip
    # lab config carries BFD (300 ms x 3) and graceful restart as the Amazon side runs them
    conf = server.cli("config", vif_id, "--format", "bird", "--announce", V4[0],
                      *([] if bfd else ["--no-bfd"])).stdout  # fmt: skip
    assert ("protocol bfd" in conf) == bfd and "graceful restart on;" in conf
    if gr:
        conf = conf.replace("graceful restart on;", f"graceful restart {gr};")
    path = server.workdir / f"{name}.conf"
    path.write_text(conf)
    ctl = server.workdir / f"{name}.ctl"
    argv = [need("bird"), "-f", "-c", str(path), "-s", str(ctl), "-P",
            str(server.workdir / f"{name}.pid")]  # fmt: skip
    return server.spawn(argv, server.workdir / f"{name}.log", ns), ctl


def vif_with_router(server: LiveBgpServer) -> tuple[str, str, str]:
    vif = server.make_vif(families=("ipv4",))
    vif_id = vif["virtualInterfaceId"]
    ns = server.new_netns("bfd")
    server.cli("attach", vif_id, "--netns", ns)
    return vif_id, vif["bgpPeers"][0]["bgpPeerId"], ns


def bfd_state(server: LiveBgpServer, peer: str) -> dict:
    return server.sessions()[peer]["bfd"]


def wait(cond, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := cond()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return value


def freeze_until_down(server: LiveBgpServer, vif_id: str, pids: list[int],
                      timeout: float) -> float:  # fmt: skip
    for pid in pids:
        os.killpg(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"}, timeout=timeout)
    return time.monotonic() - t0


def test_bird_with_bfd_frozen_goes_down_at_once_and_comes_back(server: LiveBgpServer) -> None:
    vif_id, peer, ns = vif_with_router(server)
    proc, ctl = start_bird(server, vif_id, ns, bfd=True)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})
    info = wait(lambda: (b := bfd_state(server, peer))["state"] == "Up" and b, 10, "BFD up")
    assert info["listening"] and info["remoteState"] == "Up"
    assert (info["minIntervalMs"], info["multiplier"], info["detectionTimeMs"]) == (300, 3, 900)
    assert "Up" in birdc(ctl, "show", "bfd", "sessions")

    took = freeze_until_down(server, vif_id, [proc.pid], timeout=5)
    record(f"live BFD: bird frozen -> bgpStatus down {took:.2f} s")
    assert took < 2.0
    session = server.sessions()[peer]
    assert session["bfd"]["state"] == "Down" and "6/10" in session["lastError"]
    assert session["bfd"]["lastDownReason"] == "Detection expired"

    os.killpg(proc.pid, signal.SIGCONT)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=HOLD * 3)
    info = wait(lambda: (b := bfd_state(server, peer))["state"] == "Up" and b, 15, "BFD back")
    assert info["upCount"] >= 2


def test_bfd_stays_up_while_the_servers_event_loop_is_stopped(server: LiveBgpServer) -> None:
    """BFD runs in a child process (docs/bfd.md#process): the API's process frozen for 1.5 s,
    longer than the 900 ms detection time, leaves BFD Up on both sides."""
    vif_id, peer, ns = vif_with_router(server)
    proc, ctl = start_bird(server, vif_id, ns, bfd=True, name="bird-stall")
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})
    before = wait(lambda: (b := bfd_state(server, peer))["state"] == "Up" and b, 10, "BFD up")
    established = server.sessions()[peer]["establishedCount"]
    assert server.proc is not None
    for _ in range(2):
        time.sleep(0.5)
        os.kill(server.proc.pid, signal.SIGSTOP)  # the main process only, not its BFD child
        time.sleep(1.5)
        os.kill(server.proc.pid, signal.SIGCONT)
    time.sleep(1.5)  # a Down on either side would show by now
    after = bfd_state(server, peer)
    assert (after["state"], after["upCount"]) == ("Up", before["upCount"]), after
    assert server.sessions()[peer]["establishedCount"] == established
    assert statuses(server.describe(vif_id)) == {"ipv4": "up"}
    sessions = birdc(ctl, "show", "bfd", "sessions")
    assert "Up" in sessions and "Down" not in sessions, sessions


def test_bird_without_bfd_frozen_waits_for_the_hold_time(server: LiveBgpServer) -> None:
    vif_id, peer, ns = vif_with_router(server)
    proc, _ = start_bird(server, vif_id, ns, bfd=False, name="bird-nobfd")
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})
    assert bfd_state(server, peer) | {"state": "Down"} == bfd_state(server, peer)  # silent peer
    took = freeze_until_down(server, vif_id, [proc.pid], timeout=HOLD + 3)
    record(f"live no BFD: bird frozen -> bgpStatus down {took:.2f} s (hold time {HOLD} s)")
    assert took > HOLD - 3.5  # the last KEEPALIVE came up to HOLD/3 before the freeze
    assert "4/0" in server.sessions()[peer]["lastError"]
    os.killpg(proc.pid, signal.SIGCONT)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=HOLD * 3)


def test_frr_bfdd_comes_up_and_a_freeze_goes_down_at_once(server: LiveBgpServer) -> None:
    bfdd = Path("/usr/lib/frr/bfdd")
    if not bfdd.exists():
        pytest.skip("FRR's bfdd is not installed")
    vif_id, peer, ns = vif_with_router(server)
    frr = start_frr(server, vif_id, V4, ns)
    amazon = server.describe(vif_id)["bgpPeers"][0]["amazonAddress"].split("/")[0]
    rundir = frr.rundir
    common = ["-u", "root", "-g", "frrvty", "-P", "0", "--vty_socket", str(rundir),
              "--log", "stdout", "-z", str(rundir / "zserv.api")]  # fmt: skip
    (rundir / "bfdd.conf").write_text("")
    bfd_proc = server.spawn([str(bfdd), *common, "-f", str(rundir / "bfdd.conf"),
                             "-i", str(rundir / "bfdd.pid"),
                             "--bfdctl", str(rundir / "bfdd.sock")],
                            rundir / "bfdd.log", ns)  # fmt: skip
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})
    asn = server.describe(vif_id)["bgpPeers"][0]["asnLong"]
    time.sleep(0.5)  # bgpd connects to bfdd's socket
    frr.vtysh("configure terminal", "bfd", "profile aws", "receive-interval 300",
              "transmit-interval 300", "detect-multiplier 3", "exit", "exit",
              f"router bgp {asn}", f"neighbor {amazon} bfd", f"neighbor {amazon} bfd profile aws")  # fmt: skip
    wait(lambda: bfd_state(server, peer)["state"] == "Up", 15,
         f"FRR BFD up: {frr.vtysh('show bfd peers')}")  # fmt: skip
    frozen = [bfd_proc.pid, frr.bgpd.pid]
    took = freeze_until_down(server, vif_id, frozen, timeout=5)
    record(f"live BFD: FRR frozen -> bgpStatus down {took:.2f} s")
    assert took < 2.0
    for pid in frozen:
        os.killpg(pid, signal.SIGCONT)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=HOLD * 3)


def test_bird_graceful_restart_keeps_its_routes_until_it_returns(server: LiveBgpServer) -> None:
    vif_id, peer, ns = vif_with_router(server)
    vgw = server.describe(vif_id)["virtualGatewayId"]
    proc, _ = start_bird(server, vif_id, ns, bfd=False, gr="on")
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})

    def in_table() -> bool:
        routes = server.control("GET", f"/route-tables/{vgw}")["routes"]
        return any(r["prefix"] == V4[0] for r in routes)

    def accepted() -> set[str]:
        routes = server.client().list_virtual_interface_routes(virtualInterfaceId=vif_id)
        return {r["cidr"] for r in routes["routes"] if r["routeDirection"] == "accepted"}

    wait(in_table, 10, "BIRD's prefix in the VGW's route table")
    gr = server.sessions()[peer]["gracefulRestart"]
    assert gr["peerRestartTime"] and gr["restartTime"] == 120

    os.killpg(proc.pid, signal.SIGKILL)  # a crash: the kernel closes TCP, no NOTIFICATION
    proc.wait(10)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"}, timeout=5)
    time.sleep(1.0)
    session = server.sessions()[peer]
    assert session["gracefulRestart"]["retaining"], session
    assert in_table() and accepted() == set(V4)  # kept while the router restarts

    start_bird(server, vif_id, ns, bfd=False, gr="on", name="bird-again")
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"}, timeout=HOLD * 3)
    # A router that started afresh kept no forwarding state (F bit clear): its stale routes
    # go at once (RFC 4724 §4.2) and what it announces again takes their place.
    wait(lambda: not server.sessions()[peer]["gracefulRestart"]["retaining"], 10, "back")
    wait(lambda: in_table() and accepted() == set(V4), 10, "announced again")


def test_crash_without_graceful_restart_drops_the_routes(server: LiveBgpServer) -> None:
    vif_id, peer, ns = vif_with_router(server)
    proc, _ = start_bird(server, vif_id, ns, bfd=False, name="bird-nogr", gr="off")
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})
    wait(lambda: server.sessions()[peer]["acceptedPrefixes"] == 1, 10, "BIRD's prefix")
    assert server.sessions()[peer]["gracefulRestart"]["peerRestartTime"] is None
    os.killpg(proc.pid, signal.SIGKILL)
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"}, timeout=5)
    routes = server.client().list_virtual_interface_routes(virtualInterfaceId=vif_id)["routes"]
    assert not [r for r in routes if r["routeDirection"] == "accepted"]
