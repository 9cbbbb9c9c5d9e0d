"""DescribeRouterConfiguration for every router type AWS lists (docs/behavior.md#router-config), through
boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import client_error, make_connection, make_private_vif, make_public_vif

ROUTER_TYPES = [
    "CiscoSystemsInc-2900SeriesRouters-IOS124",
    "CiscoSystemsInc-3700SeriesRouters-IOS124",
    "CiscoSystemsInc-7200SeriesRouters-IOS124",
    "CiscoSystemsInc-Nexus7000SeriesSwitches-NXOS51",
    "CiscoSystemsInc-Nexus9KSeriesSwitches-NXOS93",
    "JuniperNetworksInc-MMXSeriesRouters-JunOS95",
    "JuniperNetworksInc-SRXSeriesRouters-JunOS95",
    "JuniperNetworksInc-TSeriesRouters-JunOS95",
    "PaloAltoNetworks-PA3000and5000series-PANOS803",
]


@pytest.fixture
def vif(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    vif = make_private_vif(client, conn["connectionId"], vlan=125, asn=65000, authKey="s3cret-key")
    out = client.create_bgp_peer(
        virtualInterfaceId=vif["virtualInterfaceId"],
        newBGPPeer={"asn": 65000, "addressFamily": "ipv6"},
    )["virtualInterface"]
    return client, out


@pytest.mark.parametrize("router_type", ROUTER_TYPES)
def test_every_router_type_carries_the_vifs_values(dx, vif, router_type):
    client, v = vif
    out = client.describe_router_configuration(
        virtualInterfaceId=v["virtualInterfaceId"], routerTypeIdentifier=router_type
    )
    assert out["virtualInterfaceId"] == v["virtualInterfaceId"]
    assert out["virtualInterfaceName"] == v["virtualInterfaceName"]
    assert out["router"]["routerTypeIdentifier"] == router_type
    assert out["router"]["xsltTemplateName"].endswith(".xslt")
    text = out["customerRouterConfig"]
    v4 = v["bgpPeers"][0]
    v6 = next(p for p in v["bgpPeers"] if p["addressFamily"] == "ipv6")
    assert "125" in text and "s3cret-key" in text and v6["authKey"] in text
    assert v4["amazonAddress"].split("/")[0] in text
    assert v6["amazonAddress"].split("/")[0] in text
    assert "65000" in text and "64512" in text


def test_vendor_flavours(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]

    def config(router_type: str) -> str:
        return client.describe_router_configuration(
            virtualInterfaceId=vif_id, routerTypeIdentifier=router_type
        )["customerRouterConfig"]

    ios = config(ROUTER_TYPES[0])
    assert "encapsulation dot1Q 125" in ios and "255.255.255.252" in ios
    assert "remote-as 64512" in ios and "router bgp 65000" in ios
    assert "set interfaces ge-0/0/0 unit 125 vlan-id 125" in config(ROUTER_TYPES[5])
    assert "peer-as 64512" in config(ROUTER_TYPES[8])
    assert "feature bgp" in config(ROUTER_TYPES[4])
    macsec = client.describe_router_configuration(
        virtualInterfaceId=vif_id, routerTypeIdentifier=ROUTER_TYPES[4]
    )["router"]["xsltTemplateNameForMacSec"]
    assert macsec == "customer-switch-cisco-nexus-generic-macsec.xslt"


def test_public_vif_announces_its_prefixes(dx):
    client = dx.client()
    conn = make_connection(dx, client)
    vif = make_public_vif(client, conn["connectionId"])
    text = client.describe_router_configuration(
        virtualInterfaceId=vif["virtualInterfaceId"], routerTypeIdentifier=ROUTER_TYPES[0]
    )["customerRouterConfig"]
    assert "network 198.51.100.0 mask 255.255.255.0" in text and "remote-as 7224" in text


def test_router_type_is_required_and_known(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    assert "required" in client_error(
        client, client.describe_router_configuration, virtualInterfaceId=vif_id
    )
    assert "not supported" in client_error(
        client,
        client.describe_router_configuration,
        virtualInterfaceId=vif_id,
        routerTypeIdentifier="Acme-Router-1",
    )
    assert "does not exist" in client_error(
        client,
        client.describe_router_configuration,
        virtualInterfaceId="dxvif-fabcdefg",
        routerTypeIdentifier=ROUTER_TYPES[0],
    )
    other = dx.client(account="111122223333")
    assert "does not exist" in client_error(
        other,
        other.describe_router_configuration,
        virtualInterfaceId=vif_id,
        routerTypeIdentifier=ROUTER_TYPES[0],
    )
