"""A bell: coroutines wait for it to ring, on their own event loops; it rings from any thread
(in-process mode may commit on another thread than the one whose loop waits)."""

from __future__ import annotations

import asyncio
import contextlib


class Bell:
    def __init__(self) -> None:
        self.waiters: list[asyncio.Future[None]] = []

    def ring(self) -> None:
        """Wake every coroutine waiting now; later waiters wait for the next ring."""
        waiters, self.waiters = self.waiters, []
        for fut in waiters:
            if not fut.done():
                fut.get_loop().call_soon_threadsafe(_wake, fut)

    async def wait(self, timeout: float | None = None) -> None:
        """Until the next ring, or ``timeout`` seconds (``None``: no limit)."""
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        if timeout is None:
            await fut
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fut, timeout)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
