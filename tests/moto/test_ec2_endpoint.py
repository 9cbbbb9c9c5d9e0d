"""dxlocal serve --ec2-endpoint: VGWs, TGWs and VPC CIDRs come from moto's EC2 server, with
existence and ownership checked as the caller."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request

import boto3
import pytest

from dxtest import LiveServer, free_port

OWNER, OTHER = "111122223333", "444455556666"


@pytest.fixture(scope="module")
def moto_url():
    exe = shutil.which("moto_server") or pytest.skip("moto_server is not installed (test extra)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield url
    proc.kill()  # a throwaway server: nothing to shut down cleanly
    proc.wait(30)


def ec2(url: str, account: str):
    client = boto3.client(
        "ec2",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=account,
        aws_secret_access_key="moto-secret",
    )
    client.meta.events.register(
        "before-sign.ec2",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
    )
    return client


@pytest.fixture(scope="module")
def world(moto_url, tmp_path_factory):
    e = ec2(moto_url, OWNER)
    vpc = e.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    e.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.21.0.0/16")
    vgw = e.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=65010)["VpnGateway"]["VpnGatewayId"]
    e.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    tgw = e.create_transit_gateway(Options={"AmazonSideAsn": 64620})["TransitGateway"]
    server = LiveServer(tmp_path_factory.mktemp("ec2") / "s.sqlite3", "--ec2-endpoint", moto_url)
    server.start()
    yield server, vgw, tgw["TransitGatewayId"]
    server.stop()


def test_vgw_from_ec2_with_its_asn_and_vpc_cidrs(world) -> None:
    server, vgw, _ = world
    client = server.client(OWNER)
    assert [
        g["virtualGatewayId"] for g in client.describe_virtual_gateways()["virtualGateways"]
    ] == [vgw]
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="e")
    vif = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "v", "vlan": 7, "asn": 65000, "virtualGatewayId": vgw
        },
    )  # fmt: skip
    assert vif["amazonSideAsn"] == 65010  # the VGW's own ASN, from EC2
    gw = client.create_direct_connect_gateway(directConnectGatewayName="g")["directConnectGateway"]
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw["directConnectGatewayId"], gatewayId=vgw
    )["directConnectGatewayAssociation"]
    allowed = {p["cidr"] for p in assoc["allowedPrefixesToDirectConnectGateway"]}
    assert allowed == {"10.20.0.0/16", "10.21.0.0/16"}  # the VPC's real CIDRs


def test_unknown_or_foreign_gateways_do_not_exist(world) -> None:
    server, vgw, tgw = world
    other = server.client(OTHER)
    conn = other.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="o")
    for gateway in (vgw, "vgw-0123456789abcdef0"):
        with pytest.raises(other.exceptions.DirectConnectClientException, match="does not exist"):
            other.create_private_virtual_interface(
                connectionId=conn["connectionId"],
                newPrivateVirtualInterface={
                    "virtualInterfaceName": "v", "vlan": 8, "asn": 65000, "virtualGatewayId": gateway
                },
            )  # fmt: skip
    gw = other.create_direct_connect_gateway(directConnectGatewayName="o")["directConnectGateway"]
    with pytest.raises(other.exceptions.DirectConnectClientException, match="does not exist"):
        other.create_direct_connect_gateway_association(
            directConnectGatewayId=gw["directConnectGatewayId"],
            gatewayId=tgw,
            addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.9.0.0/16"}],
        )
    assert other.describe_virtual_gateways()["virtualGateways"] == []


def test_tgw_of_the_owner_associates(world) -> None:
    server, _, tgw = world
    client = server.client(OWNER)
    gw = client.create_direct_connect_gateway(directConnectGatewayName="t", amazonSideAsn=64700)[
        "directConnectGateway"
    ]
    assoc = client.create_direct_connect_gateway_association(
        directConnectGatewayId=gw["directConnectGatewayId"],
        gatewayId=tgw,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.9.0.0/16"}],
    )["directConnectGatewayAssociation"]
    assert assoc["associatedGateway"] == {
        "id": tgw, "type": "transitGateway", "ownerAccount": OWNER, "region": "us-east-1"
    }  # fmt: skip
