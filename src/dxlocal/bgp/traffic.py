"""The lab's traffic counters, sampled for CloudWatch (docs/failures.md#traffic).

Every ``traffic_sample`` seconds (default 30, the interval at which Direct Connect sends
its metrics, User Guide "Monitoring with Amazon CloudWatch") the sampler reads the kernel's
counters of the Amazon namespace in one ``ip -s -j link show``, run in a worker thread, and,
for each VIF attached to a lab namespace (``dxlocal lab attach --netns``), files what went
through since the previous reading as one point of the VIF's series (core/traffic.py):

    dxa<id>.<vlan>   the VIF's own interface (its VLAN)       VirtualInterface{Bps,Pps}*
    dxa<id>          the port it rides on (tagged frames)      Connection{Bps,Pps}*, summed
                                                               over the connection's VIFs

Received by the Amazon side is Ingress, sent is Egress. A VIF's first reading after it is
attached (or after dxlocal starts) only sets the baseline. The series are written in a unit
of work of their own, so every server sharing the store answers from them; series not
written for ``RETENTION`` (a VIF deleted or detached long ago) are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dxlocal.core import traffic

from . import netns

if TYPE_CHECKING:
    from dxlocal.core.work import Work

    from .live import LiveBgp

log = logging.getLogger("dxlocal.bgp")

VIF = "virtualInterface"
SWEEP_EVERY = 20  # samples between two looks for series nobody writes any more
BATCH = 16  # series written per unit of work

# vif id -> (dxlocal time, monotonic time, (VIF interface reading, port reading))
Last = dict[str, tuple[float, float, tuple[traffic.Reading, traffic.Reading]]]


class TrafficSampler:
    def __init__(
        self, bridge: LiveBgp, work: Work, now: Callable[[], float], interval: float
    ) -> None:
        self.bridge = bridge
        self.work = work
        self.now = now
        self.interval = max(1.0, interval)
        self.last: Last = {}
        self.samples = 0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="lab-traffic")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.last.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            # Readings on a fixed beat, so each point spans about one interval.
            due = max(due + self.interval, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self.sample()
            except Exception:
                log.exception("lab traffic: sampling failed")

    def wired(self) -> dict[str, tuple[str, str]]:
        """VIF id -> (its interface, its port) in the Amazon namespace, for attached VIFs."""
        plumbing = self.bridge.plumbing
        if plumbing is None:
            return {}
        return {
            vif_id: (plumbing.holder(port, "a"), port.dev_a)
            for vif_id, port in list(self.bridge.ports.items())
            if vif_id in plumbing.attached and vif_id not in self.bridge.loopback_vifs
        }

    async def sample(self) -> None:
        plumbing, wired = self.bridge.plumbing, self.wired()
        for gone in set(self.last) - set(wired):
            del self.last[gone]  # detached: the next attach starts a new baseline
        points: dict[str, list[float]] = {}
        now = self.now()
        if plumbing is not None and wired:
            read = await asyncio.to_thread(netns.counters, plumbing.netns)
            mono, now = time.monotonic(), self.now()
            for vif_id, (dev, port) in wired.items():
                if dev not in read or port not in read:
                    continue
                reading = (read[dev], read[port])
                before = self.last.get(vif_id)
                self.last[vif_id] = (now, mono, reading)
                if before is not None:
                    t0, m0, (dev0, port0) = before
                    points[vif_id] = traffic.measure(
                        t0, now, mono - m0, (dev0, reading[0]), (port0, reading[1])
                    )
        self.samples += 1
        items = list(points.items())
        # A few VIFs per unit of work, the loop serving calls between two (a series at its
        # full size costs about a millisecond to rewrite: benchmarks/README.md).
        for first in range(0, len(items), BATCH):
            await self.work.idle()  # a COMMIT of our own, never a savepoint of an open group
            with self.work.unit("traffic") as unit:
                for vif_id, point in items[first : first + BATCH]:
                    file_point(unit.tx, vif_id, point, now)
        if self.samples % SWEEP_EVERY == 0:
            await self.work.idle()
            with self.work.unit("traffic") as unit:
                for old in unit.tx.list(traffic.KIND):
                    if not old["points"] or old["points"][-1][1] < now - traffic.RETENTION:
                        unit.tx.delete(traffic.KIND, old["virtualInterfaceId"])


def file_point(tx: Any, vif_id: str, point: list[float], now: float) -> None:
    """Add ``point`` to the VIF's series (made at its first point), under its connection."""
    vif = tx.get(VIF, vif_id)
    if vif is None:
        return
    parent = vif["connectionId"]
    old = tx.get(traffic.KIND, vif_id)
    if old is None:
        series = {
            "virtualInterfaceId": vif_id,
            "connectionId": parent,
            "ownerAccount": vif.get("ownerAccount", ""),
            "region": vif.get("region", ""),
            "since": None,
            "points": [],
        }
        new = traffic.add_point(series, point, now)
        tx.insert(traffic.KIND, vif_id, new, account=series["ownerAccount"],
                  region=series["region"], parent=parent)  # fmt: skip
    else:
        new = traffic.add_point({**old, "connectionId": parent}, point, now)
        tx.update(traffic.KIND, vif_id, new, parent=parent)
