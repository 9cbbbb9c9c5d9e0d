"""A raw ASGI app (no framework): the body is read, handed to ``Service.handle``, answered.

Provider calls are short SQLite transactions, so they run on the event loop itself; a
background task fires lifecycle timers even when no request arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from dxlocal.config import Settings, from_env
from dxlocal.server.service import Service

log = logging.getLogger("dxlocal")
TICK = 0.1


def create_app(settings: Settings | None = None, service: Service | None = None) -> Any:
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
        status, out_headers, payload = service.handle(scope["method"], scope["path"], headers, body)
        raw = [(k.encode(), v.encode()) for k, v in out_headers]
        raw.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})

    async def _ticker() -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                service.run_due()
            except Exception:
                log.exception("lifecycle tick failed")

    async def _lifespan(receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["ticker"] = asyncio.create_task(_ticker())
                for hook in service_startup_hooks:
                    await hook(service)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                task = state.pop("ticker", None)
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                for hook in service_shutdown_hooks:
                    await hook(service)
                service.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    app.service = service  # type: ignore[attr-defined]
    return app


# Async start/stop hooks for long-lived companions (the live BGP speaker).
service_startup_hooks: list[Any] = []
service_shutdown_hooks: list[Any] = []
