"""Test support shared across test folders: a live ``dxlocal serve`` subprocess and a boto3
client for it.

(Kept out of conftest.py so that test modules can import it by a unique name.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dxlocal import control_token

# Seconds per lifecycle step in tests. ``DXLOCAL_TEST_DELAY=0.001`` plays a loaded machine (a
# state moves on between two calls of a test): a test that then fails assumed a timing.
TEST_DELAY = os.environ.get("DXLOCAL_TEST_DELAY", "0.05")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dx_client(url: str, account: str = "123456789012", region: str = "us-east-1", **config: Any):  # type: ignore[no-untyped-def]
    """A Direct Connect client for the dxlocal at ``url`` that tries each call once."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "directconnect",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=account,
        aws_secret_access_key="dxlocal",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def wait_until(
    fetch: Callable[[], Any],
    until: Callable[[Any], bool] = bool,
    *,
    timeout: float = 10.0,
    every: float = 0.05,
    what: str = "",
    between: Callable[[], Any] | None = None,
) -> Any:
    """Poll ``fetch()`` as a client would until ``until(value)`` holds, and return that value;
    past ``timeout`` seconds an AssertionError names ``what`` and the last value.
    ``between``: run between two polls instead of sleeping ``every`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting {what}; last value: {str(value)[:2000]}")
        if between is not None:
            between()
        else:
            time.sleep(every)


def call(service: Any, op: str, body: dict[str, Any], account: str | None = None) -> Any:
    """A Direct Connect call handed straight to a ``Service`` (no port): ``(status, answer)``.
    ``account``: the request names it in its credential scope (unsigned otherwise)."""
    headers = {"content-type": "application/x-amz-json-1.1",
               "x-amz-target": f"OvertureService.{op}"}  # fmt: skip
    if account is not None:
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/directconnect/"
            "aws4_request, SignedHeaders=host, Signature=0"
        )
    status, _, payload = service.handle("POST", "/", headers, json.dumps(body).encode())
    return status, json.loads(payload)


class LiveServer:
    """A ``dxlocal serve`` subprocess."""

    def __init__(self, state: Path | str, *extra: str, delay: str = TEST_DELAY) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = str(state)
        self.args = [
            sys.executable,
            "-m",
            "dxlocal.cli",
            "serve",
            "--port",
            str(self.port),
            "--state",
            self.state,
            "--delay",
            delay,
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> LiveServer:
        # Its output (a log line per API call) goes to a file: a pipe nobody reads would fill.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the server)
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dxlocal serve exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/_dxlocal/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dxlocal serve did not become ready: {self.output()}")

    def output(self, tail: int = 4000) -> str:
        """The last ``tail`` characters the server printed."""
        fd = self._log.fileno()
        size = os.fstat(fd).st_size
        # pread: the server writes through the same open file, so its offset must not move.
        return os.pread(fd, tail, max(0, size - tail)).decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: what a crash looks like."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def client(self, account: str = "123456789012", **config: Any):  # type: ignore[no-untyped-def]
        return dx_client(self.url, account, **config)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        req = urllib.request.Request(
            self.url + "/_dxlocal" + path,
            data=json.dumps(body or {}).encode(),
            method=method,
            headers={
                "content-type": "application/json",
                **control_token.client_headers(self.state),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"control {method} {path}: {exc.code} {exc.read()!r}") from None
