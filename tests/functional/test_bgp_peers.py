"""CreateBGPPeer and DeleteBGPPeer: every rule of the API reference and user guide
(docs/behavior.md#bgp-peers), through boto3, in both modes."""

from __future__ import annotations

import ipaddress

import botocore.exceptions
import pytest

from functional.helpers import (
    client_error,
    make_connection,
    make_private_vif,
    make_public_vif,
    wait_vif,
)


def test_first_peer_and_auto_assigned_ipv4(dx, vif):
    client, v = vif
    assert v["virtualInterfaceState"] == "available"
    (peer,) = v["bgpPeers"]
    assert peer["bgpPeerId"].startswith("dxpeer-f") and len(peer["bgpPeerId"]) == 15
    assert peer["bgpStatus"] == "up" and peer["addressFamily"] == "ipv4"
    amazon = ipaddress.ip_interface(peer["amazonAddress"])
    customer = ipaddress.ip_interface(peer["customerAddress"])
    assert amazon.network == customer.network and amazon.network.prefixlen == 30
    assert amazon.network.subnet_of(ipaddress.ip_network("169.254.0.0/16"))
    assert int(amazon.ip) - int(amazon.network.network_address) == 1
    assert int(customer.ip) - int(customer.network.network_address) == 2
    key = peer["authKey"]
    assert key.startswith("0x") and len(key) == 24
    assert v["asn"] == 65000 and v["asnLong"] == 65000 and v["amazonSideAsn"] == 64512
    assert f"<bgp_auth_key>{key}</bgp_auth_key>" in v["customerRouterConfig"]


def test_ipv6_peer_is_auto_assigned_a_125(dx, vif):
    client, v = vif
    out = client.create_bgp_peer(
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 64600, "addressFamily": "ipv6"},
    )["virtualInterface"]
    peer = next(p for p in out["bgpPeers"] if p["addressFamily"] == "ipv6")
    assert peer["bgpPeerState"] == "pending" and peer["bgpStatus"] == "down"
    amazon = ipaddress.ip_interface(peer["amazonAddress"])
    assert amazon.version == 6 and amazon.network.prefixlen == 125
    assert ipaddress.ip_interface(peer["customerAddress"]).network == amazon.network
    # The VIF's top-level BGP fields keep mirroring the first peer.
    assert out["addressFamily"] == "ipv4" and out["asn"] == 65000
    assert "<ipv6_bgp_asn>64600</ipv6_bgp_asn>" in out["customerRouterConfig"]
    final = wait_vif(dx, client, v["virtualInterfaceId"])
    assert all(p["bgpStatus"] == "up" for p in final["bgpPeers"])


def test_custom_ipv6_addresses_are_refused(dx, vif):
    client, v = vif
    msg = client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={
            "asn": 64600,
            "addressFamily": "ipv6",
            "amazonAddress": "2001:db8::1/125",
            "customerAddress": "2001:db8::2/125",
        },
    )
    assert "IPv6" in msg


def test_one_peer_per_family_without_logical_redundancy(dx, vif):
    client, v = vif
    msg = client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65001, "addressFamily": "ipv4"},
    )
    assert "ipv4" in msg
    client.create_bgp_peer(
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65001, "addressFamily": "ipv6"},
    )
    client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65002, "addressFamily": "ipv6"},
    )


def test_logical_redundancy_allows_a_second_peer_per_family(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    dx.control(
        "PATCH", f"/records/connection/{conn['connectionId']}", {"hasLogicalRedundancy": "yes"}
    )
    v = make_private_vif(client, conn["connectionId"], vlan=300)
    second = client.create_bgp_peer(
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={
            "asn": 65000,
            "addressFamily": "ipv4",
            "amazonAddress": "10.0.0.1/30",
            "customerAddress": "10.0.0.2/30",
        },
    )
    assert (
        len([p for p in second["virtualInterface"]["bgpPeers"] if p["addressFamily"] == "ipv4"])
        == 2
    )
    msg = client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65000, "addressFamily": "ipv4"},
    )
    assert "maximum" in msg


