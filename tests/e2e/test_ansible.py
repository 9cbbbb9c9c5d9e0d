"""Ansible's community.aws Direct Connect modules, unmodified, run docs/clients/ansible.md's
playbook against a live server: create, a second run that changes nothing, delete.

Ansible is installed on first use into tests/e2e/ansible/.venv from PyPI (the ``ansible``
package carries the amazon.aws and community.aws collections), pinned below; the test skips,
saying why, where that cannot be done.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from dxtest import LiveServer

HERE = Path(__file__).parent / "ansible"
VENV = HERE / ".venv"
DOC = Path(__file__).parents[2] / "docs" / "clients" / "ansible.md"
# ansible 12 is the last release for Python 3.11; boto3 as the project pins it.
REQUIREMENTS = ["ansible==12.3.0", "boto3==1.44.8"]
ACCOUNT = "111122223333"


def playbook() -> str:
    text = DOC.read_text()
    start = text.index("```yaml\n") + len("```yaml\n")
    return text[start : text.index("```", start)]


@pytest.fixture(scope="module")
def ansible_playbook() -> Path:
    exe = VENV / "bin" / "ansible-playbook"
    stamp = VENV / "requirements.txt"
    if exe.exists() and stamp.exists() and stamp.read_text().split() == REQUIREMENTS:
        return exe
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(VENV)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot create a venv for Ansible: {made.stderr[-500:]}")
    pip = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", *REQUIREMENTS],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if pip.returncode != 0:
        pytest.skip(f"cannot install {' '.join(REQUIREMENTS)}: {pip.stderr[-800:]}")
    stamp.write_text("\n".join(REQUIREMENTS))
    return exe


def run(exe: Path, book: Path, *extra: str) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0"
    )
    env["HOME"] = str(book.parent)
    done = subprocess.run(
        [str(exe), str(book), *extra],
        cwd=book.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    recap = re.search(
        r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", done.stdout
    )
    assert recap, done.stdout[-3000:]
    ok, changed, unreachable, failed = map(int, recap.groups())
    return {"ok": ok, "changed": changed, "failed": failed + unreachable}


def test_doc_playbook_creates_is_idempotent_and_deletes(ansible_playbook, tmp_path):
    server = LiveServer(tmp_path / "state.sqlite3").start()
    try:
        book = tmp_path / "dx.yml"
        book.write_text(playbook().replace("http://127.0.0.1:4599", server.url))
        assert run(ansible_playbook, book) == {"ok": 2, "changed": 2, "failed": 0}

        dx = boto3.client(
            "directconnect", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id=ACCOUNT, aws_secret_access_key="dxlocal-secret-key",
        )  # fmt: skip
        names = {c["connectionName"]: c for c in dx.describe_connections()["connections"]}
        assert names["ansible-connection"]["ownerAccount"] == ACCOUNT
        (lag,) = dx.describe_lags()["lags"]
        assert (lag["lagName"], lag["numberOfConnections"]) == ("ansible-lag", 2)

        assert run(ansible_playbook, book)["changed"] == 0

        assert run(ansible_playbook, book, "-e", "state=absent")["changed"] == 2
        assert all(lag["lagState"] in ("deleting", "deleted") for lag in dx.describe_lags()["lags"])
        gone = ("deleting", "deleted")
        left = [
            (c["connectionName"], c["connectionState"])
            for c in dx.describe_connections()["connections"]
        ]
        assert all(state in gone for _, state in left), left
    finally:
        server.stop()
