"""The AWS SDK for JavaScript v3, unmodified, runs docs/clients/javascript.md's example
against a live server. Node.js and npm are needed (the test skips, saying so, without them);
the SDK packages pinned in javascript/package-lock.json are installed on first use."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from dxtest import LiveServer

HERE = Path(__file__).parent / "javascript"
DOC = Path(__file__).parents[2] / "docs" / "clients" / "javascript.md"
NODE, NPM = shutil.which("node"), shutil.which("npm")
pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="Node.js and npm are not installed (not on PATH)"
)


def example() -> str:
    text = DOC.read_text()
    start = text.index("```js\n") + len("```js\n")
    return text[start : text.index("```", start)]


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = HERE / "node_modules"
    if not (modules / "@aws-sdk" / "client-direct-connect").is_dir():
        assert NPM is not None
        done = subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return modules


def test_doc_example_runs(node_modules, tmp_path):
    server = LiveServer(tmp_path / "state.sqlite3").start()
    try:
        script = tmp_path / "example.mjs"
        script.write_text(example().replace("http://127.0.0.1:4599", server.url))
        (tmp_path / "node_modules").symlink_to(node_modules)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        assert NODE is not None
        done = subprocess.run(
            [NODE, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-4000:]
        lines = done.stdout.splitlines()
        assert lines[0] == "caller 111122223333 arn:aws:iam::111122223333:root"
        assert lines[1].startswith("created dxcon-") and lines[1].endswith(" requested")
        assert lines[2] == "account 444455556666 sees 0 connections"

        dx = boto3.client(
            "directconnect", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id="111122223333", aws_secret_access_key="x",
        )  # fmt: skip
        (conn,) = dx.describe_connections(connectionId=lines[1].split()[1])["connections"]
        assert conn["connectionName"] == "from-js"
        assert conn["tags"] == [{"key": "sdk", "value": "js-v3"}]
    finally:
        server.stop()
