"""pytest fixtures, installed with the package:

- ``dxlocal_mock``: a started ``mock_directconnect`` (fresh in-memory store per test);
- ``dx_client``: a boto3 Direct Connect client answered by it (boto3 comes with the
  ``dxlocal[boto3]`` extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dxlocal.mock import mock_directconnect


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
