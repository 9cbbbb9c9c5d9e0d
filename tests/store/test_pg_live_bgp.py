"""Live BGP on a shared database: the server holding the lease runs the speaker; kill it and
another takes the sessions over within seconds, with ``bgpStatus`` following (BIRD as the
customer router, on the loopback transport)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")
from dxtest import LiveServer, wait_until  # noqa: E402

pytestmark = pytest.mark.bgp

HOLD = "9"


def _holder_pid(url: str) -> int | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT holder FROM dxlocal.leases WHERE name='live-bgp'"
            " AND expires > extract(epoch FROM clock_timestamp())"
        ).fetchone()
    return int(row[0].split(":")[1]) if row else None


def _until(what: str, probe: Any, timeout: float) -> Any:
    return wait_until(probe, timeout=timeout, every=0.1, what=what)


def _sessions(server: LiveServer) -> dict[str, Any]:
    """``GET /_dxlocal/bgp/sessions`` ({} while this server runs no speaker)."""
    try:
        with urllib.request.urlopen(server.url + "/_dxlocal/bgp/sessions", timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return {}


def _status(client: Any, vif_id: str) -> str:
    vif = client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    return vif["bgpPeers"][0]["bgpStatus"]


def test_the_speaker_moves_to_another_server_when_its_holder_dies(pg_url, tmp_path):
    bird = shutil.which("bird") or shutil.which("bird", path="/usr/sbin")
    if bird is None:
        pytest.skip("BIRD is not installed (scripts/bootstrap.sh test installs bird2)")
    port = "21790"
    extra = ("--bgp", "live", "--bgp-netns", "", "--bgp-hold-time", HOLD,
             "--bgp-connect-retry", "1", "--bgp-loopback-port", port)  # fmt: skip
    a, b = LiveServer(pg_url, *extra), LiveServer(pg_url, *extra)
    proc = None
    try:
        a.start()
        assert _until("A holds the lease", lambda: _holder_pid(pg_url), 10) == a.proc.pid
        b.start()
        client = b.client("111122223333")
        cid = client.create_connection(location="EqDC2", bandwidth="1Gbps",
                                       connectionName="lease")["connectionId"]  # fmt: skip
        _until("connection available", lambda: client.describe_connections(connectionId=cid)[
            "connections"][0]["connectionState"] == "available", 20)  # fmt: skip
        vif_id = client.create_private_virtual_interface(
            connectionId=cid,
            newPrivateVirtualInterface={"virtualInterfaceName": "lease", "vlan": 300,
                                        "asn": 65010, "virtualGatewayId": "vgw-0a0b0c0d"},
        )["virtualInterfaceId"]  # fmt: skip
        conf = subprocess.run(
            [sys.executable, "-m", "dxlocal.cli", "lab", "config", vif_id, "--format", "bird",
             "--endpoint", a.url, "--announce", "192.0.2.0/24"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        (tmp_path / "bird.conf").write_text(conf)
        proc = subprocess.Popen(
            [bird, "-f", "-c", str(tmp_path / "bird.conf"), "-s", str(tmp_path / "bird.ctl"),
             "-P", str(tmp_path / "bird.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _until("session up through A", lambda: _status(client, vif_id) == "up", 30)

        a.kill()  # SIGKILL: no lease release, no NOTIFICATION
        t0 = time.monotonic()
        _until("B holds the lease", lambda: _holder_pid(pg_url) == b.proc.pid, 10)
        took = time.monotonic() - t0
        assert took < 6  # the lease runs 3 s, renewed each second
        _until("session up through B", lambda: _sessions(b).get("up") == 1, 30)
        _until("bgpStatus up again", lambda: _status(client, vif_id) == "up", 30)
        print(f"lease taken over in {took:.1f} s; session up through B in "
              f"{time.monotonic() - t0:.1f} s")  # fmt: skip
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        a.stop()
        b.stop()
