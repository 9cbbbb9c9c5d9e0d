"""Operation coverage: every operation of the pinned botocore model has a handler that takes
every input member (as boto3's snake_case keyword), and none answers "not implemented" or
fails with a server error when called through boto3."""

from __future__ import annotations

import inspect
from typing import Any

import botocore
import pytest
from botocore import xform_name

from dxlocal import spec
from dxlocal.provider import _registry, load_all

PINNED_BOTOCORE = "1.44.8"
OPERATIONS = 73


def coverage() -> tuple[list[str], list[str]]:
    load_all()
    names = spec.operation_names()
    return names, [n for n in names if _registry.lookup(n) is None]


def test_pinned_model():
    assert botocore.__version__ == PINNED_BOTOCORE
    assert len(spec.operation_names()) == OPERATIONS


def test_every_operation_has_a_handler():
    names, missing = coverage()
    report = f"{len(names) - len(missing)} of {len(names)} implemented"
    print(report)
    assert not missing, f"{report}; missing: {', '.join(missing)}"


@pytest.mark.parametrize("name", spec.operation_names())
def test_handler_accepts_every_input_member(name):
    load_all()
    handler = _registry.lookup(name)
    if handler is None:
        pytest.skip(f"{name} has no handler yet")
    shape = spec.operation(name).input_shape
    members = {xform_name(m) for m in (shape.members if shape else {})}
    params = list(inspect.signature(handler).parameters.values())[1:]  # after ctx
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    accepted = {p.name for p in params}
    assert members <= accepted, f"{name} does not accept {sorted(members - accepted)}"
    required = {p.name for p in params if p.default is p.empty}
    assert required <= members, f"{name} requires {sorted(required - members)}, not in the model"


def sample(shape: Any) -> Any:
    """The smallest value botocore's validator accepts for a shape."""
    kind = shape.type_name
    if kind == "structure":
        return {m: sample(shape.members[m]) for m in shape.required_members}
    if kind == "list":
        return [sample(shape.member) for _ in range(shape.metadata.get("min", 0))]
    if kind == "map":
        return {}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        return "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if kind == "boolean":
        return False
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return 0
    return None


def test_no_operation_answers_not_implemented(dx):
    client = dx.client()
    server_errors = []
    for name in spec.operation_names():
        op = spec.operation(name)
        params = sample(op.input_shape) if op.input_shape else {}
        try:
            client._make_api_call(name, params)
        except client.exceptions.DirectConnectServerException as exc:
            server_errors.append(f"{name}: {exc.response['Error']['Message']}")
        except client.exceptions.ClientError as exc:
            code = exc.response["Error"]["Code"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            if status >= 500 or code not in {e.name for e in spec.service_model().error_shapes}:
                server_errors.append(f"{name}: {code} {exc.response['Error']['Message']}")
    assert not server_errors, "\n".join(server_errors)
