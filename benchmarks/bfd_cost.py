"""CPU per BFD packet of the speaker's BFD on its own: N sessions at 300 ms x 3, no BGP, no API.

    python benchmarks/bfd_cost.py [--sessions 1000] [--seconds 10]

The speaker side is dxlocal's ``BfdEndpoint``s (loopback transport: one Amazon address per
session on 127.2.0.0/16, the speaker's shared timer wheel) on uvloop, pinned to CPU 0; the
customers are ``bgp_scale.py``'s load tool (``_BfdCustomers``) in a second process on CPU 1.
Once every session is Up the speaker's user and system CPU time is read over ``--seconds``
and divided by the packets it received and sent in that time, so the figure moves little
with other load on the machine. Run it under ``flock /work/bench.lock flock /work/bgp.lock``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT.parent / "src")]

import bgp_scale  # noqa: E402


def address(i: int, side: int) -> str:
    n = 4 * i + side  # 127.2.0.0 + 4i + 1 (Amazon) / + 2 (customer)
    return f"127.2.{n >> 8 & 255}.{n & 255}" if n < 65536 else "invalid"


def plan(n: int) -> list[dict]:
    return [{"amazon": address(i, 1), "customer": address(i, 2)} for i in range(n)]


async def speaker(args: argparse.Namespace) -> dict:
    from dxlocal.bgp import bfd
    from dxlocal.bgp.bfd_endpoint import BfdEndpoint, discriminators, fire
    from dxlocal.bgp.bfd_timers import Timers
    from dxlocal.bgp.sockets import NetnsSockets

    loop = asyncio.get_running_loop()
    timers = Timers(loop, fire)  # type: ignore[arg-type]
    ids, sockets, endpoints, peers = discriminators(1), NetnsSockets(None), [], []
    for p in plan(args.sessions):
        endpoint = BfdEndpoint(sockets, p["amazon"], ids, timers)
        endpoint.start()
        endpoints.append(endpoint)
        peers.append(endpoint.attach(p["customer"], lambda change: None))
    customers = subprocess.Popen([sys.executable, __file__, "customers", "--sessions",
                                  str(args.sessions)], preexec_fn=bgp_scale._pinned(1))  # fmt: skip
    try:
        deadline = loop.time() + 60
        while sum(p.session.state is bfd.State.UP for p in peers) < len(peers):
            if loop.time() > deadline:
                raise RuntimeError("not every BFD session came up")
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        for p in peers:
            p.session.max_rx_gap = p.session.max_tx_late = 0.0
        counts = [e.counts() for e in endpoints]
        counts_at_start = [p.session.up_count - 1 for p in peers]
        t0, w0 = os.times(), loop.time()
        await asyncio.sleep(args.seconds)
        t1, w1 = os.times(), loop.time()
        rx = sum(e.counts()[0] for e in endpoints) - sum(c[0] for c in counts)
        tx = sum(e.counts()[1] for e in endpoints) - sum(c[1] for c in counts)
        user, system = t1.user - t0.user, t1.system - t0.system
        downs = sum(p.session.up_count - 1 for p in peers)
        why = bgp_scale.statistics_of(p.session.last_down_reason for p in peers)
        downs_before = sum(bool(c) for c in counts_at_start)
    finally:
        customers.send_signal(signal.SIGTERM)
        customers.wait(30)
        for e in endpoints:
            e.close()
        timers.close()
    packets = rx + tx
    return {
        "sessions": args.sessions,
        "packets_per_s": round(packets / (w1 - w0)),
        "cpu_pct": round((user + system) / (w1 - w0) * 100, 1),
        "us_per_packet_user": round(user / packets * 1e6, 2),
        "us_per_packet_sys": round(system / packets * 1e6, 2),
        "downs": downs,
        "downs_before_the_window": downs_before,
        "why": why,
        "max_rx_gap_ms": round(max(p.session.max_rx_gap for p in peers) * 1000),
        "max_tx_late_ms": round(max(p.session.max_tx_late for p in peers) * 1000),
        "load_average": round(os.getloadavg()[0], 1),
    }


async def customers(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    tool = bgp_scale._BfdCustomers({"bfd_up": 0, "bfd_down": 0})
    for i, p in enumerate(plan(args.sessions)):
        tool.add(p, i + 1)
        await asyncio.sleep(0.002)
    await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "customers"))
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    bgp_scale._limits()
    import uvloop

    if args.mode == "customers":
        uvloop.run(customers(args))
        return 0
    os.sched_setaffinity(0, {0})
    t = time.monotonic()
    out = uvloop.run(speaker(args))
    out["seconds"] = round(time.monotonic() - t, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
