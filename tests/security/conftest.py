"""What the security tests share: a ``Service`` with no port, on the manual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dxlocal.config import Settings
from dxlocal.server.service import Service


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service(Settings(state=":memory:", progress="manual"))
    yield svc
    svc.close()
