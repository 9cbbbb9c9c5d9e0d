"""The pinned botocore service model: the wire contract of every operation.

Loaded once per process from botocore's own data files (no copy is kept here), so parse,
serialize and the operation coverage test all read the same 73 operations.
"""

from __future__ import annotations

from functools import cache

import botocore
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "directconnect"
API_VERSION = "2012-10-25"
BOTOCORE_VERSION = botocore.__version__
TARGET_PREFIX = "OvertureService"


@cache
def service_model() -> ServiceModel:
    model = Loader().load_service_model(SERVICE_NAME, "service-2", API_VERSION)
    return ServiceModel(model, service_name=SERVICE_NAME)


@cache
def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


def operation_names() -> list[str]:
    return list(service_model().operation_names)
