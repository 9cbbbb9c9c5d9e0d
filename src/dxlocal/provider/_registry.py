"""Operation handlers by name.

A handler takes the request context and the input members as snake_case keyword arguments
(``connectionId`` -> ``connection_id``) and returns a dict shaped like the output shape.
Handlers are filed per service (botocore's name), so two services may share an operation name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name

Handler = Callable[..., dict[str, Any] | None]

DIRECT_CONNECT = "directconnect"
_HANDLERS: dict[tuple[str, str], Handler] = {}


def operation(name: str, service: str = DIRECT_CONNECT) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        key = (service, name)
        if key in _HANDLERS and _HANDLERS[key] is not fn:
            raise RuntimeError(f"{service} {name} has two handlers")
        _HANDLERS[key] = fn
        return fn

    return register


def lookup(name: str, service: str = DIRECT_CONNECT) -> Handler | None:
    return _HANDLERS.get((service, name))


def implemented(service: str = DIRECT_CONNECT) -> list[str]:
    return sorted(name for svc, name in _HANDLERS if svc == service)


def snake(name: str) -> str:
    """``newBGPPeer`` -> ``new_bgp_peer``, as boto3 names the same members."""
    return xform_name(name)
