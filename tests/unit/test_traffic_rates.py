"""Traffic metrics from interface counters (core/traffic.py, docs/failures.md#traffic): counters
that wrap or reset, rates per point, retention, the zeros where nothing was measured, and
how CloudWatch's periods gather the points (provider/cloudwatch.py)."""

from __future__ import annotations

from typing import Any

import pytest

from dxlocal.bgp.traffic import file_point
from dxlocal.config import Settings
from dxlocal.core import traffic
from dxlocal.core.context import RequestContext
from dxlocal.provider import cloudwatch
from dxlocal.store import open_store

TOP = 1 << 64


def test_a_counter_going_up_counts_the_difference() -> None:
    assert traffic.increase(1_000, 1_500) == 500
    assert traffic.increase(7, 7) == 0


def test_a_counter_near_its_top_that_comes_back_low_wrapped() -> None:
    assert traffic.increase(TOP - 100, 50) == 150
    assert traffic.increase((1 << 32) - 10, 5, width=32) == 15


def test_a_counter_that_falls_from_low_was_reset_and_counts_from_zero() -> None:
    assert traffic.increase(10_000, 300) == 300


def test_an_interface_made_anew_counts_from_zero() -> None:
    old, same, remade = (5, 1000, 2000, 10, 20), (5, 1600, 2100, 14, 21), (9, 40, 0, 1, 0)
    assert traffic.counted(old, same) == (600, 100, 4, 1)
    assert traffic.counted(old, remade) == (40, 0, 1, 0)


