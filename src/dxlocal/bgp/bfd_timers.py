"""One timer for every BFD session of a speaker: a wheel of short slots (docs/bfd.md#cost).

A session's next deadline (its next packet, RFC 5880 §6.8.7, or its detection time, §6.8.4)
goes into the slot of ``tick`` seconds that ends after it; the event loop wakes once per
non-empty slot, not once per session and packet, and handles every session due in it. A
deadline that moves later (each received packet pushes the detection time back) leaves the
entry where it is: the session wakes at the old time, finds nothing due and goes into the
slot of its new deadline. So a packet received costs no timer work, and a slot's sessions
are handled at most ``tick`` after their deadline.

``Wheel`` is pure (times are given); ``Timers`` drives it with one ``loop.call_at``.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Callable
from typing import Protocol

TICK = 0.005  # 5 ms: small beside BFD's 225-300 ms transmit and 900 ms detection times
_EPSILON = 1e-6  # of a tick: float rounding of times on a slot's edge


class Item(Protocol):
    slot: int | None  # the slot that holds the item's live entry, None when unscheduled


class Wheel:
    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self.slots: dict[int, list[Item]] = {}
        self._order: list[int] = []  # slot numbers of self.slots, a heap
        self.done = -1  # the last slot handled: later additions go after it

    def slot_of(self, when: float) -> int:
        """The first slot whose end (``slot * tick``) is not before ``when``."""
        return max(math.ceil(when / self.tick - _EPSILON), self.done + 1)

    def schedule(self, item: Item, when: float) -> None:
        """Wake ``item`` at ``when`` (within a tick after), unless it wakes earlier anyway."""
        k = self.slot_of(when)
        if item.slot is not None and item.slot <= k:
            return
        item.slot = k
        bucket = self.slots.get(k)
        if bucket is None:
            self.slots[k] = [item]
            heapq.heappush(self._order, k)
        else:
            bucket.append(item)

    @staticmethod
    def cancel(item: Item) -> None:
        item.slot = None  # its entries are skipped when their slots come

    def next_time(self) -> float | None:
        return self._order[0] * self.tick if self._order else None

    def pop_due(self, now: float) -> list[Item]:
        """The items of every slot that has ended by ``now``, each once, unscheduled."""
        out: list[Item] = []
        order, slots = self._order, self.slots
        last = int(now / self.tick + _EPSILON)
        while order and order[0] <= last:
            k = heapq.heappop(order)
            self.done = k
            for item in slots.pop(k):
                if item.slot == k:
                    item.slot = None
                    out.append(item)
        return out


class Timers:
    """The wheel on an event loop: ``fire(item, now)`` is called for each item that is due
    (and should schedule the item again if it has a further deadline)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fire: Callable[[Item, float], None],
                 tick: float = TICK) -> None:  # fmt: skip
        self.loop = loop
        self.wheel = Wheel(tick)
        self._fire = fire
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = 0.0
        self._running = False

    def schedule(self, item: Item, when: float | None) -> None:
        if when is None:
            Wheel.cancel(item)
            return
        self.wheel.schedule(item, when)
        if not self._running:
            self._arm()

    def cancel(self, item: Item) -> None:
        Wheel.cancel(item)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        when = self.wheel.next_time()
        if when is None:
            return
        if self._handle is not None:
            if self._armed_at <= when:
                return
            self._handle.cancel()
        self._armed_at = when
        self._handle = self.loop.call_at(when, self._run)

    def _run(self) -> None:
        self._handle = None
        self._running = True
        try:
            # a loop with a millisecond clock may wake a little before the slot's end
            now = max(self.loop.time(), self._armed_at)
            for item in self.wheel.pop_due(now):
                self._fire(item, now)
        finally:
            self._running = False
            self._arm()
