"""``dxlocal serve`` says it is serving only once its port is bound."""

from __future__ import annotations

import socket
import subprocess
import sys

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
