"""The ``/_dxlocal`` control API's dispatcher: JSON in, a route, JSON out.

Routes are registered with ``@route(method, pattern)`` beside the operations
(``provider/_registry.py``; the generic ones are in ``provider/control.py``) or mounted by the
composition root (the live BGP lab, ``bgp/lab_routes.py``). Each gets a ``ControlContext``
(units of work, settings, clock), never the server. The same routes are callable in-process
through ``Control.call``.

A route may be a coroutine function (one that waits on ``ip`` in a worker thread): its
answer is then a coroutine the front end awaits while it goes on serving.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any
from urllib import parse

import orjson

from dxlocal.core.errors import ApiError, ClientError
from dxlocal.core.work import ControlContext
from dxlocal.provider import _registry
from dxlocal.server import control_input


class Control:
    def __init__(self, ctx: ControlContext) -> None:
        self.ctx = ctx
        self._mounted: list[_registry.Route] = []

    def mount(self, routes: Iterable[tuple[str, str, _registry.ControlHandler]]) -> None:
        """Add routes this server alone serves: ``(method, pattern, fn)``."""
        self._mounted += [_registry.compile_route(m, p, fn) for m, p, fn in routes]

    def dispatch(
        self, method: str, path: str, body: bytes
    ) -> tuple[int, bytes] | Coroutine[Any, Any, tuple[int, bytes]]:
        path, _, query = path.partition("?")
        path = path.rstrip("/") or "/"
        try:
            # orjson, as the API and the store use: what it parses, the store can write
            # (no lone surrogates, no integers beyond 64 bits).
            payload = orjson.loads(body) if body and body.strip() else {}
        except ValueError:
            return 400, _error("SerializationException", "Malformed JSON in request body.")
        if not isinstance(payload, dict):
            return 400, _error("SerializationException", "The request body must be a JSON object.")
        if query:  # query parameters, as strings; the body's members win
            payload = {**dict(parse.parse_qsl(query)), **payload}
        try:
            control_input.check(payload)
        except ApiError as exc:
            return exc.status, _error(exc.code, exc.message)
        for m, regex, fn in (*_registry.routes(), *self._mounted):
            match = regex.match(path)
            if match and m == method:
                try:
                    result = fn(self.ctx, payload, **match.groupdict())
                except Exception as exc:
                    return _answer_error(exc)
                if inspect.isawaitable(result):
                    return _later(result)
                return 200, json.dumps(result).encode()
        return 404, _error("NotFound", f"No control route {method} {path}.")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The same routes in-process; raises ``ClientError`` on a 4xx."""
        answer = self.dispatch(method, path, json.dumps(body or {}).encode())
        status, payload = answer if isinstance(answer, tuple) else asyncio.run(answer)
        data = json.loads(payload)
        if status >= 400:
            raise ClientError(data.get("message", ""))
        return data


async def _later(result: Awaitable[Any]) -> tuple[int, bytes]:
    try:
        return 200, json.dumps(await result).encode()
    except Exception as exc:
        return _answer_error(exc)


def _answer_error(exc: Exception) -> tuple[int, bytes]:
    if isinstance(exc, ApiError):
        return exc.status, _error(exc.code, exc.message)
    if isinstance(exc, (TypeError, ValueError)):
        # A member of the wrong type ({"seconds": "x"}) or a value the store cannot hold:
        # the caller's mistake, and the call's unit is undone.
        return 400, _error("SerializationException", f"Bad control request: {exc}")
    raise exc


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()
