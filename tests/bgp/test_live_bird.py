"""``dxlocal serve --bgp live`` end to end with BIRD 2 as the customer router: VIF and peers
through boto3, the customer side wired by ``dxlocal lab attach``, BIRD configured only from
``dxlocal lab config`` (DescribeVirtualInterfaces + /_dxlocal/lab), status read back through
DescribeVirtualInterfaces."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgplab import record, sh
from livelab import HOLD, LiveBgpServer, birdc, serving, start_bird, statuses, stop

V4 = ["192.0.2.0/24", "198.51.100.0/24"]
V6 = ["2001:db8:aaaa::/48"]
BOTH_UP = {"ipv4": "up", "ipv6": "up"}
BOTH_DOWN = {"ipv4": "down", "ipv6": "down"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    with serving(tmp_path) as srv:
        yield srv


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    """A server on a host where ``ip netns add`` fails (an ``ip`` that refuses it)."""
    with serving(tmp_path, loopback=True) as srv:
        yield srv


def test_bird_in_a_namespace_through_the_api(server: LiveBgpServer) -> None:
    vif = server.make_vif()
    vif_id = vif["virtualInterfaceId"]
    assert statuses(vif) == BOTH_DOWN  # nobody is there yet

    ns = server.new_netns("bird")
    lab = json.loads(server.cli("attach", vif_id, "--netns", ns).stdout)
    assert (lab["mode"], lab["netns"], lab["vlan"]) == ("netns", ns, 101)
    have = json.loads(sh("ip", "-n", ns, "-j", "addr", "show", "dev", lab["interface"]).stdout)
    addrs = {f"{a['local']}/{a['prefixlen']}" for i in have for a in i["addr_info"]}
    assert {p["customerAddress"] for p in vif["bgpPeers"]} <= addrs

    t0 = time.monotonic()
    proc, ctl = start_bird(server, vif_id, V4 + V6, ns)
    up = server.wait_vif(
        vif_id, lambda v: statuses(v) == BOTH_UP and v["virtualInterfaceState"] == "available"
    )
    record(f"live netns: bird start -> both peers up in the API {time.monotonic() - t0:.2f} s")

    # BIRD's prefixes are the speaker's accepted routes; ours reach BIRD.
    peer = {p["addressFamily"]: p["bgpPeerId"] for p in up["bgpPeers"]}

    def accepted(fam: str) -> set[str]:
        return {
            r["prefix"] for r in server.control("GET", f"/bgp/sessions/{peer[fam]}")["accepted"]
        }

    deadline = time.monotonic() + 10
    while (accepted("ipv4"), accepted("ipv6")) != (set(V4), set(V6)):
        assert time.monotonic() < deadline, (accepted("ipv4"), accepted("ipv6"))
        time.sleep(0.1)
    deadline = time.monotonic() + 10
    while "10.100.0.0/16" not in birdc(ctl, "show", "route") or "2600:1f14:abc::/56" not in birdc(
        ctl, "show", "route"
    ):
        assert time.monotonic() < deadline, birdc(ctl, "show", "route")
        time.sleep(0.2)
    routes = server.client().list_virtual_interface_routes(virtualInterfaceId=vif_id)["routes"]
    by_dir = {
        d: {r["cidr"] for r in routes if r["routeDirection"] == d}
        for d in ("accepted", "advertised")
    }
    assert by_dir["advertised"] == {"10.100.0.0/16", "2600:1f14:abc::/56"}
    assert by_dir["accepted"] == set(V4 + V6)
    bird_path = {r["cidr"]: r["asPath"] for r in routes if r["routeDirection"] == "accepted"}
    assert all(p and p[0]["path"] for p in bird_path.values()), bird_path

    # BIRD stops: both sessions down within the hold time, the VIF down.
    t1 = time.monotonic()
    stop(proc, signal.SIGTERM)
    server.wait_vif(
        vif_id,
        lambda v: statuses(v) == BOTH_DOWN and v["virtualInterfaceState"] == "down",
        timeout=HOLD + 1,
    )
    record(f"live netns: bird stopped -> both peers down in the API {time.monotonic() - t1:.2f} s")

    assert server.cli("detach", vif_id).returncode == 0
    assert not os.path.exists(f"/var/run/netns/{ns}")


def test_bird_on_loopback_when_namespaces_fail(loopback_server: LiveBgpServer) -> None:
    server = loopback_server
    vif = server.make_vif()
    vif_id = vif["virtualInterfaceId"]
    assert server.control("GET", "/lab")["mode"] == "loopback"

    refused = server.cli("attach", vif_id, "--netns", server.new_netns("x"), check=False)
    assert refused.returncode == 1 and "loopback" in refused.stderr
    lab = json.loads(server.cli("attach", vif_id, "--loopback").stdout)
    assert lab["mode"] == "loopback"
    for p in lab["peers"]:
        t = p["transport"]
        assert t["mode"] == "loopback" and t["amazon"]["port"] != t["customer"]["port"]
        assert t["amazon"]["address"].startswith("127.") or t["amazon"]["address"] == "::1"

    t0 = time.monotonic()
    proc, ctl = start_bird(server, vif_id, V4 + V6, None, name="bird-lo")
    server.wait_vif(
        vif_id, lambda v: statuses(v) == BOTH_UP and v["virtualInterfaceState"] == "available"
    )
    record(f"live loopback: bird start -> both peers up in the API {time.monotonic() - t0:.2f} s")
    sessions = server.sessions()
    for p in lab["peers"]:
        s = sessions[p["bgpPeerId"]]
        want = set(V4) if p["addressFamily"] == "ipv4" else set(V6)
        deadline = time.monotonic() + 10
        while s["acceptedPrefixes"] != len(want):
            assert time.monotonic() < deadline, s
            time.sleep(0.1)
            s = server.sessions()[p["bgpPeerId"]]
    # Amazon announces its VIF address as next hop (127/8 would be martian to a router).
    assert "10.100.0.0/16" in birdc(ctl, "show", "route", "all")

    stop(proc, signal.SIGKILL)
    server.wait_vif(vif_id, lambda v: statuses(v) == BOTH_DOWN, timeout=HOLD + 1)
    assert server.cli("detach", vif_id).returncode == 0
