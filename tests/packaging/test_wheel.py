"""The distribution as users get it: ``python -m build`` and ``twine check --strict`` pass, and
the built wheel, installed into a fresh venv beside an older boto3 (the stated floor, 1.35.0),
serves the in-process example without moving that boto3 or its botocore."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLD_BOTO3 = ["boto3==1.35.0", "botocore==1.35.0"]


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _run(*args: str | os.PathLike[str], **kwargs) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # A copy of the tracked tree: the build never sees a developer's .venv or caches.
    src = tmp_path_factory.mktemp("src")
    files = _run("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    _run(sys.executable, "-m", "build", "--outdir", out, src)
    return out


def test_build_and_twine_check(dist: Path) -> None:
    wheel = next(dist.glob("dxlocal-*.whl"))
    assert next(dist.glob("dxlocal-*.tar.gz"))
    _run(sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir())
    names = zipfile.ZipFile(wheel).namelist()
    assert "dxlocal/spec/models/directconnect.json" in names
    assert any(n.endswith("licenses/LICENSE") for n in names), names
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert "Requires-Dist: botocore<2,>=1.35.0" in requires, requires
    assert not any("uvicorn" in r or r.startswith("Requires-Dist: boto3 ") for r in requires)
    assert "License-Expression: Apache-2.0" in metadata
    assert "Project-URL:" in metadata and "Classifier:" in metadata


@pytest.mark.skipif(not _pypi_reachable(), reason="PyPI (pypi.org:443) is unreachable")
def test_wheel_beside_boto3_floor(dist: Path, tmp_path: Path) -> None:
    wheel = next(dist.glob("dxlocal-*.whl"))
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    # pip's cache makes the second run fast; the boto3 pin is the user's, dxlocal must keep it.
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *OLD_BOTO3, wheel)
    versions = _run(
        python, "-c", "import boto3, botocore; print(boto3.__version__, botocore.__version__)"
    )
    assert versions.split() == ["1.35.0", "1.35.0"]
    out = _run(python, ROOT / "tests" / "packaging" / "inprocess_example.py", cwd=tmp_path)
    assert out.startswith("botocore 1.35.0: dxcon-"), out
    assert "['ipv4', 'ipv6']" in out
