"""``dxlocal serve --bgp live`` with ExaBGP (PyPI) as the customer router, in lab namespaces:
MD5 on IPv4 and IPv6, a wrong key, the route quota, DeleteBGPPeer and a BGP failover test,
each observed through the API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from bgplab import record
from livelab import HOLD, LiveBgpServer, start_exabgp, statuses

V4 = ["192.0.2.0/24", "198.51.100.0/24"]
V6 = ["2001:db8:dddd::/48"]
BOTH_UP = {"ipv4": "up", "ipv6": "up"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBgpServer]:
    srv = LiveBgpServer(tmp_path_factory.mktemp("live-exabgp"))
    try:
        yield srv.start()
    finally:
        srv.cleanup()


def _attached(server: LiveBgpServer, label: str, **kwargs: object) -> tuple[dict, str]:
    vif = server.make_vif(**kwargs)  # type: ignore[arg-type]
    ns = server.new_netns(label)
    server.cli("attach", vif["virtualInterfaceId"], "--netns", ns)
    return vif, ns


def _wait(cond, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def test_md5_sessions_both_families_then_delete_a_peer(server: LiveBgpServer) -> None:
    vif, ns = _attached(server, "md5", vlan=201)
    vif_id = vif["virtualInterfaceId"]
    t0 = time.monotonic()
    start_exabgp(server, vif, ns, {"ipv4": V4, "ipv6": V6}, name="exa-md5")
    up = server.wait_vif(vif_id, lambda v: statuses(v) == BOTH_UP)
    assert up["virtualInterfaceState"] == "available"
    record(f"live netns: exabgp start -> both peers up in the API {time.monotonic() - t0:.2f} s")
    peer = {p["addressFamily"]: p["bgpPeerId"] for p in up["bgpPeers"]}
    _wait(lambda: server.sessions()[peer["ipv4"]]["acceptedPrefixes"] == 2, 10, "v4 routes")
    _wait(lambda: server.sessions()[peer["ipv6"]]["acceptedPrefixes"] == 1, 10, "v6 routes")
    assert server.sessions()[peer["ipv4"]]["holdTime"] == HOLD  # DXLOCAL_BGP_HOLD_TIME
    v6 = server.control("GET", f"/bgp/sessions/{peer['ipv6']}")
    assert [r["prefix"] for r in v6["accepted"]] == V6
    assert [r["prefix"] for r in v6["advertised"]] == ["2600:1f14:abc::/56"]
    # The API serves the same live routes, filtered as asked.
    api = server.client().list_virtual_interface_routes(
        virtualInterfaceId=vif_id, filters={"routeDirection": "accepted"}
    )["routes"]
    assert sorted(r["cidr"] for r in api) == sorted(V4 + V6)
    assert all(r["routeInstalledAt"] and r["asPath"][0]["path"] for r in api)

    # DeleteBGPPeer ends that session (Cease 6/3); the other one stays up.
    server.client().delete_bgp_peer(virtualInterfaceId=vif_id, bgpPeerId=peer["ipv6"])
    _wait(lambda: peer["ipv6"] not in server.sessions(), 5, "v6 session removed")
    assert server.sessions()[peer["ipv4"]]["bgpStatus"] == "up"
    after = server.wait_vif(vif_id, lambda v: len(v["bgpPeers"]) == 1)
    assert statuses(after) == {"ipv4": "up"} and after["virtualInterfaceState"] == "available"


def test_wrong_md5_key_keeps_the_session_down(server: LiveBgpServer) -> None:
    vif, ns = _attached(server, "badkey", vlan=202)
    start_exabgp(server, vif, ns, {"ipv4": V4, "ipv6": V6}, key="not-the-key", name="exa-bad")
    time.sleep(5)  # several connect retries on both sides: every SYN is dropped (RFC 2385)
    now = server.describe(vif["virtualInterfaceId"])
    assert statuses(now) == {"ipv4": "down", "ipv6": "down"}
    assert now["virtualInterfaceState"] == "down"
    sessions = server.sessions()
    for p in vif["bgpPeers"]:
        assert sessions[p["bgpPeerId"]]["establishedCount"] == 0


def test_too_many_prefixes_take_the_session_down(server: LiveBgpServer) -> None:
    vif, ns = _attached(server, "limit", vlan=203)
    many = [f"10.200.{i}.0/24" for i in range(101)]  # one over the private VIF quota of 100
    start_exabgp(server, vif, ns, {"ipv4": many, "ipv6": V6}, name="exa-limit")
    peer = {p["addressFamily"]: p["bgpPeerId"] for p in vif["bgpPeers"]}
    _wait(lambda: "6/1" in (server.sessions()[peer["ipv4"]].get("lastError") or ""), 30, "6/1")
    v4 = server.sessions()[peer["ipv4"]]
    assert v4["maxPrefixes"] == 100 and v4["acceptedPrefixes"] <= 100
    vif_id = vif["virtualInterfaceId"]
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down", "ipv6": "up"})


def test_failover_test_drops_and_restores_the_session(server: LiveBgpServer) -> None:
    vif, ns = _attached(server, "fail", vlan=204)
    vif_id = vif["virtualInterfaceId"]
    start_exabgp(server, vif, ns, {"ipv4": V4, "ipv6": V6}, name="exa-fail")
    up = server.wait_vif(vif_id, lambda v: statuses(v) == BOTH_UP)
    v4 = next(p["bgpPeerId"] for p in up["bgpPeers"] if p["addressFamily"] == "ipv4")

    dx = server.client()
    dx.start_bgp_failover_test(virtualInterfaceId=vif_id, bgpPeers=[v4], testDurationInMinutes=5)
    testing = server.wait_vif(vif_id, lambda v: v["virtualInterfaceState"] == "testing")
    assert statuses(testing)["ipv4"] == "down"
    _wait(lambda: server.sessions()[v4]["state"] == "Idle", 5, "v4 session shut down")
    assert server.sessions()[v4]["enabled"] is False
    time.sleep(2)
    assert server.sessions()[v4]["bgpStatus"] == "down"  # held: no reconnect accepted
    assert statuses(server.describe(vif_id))["ipv6"] == "up"

    t0 = time.monotonic()
    dx.stop_bgp_failover_test(virtualInterfaceId=vif_id)
    back = server.wait_vif(
        vif_id,
        lambda v: statuses(v) == BOTH_UP and v["virtualInterfaceState"] == "available",
        timeout=30,
    )
    record(f"live netns: failover test stopped -> v4 up again {time.monotonic() - t0:.2f} s")
    history = dx.list_virtual_interface_test_history(virtualInterfaceId=vif_id)
    assert history["virtualInterfaceTestHistory"][0]["status"] == "cancelled"
    assert back["virtualInterfaceState"] == "available"