def test_ipv4_addresses_both_or_neither_and_well_formed(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    dx.control(
        "PATCH", f"/records/connection/{conn['connectionId']}", {"hasLogicalRedundancy": "yes"}
    )
    v = make_private_vif(client, conn["connectionId"], vlan=301)
    vif_id = v["virtualInterfaceId"]
    for addresses, expected in [
        ({"amazonAddress": "10.0.0.1/30"}, "both"),
        ({"customerAddress": "10.0.0.2/30"}, "both"),
        ({"amazonAddress": "10.0.0.1/30", "customerAddress": "10.0.1.2/30"}, "same CIDR"),
        ({"amazonAddress": "10.0.0.0/30", "customerAddress": "10.0.0.2/30"}, "address 0"),
        ({"amazonAddress": "10.0.0.3/30", "customerAddress": "10.0.0.2/30"}, "broadcast"),
        ({"amazonAddress": "not-an-ip", "customerAddress": "10.0.0.2/30"}, "CIDR"),
    ]:
        msg = client_error(
            client,
            client.create_bgp_peer,
            virtualInterfaceId=vif_id,
            newBGPPeer={"asn": 65000, "addressFamily": "ipv4", **addresses},
        )
        assert expected in msg, (addresses, msg)
    # RFC 3021 /31 is accepted on every VIF type.
    out = client.create_bgp_peer(
        virtualInterfaceId=vif_id,
        newBGPPeer={
            "asn": 65000,
            "addressFamily": "ipv4",
            "amazonAddress": "10.9.9.0/31",
            "customerAddress": "10.9.9.1/31",
        },
    )
    assert any(p["amazonAddress"] == "10.9.9.0/31" for p in out["virtualInterface"]["bgpPeers"])


@pytest.mark.parametrize("key", ["short", "x" * 81])
def test_auth_key_length(dx, vif, key):
    client, v = vif
    msg = client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65001, "addressFamily": "ipv6", "authKey": key},
    )
    assert "6 and 80" in msg


def test_auth_key_bounds_are_inclusive(dx, vif):
    client, v = vif
    out = client.create_bgp_peer(
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65001, "addressFamily": "ipv6", "authKey": "k" * 80},
    )
    assert any(p["authKey"] == "k" * 80 for p in out["virtualInterface"]["bgpPeers"])


def test_asn_and_asn_long(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    # A 4-byte ASN belongs in asnLong; the answer shows asn 0.
    v = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "four-byte",
            "vlan": 400,
            "asnLong": 4200000001,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    assert v["asn"] == 0 and v["asnLong"] == 4200000001
    # asnLong wins when both are given.
    out = client.create_bgp_peer(
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65010, "asnLong": 4200000002, "addressFamily": "ipv6"},
    )
    peer = next(p for p in out["virtualInterface"]["bgpPeers"] if p["addressFamily"] == "ipv6")
    assert peer["asnLong"] == 4200000002 and peer["asn"] == 0
    other = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "two-byte",
            "vlan": 401,
            "asn": 65020,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    vif_id = other["virtualInterfaceId"]
    # asn is a 32-bit integer on the wire: a 4-byte ASN there does not even parse.
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.create_bgp_peer(
            virtualInterfaceId=vif_id, newBGPPeer={"asn": 4200000000, "addressFamily": "ipv6"}
        )
    assert info.value.response["Error"]["Code"] == "SerializationException"
    assert "asnLong" in info.value.response["Error"]["Message"]
    assert "asnLong" in client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=vif_id,
        newBGPPeer={"asn": 2147483647, "addressFamily": "ipv6"},
    )
    assert "out of range" in client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=vif_id,
        newBGPPeer={"asnLong": 4294967295, "addressFamily": "ipv6"},
    )
    assert "out of range" in client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=vif_id,
        newBGPPeer={"asn": 0, "addressFamily": "ipv6"},
    )
    assert "asn" in client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=vif_id,
        newBGPPeer={"addressFamily": "ipv6"},
    )


def test_public_vif_asn_rules(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    v = make_public_vif(client, conn["connectionId"], vlan=500, asn=3356)
    assert v["virtualInterfaceState"] == "verifying" and v["amazonSideAsn"] == 7224
    vif_id = v["virtualInterfaceId"]
    # A public ASN other than the verified one is refused; a private one or the verified one is fine.
    msg = client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId=vif_id,
        newBGPPeer={"asn": 174, "addressFamily": "ipv6"},
    )
    assert "private ASN" in msg
    client.create_bgp_peer(
        virtualInterfaceId=vif_id, newBGPPeer={"asn": 3356, "addressFamily": "ipv6"}
    )
    final = wait_vif(dx, client, vif_id)
    assert final["virtualInterfaceState"] == "available"


