"""The shipped wire contract (src/dxlocal/spec/models): extracted from the pinned botocore,
without documentation, read into botocore's ServiceModel without botocore's loader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import botocore
import pytest
from botocore.loaders import Loader

from dxlocal import spec

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "src" / "dxlocal" / "spec" / "models"


def test_every_shipped_model_loads_and_is_documentation_free() -> None:
    assert {"directconnect", "sts"} <= set(spec.available())
    for service in spec.available():
        model = spec.service_model(service)
        assert model.service_name == service and model.operation_names
        assert '"documentation"' not in (MODELS / f"{service}.json").read_text()
        assert spec.model_version(service) == spec.BOTOCORE_VERSION
    assert len(spec.operation_names()) == 73 and spec.TARGET_PREFIX == "OvertureService"
    assert spec.service_model() is spec.service_model("directconnect")
    assert spec.operation("GetCallerIdentity", "sts").output_shape.members["Account"]


def test_constraints_and_member_names_survive() -> None:
    peer = spec.service_model().shape_for("NewBGPPeer")
    assert list(peer.members)[:3] == ["asn", "asnLong", "authKey"]
    assert spec.service_model().shape_for("VLAN").type_name == "integer"
    role = spec.service_model("sts").shape_for("roleSessionNameType")
    assert role.metadata == {"min": 2, "max": 64, "pattern": r"[\w+=,.@-]*"}


def test_unknown_service_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="ships no model for 'ec2'"):
        spec.service_model("ec2")


@pytest.mark.skipif(
    botocore.__version__ != spec.BOTOCORE_VERSION,
    reason=f"installed botocore {botocore.__version__} is not the pin {spec.BOTOCORE_VERSION}",
)
def test_shipped_models_match_the_pinned_botocore() -> None:
    """Re-running scripts/extract_models.py changes nothing, and nothing but documentation
    differs from what botocore's own loader reads."""
    check = subprocess.run(
        [sys.executable, ROOT / "scripts" / "extract_models.py", "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    full = Loader().load_service_model("directconnect", "service-2")
    shipped = json.loads((MODELS / "directconnect.json").read_text())["model"]
    assert shipped["operations"].keys() == full["operations"].keys()
    assert shipped["shapes"].keys() == full["shapes"].keys()
    for name, shape in full["shapes"].items():
        kept = {k: v for k, v in shape.items() if k != "documentation"}
        if "members" in kept:
            kept["members"] = {
                m: {k: v for k, v in ref.items() if k != "documentation"}
                for m, ref in kept["members"].items()
            }
        assert shipped["shapes"][name] == kept, name
