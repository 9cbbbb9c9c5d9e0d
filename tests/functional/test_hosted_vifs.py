"""Hosted virtual interfaces across accounts: allocate, confirm, reject (docs/behavior.md#hosted-vifs),
through boto3, in both modes."""

from __future__ import annotations

import ipaddress

import pytest

from functional.helpers import client_error, make_connection, wait_vif

A = "123456789012"  # owns the connection
B = "111122223333"  # owns the hosted VIF and its Direct Connect gateway
C = "444455556666"  # owns the virtual private gateway
VGW = "vgw-0c0c0c0c0c0c0c0c0"


def allocation(vlan: int = 200, **extra):
    return {"virtualInterfaceName": f"hosted-{vlan}", "vlan": vlan, "asn": 65010, **extra}


@pytest.fixture
def conn(dx):
    client = dx.client(account=A)
    return client, make_connection(dx, client)["connectionId"]


def test_hosted_private_vif_to_dx_gateway_associated_through_a_proposal(dx, conn):
    a, conn_id = conn
    b, c = dx.client(account=B), dx.client(account=C)
    dx.control(
        "POST",
        "/virtual-gateways",
        {"virtualGatewayId": VGW, "account": C, "vpcCidrs": ["10.30.0.0/16"]},
    )

    vif = a.allocate_private_virtual_interface(
        connectionId=conn_id, ownerAccount=B, newPrivateVirtualInterfaceAllocation=allocation()
    )
    vif_id = vif["virtualInterfaceId"]
    assert vif["virtualInterfaceState"] == "confirming" and vif["ownerAccount"] == B
    assert vif["virtualGatewayId"] == "" and vif["directConnectGatewayId"] == ""
    # Both accounts see it, the owner and the connection's owner.
    assert b.describe_virtual_interfaces()["virtualInterfaces"][0]["virtualInterfaceId"] == vif_id
    assert (
        a.describe_virtual_interfaces(connectionId=conn_id)["virtualInterfaces"][0]["ownerAccount"]
        == B
    )

    gw = b.create_direct_connect_gateway(directConnectGatewayName="b-gw", amazonSideAsn=64999)
    gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
    assert "does not exist" in client_error(
        a,
        a.confirm_private_virtual_interface,
        virtualInterfaceId=vif_id,
        directConnectGatewayId=gw_id,
    )
    out = b.confirm_private_virtual_interface(
        virtualInterfaceId=vif_id, directConnectGatewayId=gw_id
    )
    assert out == {"virtualInterfaceState": "pending", "ResponseMetadata": out["ResponseMetadata"]}
    confirmed = b.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    assert confirmed["directConnectGatewayId"] == gw_id and confirmed["amazonSideAsn"] == 64999
    assert "<amazon_bgp_asn>64999</amazon_bgp_asn>" in confirmed["customerRouterConfig"]

    proposal = c.create_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        directConnectGatewayOwnerAccount=B,
        gatewayId=VGW,
    )["directConnectGatewayAssociationProposal"]
    assoc = b.accept_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        proposalId=proposal["proposalId"],
        associatedGatewayOwnerAccount=C,
    )["directConnectGatewayAssociation"]
    assert assoc["associationState"] == "associating"
    assert assoc["allowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.30.0.0/16"}]

    final = wait_vif(dx, b, vif_id)
    assert final["virtualInterfaceState"] == "available"
    dx.wait(
        lambda: b.describe_direct_connect_gateway_attachments(directConnectGatewayId=gw_id)[
            "directConnectGatewayAttachments"
        ][0]["attachmentState"],
        lambda s: s == "attached",
    )
    dx.wait(
        lambda: c.describe_direct_connect_gateway_associations(associatedGatewayId=VGW)[
            "directConnectGatewayAssociations"
        ][0]["associationState"],
        lambda s: s == "associated",
    )
    state = c.describe_direct_connect_gateway_association_proposals(
        proposalId=proposal["proposalId"]
    )
    assert state["directConnectGatewayAssociationProposals"][0]["proposalState"] == "accepted"
    assert (
        a.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0][
            "virtualInterfaceState"
        ]
        == "available"
    )


def test_cannot_allocate_to_the_connection_owner(dx, conn):
    a, conn_id = conn
    message = client_error(
        a,
        a.allocate_private_virtual_interface,
        connectionId=conn_id,
        ownerAccount=A,
        newPrivateVirtualInterfaceAllocation=allocation(),
    )
    assert message == "Cannot allocate VirtualInterface for the connection owner."
    assert "not a valid account" in client_error(
        a,
        a.allocate_private_virtual_interface,
        connectionId=conn_id,
        ownerAccount="abc",
        newPrivateVirtualInterfaceAllocation=allocation(),
    )
    b = dx.client(account=B)
    assert "Could not find Connection" in client_error(
        b,
        b.allocate_private_virtual_interface,
        connectionId=conn_id,
        ownerAccount=C,
        newPrivateVirtualInterfaceAllocation=allocation(),
    )


def test_owner_rejects_by_deleting(dx, conn):
    a, conn_id = conn
    b = dx.client(account=B)
    vif_id = a.allocate_private_virtual_interface(
        connectionId=conn_id, ownerAccount=B, newPrivateVirtualInterfaceAllocation=allocation()
    )["virtualInterfaceId"]
    assert (
        b.delete_virtual_interface(virtualInterfaceId=vif_id)["virtualInterfaceState"] == "rejected"
    )
    assert "confirming" in client_error(
        b,
        b.confirm_private_virtual_interface,
        virtualInterfaceId=vif_id,
        virtualGatewayId="vgw-f9eb0c90",
    )


