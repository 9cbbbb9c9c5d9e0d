"""Without boto3 (installed without the boto3 extra) the plugin still loads, and dx_client
says what to install instead of failing with an ImportError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_dx_client_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import sys\nsys.modules['boto3'] = None  # as if boto3 were not installed\n"
    )
    (tmp_path / "test_it.py").write_text("def test_uses_it(dx_client):\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout
    assert "the dx_client fixture needs boto3: pip install 'dxlocal[boto3]'" in done.stdout
