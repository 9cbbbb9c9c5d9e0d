"""dxlocal serve's logs: startup lines, port 0 resolved, one line per API call (text and
JSON), --log-level."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config

LISTEN = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


def _serve(*extra: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dxlocal.cli",
            "serve",
            "--port",
            "0",
            "--state",
            ":memory:",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the listening line comes once the port is bound
    match = LISTEN.search(line)
    assert match, line
    return proc, int(match.group(1))


def _client(port: int, account: str = "111122223333", region: str = "eu-west-2"):
    return boto3.client(
        "directconnect",
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=account,
        aws_secret_access_key="dxlocal-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _calls(proc: subprocess.Popen[str], port: int) -> tuple[str, str]:
    try:
        dx = _client(port)
        conn = dx.create_connection(location="EqLD5", bandwidth="1Gbps", connectionName="logged")
        with pytest.raises(dx.exceptions.DirectConnectClientException):
            dx.describe_connections(connectionId="dxcon-fzzzzzzz")
        dx.describe_locations()
        time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return conn["connectionId"], err


def test_text_lines_port_zero_and_startup() -> None:
    proc, port = _serve("--quota", "lags_per_region=20")
    assert port != 0
    conn_id, err = _calls(proc, port)
    assert "state: memory (throwaway)" in err and "modes: progress auto" in err
    assert "quotas: lags_per_region=20" in err
    call = re.compile(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  111122223333 eu-west-2 "
        r"CreateConnection (dxcon-f\w+) 200 \d+\.\d\dms$",
        re.M,
    )
    assert call.search(err).group(1) == conn_id, err
    assert re.search(
        r"DescribeConnections dxcon-fzzzzzzz 400 DirectConnectClientException \d", err
    ), err
    assert re.search(r"DescribeLocations - 200 ", err), err


def test_json_lines() -> None:
    proc, port = _serve("--log-format", "json")
    conn_id, err = _calls(proc, port)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == len(err.splitlines()), err  # every line is JSON
    created = next(x for x in lines if x.get("operation") == "CreateConnection")
    assert created["account"] == "111122223333" and created["region"] == "eu-west-2"
    assert created["resource"] == conn_id and created["status"] == 200
    assert created["level"] == "INFO" and created["time"].endswith("Z")
    assert isinstance(created["ms"], float)
    failed = next(x for x in lines if x.get("operation") == "DescribeConnections")
    assert failed["status"] == 400 and failed["error"] == "DirectConnectClientException"


def test_warning_level_hides_call_lines() -> None:
    proc, port = _serve("--log-level", "warning")
    _, err = _calls(proc, port)
    assert "CreateConnection" not in err and "state:" not in err
