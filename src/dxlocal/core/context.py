"""What a provider call knows about its request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dxlocal.core import lifecycle

# A peer id -> (accepted, advertised) routes of its live BGP session (``--bgp live``).
LiveRoutes = Callable[[str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]

if TYPE_CHECKING:
    from dxlocal.config import Settings
    from dxlocal.store.base import Tx


@dataclass(slots=True)
class RequestContext:
    account: str
    region: str
    request_id: str
    now: float  # dxlocal's clock (core/clock.py), not necessarily the wall clock
    tx: Tx
    settings: Settings
    operation: str = ""
    access_key: str = ""  # of the SigV4 credential scope ("" when unsigned)
    live: LiveRoutes | None = None  # the live sessions' routes, when the server runs them

    def __post_init__(self) -> None:
        # Reads show each record's state as of ``now`` (core/lifecycle.py).
        self.tx = lifecycle.reader(self.tx, self.now, self.settings.delay)  # type: ignore[assignment]

    def schedule(self, kind: str, id: str, event: str, delay: float | None = None) -> None:
        """Fire ``event`` on the record ``delay`` seconds from now (default: one progression
        step). An earlier timer of the same event stays as it is: a timer is never pushed out."""
        wait = self.settings.delay if delay is None else delay
        self.tx.schedule(self.now + wait, kind, id, event)

    def enter(self, kind: str, record: dict[str, Any], state: str, rid: str = "") -> None:
        """Move ``record`` to ``state`` now and set the timers its lifecycle needs from here
        (its written step or purge); the caller saves the record."""
        lifecycle.advance(kind, record, state, self.now)
        rid = rid or lifecycle.record_id(lifecycle.KINDS[kind], record)
        self.follow(kind, rid, state, record=record)

    def follow(
        self, kind: str, rid: str, state: str, at: float | None = None, record: Any = None
    ) -> None:
        """The timers a record that entered ``state`` (now, or at ``at``) needs
        (core/lifecycle.py; ``record`` for a step whose time is its own)."""
        self.tx.cancel(kind, rid, "step")
        settings = self.settings
        at = self.now if at is None else at
        for event, due in lifecycle.follow_ups(
            kind, state, at, settings.delay, settings.deleted_retention, record
        ):
            self.tx.schedule(due, kind, rid, event)

    def arn(self, resource: str, id: str) -> str:
        return f"arn:aws:directconnect:{self.region}:{self.account}:{resource}/{id}"
