"""``dxlocal serve`` processes sharing one database, and boto3 clients spread over them."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

from dxtest import free_port

# No retries: a 5xx or a dropped connection must reach the test, not be hidden by botocore.
_CONFIG = Config(retries={"total_max_attempts": 1}, max_pool_connections=64, read_timeout=30)


class Server:
    def __init__(self, url: str, *extra: str) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        fd, self.log_path = tempfile.mkstemp(prefix="dxlocal-serve-", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        self.args = [sys.executable, "-m", "dxlocal.cli", "serve", "--port", str(self.port),
                     "--state", url, "--delay", "0.05", *extra]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Server:
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dxlocal serve exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_dxlocal/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dxlocal serve did not become ready: {self.output()}")

    def output(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()[-2000:]

    def client(self, account: str = "123456789012") -> Any:
        return boto3.client(
            "directconnect",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id=account,
            aws_secret_access_key="x",
            config=_CONFIG,
        )

    def control_sessions(self) -> dict[str, Any]:
        """``GET /_dxlocal/bgp/sessions`` ({} when this server runs no speaker)."""
        try:
            with urllib.request.urlopen(self.endpoint + "/_dxlocal/bgp/sessions", timeout=5) as r:
                return json.loads(r.read())
        except OSError:
            return {}

    def kill(self) -> None:
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
        self.log.close()
        os.unlink(self.log_path)


class Fleet:
    """``n`` servers on one database; ``clients(account)`` cycles over them."""

    def __init__(self, url: str, n: int, *extra: str) -> None:
        self.servers = [Server(url, *extra) for _ in range(n)]

    def __enter__(self) -> Fleet:
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self.servers:
            s.stop()

    def clients(self, account: str = "123456789012") -> itertools.cycle[Any]:
        return itertools.cycle([s.client(account) for s in self.servers])
