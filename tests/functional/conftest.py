"""Fixtures shared by the functional tests (builders are in helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from functional.helpers import available_vif


@pytest.fixture
def vif(dx: Any) -> tuple[Any, dict[str, Any]]:
    """A client and its available private VIF (one IPv4 peer, BGP up)."""
    return available_vif(dx)
