"""A raw ASGI app (no framework): the body is read, handed to ``Service.handle``, answered.

Provider calls are short SQLite transactions, so they run on the event loop itself; a
background task (``Work.tick``) fires lifecycle timers even when no request arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from dxlocal.config import Settings, from_env
from dxlocal.server.service import Service

log = logging.getLogger("dxlocal")


def create_app(
    settings: Settings | None = None, service: Service | None = None, companions: Any = ()
) -> Any:
    """``companions``: objects with ``async start()``/``stop()`` run for the app's lifespan
    (the live BGP bridge, ``dxlocal.compose``)."""
    service = service or Service(settings or from_env())
    limit = service.settings.max_body
    state: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await _http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    async def _http(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            body = b"x" * (limit + 1)  # refused before it is read
        else:
            chunks = []
            size = 0
            more = True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= limit + 1:
                    chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
        path, query = scope["path"], scope.get("query_string", b"")
        if query and path.startswith("/_dxlocal"):  # the control API reads its parameters
            path += "?" + query.decode("latin-1")
        answer = service.handle(scope["method"], path, headers, body)
        if not isinstance(answer, tuple):
            answer = await answer  # a control route that waits
        status, out_headers, payload = answer
        raw = [(k.encode(), v.encode()) for k, v in out_headers]
        raw.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})

    async def _lifespan(receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["ticker"] = asyncio.create_task(service.work.tick())
                for companion in companions:
                    await companion.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                task = state.pop("ticker", None)
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                for companion in reversed(list(companions)):
                    await companion.stop()
                service.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    app.service = service  # type: ignore[attr-defined]
    return app
