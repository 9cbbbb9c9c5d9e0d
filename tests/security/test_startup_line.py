"""``dxlocal serve`` says it is serving only once its port is bound."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from dxlocal.config import Settings
from dxlocal.server import access
from dxtest import free_port


def serve(*args: str, timeout: float = 30) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dxlocal.cli", "serve", "--state", ":memory:", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_port_in_use_gives_one_line_and_a_failure_status():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve("--port", str(port))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "serving" not in out
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert str(port) in lines[0] and "in use" in lines[0].lower()


def test_the_serving_line_comes_once_the_port_accepts_connections():
    port = free_port()
    proc = serve("--port", str(port))
    try:
        line = proc.stdout.readline()
        assert "serving AWS Direct Connect" in line and f":{port}/" in line
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # bound before the line was printed: no retry needed
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_startup_lines_say_auth_none():
    port = free_port()
    proc = serve("--port", str(port))
    try:
        proc.stdout.readline()
        assert proc.stdout.readline().startswith("auth: none (signatures are not checked")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--host", "0.0.0.0"], "--allow-unauthenticated"),
        (["--host", "0.0.0.0", "--auth", "sigv4"], "needs credentials"),
        (["--auth", "sigv4", "--credentials", "/nonexistent/creds"], "cannot read credentials"),
    ],
)
def test_unsafe_or_broken_access_settings_do_not_start(args, words):
    proc = serve("--port", str(free_port()), *args)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], lines


def test_serving_beyond_loopback_unauthenticated_warns():
    base = Settings()
    assert access.refusal(base) is None
    assert all("WARNING" not in line for line in access.startup_lines(base))
    wide = base.with_(host="0.0.0.0")
    assert "--allow-unauthenticated" in access.refusal(wide)
    allowed = wide.with_(allow_unauthenticated=True)
    assert access.refusal(allowed) is None
    assert any(line.startswith("WARNING") for line in access.startup_lines(allowed))
    assert access.refusal(wide.with_(auth="sigv4")) is None
    assert not access.beyond_loopback("::1") and not access.beyond_loopback("127.0.0.2")
    assert access.beyond_loopback("::") and access.beyond_loopback("example.internal")
