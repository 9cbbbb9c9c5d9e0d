"""Operation handlers by name.

A handler takes the request context and the input members as snake_case keyword arguments
(``connectionId`` -> ``connection_id``) and returns a dict shaped like the output shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name

Handler = Callable[..., dict[str, Any] | None]

_HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise RuntimeError(f"{name} has two handlers")
        _HANDLERS[name] = fn
        return fn

    return register


def lookup(name: str) -> Handler | None:
    return _HANDLERS.get(name)


def implemented() -> list[str]:
    return sorted(_HANDLERS)


def snake(name: str) -> str:
    """``newBGPPeer`` -> ``new_bgp_peer``, as boto3 names the same members."""
    return xform_name(name)
