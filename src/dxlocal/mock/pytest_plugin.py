"""pytest fixtures, installed with the package (docs/clients/pytest.md):

- ``dxlocal_mock``: a started ``mock_directconnect`` (fresh in-memory store per test);
- ``dx_client``: a boto3 Direct Connect client answered by it (boto3 comes with the
  ``dxlocal[boto3]`` extra);
- ``dxlocal_server``: a real ``dxlocal serve`` on a free port for the whole session (one per
  pytest-xdist worker), for code that needs an endpoint URL or runs the AWS CLI or Terraform;
  ``dxlocal_server.reset()`` empties it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from dxlocal.mock import mock_directconnect

_LISTEN = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


@pytest.fixture
def dxlocal_mock() -> Iterator[mock_directconnect]:
    with mock_directconnect(delay=0.0) as mock:
        yield mock


@pytest.fixture
def dx_client(dxlocal_mock: mock_directconnect) -> Any:
    try:
        import boto3
    except ImportError:
        pytest.fail(
            "the dx_client fixture needs boto3: pip install 'dxlocal[boto3]' (or any boto3 >= 1.35)",
            pytrace=False,
        )
    return boto3.client("directconnect", region_name="us-east-1")


class DxlocalServer:
    """A ``dxlocal serve --port 0 --state :memory:`` subprocess."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dxlocal.cli", "serve", "--host", "127.0.0.1", "--port", "0",
             "--state", ":memory:", "--delay", "0.05", "--log-level", "warning", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed once the port is bound
        match = _LISTEN.search(line)
        if match is None:
            self.proc.kill()
            raise RuntimeError(f"dxlocal serve did not start: {line}{self.proc.stderr.read()}")
        self.port = int(match.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}/_dxlocal{path}",
            data=json.dumps(body or {}).encode(),
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self.control("POST", "/reset")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture(scope="session")
def dxlocal_server() -> Iterator[DxlocalServer]:
    server = DxlocalServer()
    try:
        yield server
    finally:
        server.stop()
