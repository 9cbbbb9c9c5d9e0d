"""dxlocal's clock: what "now" is for lifecycles, timers and timestamps (docs/lifecycle.md).

With ``--progress auto`` it is the wall clock; with ``--progress manual`` it stands still
from the start and only ``POST /_dxlocal/advance`` moves it. Either way ``advance`` moves it
forward (never back), so a test can skip a retention period or a failover test's duration.
"""

from __future__ import annotations

import math
import time


class Clock:
    def __init__(self, *, manual: bool = False, start: float | None = None) -> None:
        self.manual = manual
        self._base = time.time() if start is None else start
        self._offset = 0.0

    def now(self) -> float:
        return (self._base if self.manual else time.time()) + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; returns the new time."""
        if not 0 <= seconds < math.inf:  # also refuses NaN
            raise ValueError(f"the clock only moves forward, not by {seconds!r} seconds")
        self._offset += seconds
        return self.now()
