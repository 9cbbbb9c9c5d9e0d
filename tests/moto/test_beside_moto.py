"""mock_directconnect inside or around moto's mock_aws: Direct Connect answered by dxlocal
(with every operation, including those moto lacks), everything else by moto."""

from __future__ import annotations

import boto3
import pytest

moto = pytest.importorskip("moto", reason="moto is a test dependency (the test extra)")
from moto.core.config import default_user_config  # noqa: E402

from dxlocal import mock_directconnect  # noqa: E402


def _exercise() -> None:
    dx = boto3.client("directconnect", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]  # moto
    assert ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"]
    codes = {loc["locationCode"] for loc in dx.describe_locations()["locations"]}
    assert "EqDC2" in codes  # moto has no DescribeLocations
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="m")
    vif = dx.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "v",
            "vlan": 10,
            "asn": 65000,
            "virtualGatewayId": vgw,
        },
    )
    peer = dx.create_bgp_peer(  # nor CreateBGPPeer
        virtualInterfaceId=vif["virtualInterfaceId"],
        newBGPPeer={"asn": 65000, "addressFamily": "ipv6"},
    )
    assert len(peer["virtualInterface"]["bgpPeers"]) == 2
    assert dx.describe_connections()["connections"][0]["connectionId"].startswith("dxcon-f")


def _passthrough() -> list[str]:
    return default_user_config["core"]["passthrough"]["services"]


def test_dxlocal_inside_mock_aws() -> None:
    with moto.mock_aws():
        with mock_directconnect():
            _exercise()
        assert "directconnect" not in _passthrough()
        # Outside dxlocal's block moto answers Direct Connect again (its own connections).
        dx = boto3.client("directconnect", region_name="us-east-1")
        assert dx.describe_connections()["connections"] == []
    assert "directconnect" not in _passthrough()


def test_mock_aws_inside_dxlocal() -> None:
    with mock_directconnect(), moto.mock_aws():
        _exercise()
    assert "directconnect" not in _passthrough()


def test_a_passthrough_the_user_set_is_kept() -> None:
    config = {"core": {"passthrough": {"services": ["directconnect"], "urls": []}}}
    with moto.mock_aws(config=config), mock_directconnect():
        _exercise()
    assert config["core"]["passthrough"]["services"] == ["directconnect"]


def test_the_default_session_forgets_the_mock_credentials(monkeypatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    with mock_directconnect():
        boto3.client("directconnect", region_name="us-east-1").describe_locations()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "111122223333")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dxlocal-secret")
    client = boto3.client("directconnect", region_name="us-east-1")
    assert client._request_signer._credentials.access_key == "111122223333"
