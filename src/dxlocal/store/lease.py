"""A role one server plays at a time among several on one store (the live BGP speaker).

``Leased(store, name, companion)`` is itself a companion of the server (``start``/``stop``):
it starts ``companion`` once this server holds the store lease ``name``, renews the lease
every ``renew`` seconds, and stops ``companion`` as soon as another server holds it or the
lease could not be renewed before it ran out. A server that dies stops renewing; another
takes the lease over ``ttl`` seconds later at most, and starts its own companion.

Changes other servers commit are not published in this process; on a shared store
``refresh`` (when given) runs at each renewal while this server plays the role, so the
companion catches up with them (the speaker re-reads every VIF).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Protocol

from dxlocal.store.base import Store

log = logging.getLogger("dxlocal")

TTL = 3.0
RENEW = 1.0


class Companion(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def holder_name() -> str:
    """Who holds a lease: host, process, and a random part (a restarted process is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leased:
    def __init__(
        self,
        store: Store,
        name: str,
        companion: Companion,
        *,
        ttl: float = TTL,
        renew: float = RENEW,
        refresh: Callable[[], None] | None = None,
    ) -> None:
        if renew >= ttl:
            raise ValueError("the lease must be renewed more often than it runs out")
        self.store = store
        self.name = name
        self.companion = companion
        self.holder = holder_name()
        self.ttl = ttl
        self.renew = renew
        self.refresh = refresh
        self.running = False
        self._until = 0.0  # monotonic time our lease surely lasts until
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._step()  # a lone server starts its companion before it serves
        self._task = asyncio.get_running_loop().create_task(self._keep(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.running:
            self.running = False
            await self.companion.stop()
        with contextlib.suppress(Exception):
            self.store.release_lease(self.name, self.holder)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.renew)
            try:
                await self._step()
            except Exception:
                log.exception("%s: lease step failed", self.name)

    async def _step(self) -> None:
        asked = time.monotonic()
        try:
            held = self.store.hold_lease(self.name, self.holder, self.ttl)
        except Exception as exc:  # the database is away: keep the role while the lease lasts
            log.warning("%s: cannot renew the lease (%s)", self.name, exc)
            held = None
        if held:
            self._until = asked + self.ttl
            if not self.running:
                log.info("%s: this server holds the lease; starting", self.name)
                await self.companion.start()
                self.running = True
            elif self.refresh is not None and self.store.shared:
                self.refresh()
        elif self.running and (held is False or time.monotonic() >= self._until):
            log.warning("%s: lease lost; stopping", self.name)
            self.running = False
            await self.companion.stop()
