"""The in-process example, run by tests/packaging/test_wheel.py inside a fresh venv that holds
the built wheel and an older boto3: it must work with whatever botocore that boto3 brings."""

import boto3
import botocore

from dxlocal import mock_directconnect

with mock_directconnect():
    dx = boto3.client("directconnect", region_name="us-east-1")
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="lab")
    vif = dx.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "prod",
            "vlan": 101,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    peer = dx.create_bgp_peer(
        virtualInterfaceId=vif["virtualInterfaceId"],
        newBGPPeer={"asn": 65000, "addressFamily": "ipv6"},
    )
    families = sorted(p["addressFamily"] for p in peer["virtualInterface"]["bgpPeers"])
    assert families == ["ipv4", "ipv6"], families
    print(
        f"botocore {botocore.__version__}: {conn['connectionId']} {vif['virtualInterfaceId']} {families}"
    )
