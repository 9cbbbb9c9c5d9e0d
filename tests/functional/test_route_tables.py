"""AWS's path selection and route tables (docs/routing.md), SiteLink and what AWS announces,
in simulation: boto3 plus the control API, in both modes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from functional.helpers import make_connection, make_private_vif, wait_vif

VGW = "vgw-0b1c2d3e4f5a60718"
VPC = "10.50.0.0/16"


def make_gateway(dx, client, asn: int = 64800) -> str:
    gw = client.create_direct_connect_gateway(directConnectGatewayName="g", amazonSideAsn=asn)
    gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
    dx.wait(
        lambda: client.describe_direct_connect_gateways(directConnectGatewayId=gw_id),
        lambda g: g["directConnectGateways"][0]["directConnectGatewayState"] == "available",
    )
    return gw_id


def site(dx, client, gw_id: str, location: str, vlan: int, asn: int = 65000, **extra) -> tuple:
    """A connection at ``location`` with one private VIF on the gateway, session up."""
    conn = make_connection(dx, client, location=location)
    vif = make_private_vif(client, conn["connectionId"], vlan=vlan, asn=asn,
                           directConnectGatewayId=gw_id, **extra)  # fmt: skip
    v = wait_vif(dx, client, vif["virtualInterfaceId"])
    return v["virtualInterfaceId"], v["bgpPeers"][0]["bgpPeerId"]


def announce(dx, peer_id: str, *routes) -> None:
    dx.control("POST", f"/bgp-peers/{peer_id}/routes", {"prefixes": list(routes)})


def table(dx, gateway_id: str) -> dict[str, dict]:
    out = dx.control("GET", f"/route-tables/{gateway_id}")
    return {r["prefix"]: r for r in out["routes"]}


@pytest.fixture
def two_sites(dx):
    """Two VIFs on two connections in two locations of us-east-1, on one DX gateway
    associated with a VGW of us-east-1."""
    dx.control("POST", "/virtual-gateways",
               {"virtualGatewayId": VGW, "vpcCidrs": [VPC], "amazonSideAsn": 64900})  # fmt: skip
    client = dx.client()
    gw_id = make_gateway(dx, client)
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id, gatewayId=VGW
    )["directConnectGatewayAssociation"]
    dx.wait(
        lambda: client.describe_direct_connect_gateway_associations(
            associationId=assoc["associationId"]
        )["directConnectGatewayAssociations"][0]["associationState"],
        lambda s: s == "associated",
    )
    a = site(dx, client, gw_id, "EqDC2", 101)
    b = site(dx, client, gw_id, "CSVA1", 102)
    return client, gw_id, a, b


def test_local_preference_communities_decide_first(dx, two_sites):
    client, gw_id, (vif_a, peer_a), (vif_b, peer_b) = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "communities": ["7224:7300"],
                          "asPath": [65000, 65000, 65000]})  # fmt: skip
    announce(dx, peer_b, {"cidr": "192.168.0.0/16", "communities": ["7224:7100"]})
    for gateway in (gw_id, VGW):
        entry = table(dx, gateway)["192.168.0.0/16"]
        assert entry["virtualInterfaceIds"] == [vif_a]
        assert entry["reason"] == "local preference high over low (communities)"
    # Untagged is medium: it beats low.
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000, 65000, 65000]})
    assert table(dx, VGW)["192.168.0.0/16"]["reason"].startswith("local preference medium over low")


def test_shorter_as_path_then_multipath(dx, two_sites):
    client, gw_id, (vif_a, peer_a), (vif_b, peer_b) = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000, 65000]})
    announce(dx, peer_b, {"cidr": "192.168.0.0/16", "asPath": [65000]})
    entry = table(dx, VGW)["192.168.0.0/16"]
    assert entry["virtualInterfaceIds"] == [vif_b]
    assert entry["reason"] == "shorter AS_PATH (1 vs 2)"
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000]})
    entry = table(dx, VGW)["192.168.0.0/16"]
    assert entry["virtualInterfaceIds"] == sorted([vif_a, vif_b]) and entry["multipath"]
    assert "equal-cost multipath across 2 VIFs" in entry["reason"]


def test_longest_prefix_each_prefix_its_own_entry(dx, two_sites):
    client, gw_id, (vif_a, peer_a), (vif_b, peer_b) = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "communities": ["7224:7300"]})
    announce(dx, peer_b, "192.168.7.0/24")
    got = table(dx, VGW)
    assert got["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_a]
    assert got["192.168.7.0/24"]["virtualInterfaceIds"] == [vif_b]
    assert got["192.168.7.0/24"]["reason"] == "only route"


def test_location_in_the_gateways_region_beats_a_shorter_path_elsewhere(dx, two_sites):
    client, gw_id, (vif_a, peer_a), _ = two_sites
    west = dx.client(region="us-west-2")
    vif_w, peer_w = site(dx, west, gw_id, "EqSE2", 103)
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000, 65000, 65000]})
    announce(dx, peer_w, {"cidr": "192.168.0.0/16", "asPath": [65000]})
    entry = table(dx, VGW)["192.168.0.0/16"]
    assert entry["virtualInterfaceIds"] == [vif_a]
    assert entry["reason"] == "learned at a location associated with the gateway's Region"
    # The Direct Connect gateway itself is global: there the shorter path wins.
    assert table(dx, gw_id)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_w]
    # Communities still come first.
    announce(dx, peer_w, {"cidr": "192.168.0.0/16", "communities": ["7224:7300"]})
    assert table(dx, VGW)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_w]


def test_aws_range_communities_are_stripped_and_served(dx, two_sites):
    client, gw_id, (vif_a, peer_a), _ = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000, 65010],
                          "communities": ["7224:7300", "7224:9100", "7224:1", "65000:42"]})  # fmt: skip
    (route,) = client.list_virtual_interface_routes(
        virtualInterfaceId=vif_a, filters={"routeDirection": "accepted"}
    )["routes"]
    assert route["communities"] == ["7224:7300", "65000:42"]
    assert route["asPath"] == [{"pathType": "seq", "path": [65000, 65010]}]
    (adv,) = client.list_virtual_interface_routes(
        virtualInterfaceId=vif_a, filters={"routeDirection": "advertised"}
    )["routes"]
    # VGW association: the VPC CIDR, AS_PATH the gateway's ASN.
    assert adv["cidr"] == VPC and adv["asPath"] == [{"pathType": "seq", "path": [64800]}]


def test_allowed_prefixes_filter_and_updating(dx, two_sites):
    client, gw_id, (vif_a, _), _ = two_sites
    (assoc,) = client.describe_direct_connect_gateway_associations(directConnectGatewayId=gw_id)[
        "directConnectGatewayAssociations"
    ]

    def advertised():
        out = client.list_virtual_interface_routes(
            virtualInterfaceId=vif_a, filters={"routeDirection": "advertised"}
        )
        return [r["cidr"] for r in out["routes"]]

    assert advertised() == [VPC]
    out = client.update_direct_connect_gateway_association(
        associationId=assoc["associationId"],
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "172.31.0.0/16"}],
        removeAllowedPrefixesToDirectConnectGateway=[{"cidr": VPC}],
    )["directConnectGatewayAssociation"]
    assert out["associationState"] == "updating"
    # The VPC CIDR is outside the allowed prefixes now: nothing is announced.
    assert advertised() == []


def test_site_link_exchanges_routes_between_sites(dx):
    client = dx.client()
    gw_id = make_gateway(dx, client, asn=64800)
    a_vif, a_peer = site(dx, client, gw_id, "EqDC2", 101, asn=65001, enableSiteLink=True)
    b_vif, b_peer = site(dx, client, gw_id, "CSVA1", 102, asn=65002, enableSiteLink=True)
    announce(dx, a_peer, "10.1.0.0/16")
    announce(dx, b_peer, {"cidr": "10.2.0.0/16", "asPath": [65002, 65002]})

    def advertised(vif_id):
        out = client.list_virtual_interface_routes(
            virtualInterfaceId=vif_id, filters={"routeDirection": "advertised"}
        )
        return {r["cidr"]: r["asPath"][0]["path"] for r in out["routes"]}

    # The gateway's ASN is prepended; nothing goes back where it came from.
    assert advertised(a_vif) == {"10.2.0.0/16": [64800, 65002, 65002]}
    assert advertised(b_vif) == {"10.1.0.0/16": [64800, 65001]}
    # Disabling SiteLink on B withdraws both directions and resets B's sessions.
    out = client.update_virtual_interface_attributes(virtualInterfaceId=b_vif, enableSiteLink=False)
    assert out["siteLinkEnabled"] is False
    assert all(p["bgpStatus"] == "down" for p in out["bgpPeers"])
    wait_vif(dx, client, b_vif)
    assert advertised(a_vif) == {} and advertised(b_vif) == {}
    client.update_virtual_interface_attributes(virtualInterfaceId=b_vif, enableSiteLink=True)
    wait_vif(dx, client, b_vif)
    assert advertised(a_vif) == {"10.2.0.0/16": [64800, 65002, 65002]}


def test_unknown_gateway_is_a_client_error(dx):
    with pytest.raises(Exception) as info:
        dx.control("GET", "/route-tables/vgw-00000000")
    assert "does not exist" in str(info.value)


def test_dxlocal_routes_prints_the_table(dx, two_sites):
    client, gw_id, (vif_a, peer_a), (vif_b, peer_b) = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "communities": ["7224:7300"]})
    announce(dx, peer_b, {"cidr": "192.168.0.0/16", "communities": ["7224:7100"]}, "10.9.0.0/16")
    if dx.mode != "server":
        from dxlocal import routes_command

        text = routes_command.render(dx.control("GET", f"/route-tables/{VGW}"))
    else:
        run = subprocess.run(
            [sys.executable, "-m", "dxlocal.cli", "routes", VGW, "--endpoint", dx.endpoint],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        text = run.stdout
    lines = text.splitlines()
    assert lines[0] == f"{VGW} (virtualPrivateGateway, us-east-1): 2 prefixes"
    assert lines[1].split() == ["PREFIX", "VIA", "REASON"]
    assert lines[2].split()[:2] == ["10.9.0.0/16", vif_b]
    assert lines[3].split()[:2] == ["192.168.0.0/16", vif_a]
    assert lines[3].endswith("local preference high over low (communities)")


def test_transit_vif_feeds_the_tgw_and_announces_the_allowed_prefixes(dx):
    tgw = "tgw-0a1b2c3d4e5f60718"
    dx.control("POST", "/transit-gateways", {"transitGatewayId": tgw, "amazonSideAsn": 64513})
    client = dx.client()
    gw_id = make_gateway(dx, client, asn=64801)
    allowed = [{"cidr": "10.60.0.0/16"}, {"cidr": "10.61.0.0/16"}]
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id,
        gatewayId=tgw,
        addAllowedPrefixesToDirectConnectGateway=allowed,
    )["directConnectGatewayAssociation"]
    dx.wait(
        lambda: client.describe_direct_connect_gateway_associations(
            associationId=assoc["associationId"]
        )["directConnectGatewayAssociations"][0]["associationState"],
        lambda s: s == "associated",
    )
    conn = make_connection(dx, client)
    vif = client.create_transit_virtual_interface(
        connectionId=conn["connectionId"],
        newTransitVirtualInterface={"virtualInterfaceName": "t", "vlan": 120, "asn": 65000,
                                    "directConnectGatewayId": gw_id},
    )["virtualInterface"]  # fmt: skip
    assert vif["prefixPoolAllocatedCountIpv4"] == 100
    v = wait_vif(dx, client, vif["virtualInterfaceId"])
    announce(dx, v["bgpPeers"][0]["bgpPeerId"], "172.16.0.0/12")
    # The TGW association's allowed prefixes are announced themselves, AS_PATH the gateway's.
    adv = client.list_virtual_interface_routes(
        virtualInterfaceId=v["virtualInterfaceId"], filters={"routeDirection": "advertised"}
    )["routes"]
    assert sorted((r["cidr"], r["asPath"][0]["path"][0]) for r in adv) == [
        ("10.60.0.0/16", 64801), ("10.61.0.0/16", 64801)
    ]  # fmt: skip
    got = dx.control("GET", f"/route-tables/{tgw}")
    assert got["gatewayType"] == "transitGateway"
    assert [(r["prefix"], r["virtualInterfaceIds"]) for r in got["routes"]] == [
        ("172.16.0.0/12", [v["virtualInterfaceId"]])
    ]


def test_vgw_table_holds_direct_and_dx_gateway_vifs(dx, two_sites):
    client, gw_id, (vif_a, peer_a), _ = two_sites
    conn = make_connection(dx, client, location="EqNY5")
    direct = make_private_vif(client, conn["connectionId"], vlan=130, virtualGatewayId=VGW)
    d = wait_vif(dx, client, direct["virtualInterfaceId"])
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "asPath": [65000, 65000]})
    announce(dx, d["bgpPeers"][0]["bgpPeerId"], "192.168.0.0/16")
    entry = table(dx, VGW)["192.168.0.0/16"]
    assert entry["virtualInterfaceIds"] == [d["virtualInterfaceId"]]
    assert {c["virtualInterfaceId"] for c in entry["candidates"]} == {
        vif_a,
        d["virtualInterfaceId"],
    }
    # The DX gateway's own table does not hold the VIF attached straight to the VGW.
    assert table(dx, gw_id)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_a]
