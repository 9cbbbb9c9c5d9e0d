"""Direct Connect gateways and their VIF attachments (docs/behavior.md#gateways), through
boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import (
    client_error,
    make_connection,
    make_gateway,
    make_private_vif,
    wait_vif,
)


def test_create_pending_then_available_with_default_asn(dx):
    client = dx.client()
    gw = client.create_direct_connect_gateway(directConnectGatewayName="first")[
        "directConnectGateway"
    ]
    assert gw["directConnectGatewayState"] == "pending"
    assert gw["amazonSideAsn"] == 64512 and gw["ownerAccount"] == "123456789012"
    assert len(gw["directConnectGatewayId"]) == 36 and gw["directConnectGatewayId"].count("-") == 4
    final = make_gateway(dx, client, "second", amazonSideAsn=4200000000)
    assert final["amazonSideAsn"] == 4200000000
    # Global: another Region sees the same gateways.
    other = dx.client(region="eu-west-1").describe_direct_connect_gateways()[
        "directConnectGateways"
    ]
    assert {g["directConnectGatewayName"] for g in other} == {"first", "second"}


@pytest.mark.parametrize("asn", [1, 64511, 65535, 4199999999, 4294967295])
def test_amazon_side_asn_must_be_private(dx, asn):
    client = dx.client()
    assert "not valid" in client_error(
        client,
        client.create_direct_connect_gateway,
        directConnectGatewayName="x",
        amazonSideAsn=asn,
    )


def test_describe_update_and_other_accounts(dx):
    client = dx.client()
    gw = make_gateway(dx, client, "old", tags=[{"key": "team", "value": "net"}])
    gw_id = gw["directConnectGatewayId"]
    assert gw["tags"] == [{"key": "team", "value": "net"}]
    out = client.update_direct_connect_gateway(
        directConnectGatewayId=gw_id, newDirectConnectGatewayName="new"
    )
    assert out["directConnectGateway"]["directConnectGatewayName"] == "new"
    other = dx.client(account="111122223333")
    assert other.describe_direct_connect_gateways()["directConnectGateways"] == []
    # Another account's gateway, asked for by id: an empty answer (as for a deleted one).
    answer = other.describe_direct_connect_gateways(directConnectGatewayId=gw_id)
    assert answer["directConnectGateways"] == []
    assert "invalid format" in client_error(
        client, client.describe_direct_connect_gateways, directConnectGatewayId="dxcon-myid"
    )
    assert "does not exist" in client_error(
        other,
        other.update_direct_connect_gateway,
        directConnectGatewayId=gw_id,
        newDirectConnectGatewayName="x",
    )


def test_pagination(dx):
    client = dx.client()
    for i in range(3):
        client.create_direct_connect_gateway(directConnectGatewayName=f"gw{i}")
    first = client.describe_direct_connect_gateways(maxResults=2)
    assert len(first["directConnectGateways"]) == 2 and first["nextToken"]
    rest = client.describe_direct_connect_gateways(maxResults=2, nextToken=first["nextToken"])
    assert len(rest["directConnectGateways"]) == 1 and "nextToken" not in rest


def test_delete_goes_deleting_then_disappears(dx):
    client = dx.client()
    gw_id = make_gateway(dx, client)["directConnectGatewayId"]
    out = client.delete_direct_connect_gateway(directConnectGatewayId=gw_id)["directConnectGateway"]
    assert out["directConnectGatewayState"] == "deleting"
    dx.wait(
        lambda: client.describe_direct_connect_gateways()["directConnectGateways"],
        lambda g: g == [],
    )
    # By id too: an empty list, which Terraform's destroy waits for (not an error).
    by_id = client.describe_direct_connect_gateways(directConnectGatewayId=gw_id)
    assert by_id["directConnectGateways"] == []
    assert "does not exist" in client_error(
        client, client.delete_direct_connect_gateway, directConnectGatewayId=gw_id
    )


def test_attachment_follows_the_vif_and_blocks_delete(dx_manual):
    client = dx_manual.client()
    gw_id = make_gateway(dx_manual, client, amazonSideAsn=65100)["directConnectGatewayId"]
    conn = make_connection(dx_manual, client)
    vif = make_private_vif(client, conn["connectionId"], directConnectGatewayId=gw_id)
    assert vif["directConnectGatewayId"] == gw_id and vif["virtualGatewayId"] == ""
    assert vif["amazonSideAsn"] == 65100
    vif_id = vif["virtualInterfaceId"]

    def attachment():
        return client.describe_direct_connect_gateway_attachments(directConnectGatewayId=gw_id)[
            "directConnectGatewayAttachments"
        ][0]

    first = attachment()
    assert first["attachmentState"] == "attaching"
    assert first["attachmentType"] == "PrivateVirtualInterface"
    assert first["virtualInterfaceRegion"] == "us-east-1"
    assert first["virtualInterfaceOwnerAccount"] == "123456789012"
    dx_manual.wait(attachment, lambda a: a["attachmentState"] == "attached")
    by_vif = client.describe_direct_connect_gateway_attachments(virtualInterfaceId=vif_id)
    assert by_vif["directConnectGatewayAttachments"][0]["directConnectGatewayId"] == gw_id
    wait_vif(dx_manual, client, vif_id)
    assert "virtual interfaces attached" in client_error(
        client, client.delete_direct_connect_gateway, directConnectGatewayId=gw_id
    )
    client.delete_virtual_interface(virtualInterfaceId=vif_id)
    assert attachment()["attachmentState"] == "detaching"
    dx_manual.wait(attachment, lambda a: a["attachmentState"] == "detached")
    client.delete_direct_connect_gateway(directConnectGatewayId=gw_id)


def test_attachments_need_a_gateway_or_a_vif(dx):
    client = dx.client()
    assert "Specify" in client_error(client, client.describe_direct_connect_gateway_attachments)
    assert "does not exist" in client_error(
        client,
        client.describe_direct_connect_gateway_attachments,
        virtualInterfaceId="dxvif-fabcdefg",
    )


def test_vif_on_unknown_or_deleting_gateway_is_refused(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    conn_id = conn["connectionId"]
    assert "invalid format" in client_error(
        client, lambda: make_private_vif(client, conn_id, directConnectGatewayId="dxcon-myid")
    )
    gw_id = make_gateway(dx, client)["directConnectGatewayId"]
    client.delete_direct_connect_gateway(directConnectGatewayId=gw_id)
    assert "does not exist" in client_error(
        client, lambda: make_private_vif(client, conn_id, directConnectGatewayId=gw_id)
    )