def test_confirm_private_to_a_virtual_gateway(dx, conn):
    a, conn_id = conn
    b = dx.client(account=B)
    vif_id = a.allocate_private_virtual_interface(
        connectionId=conn_id,
        ownerAccount=B,
        newPrivateVirtualInterfaceAllocation=allocation(mtu=8500),
    )["virtualInterfaceId"]
    assert "exactly one" in client_error(
        b, b.confirm_private_virtual_interface, virtualInterfaceId=vif_id
    )
    assert "does not exist" in client_error(
        a,
        a.confirm_private_virtual_interface,
        virtualInterfaceId=vif_id,
        virtualGatewayId="vgw-f9eb0c90",
    )
    out = b.confirm_private_virtual_interface(
        virtualInterfaceId=vif_id, virtualGatewayId="vgw-f9eb0c90"
    )
    assert out["virtualInterfaceState"] == "pending"
    final = wait_vif(dx, b, vif_id)
    assert final["virtualGatewayId"] == "vgw-f9eb0c90" and final["mtu"] == 8500
    assert "confirming" in client_error(
        b,
        b.confirm_private_virtual_interface,
        virtualInterfaceId=vif_id,
        virtualGatewayId="vgw-f9eb0c90",
    )


def test_hosted_transit_vif(dx, conn):
    a, conn_id = conn
    b = dx.client(account=B)
    out = a.allocate_transit_virtual_interface(
        connectionId=conn_id, ownerAccount=B, newTransitVirtualInterfaceAllocation=allocation(300)
    )
    vif = out["virtualInterface"]
    assert vif["virtualInterfaceType"] == "transit" and vif["virtualInterfaceState"] == "confirming"
    assert "private" in client_error(
        b,
        b.confirm_private_virtual_interface,
        virtualInterfaceId=vif["virtualInterfaceId"],
        virtualGatewayId="vgw-f9eb0c90",
    )
    gw_id = b.create_direct_connect_gateway(directConnectGatewayName="t", amazonSideAsn=4200000000)[
        "directConnectGateway"
    ]["directConnectGatewayId"]
    state = b.confirm_transit_virtual_interface(
        virtualInterfaceId=vif["virtualInterfaceId"], directConnectGatewayId=gw_id
    )["virtualInterfaceState"]
    assert state == "pending"
    att = b.describe_direct_connect_gateway_attachments(
        virtualInterfaceId=vif["virtualInterfaceId"]
    )
    assert att["directConnectGatewayAttachments"][0]["attachmentType"] == "TransitVirtualInterface"
    final = wait_vif(dx, b, vif["virtualInterfaceId"])
    assert final["amazonSideAsn"] == 4200000000


def test_hosted_public_vif_goes_verifying(dx, conn):
    a, conn_id = conn
    b = dx.client(account=B)
    spec = allocation(
        400,
        amazonAddress="203.0.113.1/30",
        customerAddress="203.0.113.2/30",
        routeFilterPrefixes=[{"cidr": "203.0.113.0/24"}],
    )
    vif = a.allocate_public_virtual_interface(
        connectionId=conn_id, ownerAccount=B, newPublicVirtualInterfaceAllocation=spec
    )
    assert vif["virtualInterfaceState"] == "confirming" and vif["amazonSideAsn"] == 7224
    out = b.confirm_public_virtual_interface(virtualInterfaceId=vif["virtualInterfaceId"])
    assert out["virtualInterfaceState"] == "verifying"
    wait_vif(dx, b, vif["virtualInterfaceId"])


def test_rejected_vif_frees_its_addresses_and_goes(dx, conn):
    a, conn_id = conn
    b = dx.client(account=B)
    vif = a.allocate_private_virtual_interface(
        connectionId=conn_id, ownerAccount=B, newPrivateVirtualInterfaceAllocation=allocation()
    )
    block = ipaddress.ip_interface(vif["amazonAddress"]).network.network_address
    key = f"{B}:us-east-1:{block}"
    assert dx.control("GET", f"/records/ipv4Block/{key}")["block"] == key
    b.delete_virtual_interface(virtualInterfaceId=vif["virtualInterfaceId"])
    with pytest.raises(Exception, match="No ipv4Block record"):
        dx.control("GET", f"/records/ipv4Block/{key}")
    # Visible as rejected for a while (§3.1), then gone.
    listed = b.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])
    assert listed["virtualInterfaces"][0]["virtualInterfaceState"] == "rejected"
    dx.advance(seconds=16 * 60)
    assert "does not exist" in client_error(
        b, b.describe_virtual_interfaces, virtualInterfaceId=vif["virtualInterfaceId"]
    )


def test_moving_a_vif_to_another_accounts_connection_moves_who_sees_it(dx, conn):
    a, conn_a = conn
    b = dx.client(account=B)
    conn_b = make_connection(dx, b, name="b-conn")["connectionId"]
    vif_id = a.allocate_private_virtual_interface(
        connectionId=conn_a, ownerAccount=B, newPrivateVirtualInterfaceAllocation=allocation()
    )["virtualInterfaceId"]
    b.confirm_private_virtual_interface(virtualInterfaceId=vif_id, virtualGatewayId="vgw-f9eb0c90")

    def sees(client) -> bool:
        return vif_id in {
            v["virtualInterfaceId"]
            for v in client.describe_virtual_interfaces()["virtualInterfaces"]
        }

    assert sees(a) and sees(b)
    # The VIF's owner moves it onto a connection of its own: the old connection's owner
    # no longer sees it.
    b.associate_virtual_interface(virtualInterfaceId=vif_id, connectionId=conn_b)
    assert sees(b) and not sees(a)
