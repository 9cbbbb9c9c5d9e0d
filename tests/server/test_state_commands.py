"""Scenarios and state: serve --init (JSON and YAML), GET /_dxlocal/records/{kind},
dxlocal export | import | status, online and on a state file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dxtest import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "docs" / "examples" / "scenario.json"
SCENARIO_ACCOUNT = "111122223333"


def serve(*extra: str) -> LiveServer:
    """A throwaway server (``:memory:``) on the manual clock."""
    return LiveServer(":memory:", *extra, "--progress", "manual").start()


def dxlocal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxlocal.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def seeded():
    server = serve("--init", str(SCENARIO))
    yield server
    server.stop()


def _check_seeded(server: LiveServer) -> None:
    dx = server.client(SCENARIO_ACCOUNT)
    (lag,) = dx.describe_lags()["lags"]
    assert lag["lagName"] == "core" and len(lag["connections"]) == 2
    (vif,) = dx.describe_virtual_interfaces()["virtualInterfaces"]
    assert vif["vlan"] == 101 and vif["connectionId"] == lag["lagId"]
    assert sorted(p["addressFamily"] for p in vif["bgpPeers"]) == ["ipv4", "ipv6"]
    routes = dx.list_virtual_interface_routes(virtualInterfaceId=vif["virtualInterfaceId"])
    accepted = {r["cidr"] for r in routes["routes"] if r["routeDirection"] == "accepted"}
    assert {"192.0.2.0/24", "198.51.100.0/24"} <= accepted, routes
    (gw,) = dx.describe_direct_connect_gateways()["directConnectGateways"]
    assocs = dx.describe_direct_connect_gateway_associations(
        directConnectGatewayId=gw["directConnectGatewayId"]
    )["directConnectGatewayAssociations"]
    assert [a["associatedGateway"]["id"] for a in assocs] == ["vgw-0a1b2c3d"]
    (hosted,) = server.client("444455556666").describe_connections()["connections"]
    assert hosted["connectionName"] == "customer-b" and hosted["vlan"] == 200


def test_init_applies_the_scenario_through_the_api(seeded) -> None:
    _check_seeded(seeded)
    listed = json.loads(
        __import__("urllib.request").request.urlopen(seeded.url + "/_dxlocal/records/lag").read()
    )["records"]
    assert [r["lagName"] for r in listed] == ["core"]


def test_status_prints_the_tree(seeded) -> None:
    out = dxlocal("status", "--endpoint", seeded.url)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "account 111122223333 us-east-1\n└─ location EqDC2" in text
    assert re.search(r"lag dxlag-f\w+ 'core' 10Gbps available", text)
    assert re.search(r"dxvif-f\w+ private vlan 101 'prod' available", text)
    assert re.search(r"dxpeer-f\w+ ipv6 asn 65000 available, bgp up", text)
    assert re.search(r"association [0-9a-f-]{36} vgw-0a1b2c3d associated", text)
    # A hosted connection stands under the account it was allocated to, naming its partner,
    # and under the partner's interconnect (docs/behavior.md#hosted-connections).
    customer = text[text.index("account 444455556666 us-east-1") :].split("\naccount ")[0]
    assert re.search(
        r"hosted connection (dxcon-f\w+) 'customer-b' 500Mbps available vlan 200, "
        r"from partner 999988887777 on (dxcon-f\w+)",
        customer,
    )
    partner = text[text.index("account 999988887777 us-east-1") :].split("\nDirect Connect")[0]
    assert re.search(r"interconnect dxcon-f\w+ 'partner-nni' 10Gbps available", partner)
    assert re.search(
        r"hosted dxcon-f\w+ for account 444455556666 vlan 200 500Mbps available", partner
    )
    assert "customer-b" not in text[: text.index("account 444455556666")]


def test_export_import_round_trips_everything(seeded, tmp_path) -> None:
    # A location's fault (scheduled, not begun) belongs to no account: its record has "".
    seeded.control("POST", "/faults", {"target": "location", "id": "EqDC2", "in": 3600})
    out = dxlocal("export", "--endpoint", seeded.url)
    assert out.returncode == 0, out.stderr
    (tmp_path / "state.json").write_text(out.stdout)
    exported = json.loads(out.stdout)
    assert exported["format"] == 1 and len(exported["records"]) >= 10
    other = serve()
    try:
        other.client(SCENARIO_ACCOUNT).create_connection(
            location="EqDC2", bandwidth="1Gbps", connectionName="x"
        )
        done = dxlocal("import", str(tmp_path / "state.json"), "--endpoint", other.url)
        assert done.returncode == 0 and "imported" in done.stdout, done.stderr
        again = json.loads(dxlocal("export", "--endpoint", other.url).stdout)
        assert again["records"] == exported["records"]  # "x" replaced, ids and owners kept
        assert again["timers"] == exported["timers"]
        _check_seeded(other)
    finally:
        other.stop()
    # The same into a state file no server holds, and read back from it.
    path = str(tmp_path / "offline.sqlite3")
    assert dxlocal("import", str(tmp_path / "state.json"), "--state", path).returncode == 0
    offline = json.loads(dxlocal("export", "--state", path).stdout)
    assert offline["records"] == exported["records"]
    status = dxlocal("status", "--state", path)
    assert "'core'" in status.stdout, status.stderr


def test_a_bad_document_changes_nothing(seeded, tmp_path) -> None:
    before = json.loads(dxlocal("export", "--endpoint", seeded.url).stdout)
    bad = {**before, "records": before["records"] + [{"kind": "lag", "id": 5, "data": {}}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    done = dxlocal("import", str(tmp_path / "bad.json"), "--endpoint", seeded.url)
    assert done.returncode == 1 and "id must be a string" in done.stderr
    assert (
        json.loads(dxlocal("export", "--endpoint", seeded.url).stdout)["records"]
        == before["records"]
    )


def test_yaml_scenario(tmp_path) -> None:
    yaml = pytest.importorskip("yaml", reason="YAML scenarios need PyYAML (dxlocal[yaml])")
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(json.loads(SCENARIO.read_text())))
    server = serve("--init", str(path))
    try:
        _check_seeded(server)
    finally:
        server.stop()


def test_a_failing_step_stops_the_start(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"steps": [
        {"call": "CreateConnection", "as": "c",
         "input": {"location": "Nowhere", "bandwidth": "1Gbps", "connectionName": "x"}},
    ]}))  # fmt: skip
    done = dxlocal("serve", "--state", ":memory:", "--port", "0", "--init", str(path))
    assert done.returncode == 1 and done.stdout == ""
    assert "step 1 (CreateConnection): 400 DirectConnectClientException" in done.stderr
    path.write_text(json.dumps({"steps": [{"control": "POST /_dxlocal/advance", "as": "a"},
                                          {"call": "DescribeLags", "input": {"lagId": "${b.x}"}}]}))  # fmt: skip
    done = dxlocal("serve", "--state", ":memory:", "--port", "0", "--init", str(path))
    assert done.returncode == 1 and "step 2: ${b.x}: no earlier step is named 'b'" in done.stderr


@pytest.mark.parametrize(
    "command", [("status",), ("fault", "list"), ("lab", "show")], ids=lambda c: " ".join(c)
)
def test_no_server_is_one_clear_line(command) -> None:
    # Every command that talks to a running server says so when none answers.
    endpoint = f"http://127.0.0.1:{free_port()}"
    done = dxlocal(*command, "--endpoint", endpoint)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        f"no dxlocal server at {endpoint} ([Errno 111] Connection refused)"
    )
    assert "Traceback" not in done.stderr
