"""Every example of docs/clients/{boto3,aws-cli,pytest}.md and the README's, run as written
on a clean home directory: a ``dxlocal serve … &`` block is started with a free port (that
port replaces 4599 in the others), ``# ~/.aws/…`` blocks become those files, ``# name.py``
blocks become files of a scratch project, and bash/python blocks must exit 0."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dxtest import free_port

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
BIN = Path(sys.executable).parent


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def section(page: Path, title: str) -> str:
    text = page.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def run_page(page: Path | str, tmp_path: Path, serve: bool = False) -> list[str]:
    """``serve``: start ``dxlocal serve --state :memory:`` first (a section that assumes one)."""
    text = page.read_text() if isinstance(page, Path) else page
    name = page.name if isinstance(page, Path) else "README.md"
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    shutil.copytree(ROOT / "docs" / "examples", work / "docs" / "examples")
    env = {
        "HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    port = str(free_port())
    servers: list[subprocess.Popen[bytes]] = []
    outputs = []
    if serve:
        text = "```bash\ndxlocal serve --state :memory: &\n```\n" + text
    try:
        for lang, block in blocks(text):
            first = block.splitlines()[0] if block.strip() else ""
            command = first.split("#", 1)[0].strip()
            if lang == "bash" and command.startswith("dxlocal serve") and command.endswith("&"):
                argv = [*shlex.split(command[:-1]), "--port", port]
                servers.append(
                    subprocess.Popen(
                        argv, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                    )
                )
                assert b"serving" in servers[-1].stdout.readline()
                continue
            block = block.replace("4599", port)
            if lang == "ini" and first.startswith("# ~/"):
                target = home / first[4:]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block)
            elif lang == "python" and re.match(r"# [\w.]+\.py$", first):
                (work / first[2:]).write_text(block)
            elif lang in ("bash", "python"):
                argv = ["bash", "-e", "-c", block] if lang == "bash" else ["python", "-c", block]
                done = subprocess.run(
                    argv, env=env, cwd=work, capture_output=True, text=True, timeout=300
                )
                assert done.returncode == 0, (
                    f"{name} block failed:\n{block}\n{done.stdout}\n{done.stderr}"
                )
                outputs.append(done.stdout)
    finally:
        for server in servers:
            server.terminate()
            server.wait(15)
    return outputs


def test_boto3_page(tmp_path: Path) -> None:
    out = run_page(ROOT / "docs" / "clients" / "boto3.md", tmp_path)
    assert out[0].strip() == "['ipv4', 'ipv6']"
    assert int(out[1]) >= 1  # locations in us-east-1
    # The first example's connection and the profile's are both account 111122223333's.
    assert "dxlocal ['111122223333', '111122223333']" in out[2]
    assert "dxlocal-all ['444455556666']" in out[2]
    assert out[3].split()[1] == "available"  # a location from dxlocal, a VGW from moto


def test_aws_cli_page(tmp_path: Path) -> None:
    out = run_page(ROOT / "docs" / "clients" / "aws-cli.md", tmp_path)
    assert sorted(out[0].split()) == ["ipv4", "ipv6"]
    assert out[1].splitlines()[0] == "lab"


def test_pytest_page(tmp_path: Path) -> None:
    pytest.importorskip("xdist", reason="the xdist example needs pytest-xdist (test extra)")
    out = run_page(ROOT / "docs" / "clients" / "pytest.md", tmp_path)
    assert "6 passed" in out[0] and "6 passed" in out[1], out


def test_readme_use_it(tmp_path: Path) -> None:
    out = run_page(section(ROOT / "README.md", "Use it"), tmp_path)
    assert sorted(out[-1].split()) == ["ipv4", "ipv6", "up", "up"]


def test_readme_scenarios_and_state(tmp_path: Path) -> None:
    out = run_page(section(ROOT / "README.md", "Logs, scenarios and state"), tmp_path)
    assert "imported" in out[0] and "'core'" in out[0]


def test_readme_in_process(tmp_path: Path) -> None:
    out = run_page(section(ROOT / "README.md", "In-process mode (no port)"), tmp_path)
    assert "1 passed" in out[0]


def test_readme_sts(tmp_path: Path) -> None:
    out = run_page(
        section(ROOT / "README.md", "STS and other AWS services on the same port"),
        tmp_path,
        serve=True,
    )
    assert out[0].strip() == "444455556666"


def test_readme_rehearse_a_failure(tmp_path: Path) -> None:
    out = run_page(section(ROOT / "README.md", "Rehearse a failure"), tmp_path)
    routes, events = out[1].split("\n2026")[0], out[1]
    assert "192.168.0.0/16" in routes
    assert "available -> down" in events and "down -> available" in events
    values, codes = out[2].splitlines()
    assert values == "[1.0, 0.0, 1.0]"
    assert "AWS_DIRECTCONNECT_OPERATIONAL_ISSUE" in codes
