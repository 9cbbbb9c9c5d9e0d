"""Direct Connect gateway associations with VGWs and TGWs (docs/behavior.md#associations), and
the control API that registers gateways, through boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import client_error, make_connection

VGW = "vgw-0a1b2c3d4e5f60718"
TGW = "tgw-0123456789abcdef0"
TGW2 = "tgw-0123456789abcdef1"


def make_gateway(client, asn: int = 64512) -> str:
    gw = client.create_direct_connect_gateway(directConnectGatewayName="gw", amazonSideAsn=asn)
    return gw["directConnectGateway"]["directConnectGatewayId"]


def assoc_state(client, association_id: str) -> str:
    out = client.describe_direct_connect_gateway_associations(associationId=association_id)
    return out["directConnectGatewayAssociations"][0]["associationState"]


def test_vgw_association_defaults_to_vpc_cidrs(dx):
    dx.control(
        "POST",
        "/virtual-gateways",
        {
            "virtualGatewayId": VGW,
            "amazonSideAsn": 64600,
            "vpcCidrs": ["10.0.0.0/16", "10.1.0.0/16"],
        },
    )
    client = dx.client()
    gw_id = make_gateway(client)
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id, gatewayId=VGW
    )["directConnectGatewayAssociation"]
    assert assoc["associationState"] == "associating"
    assert assoc["associatedGateway"] == {
        "id": VGW,
        "type": "virtualPrivateGateway",
        "ownerAccount": "123456789012",
        "region": "us-east-1",
    }
    assert assoc["virtualGatewayId"] == VGW and assoc["virtualGatewayRegion"] == "us-east-1"
    assert assoc["allowedPrefixesToDirectConnectGateway"] == [
        {"cidr": "10.0.0.0/16"},
        {"cidr": "10.1.0.0/16"},
    ]
    dx.wait(lambda: assoc_state(client, assoc["associationId"]), lambda s: s == "associated")
    # One DX gateway per VGW, and no duplicate association.
    other = make_gateway(client)
    assert "already associated" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=other,
        virtualGatewayId=VGW,
    )
    listed = client.describe_direct_connect_gateway_associations(virtualGatewayId=VGW)
    assert [a["associationId"] for a in listed["directConnectGatewayAssociations"]] == [
        assoc["associationId"]
    ]
    assert client.describe_virtual_gateways()["virtualGateways"] == [
        {"virtualGatewayId": VGW, "virtualGatewayState": "available"}
    ]
    assert "Specify" in client_error(client, client.describe_direct_connect_gateway_associations)


def test_update_and_delete(dx_manual):
    client = dx_manual.client()
    gw_id = make_gateway(client)
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id,
        gatewayId="vgw-f9eb0c90",
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.0.0.0/24"}],
    )["directConnectGatewayAssociation"]
    aid = assoc["associationId"]
    assert "associated" in client_error(
        client,
        client.update_direct_connect_gateway_association,
        associationId=aid,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.9.0.0/24"}],
    )
    dx_manual.wait(lambda: assoc_state(client, aid), lambda s: s == "associated")
    out = client.update_direct_connect_gateway_association(
        associationId=aid,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.9.0.0/24"}],
        removeAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.0.0.0/24"}],
    )["directConnectGatewayAssociation"]
    assert out["associationState"] == "updating"
    assert out["allowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.9.0.0/24"}]
    dx_manual.wait(lambda: assoc_state(client, aid), lambda s: s == "associated")
    assert "not a valid CIDR" in client_error(
        client,
        client.update_direct_connect_gateway_association,
        associationId=aid,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.0.0.1/8"}],
    )
    assert "associations" in client_error(
        client, client.delete_direct_connect_gateway, directConnectGatewayId=gw_id
    )
    gone = client.delete_direct_connect_gateway_association(
        directConnectGatewayId=gw_id, virtualGatewayId="vgw-f9eb0c90"
    )["directConnectGatewayAssociation"]
    assert gone["associationState"] == "disassociating"
    dx_manual.wait(lambda: assoc_state(client, aid), lambda s: s == "disassociated")
    assert "does not exist" in client_error(
        client, client.delete_direct_connect_gateway_association, associationId=aid
    )
    client.delete_direct_connect_gateway(directConnectGatewayId=gw_id)


def test_transit_gateway_rules(dx):
    dx.control("POST", "/transit-gateways", {"transitGatewayId": TGW, "amazonSideAsn": 64512})
    dx.control("POST", "/transit-gateways", {"transitGatewayId": TGW2, "amazonSideAsn": 64513})
    client = dx.client()
    same_asn = make_gateway(client, 64512)
    gw_id = make_gateway(client, 65000)
    assert "required" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=gw_id,
        gatewayId=TGW,
    )
    prefixes = [{"cidr": "10.0.0.0/16"}]
    assert "must differ" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=same_asn,
        gatewayId=TGW,
        addAllowedPrefixesToDirectConnectGateway=prefixes,
    )
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw_id,
        gatewayId=TGW,
        addAllowedPrefixesToDirectConnectGateway=prefixes,
    )["directConnectGatewayAssociation"]
    assert (
        assoc["associatedGateway"]["type"] == "transitGateway" and "virtualGatewayId" not in assoc
    )
    assert "overlaps" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=gw_id,
        gatewayId=TGW2,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.0.128.0/17"}],
    )
    # A gateway serving transit gateways takes no private VIF, and vice versa.
    conn = make_connection(dx, client)
    spec = {"virtualInterfaceName": "p", "vlan": 10, "asn": 65001, "directConnectGatewayId": gw_id}
    assert "transitGateway" in client_error(
        client,
        client.create_private_virtual_interface,
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface=spec,
    )
    assert "invalid format" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=gw_id,
        gatewayId="tgw-123",
    )


def test_another_accounts_gateway_needs_a_proposal(dx):
    dx.control("POST", "/virtual-gateways", {"virtualGatewayId": VGW, "account": "111122223333"})
    client = dx.client()
    gw_id = make_gateway(client)
    assert "proposal" in client_error(
        client,
        client.create_direct_connect_gateway_association,
        directConnectGatewayId=gw_id,
        gatewayId=VGW,
    )
    other = dx.client(account="111122223333")
    assert "does not exist" in client_error(
        other,
        other.create_direct_connect_gateway_association,
        directConnectGatewayId=gw_id,
        gatewayId=VGW,
    )


def test_control_route_validates(dx):
    with pytest.raises(Exception, match="not a valid"):
        dx.control("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-zz"})
    with pytest.raises(Exception, match="CIDR"):
        dx.control(
            "POST", "/transit-gateways", {"transitGatewayId": TGW, "vpcCidrs": ["10.0.0.1/8"]}
        )
    out = dx.control("POST", "/virtual-gateways", {"virtualGatewayId": VGW, "region": "eu-west-1"})
    assert out["region"] == "eu-west-1"
    assert (
        dx.client(region="eu-west-1").describe_virtual_gateways()["virtualGateways"][0][
            "virtualGatewayId"
        ]
        == VGW
    )
