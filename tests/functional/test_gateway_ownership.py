"""Unregistered VGW ids belong to whoever names them, per account; a registered gateway
belongs to its owner alone and cannot be registered again for another account."""

from __future__ import annotations

import pytest
from helpers import client_error, make_connection, make_private_vif

B, C = "111111111111", "222222222222"
VGW = "vgw-0b0b0b0b"


def test_naming_another_accounts_vgw_first_claims_nothing(dx):
    b, c = dx.client(B), dx.client(C)
    conn_c = make_connection(dx, c)
    make_private_vif(c, conn_c["connectionId"], virtualGatewayId=VGW)  # C names it first
    conn_b = make_connection(dx, b)
    vif = make_private_vif(b, conn_b["connectionId"], virtualGatewayId=VGW)
    assert vif["virtualGatewayId"] == VGW and vif["ownerAccount"] == B
    for client in (b, c):  # each account sees a gateway of its own
        [gw] = client.describe_virtual_gateways()["virtualGateways"]
        assert gw["virtualGatewayId"] == VGW


def test_an_unregistered_id_reveals_nothing_about_other_accounts(dx):
    b, c = dx.client(B), dx.client(C)
    make_private_vif(b, make_connection(dx, b)["connectionId"], virtualGatewayId=VGW)
    conn_c = make_connection(dx, c)
    used = make_private_vif(c, conn_c["connectionId"], virtualGatewayId=VGW, vlan=102)
    unused = make_private_vif(c, conn_c["connectionId"], virtualGatewayId="vgw-0c0c0c0c", vlan=103)
    assert used["virtualInterfaceState"] == unused["virtualInterfaceState"]


def test_a_registered_vgw_is_its_owners_alone(dx):
    dx.control("POST", "/virtual-gateways", {"virtualGatewayId": VGW, "account": B,
                                             "vpcCidrs": ["10.5.0.0/16"]})  # fmt: skip
    b, c = dx.client(B), dx.client(C)
    message = client_error(c, c.create_private_virtual_interface,
                           connectionId=make_connection(dx, c)["connectionId"],
                           newPrivateVirtualInterface={"virtualInterfaceName": "x", "vlan": 101,
                                                       "asn": 65000, "virtualGatewayId": VGW})  # fmt: skip
    assert message == f"Virtual gateway {VGW} does not exist."
    make_private_vif(b, make_connection(dx, b)["connectionId"], virtualGatewayId=VGW)
    assert c.describe_virtual_gateways()["virtualGateways"] == []


def test_a_registered_gateway_cannot_be_registered_for_another_account(dx):
    for id_field, path, gw in (("virtualGatewayId", "/virtual-gateways", VGW),
                               ("transitGatewayId", "/transit-gateways", "tgw-0b0b0b0b0b0b0b0b0")):  # fmt: skip
        dx.control("POST", path, {id_field: gw, "account": B, "vpcCidrs": ["10.5.0.0/16"]})
        with pytest.raises(Exception, match="registered to account 111111111111"):
            dx.control("POST", path, {id_field: gw, "account": C, "vpcCidrs": ["0.0.0.0/1"]})
        again = dx.control("POST", path, {id_field: gw, "account": B, "vpcCidrs": ["10.6.0.0/16"]})
        assert again["_vpcCidrs"] == ["10.6.0.0/16"]  # its owner may update it
