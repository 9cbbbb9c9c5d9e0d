"""``mock_directconnect`` beside moto's ``mock_aws``: Direct Connect stays dxlocal's.

botocore offers every ``before-send`` handler each request (``Endpoint._do_get_response``
emits to all of them and keeps the first answer), so moto's stubber would still try a
Direct Connect call dxlocal has answered and raise ``NotImplementedError`` for the operations
moto lacks. moto's own configuration has the switch for this, ``core.passthrough.services``:
while a dxlocal mock answers, ``directconnect`` is listed there (in whichever configuration
moto reads at that moment, so both nesting orders work), and removed again when the last mock
stops. moto is never imported here; nothing happens when it is not loaded.

STS is the other way round: dxlocal answers it in-process only while ``mock_aws`` is not
active, so a test that runs under moto keeps moto's identities.
"""

from __future__ import annotations

import sys
from typing import Any

SERVICE = "directconnect"  # moto's backend name (moto/backend_index.py)
_added: list[list[str]] = []  # the passthrough lists this module put SERVICE into


def _passthrough_services() -> list[str] | None:
    config = sys.modules.get("moto.core.config")
    if config is None:
        return None
    core: dict[str, Any] = config.default_user_config.setdefault("core", {})
    return core.setdefault("passthrough", {}).setdefault("services", [])


def pass_directconnect() -> None:
    """Called before each answer: moto (if loaded) leaves this Direct Connect call alone."""
    services = _passthrough_services()
    if services is not None and SERVICE not in services:
        services.append(SERVICE)
        _added.append(services)


def active() -> bool:
    """Whether moto's ``mock_aws`` is answering requests now (its botocore hook is on)."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return bool(getattr(stubber, "enabled", False))


def release() -> None:
    """Called when the last mock stops: moto answers Direct Connect again."""
    while _added:
        services = _added.pop()
        if SERVICE in services:
            services.remove(SERVICE)
