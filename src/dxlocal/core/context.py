"""What a provider call knows about its request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dxlocal.config import Settings
    from dxlocal.store.base import Tx


@dataclass
class RequestContext:
    account: str
    region: str
    request_id: str
    now: float
    tx: Tx
    settings: Settings
    operation: str = ""

    def schedule(self, kind: str, id: str, event: str, delay: float | None = None) -> None:
        """Fire ``event`` on the record after the progression delay (or ``delay`` seconds)."""
        wait = self.settings.delay if delay is None else delay
        if self.settings.progress == "manual" and delay is None:
            wait = float("inf")  # only POST /_dxlocal/advance moves it on
        self.tx.schedule(self.now + wait, kind, id, event)

    def arn(self, resource: str, id: str) -> str:
        return f"arn:aws:directconnect:{self.region}:{self.account}:{resource}/{id}"
