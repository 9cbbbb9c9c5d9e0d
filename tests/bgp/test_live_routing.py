"""AWS's routing decisions with real routers (docs/routing.md): ``dxlocal serve --bgp live``,
BIRD 2 (and FRR) in namespaces wired by ``dxlocal lab attach``, each configured from
``dxlocal lab config`` with per-route communities and AS_PATH prepends added to its static
routes. Path selection is read back from ``/_dxlocal/route-tables`` and ``dxlocal routes``;
what AWS announces from the routers' own tables."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from livelab import ACCOUNT, LiveBgpServer, birdc, serving, start_frr, statuses

from dxtest import wait_until

VPC = "10.100.0.0/16"
DXGW_ASN = 64800


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    with serving(tmp_path) as srv:
        yield srv


# -- helpers ----------------------------------------------------------------------------------
def wait(fetch, until, timeout: float = 30.0, what: str = ""):
    return wait_until(fetch, until, timeout=timeout, every=0.2, what=f"for {what}")


def gateway(server: LiveBgpServer, vgw: str | None = None) -> str:
    """A Direct Connect gateway (ASN 64800), associated with ``vgw`` when given."""
    dx = server.client()
    gw = dx.create_direct_connect_gateway(directConnectGatewayName="g", amazonSideAsn=DXGW_ASN)
    gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
    wait(lambda: dx.describe_direct_connect_gateways(directConnectGatewayId=gw_id)[
        "directConnectGateways"][0]["directConnectGatewayState"], lambda s: s == "available")  # fmt: skip
    if vgw:
        server.control("POST", "/virtual-gateways",
                       {"virtualGatewayId": vgw, "account": ACCOUNT, "vpcCidrs": [VPC]})  # fmt: skip
        a = dx.create_direct_connect_gateway_association(directConnectGatewayId=gw_id,
                                                         gatewayId=vgw)  # fmt: skip
        aid = a["directConnectGatewayAssociation"]["associationId"]
        wait(lambda: dx.describe_direct_connect_gateway_associations(associationId=aid)[
            "directConnectGatewayAssociations"][0]["associationState"], lambda s: s == "associated")  # fmt: skip
    return gw_id


def vif_on(server: LiveBgpServer, gw_id: str, location: str, vlan: int, asn: int,
           **extra) -> dict:  # fmt: skip
    """A connection at ``location`` and a private IPv4 VIF on the gateway."""
    dx = server.client()
    con = dx.create_connection(location=location, bandwidth="1Gbps", connectionName=location)
    vif = dx.create_private_virtual_interface(
        connectionId=con["connectionId"],
        newPrivateVirtualInterface={"virtualInterfaceName": location, "vlan": vlan, "asn": asn,
                                    "authKey": "s3cret-key", "addressFamily": "ipv4",
                                    "directConnectGatewayId": gw_id, **extra},
    )  # fmt: skip
    return server.wait_vif(vif["virtualInterfaceId"],
                           lambda v: v["bgpPeers"][0]["bgpPeerState"] == "available")  # fmt: skip


def route_line(cidr: str, communities: tuple[str, ...] = (), prepend: int = 0,
               asn: int = 0) -> str:  # fmt: skip
    actions = [f"bgp_community.add(({c.replace(':', ',')}));" for c in communities]
    actions += [f"bgp_path.prepend({asn});"] * prepend
    return f"route {cidr} unreachable" + (f" {{ {' '.join(actions)} }};" if actions else ";")


class Bird:
    """BIRD in its own namespace, from ``dxlocal lab config``; its static routes carry the
    communities and prepends a test asks for, and change with ``announce`` (birdc configure,
    no session reset)."""

    def __init__(self, server: LiveBgpServer, vif: dict, name: str) -> None:
        self.server, self.vif, self.name = server, vif, name
        self.vif_id = vif["virtualInterfaceId"]
        self.asn = vif["bgpPeers"][0]["asnLong"]
        self.ns = server.new_netns(name)
        server.cli("attach", self.vif_id, "--netns", self.ns)
        self.conf = server.workdir / f"{name}.conf"
        self.ctl = server.workdir / f"{name}.ctl"
        self.base = server.cli("config", self.vif_id, "--format", "bird",
                               "--announce", "203.0.113.255/32").stdout  # fmt: skip
        self.proc = None

    def announce(self, routes: list[str]) -> None:
        statics = " ".join(routes)
        text = re.sub(r"protocol static announce4 \{ ipv4; .*? \}\n",
                      f"protocol static announce4 {{ ipv4; {statics} }}\n", self.base)  # fmt: skip
        self.conf.write_text(text)
        if self.proc is None:
            argv = ["bird", "-f", "-c", str(self.conf), "-s", str(self.ctl),
                    "-P", str(self.server.workdir / f"{self.name}.pid")]  # fmt: skip
            self.proc = self.server.spawn(argv, self.server.workdir / f"{self.name}.log", self.ns)
        else:
            out = birdc(self.ctl, "configure")
            assert "Reconfigured" in out or "Reconfiguration in progress" in out, out

    def routes(self) -> str:
        return birdc(self.ctl, "show", "route", "all")

    def protocol(self) -> str:
        return birdc(self.ctl, "show", "protocols", "all")


def up(server: LiveBgpServer, vif_id: str) -> dict:
    return server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "up"})


def table(server: LiveBgpServer, gateway_id: str) -> dict[str, dict]:
    return {r["prefix"]: r for r in server.control("GET", f"/route-tables/{gateway_id}")["routes"]}


def settled(server: LiveBgpServer, gateway_id: str, prefix: str, until) -> dict:
    return wait(lambda: table(server, gateway_id).get(prefix), lambda e: e is not None and until(e),
                what=f"{prefix} in {gateway_id}")  # fmt: skip


# -- tests ------------------------------------------------------------------------------------
def test_two_locations_communities_as_path_and_multipath(server: LiveBgpServer) -> None:
    vgw = "vgw-0a0b0c0d"
    gw_id = gateway(server, vgw)
    a = vif_on(server, gw_id, "EqDC2", 101, 65001)
    b = vif_on(server, gw_id, "CSVA1", 102, 65001)
    bird_a, bird_b = Bird(server, a, "sitea"), Bird(server, b, "siteb")
    net = "192.168.0.0/16"
    bird_a.announce([route_line(net, ("7224:7300",))])
    bird_b.announce([route_line(net, ("7224:7100",))])
    up(server, a["virtualInterfaceId"]), up(server, b["virtualInterfaceId"])

    # 7224:7300 beats 7224:7100, on the VGW's table and the DX gateway's.
    for gw in (vgw, gw_id):
        entry = settled(server, gw, net, lambda e: len(e["candidates"]) == 2)
        assert entry["virtualInterfaceIds"] == [a["virtualInterfaceId"]]
        assert entry["reason"] == "local preference high over low (communities)"
    # The speaker kept the customer's community and dropped none it should keep.
    accepted = server.client().list_virtual_interface_routes(
        virtualInterfaceId=a["virtualInterfaceId"], filters={"routeDirection": "accepted"}
    )["routes"]
    assert [(r["cidr"], r["communities"]) for r in accepted] == [(net, ["7224:7300"])]

    # Without communities the shorter AS_PATH wins (B prepends twice), no session reset.
    bird_a.announce([route_line(net)])
    bird_b.announce([route_line(net, prepend=2, asn=65001)])
    entry = settled(server, vgw, net, lambda e: e["reason"].startswith("shorter AS_PATH"))
    assert entry["virtualInterfaceIds"] == [a["virtualInterfaceId"]]
    assert entry["reason"] == "shorter AS_PATH (1 vs 3)"

    # Equal attributes: both, as multipath.
    bird_b.announce([route_line(net)])
    entry = settled(server, vgw, net, lambda e: e["multipath"])
    assert entry["virtualInterfaceIds"] == sorted(
        [a["virtualInterfaceId"], b["virtualInterfaceId"]]
    )
    run = subprocess.run([sys.executable, "-m", "dxlocal.cli", "routes", vgw, "--endpoint",
                          server.url], capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert f"{net}  {', '.join(entry['virtualInterfaceIds'])}" in run.stdout

    # What AWS announces: the VPC CIDR, AS_PATH the gateway's ASN, on both sessions.
    for bird in (bird_a, bird_b):
        got = wait(bird.routes, lambda t: VPC in t, what="the VPC CIDR at BIRD")
        block = got[got.index(VPC) :]
        assert re.search(rf"BGP\.as_path: {DXGW_ASN}\n", block), block
    # Established once: the attribute changes above reset nothing.
    peer_a = a["bgpPeers"][0]["bgpPeerId"]
    assert server.control("GET", f"/bgp/sessions/{peer_a}")["establishedCount"] == 1

    # New allowed prefixes: the association goes through updating, the VPC CIDR (no longer
    # within them) is withdrawn from the live session, which stays up.
    dx = server.client()
    (assoc,) = dx.describe_direct_connect_gateway_associations(directConnectGatewayId=gw_id)[
        "directConnectGatewayAssociations"
    ]
    out = dx.update_direct_connect_gateway_association(
        associationId=assoc["associationId"],
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "172.31.0.0/16"}],
        removeAllowedPrefixesToDirectConnectGateway=[{"cidr": VPC}],
    )["directConnectGatewayAssociation"]
    assert out["associationState"] == "updating"
    wait(bird_a.routes, lambda t: VPC not in t, what="the VPC CIDR withdrawn at BIRD")
    assert server.control("GET", f"/bgp/sessions/{peer_a}")["establishedCount"] == 1
    assert "Established" in bird_a.protocol()


def test_public_vif_announcements_carry_scope_and_no_export(server: LiveBgpServer) -> None:
    dx = server.client()
    con = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="pub")
    vif = dx.create_public_virtual_interface(
        connectionId=con["connectionId"],
        newPublicVirtualInterface={"virtualInterfaceName": "pub", "vlan": 300, "asn": 65010,
                                   "authKey": "s3cret-key", "amazonAddress": "198.51.100.1/30",
                                   "customerAddress": "198.51.100.2/30",
                                   "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}]},
    )  # fmt: skip
    vif = server.wait_vif(vif["virtualInterfaceId"],
                          lambda v: v["bgpPeers"][0]["bgpPeerState"] == "available")  # fmt: skip
    bird = Bird(server, vif, "pub")
    bird.announce([route_line("203.0.113.0/24", ("7224:9100", "7224:1"))])
    up(server, vif["virtualInterfaceId"])
    got = wait(bird.routes, lambda t: "3.5.0.0/19" in t and "54.239.0.0/17" in t,
               what="Amazon's prefixes at BIRD")  # fmt: skip

    def attrs(prefix: str) -> str:
        start = got.index(prefix)
        nxt = re.search(r"\n\S", got[start + 1 :])
        return got[start : start + 1 + nxt.start()] if nxt else got[start:]

    assert "BGP.community: (7224,8100) (65535,65281)" in attrs("3.5.0.0/19")
    assert "BGP.community: (7224,8200) (65535,65281)" in attrs("52.95.0.0/16")
    assert "BGP.community: (65535,65281)" in attrs("54.239.0.0/17")
    assert "BGP.as_path: 7224 16509" in attrs("3.5.0.0/19")
    # Of AWS's range, only the scope community the customer sent survives.
    accepted = wait(lambda: dx.list_virtual_interface_routes(
        virtualInterfaceId=vif["virtualInterfaceId"], filters={"routeDirection": "accepted"}
    )["routes"], lambda r: len(r) == 1)  # fmt: skip
    assert accepted[0]["communities"] == ["7224:9100"]


def test_prefix_pool_allocation_takes_the_session_down_with_cease_1(server: LiveBgpServer) -> None:
    gw_id = gateway(server)
    vif = vif_on(server, gw_id, "EqDC2", 101, 65001, prefixPoolAllocatedCountIpv4=200)
    vif_id = vif["virtualInterfaceId"]
    assert vif["prefixPoolAllocatedCountIpv4"] == 200
    con = server.client().describe_connections(connectionId=vif["connectionId"])["connections"][0]
    assert con["prefixPoolUnallocatedCountIpv4"] == 4800
    bird = Bird(server, vif, "pool")
    many = [route_line(f"10.{i // 256}.{i % 256}.0/24") for i in range(250)]
    bird.announce(many[:150])
    up(server, vif_id)
    wait(lambda: server.sessions()[vif["bgpPeers"][0]["bgpPeerId"]]["acceptedPrefixes"],
         lambda n: n == 150)  # fmt: skip
    bird.announce(many)  # 250 > 200
    wait(bird.protocol, lambda t: "Maximum number of prefixes reached" in t,
         what="Cease/1 at BIRD")  # fmt: skip
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"})
    bird.announce(many[:150])
    up(server, vif_id)
    # A lower allocation applies to the live session at once; a higher one lets it back.
    dx = server.client()
    dx.update_virtual_interface_attributes(
        virtualInterfaceId=vif_id, prefixPoolAllocatedCountIpv4=120
    )
    server.wait_vif(vif_id, lambda v: statuses(v) == {"ipv4": "down"})
    dx.update_virtual_interface_attributes(
        virtualInterfaceId=vif_id, prefixPoolAllocatedCountIpv4=200
    )
    up(server, vif_id)
    # An allocation beyond the pool is refused.
    with pytest.raises(server.client().exceptions.DirectConnectClientException):
        server.client().update_virtual_interface_attributes(
            virtualInterfaceId=vif_id, prefixPoolAllocatedCountIpv4=1001
        )


def test_site_link_between_two_sites_bird_and_frr(server: LiveBgpServer) -> None:
    gw_id = gateway(server)
    a = vif_on(server, gw_id, "EqDC2", 101, 65001, enableSiteLink=True)
    b = vif_on(server, gw_id, "CSVA1", 102, 65002, enableSiteLink=True)
    bird = Bird(server, a, "sl")
    bird.announce([route_line("10.1.0.0/16")])
    ns_b = server.new_netns("slfrr")
    server.cli("attach", b["virtualInterfaceId"], "--netns", ns_b)
    frr = start_frr(server, b["virtualInterfaceId"], ["10.2.0.0/16"], ns_b, name="slfrr")
    up(server, a["virtualInterfaceId"]), up(server, b["virtualInterfaceId"])

    # Each site learns the other's prefix through the gateway, its ASN prepended.
    got = wait(bird.routes, lambda t: "10.2.0.0/16" in t, what="site B's prefix at BIRD")
    assert f"BGP.as_path: {DXGW_ASN} 65002" in got[got.index("10.2.0.0/16") :]
    frr_has = wait(lambda: frr.vtysh("show ip bgp"), lambda t: "10.1.0.0/16" in t,
                   what="site A's prefix at FRR")  # fmt: skip
    assert re.search(rf"10\.1\.0\.0/16 .* {DXGW_ASN} 65001 i", frr_has), frr_has

    # Disabling SiteLink on B resets B's session and withdraws the routes both ways.
    dx = server.client()
    dx.update_virtual_interface_attributes(virtualInterfaceId=b["virtualInterfaceId"],
                                           enableSiteLink=False)  # fmt: skip
    wait(bird.routes, lambda t: "10.2.0.0/16" not in t, what="withdrawal at BIRD")
    up(server, b["virtualInterfaceId"])
    time.sleep(1)
    assert "10.1.0.0/16" not in frr.vtysh("show ip bgp")
