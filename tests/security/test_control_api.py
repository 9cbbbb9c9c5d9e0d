"""A closed control API: a token whenever calls are signed or the port is reachable from
elsewhere, found by the ``dxlocal`` commands themselves; PATCH never moves, renames or
breaks a record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import dxtest
from dxtest import LiveServer


def call(service, op: str, body: dict, account: str = "123456789012") -> tuple[int, dict]:
    return dxtest.call(service, op, body, account)


def patch(service, kind: str, rid: str, body: dict) -> tuple[int, dict]:
    status, _, payload = service.handle("PATCH", f"/_dxlocal/records/{kind}/{rid}",
                                        {"content-type": "application/json"},
                                        json.dumps(body).encode())  # fmt: skip
    return status, json.loads(payload)


@pytest.mark.parametrize(
    "body",
    [
        {"ownerAccount": "222222222222"},  # hand the record to another account
        {"region": "eu-west-1"},
        {"virtualInterfaceId": "dxvif-ffffffff"},  # rename it
        {"bgpPeers": "x"},  # what used to make DescribeVirtualInterfaces a 500
        {"bgpPeers": [{"asn": "not a number"}]},
        {"vlan": "101"},
        {"mtu": 1e300},
        {"noSuchField": 1},
        {"_notThere": True},
    ],
)
def test_patch_cannot_move_rename_or_break_a_record(service, body):
    _, conn = call(service, "CreateConnection",
                   {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "c"})  # fmt: skip
    status, vif = call(service, "CreatePrivateVirtualInterface", {
        "connectionId": conn["connectionId"],
        "newPrivateVirtualInterface": {"virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
                                       "virtualGatewayId": "vgw-0a1b2c3d"}})  # fmt: skip
    assert status == 200
    vif_id = vif["virtualInterfaceId"]
    status, answer = patch(service, "virtualInterface", vif_id, body)
    assert status == 400, answer
    status, listing = call(service, "DescribeVirtualInterfaces", {})
    [after] = listing["virtualInterfaces"]
    assert after["virtualInterfaceId"] == vif_id and after["ownerAccount"] == vif["ownerAccount"]
    assert after["bgpPeers"] == vif["bgpPeers"]
    assert call(service, "DescribeVirtualInterfaces", {}, account="222222222222")[1] == {
        "virtualInterfaces": []
    }


def test_patch_still_sets_what_tests_need(service):
    _, conn = call(service, "CreateConnection",
                   {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "c"})  # fmt: skip
    status, record = patch(service, "connection", conn["connectionId"],
                           {"hasLogicalRedundancy": "yes", "connectionName": "renamed"})  # fmt: skip
    assert status == 200 and record["connectionName"] == "renamed"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory):
    where = tmp_path_factory.mktemp("control")
    creds = where / "credentials"
    creds.write_text("AKIDCONTROL00001:secret:111111111111\n")
    srv = LiveServer(where / "s.sqlite3", "--auth", "sigv4", "--credentials", str(creds))
    srv.start()
    yield srv
    srv.stop()


def raw_control(server, method: str, path: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(server.url + "/_dxlocal" + path, data=b"{}", method=method,
                                 headers={"content-type": "application/json", **headers})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_with_sigv4_the_control_api_needs_its_token(signed_server):
    token_file = signed_server.state + ".control-token"
    token = Path(token_file).read_text().strip()
    assert len(token) >= 32 and os.stat(token_file).st_mode & 0o077 == 0
    assert raw_control(signed_server, "POST", "/reset", {}) == 403
    assert raw_control(signed_server, "GET", "/records/connection/dxcon-ffffffff", {}) == 403
    assert raw_control(signed_server, "POST", "/reset", {"Authorization": "Bearer wrong"}) == 403
    assert raw_control(signed_server, "POST", "/reset", {"Authorization": f"Bearer {token}"}) == 200
    assert raw_control(signed_server, "GET", "/health", {}) == 200  # readiness stays open


def test_the_dxlocal_commands_find_the_token_themselves(signed_server):
    env = {**os.environ, "DXLOCAL_STATE": signed_server.state}
    env.pop("DXLOCAL_CONTROL_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "dxlocal.cli", "status", "--endpoint",
                          signed_server.url], capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    env["DXLOCAL_STATE"] = signed_server.state + ".elsewhere"
    out = subprocess.run([sys.executable, "-m", "dxlocal.cli", "status", "--endpoint",
                          signed_server.url], capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert out.returncode != 0


def test_a_given_control_token_is_used(tmp_path):
    srv = LiveServer(tmp_path / "s.sqlite3", "--auth", "sigv4", "--control-token", "given-1234",
                     "--credentials", "/dev/null")  # fmt: skip
    os.environ["DXLOCAL_CREDENTIALS"] = "AKIDX:secret:111111111111"
    try:
        srv.start()
    finally:
        os.environ.pop("DXLOCAL_CREDENTIALS")
    try:
        assert raw_control(srv, "POST", "/reset", {"Authorization": "Bearer given-1234"}) == 200
        assert raw_control(srv, "POST", "/reset", {}) == 403
        assert not os.path.exists(srv.state + ".control-token")
    finally:
        srv.stop()


def test_an_init_scenario_runs_under_sigv4(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("AKIDINIT00000001:init-secret:123456789012\n")
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"steps": [
        {"call": "CreateConnection", "input": {"location": "EqDC2", "bandwidth": "1Gbps",
                                               "connectionName": "from-init"}},
        {"control": "POST /_dxlocal/virtual-gateways", "body": {"virtualGatewayId": "vgw-0a1b2c3d"}},
    ]}))  # fmt: skip
    srv = LiveServer(tmp_path / "s.sqlite3", "--auth", "sigv4", "--credentials", str(creds),
                     "--init", str(scenario))  # fmt: skip
    srv.start()
    try:
        import boto3

        dx = boto3.client("directconnect", region_name="us-east-1", endpoint_url=srv.url,
                          aws_access_key_id="AKIDINIT00000001", aws_secret_access_key="init-secret")  # fmt: skip
        [conn] = dx.describe_connections()["connections"]
        assert conn["connectionName"] == "from-init"
    finally:
        srv.stop()
