"""Cost of the lab's traffic sampling (bgp/traffic.py, docs/failures.md#traffic).

    flock /work/bgp.lock .venv/bin/python benchmarks/traffic_sample.py [VIFS]

Needs root (it makes a namespace, deleted at the end). Makes VIFS veth pairs with an 802.1Q
subinterface each in a fresh namespace, as the lab does, then prints medians of:

- reading every counter of the namespace (one ``ip -s -j link show``, what each sample runs
  in a worker thread);
- filing one sample's points for every VIF in one transaction, each series at its steady size
  (3 hours of 30-second points), on a SQLite state file (the sampler writes 16 VIFs per unit
  of work, so the event loop is held for 16 times the cost a VIF at most);
- one GetMetricStatistics over those 3 hours (Period 60) for a connection and for a VIF.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dxlocal.bgp import netns
from dxlocal.bgp.traffic import file_point
from dxlocal.config import Settings
from dxlocal.core import traffic
from dxlocal.core.context import RequestContext
from dxlocal.provider import cloudwatch
from dxlocal.store import open_store

ACCOUNT, REGION, CONNECTION = "111122223333", "us-east-1", "dxcon-bench001"
STEADY = int(traffic.RETENTION // 30)  # points a series holds at the default interval


def median_ms(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(vifs: int) -> None:
    ns = f"dxlbench-traffic-{os.getpid()}"
    netns.add_netns(ns)
    try:
        probe = ["link add dxprobe type veth peer name dxprobe1",
                 "link add link dxprobe name dxprobe.7 type vlan id 7"]  # fmt: skip
        tagged = not netns.batch(probe, ns, quiet=True)  # no 8021q module: untagged, as the lab
        netns.batch(["link del dxprobe"], ns, quiet=True)
        lines = []
        for i in range(vifs):
            lines.append(f"link add dxa{i:07d} type veth peer name dxc{i:07d}")
            if tagged:
                vlan = 100 + i % 4000
                lines.append(f"link add link dxa{i:07d} name dxa{i:07d}.{vlan} type vlan id {vlan}")
        netns.batch(lines, ns)
        found = len(netns.counters(ns))
        read = median_ms(lambda: netns.counters(ns), 21)
        print(f"{vifs} VIFs ({found} interfaces): reading the counters {read:.1f} ms")
    finally:
        netns.del_netns(ns)

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(state=str(Path(folder) / "state.sqlite3"))
        store = open_store(settings)
        now = time.time()
        with store.transaction() as tx:
            tx.insert("connection", CONNECTION, {"connectionId": CONNECTION,
                      "connectionState": "available", "bandwidth": "10Gbps"},
                      account=ACCOUNT, region=REGION)  # fmt: skip
            for i in range(vifs):
                vif = f"dxvif-b{i:07d}"
                tx.insert("virtualInterface", vif, {"virtualInterfaceId": vif,
                          "connectionId": CONNECTION, "ownerAccount": ACCOUNT,
                          "region": REGION, "virtualInterfaceState": "available"},
                          account=ACCOUNT, region=REGION, parent=CONNECTION)  # fmt: skip
                for k in range(STEADY):
                    t = now - (STEADY - k) * 30
                    file_point(tx, vif, [t - 30, t, 30.0, *(12345678,) * 8], t)
        t = [now]

        def tick() -> None:
            t[0] += 30
            with store.transaction() as tx:
                for i in range(vifs):
                    file_point(tx, f"dxvif-b{i:07d}", [t[0] - 30, t[0], 30.0, *(1,) * 8], t[0])

        write = median_ms(tick, 11)
        print(f"one sample filed for {vifs} VIFs ({STEADY} points each): {write:.1f} ms, "
              f"{write / vifs:.2f} ms a VIF")  # fmt: skip

        def query(vif: str | None) -> None:
            dims = [{"Name": "ConnectionId", "Value": CONNECTION}]
            name = "ConnectionBpsIngress"
            if vif:
                dims.append({"Name": "VirtualInterfaceId", "Value": vif})
                name = "VirtualInterfaceBpsIngress"
            with store.transaction() as tx:
                ctx = RequestContext(ACCOUNT, REGION, "r", t[0], tx, settings)
                cloudwatch.get_metric_statistics(
                    ctx, namespace="AWS/DX", metric_name=name, start_time=t[0] - 3 * 3600,
                    end_time=t[0], period=60, dimensions=dims, statistics=["Average"],
                )  # fmt: skip

        print(f"GetMetricStatistics, 3 h: connection {median_ms(lambda: query(None), 11):.1f} ms,"
              f" VIF {median_ms(lambda: query('dxvif-b0000000'), 11):.1f} ms")  # fmt: skip
        store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
