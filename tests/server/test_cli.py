"""The AWS CLI, unmodified, against a live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest


def aws(server, *args: str) -> dict:
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    cmd = [exe] if exe else [sys.executable, "-m", "awscli"]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "123456789012",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
    }
    out = subprocess.run(
        [*cmd, "directconnect", *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    return json.loads(out.stdout) if out.stdout.strip() else {}


def aws_error(server, *args: str) -> str:
    with pytest.raises(AssertionError) as info:
        aws(server, *args)
    return str(info.value)


def test_create_and_delete_bgp_peer_with_the_cli(live_server):
    live_server.control("POST", "/reset")
    conn = aws(
        live_server,
        "create-connection",
        "--location",
        "EqDC2",
        "--bandwidth",
        "1Gbps",
        "--connection-name",
        "cli",
    )
    vif = aws(
        live_server,
        "create-private-virtual-interface",
        "--connection-id",
        conn["connectionId"],
        "--new-private-virtual-interface",
        "virtualInterfaceName=cli-vif,vlan=125,asn=65000,virtualGatewayId=vgw-0a1b2c3d",
    )
    out = aws(
        live_server,
        "create-bgp-peer",
        "--virtual-interface-id",
        vif["virtualInterfaceId"],
        "--new-bgp-peer",
        "asn=64600,addressFamily=ipv6",
    )
    peers = out["virtualInterface"]["bgpPeers"]
    v6 = next(p for p in peers if p["addressFamily"] == "ipv6")
    assert v6["bgpPeerState"] == "pending" and v6["amazonAddress"].endswith("/125")
    err = aws_error(
        live_server,
        "create-bgp-peer",
        "--virtual-interface-id",
        vif["virtualInterfaceId"],
        "--new-bgp-peer",
        "asn=64601,addressFamily=ipv6",
    )
    assert "DirectConnectClientException" in err
    out = aws(
        live_server,
        "delete-bgp-peer",
        "--virtual-interface-id",
        vif["virtualInterfaceId"],
        "--asn",
        "64600",
        "--customer-address",
        v6["customerAddress"],
    )
    assert (
        next(p for p in out["virtualInterface"]["bgpPeers"] if p["bgpPeerId"] == v6["bgpPeerId"])[
            "bgpPeerState"
        ]
        == "deleting"
    )
    err = aws_error(
        live_server,
        "delete-bgp-peer",
        "--virtual-interface-id",
        vif["virtualInterfaceId"],
        "--bgp-peer-id",
        peers[0]["bgpPeerId"],
    )
    assert "The last BGP Peer on a Virtual Interface cannot be deleted" in err


def test_a_served_state_file_is_not_reset_or_served_twice(live_server):
    def dxlocal(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dxlocal.cli", *args, "--state", live_server.state],
            capture_output=True,
            text=True,
            timeout=60,
        )

    reset = dxlocal("reset")
    assert reset.returncode == 1 and "in use by another dxlocal process" in reset.stderr
    second = dxlocal("serve", "--port", "1")
    assert second.returncode == 1 and "in use" in second.stderr
    assert os.path.exists(live_server.state)
    assert live_server.control("GET", "/health")["status"] == "ok"