def test_public_vif_needs_public_addresses(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    base = {
        "virtualInterfaceName": "public",
        "vlan": 501,
        "asn": 64512,
        "routeFilterPrefixes": [{"cidr": "198.51.100.0/24"}],
    }
    msg = client_error(
        client,
        client.create_public_virtual_interface,
        connectionId=conn["connectionId"],
        newPublicVirtualInterface={
            **base,
            "amazonAddress": "10.1.1.1/30",
            "customerAddress": "10.1.1.2/30",
        },
    )
    assert msg == "Amazon Address is not allowed to contain a private IP"
    client_error(
        client,
        client.create_public_virtual_interface,
        connectionId=conn["connectionId"],
        newPublicVirtualInterface=base,
    )


def test_create_peer_on_missing_or_foreign_vif(dx, vif):
    client, v = vif
    assert "does not exist" in client_error(
        client,
        client.create_bgp_peer,
        virtualInterfaceId="dxvif-fzzzzzzz",
        newBGPPeer={"asn": 65001, "addressFamily": "ipv6"},
    )
    other = dx.client(account="111122223333")
    assert "does not exist" in client_error(
        other,
        other.create_bgp_peer,
        virtualInterfaceId=v["virtualInterfaceId"],
        newBGPPeer={"asn": 65001, "addressFamily": "ipv6"},
    )
    # Every member is optional in the model: the service itself refuses missing ones.
    client_error(client, client.create_bgp_peer)
    client_error(client, client.create_bgp_peer, virtualInterfaceId=v["virtualInterfaceId"])


def test_delete_by_id_and_by_asn_and_address(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    out = client.create_bgp_peer(
        virtualInterfaceId=vif_id, newBGPPeer={"asn": 64600, "addressFamily": "ipv6"}
    )
    v6 = next(p for p in out["virtualInterface"]["bgpPeers"] if p["addressFamily"] == "ipv6")
    deleted = client.delete_bgp_peer(virtualInterfaceId=vif_id, bgpPeerId=v6["bgpPeerId"])[
        "virtualInterface"
    ]
    assert (
        next(p for p in deleted["bgpPeers"] if p["bgpPeerId"] == v6["bgpPeerId"])["bgpPeerState"]
        == "deleting"
    )
    assert "ipv6_" not in deleted["customerRouterConfig"]
    gone = dx.wait(
        lambda: client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][
            0
        ],
        lambda x: all(p["bgpPeerId"] != v6["bgpPeerId"] for p in x["bgpPeers"]),
    )
    assert len(gone["bgpPeers"]) == 1
    # The older form: asn + customerAddress (Terraform deletes this way).
    out = client.create_bgp_peer(
        virtualInterfaceId=vif_id, newBGPPeer={"asn": 64601, "addressFamily": "ipv6"}
    )
    v6 = next(p for p in out["virtualInterface"]["bgpPeers"] if p["addressFamily"] == "ipv6")
    deleted = client.delete_bgp_peer(
        virtualInterfaceId=vif_id, asn=64601, customerAddress=v6["customerAddress"]
    )
    assert (
        next(
            p for p in deleted["virtualInterface"]["bgpPeers"] if p["bgpPeerId"] == v6["bgpPeerId"]
        )["bgpPeerState"]
        == "deleting"
    )


def test_delete_rules(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    first = v["bgpPeers"][0]
    msg = client_error(
        client, client.delete_bgp_peer, virtualInterfaceId=vif_id, bgpPeerId=first["bgpPeerId"]
    )
    assert msg == "The last BGP Peer on a Virtual Interface cannot be deleted"
    client_error(
        client, client.delete_bgp_peer, virtualInterfaceId=vif_id, bgpPeerId="dxpeer-fzzzzzzz"
    )
    client_error(client, client.delete_bgp_peer, virtualInterfaceId=vif_id, asn=65000)
    client_error(
        client,
        client.delete_bgp_peer,
        virtualInterfaceId=vif_id,
        asn=65999,
        customerAddress=first["customerAddress"],
    )
    other = dx.client(account="111122223333")
    client_error(
        other, other.delete_bgp_peer, virtualInterfaceId=vif_id, bgpPeerId=first["bgpPeerId"]
    )


def test_peer_states_without_a_customer_router(dx):
    """With the router held down, peers become available but bgpStatus stays down and the VIF goes down."""
    client = dx.client()
    conn = make_connection(dx, client)
    v = make_private_vif(client, conn["connectionId"], vlan=600)
    peer_id = v["bgpPeers"][0]["bgpPeerId"]
    dx.control(
        "POST",
        f"/bgp-peers/{peer_id}",
        {"bgpStatus": "down", "virtualInterfaceId": v["virtualInterfaceId"]},
    )
    final = wait_vif(dx, client, v["virtualInterfaceId"], state="down")
    assert final["bgpPeers"][0]["bgpStatus"] == "down"
    dx.control(
        "POST",
        f"/bgp-peers/{peer_id}",
        {"bgpStatus": "up", "virtualInterfaceId": v["virtualInterfaceId"]},
    )
    assert (
        client.describe_virtual_interfaces(virtualInterfaceId=v["virtualInterfaceId"])[
            "virtualInterfaces"
        ][0]["virtualInterfaceState"]
        == "available"
    )