def point(
    t0: float, t1: float, vif_rx: int = 0, vif_tx: int = 0, port_rx: int = 0, seconds: float = 0
) -> list[float]:
    seconds = seconds or t1 - t0
    vif = ((3, 0, 0, 0, 0), (3, vif_rx, vif_tx, vif_rx // 100, vif_tx // 100))
    port = ((2, 0, 0, 0, 0), (2, port_rx, 0, port_rx // 100, 0))
    return traffic.measure(t0, t1, seconds, vif, port)


def test_a_point_gives_bits_and_packets_per_second_in_each_direction() -> None:
    p = point(0, 30, vif_rx=30_000, vif_tx=3_000)
    assert traffic.rate(p, "VirtualInterfaceBpsIngress") == 8_000  # received by AWS
    assert traffic.rate(p, "VirtualInterfaceBpsEgress") == 800  # sent by AWS
    assert traffic.rate(p, "VirtualInterfacePpsIngress") == 10
    assert traffic.rate(p, "VirtualInterfacePpsEgress") == 1
    assert traffic.rate(traffic.measure(5, 5, 0.0, ((1,) * 5,) * 2, ((1,) * 5,) * 2),
                        "ConnectionBpsIngress") == 0  # fmt: skip


def test_points_older_than_the_retention_are_dropped_and_since_moves() -> None:
    series: dict[str, Any] = {"since": None, "points": []}
    for t in range(0, 300, 30):
        series = traffic.add_point(series, point(t, t + 30), now=t + 30, retention=100)
    assert [p[1] for p in series["points"]] == [210, 240, 270, 300]
    assert series["since"] == 180
    capped: dict[str, Any] = {"since": None, "points": []}
    for t in range(traffic.MAX_POINTS + 5):
        capped = traffic.add_point(capped, point(t, t + 1), now=t + 1)
    assert len(capped["points"]) == traffic.MAX_POINTS and capped["since"] == 5


def test_zero_where_nothing_was_measured_and_connection_sums_its_vifs() -> None:
    a = {"since": None, "points": [point(60, 90, port_rx=3000), point(90, 120, port_rx=6000)]}
    b = {"since": None, "points": [point(90, 120, port_rx=3000)]}
    grid = [30.0, 60.0, 90.0, 120.0, 150.0]
    since, values = traffic.samples([a, b], "ConnectionBpsIngress", grid)
    assert since == -float("inf")
    assert values == [(30, 0), (60, 0), (90, 800), (120, 2400), (150, 0)]
    _, later = traffic.samples([{**a, "since": 90}], "ConnectionBpsIngress", grid)
    assert later == [(120, 1600), (150, 0)]  # what came before since is unknown


def test_points_of_a_clock_held_still_stay_apart() -> None:
    # Readings a second apart (monotonic clock) while dxlocal's clock stays at 60.
    a = {"points": [point(60, 60, port_rx=300, seconds=1), point(60, 60, port_rx=600, seconds=1)]}
    b = {"points": [point(60, 60, port_rx=300, seconds=1)]}
    _, values = traffic.samples([a, b], "ConnectionPpsIngress", [60.0])
    assert values == [(60, 0), (60, 6), (60, 6)]  # 3 + 3, then 6 + nothing; grid 60 uncovered
    _, values = traffic.samples([a], "ConnectionBpsIngress", [])
    assert values == [(60, 2400), (60, 4800)]


@pytest.fixture
def ctx() -> Any:
    settings = Settings(state=":memory:")
    store = open_store(settings)
    with store.transaction() as tx:
        tx.insert("connection", "dxcon-aaaa1111", {"connectionId": "dxcon-aaaa1111",
                  "connectionState": "available", "bandwidth": "1Gbps"},
                  account="111122223333", region="us-east-1")  # fmt: skip
        for vif in ("dxvif-aaaa0001", "dxvif-aaaa0002"):
            tx.insert("virtualInterface", vif, {"virtualInterfaceId": vif,
                      "connectionId": "dxcon-aaaa1111", "ownerAccount": "111122223333",
                      "region": "us-east-1", "virtualInterfaceState": "available"},
                      account="111122223333", region="us-east-1", parent="dxcon-aaaa1111")  # fmt: skip
        # 10 kB in, then 20 kB in, on the first VIF; the second VIF never attached.
        file_point(tx, "dxvif-aaaa0001", point(600, 630, vif_rx=10_000, port_rx=10_100), 630)
        file_point(tx, "dxvif-aaaa0001", point(630, 660, vif_rx=20_000, port_rx=20_100), 660)
        yield RequestContext("111122223333", "us-east-1", "r", 700.0, tx, settings)
    store.close()


def stats(ctx: Any, name: str, vif: str | None, start: float, end: float, period: int) -> list:
    dims = [{"Name": "ConnectionId", "Value": "dxcon-aaaa1111"}]
    if vif:
        dims.append({"Name": "VirtualInterfaceId", "Value": vif})
    answer = cloudwatch.get_metric_statistics(
        ctx, namespace="AWS/DX", metric_name=name, start_time=start, end_time=end,
        period=period, dimensions=dims, statistics=["Average", "Maximum", "Sum", "SampleCount"],
    )  # fmt: skip
    return sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])


def test_periods_gather_measured_points_and_zeros(ctx: Any) -> None:
    ingress = stats(ctx, "VirtualInterfaceBpsIngress", "dxvif-aaaa0001", 540, 720, 60)
    assert [p["Timestamp"] for p in ingress] == [540, 600, 660]
    first, second, third = ingress
    assert first["Sum"] == 0 and first["SampleCount"] == 2  # grid 540, 570: not attached
    # 600 (grid: not attached yet) and 630 (measured over 600..630)
    assert second["SampleCount"] == 2 and second["Maximum"] == 10_000 * 8 / 30
    assert second["Average"] == pytest.approx(10_000 * 8 / 30 / 2)
    # 660 (measured over 630..660, so no zero there) and 690 (grid: detached again)
    assert third["SampleCount"] == 2 and third["Sum"] == pytest.approx(20_000 * 8 / 30)
    assert third["Unit"] == "Bits/Second"
    egress = stats(ctx, "VirtualInterfaceBpsEgress", "dxvif-aaaa0001", 600, 700, 60)
    assert {p["Maximum"] for p in egress} == {0}
    port = stats(ctx, "ConnectionPpsIngress", None, 600, 700, 60)
    assert port[0]["Maximum"] == pytest.approx(101 / 30)  # the port: BGP too, say
    assert port[0]["Unit"] == "Count/Second"
    never = stats(ctx, "VirtualInterfaceBpsIngress", "dxvif-aaaa0002", 540, 720, 60)
    assert never and {p["Maximum"] for p in never} == {0}
