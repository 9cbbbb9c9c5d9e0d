"""``dxlocal fault | maintenance | events`` against a running server (docs/failures.md)."""

from __future__ import annotations

import json
import subprocess
import sys

from dxtest import dx_client


def cli(server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxlocal.cli", *args, "--endpoint", server.url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_fault_down_list_clear_and_the_events_it_leaves(live_server):
    client = dx_client(live_server.url)
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="cli")
    cid = conn["connectionId"]
    live_server.control("POST", "/advance", {"seconds": 60})

    down = cli(live_server, "fault", "down", "connection", cid, "--duration", "5m")
    assert down.returncode == 0, down.stderr
    fault = json.loads(down.stdout)
    assert fault["state"] == "active" and fault["endTime"] - fault["startTime"] == 300
    assert (
        client.describe_connections(connectionId=cid)["connections"][0]["connectionState"] == "down"
    )
    listed = json.loads(cli(live_server, "fault", "list").stdout)["faults"]
    assert fault["faultId"] in [f["faultId"] for f in listed]
    cleared = cli(live_server, "fault", "clear", fault["faultId"])
    assert json.loads(cleared.stdout)["state"] == "ended"

    events = cli(live_server, "events", "--resource", cid)
    assert events.returncode == 0, events.stderr
    lines = events.stdout.splitlines()
    assert any("CreateConnection 200" in line for line in lines)
    assert any("available -> down" in line and fault["faultId"] in line for line in lines)
    assert any("down -> available" in line for line in lines)


def test_maintenance_schedule_and_bad_input(live_server):
    client = dx_client(live_server.url)
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="m")
    planned = cli(live_server, "maintenance", "schedule", conn["awsDeviceV2"], "--in", "14d",
                  "--duration", "2h")  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    window = json.loads(planned.stdout)
    assert window["target"] == "device" and conn["connectionId"] in window["connections"]
    short = cli(live_server, "maintenance", "schedule", conn["connectionId"], "--in", "1h",
                "--duration", "1h")  # fmt: skip
    assert short.returncode == 1 and "emergency" in short.stderr
    bad = cli(live_server, "fault", "down", "connection", conn["connectionId"], "--in", "soon")
    assert bad.returncode == 2 and "not a duration" in bad.stderr
