"""Time as a BGP session sees it: now, a deadline around an await, and a sleep.

Sessions take a ``Clock`` so their timers (ConnectRetry, Hold, Keepalive: RFC 4271 §10) can
run on the real monotonic clock or on a ``ManualClock`` that only moves when its owner says,
so a test can expire a 90-second hold timer without waiting 90 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def timeout_at(self, deadline: float) -> AbstractAsyncContextManager[None]:
        """A context whose body is cancelled with ``TimeoutError`` once ``now() >= deadline``."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The process's monotonic clock, with asyncio's own timers."""

    def now(self) -> float:
        return time.monotonic()

    def timeout_at(self, deadline: float) -> AbstractAsyncContextManager[None]:
        loop = asyncio.get_running_loop()
        return asyncio.timeout_at(loop.time() + (deadline - time.monotonic()))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Timer:
    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False


class ManualClock:
    """A clock that stands still until ``advance`` moves it; timers fire in deadline order.

    ``advance`` lets the event loop run after each timer fires, so whatever a timer wakes
    (a NOTIFICATION sent, a new timer armed) happens before the next one is due.
    """

    def __init__(self, start: float = 1000.0, settle_rounds: int = 50) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._settle_rounds = settle_rounds

    def now(self) -> float:
        return self._now

    def _schedule(self, when: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(callback)
        heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    @contextlib.asynccontextmanager
    async def timeout_at(self, deadline: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as scope:
            if deadline <= self._now:
                scope.reschedule(loop.time())
                timer = None
            else:
                timer = self._schedule(deadline, lambda: scope.reschedule(loop.time()))
            try:
                yield
            finally:
                if timer is not None:
                    timer.cancelled = True

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        timer = self._schedule(
            self._now + max(0.0, seconds),
            lambda: future.done() or future.set_result(None),
        )
        try:
            await future
        finally:
            timer.cancelled = True

    async def settle(self) -> None:
        """Let every task that can run, run (no real time passes)."""
        for _ in range(self._settle_rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        target = self._now + seconds
        await self.settle()
        while self._timers and self._timers[0][0] <= target:
            when, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, when)
            timer.callback()
            await self.settle()
        self._now = target
        await self.settle()
