"""SIGTERM while keep-alive clients keep sending: every request gets a complete answer or a
closed connection, never a 5xx (and never an answer from a store already closed)."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time

from dxtest import LiveServer, wait_until

CLIENTS = 6
AUTH = (
    "AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/directconnect/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
          ConnectionRefusedError, ConnectionAbortedError)  # fmt: skip


def hammer(port: int, n: int, statuses: list[int], failures: list[str], stop: float) -> None:
    """One keep-alive connection sending writes and reads until it is closed (or ``stop``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    create = json.dumps({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": f"c{n}"})
    i = 0
    while time.monotonic() < stop:
        i += 1
        target, body = (
            ("CreateConnection", create) if i % 2 else ("DescribeConnections", "{}")
        )  # fmt: skip
        headers = {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": f"OvertureService.{target}",
            "authorization": AUTH,
        }
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()  # IncompleteRead (half an answer) is a failure
        except CLOSED:
            return  # a closed connection: allowed
        except Exception as exc:  # noqa: BLE001 - anything else is a wrong answer
            failures.append(f"{type(exc).__name__}: {exc}")
            return
        statuses.append(response.status)
        if response.status >= 500:
            failures.append(f"{response.status} {payload[:200]!r}")
        if response.getheader("connection", "").lower() == "close":
            return
    conn.close()


def test_sigterm_under_keep_alive_load_answers_or_closes(tmp_path):
    server = LiveServer(tmp_path / "state.sqlite3").start()
    statuses: list[int] = []
    failures: list[str] = []
    stop = time.monotonic() + 120  # a bound; SIGTERM ends it long before
    threads = [
        threading.Thread(target=hammer, args=(server.port, n, statuses, failures, stop))
        for n in range(CLIENTS)
    ]
    try:
        for t in threads:
            t.start()
        # The clients are well under way (however slowly a loaded machine serves them).
        wait_until(lambda: len(statuses), lambda n: n >= 300, timeout=60, every=0.02)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0
        for t in threads:
            t.join(15)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.stop()
    assert len(statuses) >= 300
    assert failures == []
    # Answers are 200s, or 400s once the account's connection quota at the location is
    # reached; never a 5xx.
    assert 200 in statuses and max(statuses) < 500
