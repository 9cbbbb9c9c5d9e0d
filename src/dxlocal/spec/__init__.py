"""The wire contract: the service models dxlocal parses requests and shapes answers by.

The models ship inside the package (``spec/models/<service>.json``), extracted without their
documentation from the pinned botocore release by ``scripts/extract_models.py``, and are read
into botocore's ``ServiceModel`` class directly, without botocore's loader. So the contract
stays the pinned one whatever botocore version is installed beside dxlocal (any from the
floor in pyproject.toml); only the ``ServiceModel`` class comes from it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "directconnect"


@cache
def _document(service: str) -> dict[str, Any]:
    path = resources.files(__package__).joinpath("models", f"{service}.json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LookupError(f"dxlocal ships no model for {service!r}; see {available()}") from None
    return json.loads(text)


def available() -> list[str]:
    """Every service whose model is shipped."""
    folder = resources.files(__package__).joinpath("models")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def service_model(service: str = SERVICE_NAME) -> ServiceModel:
    """The shipped model of ``service`` (a botocore service name: ``directconnect``, ``sts``)."""
    return _model(service)


@cache
def _model(service: str) -> ServiceModel:
    return ServiceModel(_document(service)["model"], service_name=service)


def operation(name: str, service: str = SERVICE_NAME) -> OperationModel:
    return _operation(name, service)


@cache
def _operation(name: str, service: str) -> OperationModel:
    return _model(service).operation_model(name)


def operation_names(service: str = SERVICE_NAME) -> list[str]:
    return list(service_model(service).operation_names)


def model_version(service: str = SERVICE_NAME) -> str:
    """The botocore release the shipped model of ``service`` was extracted from."""
    return _document(service)["botocore"]


API_VERSION = _document(SERVICE_NAME)["apiVersion"]
TARGET_PREFIX = _document(SERVICE_NAME)["model"]["metadata"]["targetPrefix"]
# The release the Direct Connect contract comes from (not the botocore installed).
BOTOCORE_VERSION = model_version(SERVICE_NAME)
