"""ListVirtualInterfaceRoutes and the control route for the simulated customer router's
announcements, through boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import (
    client_error,
    make_connection,
    make_private_vif,
    make_public_vif,
    wait_vif,
)

VGW = "vgw-0a1b2c3d4e5f60718"


def routes(client, vif_id: str, **filters) -> list[dict]:
    out = client.list_virtual_interface_routes(virtualInterfaceId=vif_id, filters=filters)
    assert out["virtualInterfaceId"] == vif_id
    return out["routes"]


@pytest.fixture
def vgw_vif(dx):
    dx.control(
        "POST",
        "/virtual-gateways",
        {
            "virtualGatewayId": VGW,
            "amazonSideAsn": 64700,
            "vpcCidrs": ["10.0.0.0/16", "2001:db8:100::/56"],
        },
    )
    client = dx.client()
    conn = make_connection(dx, client)
    vif = make_private_vif(client, conn["connectionId"], virtualGatewayId=VGW)
    return client, wait_vif(dx, client, vif["virtualInterfaceId"])


def test_advertised_vpc_cidrs_and_accepted_announcements(dx, vgw_vif):
    client, v = vgw_vif
    vif_id = v["virtualInterfaceId"]
    peer_id = v["bgpPeers"][0]["bgpPeerId"]
    (adv,) = routes(client, vif_id)
    assert adv["cidr"] == "10.0.0.0/16" and adv["routeDirection"] == "advertised"
    assert adv["addressFamily"] == "ipv4" and adv["asPath"] == [
        {"pathType": "seq", "path": [64700]}
    ]
    assert adv["awsLogicalDeviceId"] == v["awsLogicalDeviceId"]
    out = dx.control(
        "POST",
        f"/bgp-peers/{peer_id}/routes",
        {
            "prefixes": [
                "192.0.2.0/24",
                {"cidr": "198.51.100.0/24", "asPath": [65000, 65010], "communities": ["7224:7100"]},
            ]
        },
    )
    assert out == {"bgpPeerId": peer_id, "bgpStatus": "up", "prefixes": 2}
    accepted = routes(client, vif_id, routeDirection="accepted")
    assert [r["cidr"] for r in accepted] == ["192.0.2.0/24", "198.51.100.0/24"]
    assert accepted[0]["asPath"][0]["path"] == [65000]
    assert routes(client, vif_id, communities=["7224:7100"])[0]["cidr"] == "198.51.100.0/24"
    assert [r["cidr"] for r in routes(client, vif_id, asPath=[65010])] == ["198.51.100.0/24"]
    assert [r["cidr"] for r in routes(client, vif_id, cidrs=["192.0.0.0/8"])] == ["192.0.2.0/24"]
    assert routes(client, vif_id, addressFamily="ipv6") == []
    # An IPv6 session brings the VPC's IPv6 CIDR.
    client.create_bgp_peer(
        virtualInterfaceId=vif_id, newBGPPeer={"asn": 65000, "addressFamily": "ipv6"}
    )
    wait_vif(dx, client, vif_id)
    assert [r["cidr"] for r in routes(client, vif_id, addressFamily="ipv6")] == [
        "2001:db8:100::/56"
    ]
    page = client.list_virtual_interface_routes(virtualInterfaceId=vif_id, maxResults=2)
    assert len(page["routes"]) == 2 and page["nextToken"]


def test_too_many_prefixes_take_the_session_down(dx, vgw_vif):
    client, v = vgw_vif
    vif_id = v["virtualInterfaceId"]
    peer_id = v["bgpPeers"][0]["bgpPeerId"]
    many = [f"10.{i // 256}.{i % 256}.0/24" for i in range(101)]
    assert (
        dx.control("POST", f"/bgp-peers/{peer_id}/routes", {"prefixes": many})["bgpStatus"]
        == "down"
    )
    state = client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    assert state["virtualInterfaceState"] == "down"
    assert routes(client, vif_id) == []
    dx.control("POST", f"/bgp-peers/{peer_id}/routes", {"prefixes": many[:100]})
    wait_vif(dx, client, vif_id)
    assert len(routes(client, vif_id, routeDirection="accepted")) == 100


def test_dx_gateway_vif_advertises_vpc_cidrs_within_allowed_prefixes(dx):
    # VGW association: the allowed prefixes filter, the VPC CIDRs are what is announced.
    dx.control("POST", "/virtual-gateways",
               {"virtualGatewayId": "vgw-f9eb0c90", "vpcCidrs": ["172.16.1.0/24", "10.9.0.0/16"]})  # fmt: skip
    client = dx.client()
    gw = client.create_direct_connect_gateway(directConnectGatewayName="g", amazonSideAsn=65200)
    gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
    conn = make_connection(dx, client)
    vif = make_private_vif(client, conn["connectionId"], directConnectGatewayId=gw_id)
    vif_id = vif["virtualInterfaceId"]
    wait_vif(dx, client, vif_id)
    assert routes(client, vif_id) == []
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id,
        gatewayId="vgw-f9eb0c90",
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "172.16.0.0/16"}],
    )["directConnectGatewayAssociation"]
    dx.wait(lambda: routes(client, vif_id), lambda r: [x["cidr"] for x in r] == ["172.16.1.0/24"])
    assert routes(client, vif_id)[0]["asPath"][0]["path"] == [65200]
    client.delete_direct_connect_gateway_association(associationId=assoc["associationId"])
    assert routes(client, vif_id) == []


def test_public_vif_routes(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    vif = make_public_vif(client, conn["connectionId"])
    vif_id = vif["virtualInterfaceId"]
    v = wait_vif(dx, client, vif_id)
    dx.control(
        "POST",
        f"/bgp-peers/{v['bgpPeers'][0]['bgpPeerId']}/routes",
        {"prefixes": ["198.51.100.0/25", "192.0.2.0/24"]},
    )
    assert [r["cidr"] for r in routes(client, vif_id, routeDirection="accepted")] == [
        "198.51.100.0/25"
    ]
    adv = {r["cidr"]: r for r in routes(client, vif_id, routeDirection="advertised")}
    # Same Region 7224:8100, same continent 7224:8200, further away untagged; NO_EXPORT always.
    assert adv["3.5.0.0/19"]["communities"] == ["7224:8100", "65535:65281"]
    assert adv["52.95.0.0/16"]["communities"] == ["7224:8200", "65535:65281"]
    assert adv["54.239.0.0/17"]["communities"] == ["65535:65281"]
    assert adv["3.5.0.0/19"]["asPath"] == [{"pathType": "seq", "path": [7224, 16509]}]


def test_errors(dx, vgw_vif):
    client, v = vgw_vif
    assert "required" in client_error(client, client.list_virtual_interface_routes)
    assert "does not exist" in client_error(
        client, client.list_virtual_interface_routes, virtualInterfaceId="dxvif-fabcdefg"
    )
    other = dx.client(account="111122223333")
    assert "does not exist" in client_error(
        other, other.list_virtual_interface_routes, virtualInterfaceId=v["virtualInterfaceId"]
    )
    peer_id = v["bgpPeers"][0]["bgpPeerId"]
    with pytest.raises(Exception, match="ipv4"):
        dx.control("POST", f"/bgp-peers/{peer_id}/routes", {"prefixes": ["2001:db8::/32"]})
    with pytest.raises(Exception, match="does not exist"):
        dx.control("POST", "/bgp-peers/dxpeer-fnothere/routes", {"prefixes": []})
