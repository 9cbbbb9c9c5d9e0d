"""Traffic through the lab's interfaces, as CloudWatch's ``AWS/DX`` traffic metrics read it
(docs/failures.md#traffic).

The live lab's sampler (bgp/traffic.py) reads the kernel's counters of each attached VIF's
Amazon-side interfaces every ``traffic_sample`` seconds and files what went through since
its previous reading as one point of the VIF's series, a record of kind ``KIND`` filed under
the VIF's connection (the store's ``parent`` column, so a connection's series are one
indexed read):

    {"virtualInterfaceId", "connectionId", "ownerAccount", "region",
     "since": T,                      # complete from T on (points before dropped), or null
     "points": [[t0, t1, seconds, vif rx bytes, vif tx bytes, vif rx packets,
                 vif tx packets, port rx bytes, port tx bytes, port rx packets,
                 port tx packets], ...]}

``t0``..``t1`` is the interval on dxlocal's clock, ``seconds`` its length as measured (the
monotonic clock: rates stay true when dxlocal's clock is moved by hand). "rx" is what the
Amazon side received (CloudWatch's Ingress), "tx" what it sent (Egress): the User Guide
defines both from the AWS side of the connection or VIF.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

KIND = "trafficSeries"
RETENTION = 3 * 3600.0  # seconds of points kept (docs/failures.md#traffic)
MAX_POINTS = 2000  # per VIF, whatever the sampling interval
WIDTH = 64  # the kernel's rtnl_link_stats64 counters

# metric name -> index of its count in a point (bits are bytes x 8)
VIF_FIELDS = {
    "VirtualInterfaceBpsIngress": 3,
    "VirtualInterfaceBpsEgress": 4,
    "VirtualInterfacePpsIngress": 5,
    "VirtualInterfacePpsEgress": 6,
}
CONNECTION_FIELDS = {
    "ConnectionBpsIngress": 7,
    "ConnectionBpsEgress": 8,
    "ConnectionPpsIngress": 9,
    "ConnectionPpsEgress": 10,
}
FIELDS = {**VIF_FIELDS, **CONNECTION_FIELDS}


def increase(old: int, new: int, width: int = WIDTH) -> int:
    """How much a counter went up from ``old`` to ``new``. A counter found lower than before
    either wrapped (it was in the top half of its range: it went round once) or was reset
    (the interface was made anew): then all of ``new`` counts."""
    if new >= old:
        return new - old
    top = 1 << width
    if old >= top >> 1:
        return new + top - old
    return new


def add_point(
    series: dict[str, Any], point: list[float], now: float, retention: float = RETENTION
) -> dict[str, Any]:
    """``series`` with ``point`` appended and the points older than ``retention`` (or beyond
    ``MAX_POINTS``) dropped; ``since`` moves past what was dropped."""
    points = [*series.get("points", []), point]
    keep = [p for p in points if p[1] >= now - retention][-MAX_POINTS:]
    since = series.get("since")
    if len(keep) < len(points):
        dropped = points[len(points) - len(keep) - 1][1]
        since = dropped if since is None else max(since, dropped)
    return {**series, "since": since, "points": keep}


def rate(point: list[float], name: str) -> float:
    """The metric's value over one point: bits or packets per second."""
    count = point[FIELDS[name]] * (8 if "Bps" in name else 1)
    return count / point[2] if point[2] > 0 else 0.0


def samples(
    series: list[dict[str, Any]], name: str, grid: list[float]
) -> tuple[float, list[tuple[float, float]]]:
    """``(since, [(time, value)])`` of a traffic metric over ``series`` (one VIF's, or every
    VIF's of a connection, summed by interval): each measured point at its end time, and 0 at
    each time of ``grid`` (dxlocal's 30-second sampling) that no measurement covers, so a VIF
    with no lab attached reads 0. Nothing before ``since``: what was dropped is unknown."""
    # One reading files a point for every attached VIF with the same interval: a connection's
    # VIFs add up by interval. Points of one series sharing an interval (dxlocal's clock held
    # still, --progress manual) stay apart: n-th with n-th.
    summed: dict[tuple[float, float, int], float] = {}
    since = -float("inf")
    for one in series:
        if one.get("since") is not None:
            since = max(since, one["since"])
        seen: dict[tuple[float, float], int] = {}
        for p in one.get("points", []):
            n = seen[(p[0], p[1])] = seen.get((p[0], p[1]), -1) + 1
            summed[(p[0], p[1], n)] = summed.get((p[0], p[1], n), 0.0) + rate(p, name)
    spans = sorted({(t0, t1) for t0, t1, _ in summed}, key=lambda span: span[1])
    ends = [t1 for _, t1 in spans]
    out = [(t1, value) for (_, t1, _), value in summed.items() if t1 > since]
    out += [(g, 0.0) for g in grid if g > since and not _covered(spans, ends, g)]
    return since, sorted(out)


def _covered(spans: list[tuple[float, float]], ends: list[float], at: float) -> bool:
    """Whether a measured interval ``(t0, t1]`` holds ``at`` (intervals one after another)."""
    i = bisect_left(ends, at)
    return i < len(spans) and spans[i][0] < at


# (ifindex, rx bytes, tx bytes, rx packets, tx packets) of one interface, as read
Reading = tuple[int, int, int, int, int]


def counted(old: Reading, new: Reading) -> tuple[int, ...]:
    """What went through an interface between two readings; an interface made anew (another
    ifindex) counts from zero."""
    base = old[1:] if old[0] == new[0] else (0, 0, 0, 0)
    return tuple(increase(a, b) for a, b in zip(base, new[1:], strict=True))


def measure(
    t0: float,
    t1: float,
    seconds: float,
    vif: tuple[Reading, Reading],
    port: tuple[Reading, Reading],
) -> list[float]:
    """One point of a series from two readings (before, after) of the VIF's own interface
    and of its port (times to the millisecond, the span to the microsecond: a smaller record)."""
    return [round(t0, 3), round(t1, 3), round(seconds, 6), *counted(*vif), *counted(*port)]
