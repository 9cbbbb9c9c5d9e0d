"""Operation handlers by name, and the control API's routes.

A handler takes the request context and the input members as snake_case keyword arguments
(``connectionId`` -> ``connection_id``) and returns a dict shaped like the output shape.
Handlers are filed per service (botocore's name), so two services may share an operation name.

A control route (``/_dxlocal/...``, what a test needs that AWS has no call for) takes a
``ControlContext`` (core/work.py: its unit of work, the settings, the clock), the JSON body
and the pattern's ``{groups}`` as keyword arguments, and returns what is answered as JSON.
"""

from __future__ import annotations

import re
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


ControlHandler = Callable[..., Any]
Route = tuple[str, re.Pattern[str], ControlHandler]
_ROUTES: list[Route] = []


def compile_route(method: str, pattern: str, fn: ControlHandler) -> Route:
    """``METHOD /_dxlocal<pattern>``; ``{name}`` matches one path segment."""
    regex = re.compile("^/_dxlocal" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
    return method, regex, fn


def route(method: str, pattern: str) -> Callable[[ControlHandler], ControlHandler]:
    """Register ``fn(ctx: ControlContext, body, **groups)`` for ``METHOD /_dxlocal<pattern>``."""

    def register(fn: ControlHandler) -> ControlHandler:
        _ROUTES.append(compile_route(method, pattern, fn))
        return fn

    return register


def routes() -> list[Route]:
    return list(_ROUTES)


def lookup(name: str, service: str = DIRECT_CONNECT) -> Handler | None:
    return _HANDLERS.get((service, name))


def implemented(service: str = DIRECT_CONNECT) -> list[str]:
    return sorted(name for svc, name in _HANDLERS if svc == service)


def snake(name: str) -> str:
    """``newBGPPeer`` -> ``new_bgp_peer``, as boto3 names the same members."""
    return xform_name(name)
