"""``dxlocal serve --bgp live`` end to end with FRR (zebra + bgpd) as the customer router: VIF
and peers through boto3, the customer side wired by ``dxlocal lab attach``, bgpd configured
only from ``dxlocal lab config --format frr``, status and routes read back through the API
and through vtysh in the customer's namespace; then the same on the loopback transport.
The speaker keys both sessions with the peers' authKey, so a session that comes up proves
FRR signs with it too (an unkeyed or wrongly keyed SYN is dropped silently)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bgplab import record
from livelab import HOLD, Frr, LiveBgpServer, frr_daemons, serving, start_frr, statuses

V4 = ["192.0.2.0/24", "198.51.100.0/24"]
V6 = ["2001:db8:aaaa::/48"]
AMAZON = {"ipv4": "10.100.0.0/16", "ipv6": "2600:1f14:abc::/56"}  # the VGW's VPC CIDRs
KEY = "s3cret-key"
BOTH_UP = {"ipv4": "up", "ipv6": "up"}
BOTH_DOWN = {"ipv4": "down", "ipv6": "down"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    frr_daemons()  # skip before starting anything if FRR cannot run here
    with serving(tmp_path) as srv:
        yield srv


def _wait(cond: Callable[[], bool], timeout: float, what: Callable[[], object]) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def _frr_learned(frr: Frr, fam: str) -> dict[str, str]:
    """Prefix -> AS path of the valid best paths FRR learned from a peer, for one family
    (``show bgp <fam> unicast json``; its own networks have peerId "(unspec)")."""
    try:
        routes = json.loads(frr.vtysh(f"show bgp {fam} unicast json")).get("routes", {})
    except ValueError:
        return {}
    return {
        prefix: path["path"]
        for prefix, paths in routes.items()
        for path in paths
        if path.get("valid") and path.get("bestpath") and path.get("peerId") != "(unspec)"
    }


def test_frr_in_a_namespace_through_the_api(server: LiveBgpServer) -> None:
    vif = server.make_vif(key=KEY, vlan=301)
    vif_id = vif["virtualInterfaceId"]
    assert statuses(vif) == BOTH_DOWN
    ns = server.new_netns("frr")
    lab = json.loads(server.cli("attach", vif_id, "--netns", ns).stdout)
    assert lab["mode"] == "netns" and lab["netns"] == ns

    t0 = time.monotonic()
    frr = start_frr(server, vif_id, V4 + V6, ns)
    conf = (frr.rundir / "bgpd.conf").read_text()
    for p in vif["bgpPeers"]:  # MD5 keyed with the API's authKey
        assert f" neighbor {p['amazonAddress'].split('/')[0]} password {KEY}\n" in conf, conf
    up = server.wait_vif(
        vif_id, lambda v: statuses(v) == BOTH_UP and v["virtualInterfaceState"] == "available"
    )
    record(f"live netns: frr start -> both peers up in the API {time.monotonic() - t0:.2f} s")

    # FRR's prefixes are accepted routes in ListVirtualInterfaceRoutes ...
    dx = server.client()

    def routes() -> dict[str, set[str]]:
        got = dx.list_virtual_interface_routes(virtualInterfaceId=vif_id)["routes"]
        return {
            d: {r["cidr"] for r in got if r["routeDirection"] == d}
            for d in ("accepted", "advertised")
        }

    _wait(lambda: routes()["accepted"] == set(V4 + V6), 10, routes)
    assert routes()["advertised"] == set(AMAZON.values())
    # ... and the VIF's advertised prefixes reach FRR, from the Amazon side's ASN.
    for fam, prefix in AMAZON.items():
        want = {prefix: str(vif["amazonSideAsn"])}
        _wait(lambda f=fam, w=want: _frr_learned(frr, f) == w, 10,
              lambda f=fam: frr.vtysh(f"show bgp {f} unicast"))  # fmt: skip
    summary = json.loads(frr.vtysh("show bgp summary json"))
    for fam in ("ipv4Unicast", "ipv6Unicast"):
        peers = summary[fam]["peers"]
        assert [p["state"] for p in peers.values()] == ["Established"], peers
        assert [p["remoteAs"] for p in peers.values()] == [up["amazonSideAsn"]], peers

    # FRR stops: both sessions down within the hold time, the VIF down.
    t1 = time.monotonic()
    frr.stop(signal.SIGTERM)
    server.wait_vif(
        vif_id,
        lambda v: statuses(v) == BOTH_DOWN and v["virtualInterfaceState"] == "down",
        timeout=HOLD + 1,
    )
    record(f"live netns: frr stopped -> both peers down in the API {time.monotonic() - t1:.2f} s")
    assert server.cli("detach", vif_id).returncode == 0


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    frr_daemons()
    with serving(tmp_path, loopback=True) as srv:
        yield srv


def test_frr_on_loopback_when_namespaces_fail(loopback_server: LiveBgpServer) -> None:
    server = loopback_server
    vif = server.make_vif(key=KEY, vlan=302)
    vif_id = vif["virtualInterfaceId"]
    assert json.loads(server.cli("attach", vif_id, "--loopback").stdout)["mode"] == "loopback"

    t0 = time.monotonic()
    frr = start_frr(server, vif_id, V4 + V6, None, name="frr-lo")
    server.wait_vif(vif_id, lambda v: statuses(v) == BOTH_UP)
    record(f"live loopback: frr start -> both peers up in the API {time.monotonic() - t0:.2f} s")
    dx = server.client()

    def accepted() -> set[str]:
        got = dx.list_virtual_interface_routes(virtualInterfaceId=vif_id)["routes"]
        return {r["cidr"] for r in got if r["routeDirection"] == "accepted"}

    _wait(lambda: accepted() == set(V4 + V6), 10, accepted)
    # Amazon announces its VIF address as next hop (127/8 would be martian to FRR).
    for fam, prefix in AMAZON.items():
        want = {prefix: str(vif["amazonSideAsn"])}
        _wait(lambda f=fam, w=want: _frr_learned(frr, f) == w, 10,
              lambda f=fam: frr.vtysh(f"show bgp {f} unicast"))  # fmt: skip

    t1 = time.monotonic()
    frr.stop(signal.SIGKILL)
    server.wait_vif(vif_id, lambda v: statuses(v) == BOTH_DOWN, timeout=HOLD + 1)
    record(f"live loopback: frr killed -> both peers down in the API {time.monotonic() - t1:.2f} s")
    assert server.cli("detach", vif_id).returncode == 0


def test_frr_config_refuses_a_key_it_cannot_express() -> None:
    from dxlocal.bgp import lab_config as lab

    transport = {"mode": "netns", "amazon": {"address": "169.254.0.1"},
                 "customer": {"address": "169.254.0.2"}}  # fmt: skip
    peer = {"bgpPeerId": "dxpeer-x", "addressFamily": "ipv4", "asnLong": 65000,
            "amazonAddress": "169.254.0.1/30", "customerAddress": "169.254.0.2/30"}  # fmt: skip
    vif = {"virtualInterfaceId": "dxvif-x", "virtualInterfaceType": "private", "vlan": 1,
           "amazonSideAsn": 64512, "bgpPeers": [dict(peer, authKey="two words")]}  # fmt: skip
    info = {"mode": "netns", "netns": "cust",
            "peers": [{"bgpPeerId": "dxpeer-x", "transport": transport}]}  # fmt: skip
    with pytest.raises(ValueError, match="whitespace"):
        lab.render("frr", vif, info)
    assert '  password "two words";' in lab.render("bird", vif, info)  # BIRD quotes it
    vif["bgpPeers"] = [dict(peer, authKey='a!b#c"d\\e')]  # anything else is one FRR word
    assert ' neighbor 169.254.0.1 password a!b#c"d\\e\n' in lab.render("frr", vif, info)
