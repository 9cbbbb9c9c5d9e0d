"""AssociateVirtualInterface and UpdateVirtualInterfaceAttributes (docs/behavior.md#vifs),
through boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import (
    client_error,
    make_connection,
    make_private_vif,
    make_public_vif,
    wait_vif,
)


@pytest.fixture
def two(dx):
    client = dx.client()
    first = make_connection(dx, client)["connectionId"]
    second = make_connection(dx, client)["connectionId"]
    return client, first, second


def test_move_a_vif_to_another_connection(dx, two):
    client, first, second = two
    vif = wait_vif(dx, client, make_private_vif(client, first)["virtualInterfaceId"])
    vif_id = vif["virtualInterfaceId"]
    old_peer = vif["bgpPeers"][0]
    moved = client.associate_virtual_interface(virtualInterfaceId=vif_id, connectionId=second)
    assert moved["connectionId"] == second and moved["virtualInterfaceState"] == "pending"
    states = {p["bgpPeerId"]: p["bgpPeerState"] for p in moved["bgpPeers"]}
    assert states[old_peer["bgpPeerId"]] == "deleting"
    (new_peer,) = [p for p in moved["bgpPeers"] if p["bgpPeerId"] != old_peer["bgpPeerId"]]
    assert (
        new_peer["bgpPeerState"] == "pending"
        and new_peer["customerAddress"] == old_peer["customerAddress"]
    )
    final = wait_vif(dx, client, vif_id)
    assert [p["bgpPeerId"] for p in final["bgpPeers"]] == [new_peer["bgpPeerId"]]
    listed = client.describe_virtual_interfaces(connectionId=second)["virtualInterfaces"]
    assert [v["virtualInterfaceId"] for v in listed] == [vif_id]
    assert client.describe_virtual_interfaces(connectionId=first)["virtualInterfaces"] == []
    assert "already on" in client_error(
        client, client.associate_virtual_interface, virtualInterfaceId=vif_id, connectionId=second
    )


def test_move_conflicts(dx, two):
    client, first, second = two
    addresses = {"amazonAddress": "169.254.10.1/30", "customerAddress": "169.254.10.2/30"}
    vif = make_private_vif(client, first, vlan=101, **addresses)["virtualInterfaceId"]
    blocker = make_private_vif(
        client, second, vlan=101, amazonAddress="169.254.20.1/30", customerAddress="169.254.20.2/30"
    )
    assert "VLAN 101" in client_error(
        client, client.associate_virtual_interface, virtualInterfaceId=vif, connectionId=second
    )
    client.delete_virtual_interface(virtualInterfaceId=blocker["virtualInterfaceId"])
    dx.wait(
        lambda: client.describe_virtual_interfaces(
            virtualInterfaceId=blocker["virtualInterfaceId"]
        ),
        lambda out: out["virtualInterfaces"][0]["virtualInterfaceState"] == "deleted",
    )
    other_vif = make_private_vif(client, second, vlan=102, **addresses)["virtualInterfaceId"]
    assert "conflicts" in client_error(
        client, client.associate_virtual_interface, virtualInterfaceId=vif, connectionId=second
    )
    stranger = dx.client(account="111122223333")
    theirs = make_connection(dx, stranger)["connectionId"]
    assert "Could not find Connection" in client_error(
        client, client.associate_virtual_interface, virtualInterfaceId=vif, connectionId=theirs
    )
    assert "does not exist" in client_error(
        stranger,
        stranger.associate_virtual_interface,
        virtualInterfaceId=other_vif,
        connectionId=theirs,
    )
    client.delete_virtual_interface(virtualInterfaceId=vif)
    assert "cannot be moved" in client_error(
        client, client.associate_virtual_interface, virtualInterfaceId=vif, connectionId=second
    )


def test_update_name_mtu_and_sitelink(dx, two):
    client, first, _ = two
    vif_id = wait_vif(dx, client, make_private_vif(client, first)["virtualInterfaceId"])[
        "virtualInterfaceId"
    ]
    out = client.update_virtual_interface_attributes(
        virtualInterfaceId=vif_id, virtualInterfaceName="renamed"
    )
    assert out["virtualInterfaceName"] == "renamed" and out["virtualInterfaceState"] == "available"
    out = client.update_virtual_interface_attributes(virtualInterfaceId=vif_id, mtu=8500)
    assert out["mtu"] == 8500 and out["jumboFrameCapable"] is True
    assert out["virtualInterfaceState"] == "pending"
    assert wait_vif(dx, client, vif_id)["mtu"] == 8500
    assert "MTU 1234" in client_error(
        client, client.update_virtual_interface_attributes, virtualInterfaceId=vif_id, mtu=1234
    )
    assert "SiteLink" in client_error(
        client,
        client.update_virtual_interface_attributes,
        virtualInterfaceId=vif_id,
        enableSiteLink=True,
    )
    assert "100 characters" in client_error(
        client,
        client.update_virtual_interface_attributes,
        virtualInterfaceId=vif_id,
        virtualInterfaceName="x" * 101,
    )
    other = dx.client(account="111122223333")
    assert "does not exist" in client_error(
        other, other.update_virtual_interface_attributes, virtualInterfaceId=vif_id, mtu=1500
    )


def test_sitelink_on_a_dx_gateway_vif(dx, two):
    client, first, _ = two
    gw = client.create_direct_connect_gateway(directConnectGatewayName="g")["directConnectGateway"]
    vif = make_private_vif(client, first, directConnectGatewayId=gw["directConnectGatewayId"])
    out = client.update_virtual_interface_attributes(
        virtualInterfaceId=vif["virtualInterfaceId"], enableSiteLink=True
    )
    assert out["siteLinkEnabled"] is True
    out = client.update_virtual_interface_attributes(
        virtualInterfaceId=vif["virtualInterfaceId"],
        enableSiteLink=False,
        prefixPoolAllocatedCountIpv4=50,
    )
    assert out["siteLinkEnabled"] is False and out["prefixPoolAllocatedCountIpv4"] == 50


def test_public_vif_keeps_mtu_1500(dx, two):
    client, first, _ = two
    vif = make_public_vif(client, first)
    assert "MTU 8500" in client_error(
        client,
        client.update_virtual_interface_attributes,
        virtualInterfaceId=vif["virtualInterfaceId"],
        mtu=8500,
    )
    assert "public" in client_error(
        client,
        client.update_virtual_interface_attributes,
        virtualInterfaceId=vif["virtualInterfaceId"],
        prefixPoolAllocatedCountIpv4=1,
    )
