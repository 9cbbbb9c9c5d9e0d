"""Amazon CloudWatch on the same port: the ``AWS/DX`` metrics (docs/failures.md#metrics).

    ListMetrics           the namespace's metrics for the caller's connections and VIFs
    GetMetricData         MetricStat queries: one value per period, newest first by default
    GetMetricStatistics   Average, Minimum, Maximum, Sum, SampleCount (and pNN) per period

Metrics and dimensions as the Direct Connect User Guide ("Monitoring with Amazon CloudWatch")
lists them. Direct Connect publishes a data point every 30 seconds; here each metric is
sampled every ``SAMPLE`` seconds of dxlocal's clock from the connection's life as the event
log tells it (core/events.py): ``ConnectionState`` is 1 while the connection is
``available`` and 0 otherwise, the light levels fall to ``DARK`` dBm while it is not, and
error counts are 0. Traffic (``…Bps…``/``…Pps…``) is what the live lab measured on the VIF's
interfaces while a namespace was attached (core/traffic.py), 0 otherwise. Other namespaces
hold no metrics.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from dxlocal.core import lifecycle, traffic
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ApiError
from dxlocal.provider._registry import operation

SERVICE = "cloudwatch"
NAMESPACE = "AWS/DX"
SAMPLE = 30.0  # seconds between data points (User Guide: every 30 seconds)
LIGHT_TX, LIGHT_RX, DARK = -2.0, -3.0, -40.0  # dBm: a healthy optic; no light at all
UP = ("available",)
CONNECTION_METRICS = {
    "ConnectionState": "None",
    "ConnectionBpsEgress": "Bits/Second",
    "ConnectionBpsIngress": "Bits/Second",
    "ConnectionPpsEgress": "Count/Second",
    "ConnectionPpsIngress": "Count/Second",
    "ConnectionErrorCount": "Count",
    "ConnectionLightLevelTx": "None",
    "ConnectionLightLevelRx": "None",
    "ConnectionEncryptionState": "None",
}
VIF_METRICS = {
    "VirtualInterfaceBpsEgress": "Bits/Second",
    "VirtualInterfaceBpsIngress": "Bits/Second",
    "VirtualInterfacePpsEgress": "Count/Second",
    "VirtualInterfacePpsIngress": "Count/Second",
}
STATS = ("Average", "Minimum", "Maximum", "Sum", "SampleCount")
Metric = dict[str, Any]
Sample = tuple[float, float]  # (time on dxlocal's clock, value)


class InvalidParameterValue(ApiError):
    code = "InvalidParameterValue"  # the model's error code (awsQuery-compatible)


class MissingParameter(ApiError):
    code = "MissingParameter"


# --- what exists ---------------------------------------------------------------------------


def _lanes(connection: dict[str, Any]) -> list[str]:
    """Optical lanes reported apart: four on 100 and 400 Gbps ports (choice: none below)."""
    return ["1", "2", "3", "4"] if connection.get("bandwidth") in ("100Gbps", "400Gbps") else []


def _metrics(ctx: RequestContext) -> list[Metric]:
    found: list[Metric] = []
    for conn in ctx.tx.list("connection", account=ctx.account, region=ctx.region):
        cid = conn["connectionId"]
        for name in CONNECTION_METRICS:
            if name == "ConnectionEncryptionState" and not conn.get("macSecCapable"):
                continue
            dims = [{"Name": "ConnectionId", "Value": cid}]
            if name.startswith("ConnectionLightLevel") and _lanes(conn):
                found += [
                    _metric(name, [*dims, {"Name": "OpticalLaneNumber", "Value": lane}])
                    for lane in _lanes(conn)
                ]
            else:
                found.append(_metric(name, dims))
    for vif in ctx.tx.list("virtualInterface", account=ctx.account, region=ctx.region):
        dims = [
            {"Name": "ConnectionId", "Value": vif["connectionId"]},
            {"Name": "VirtualInterfaceId", "Value": vif["virtualInterfaceId"]},
        ]
        found += [_metric(name, dims) for name in VIF_METRICS]
    return found


def _metric(name: str, dims: list[dict[str, str]]) -> Metric:
    return {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": dims}


def _matches(metric: Metric, name: str | None, dims: list[dict[str, Any]] | None) -> bool:
    if name and metric["MetricName"] != name:
        return False
    have = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    return all(
        d["Name"] in have and ("Value" not in d or have[d["Name"]] == d["Value"])
        for d in dims or ()
    )


# --- values over time ----------------------------------------------------------------------


def _timeline(ctx: RequestContext, cid: str) -> tuple[float, list[tuple[float, bool]]]:
    """When the connection came to be, and each time it went up (True) or down (False),
    oldest first; the first entry is its state from then on."""
    record = lifecycle.reader(ctx.tx, ctx.now, ctx.settings.delay).get("connection", cid)
    logged = ctx.tx.events(resource=cid, type="state")
    born = (record or {}).get("_created", logged[0]["time"] if logged else -math.inf)
    if logged:
        changes = [(e["time"], e["to"] in UP) for e in logged]
        return born, [(born, logged[0]["from"] in UP), *changes]
    up = record is not None and record.get("connectionState") in UP
    return born, [(born, up)]


def _state_at(timeline: list[tuple[float, bool]], at: float) -> bool:
    up = timeline[0][1]
    for when, value in timeline:
        if when > at:
            break
        up = value
    return up


def _sampler(ctx: RequestContext, metric: Metric) -> tuple[float, Callable[[float], float]]:
    """When the metric's data begins, and its value at a time."""
    dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    name, cid = metric["MetricName"], dims.get("ConnectionId", "")
    born, timeline = _timeline(ctx, cid)
    if name == "ConnectionState":
        return born, lambda t: 1.0 if _state_at(timeline, t) else 0.0
    if name.startswith("ConnectionLightLevel"):
        light = LIGHT_TX if name.endswith("Tx") else LIGHT_RX
        return born, lambda t: light if _state_at(timeline, t) else DARK
    if name == "ConnectionEncryptionState":
        conn = ctx.tx.get("connection", cid) or {}
        keyed = conn.get("encryptionMode") in ("must_encrypt", "should_encrypt") and bool(
            conn.get("macSecKeys")
        )
        return born, lambda t: 1.0 if keyed and _state_at(timeline, t) else 0.0
    return born, lambda t: 0.0


def _known(ctx: RequestContext, namespace: str, name: str, dims: list[dict[str, Any]]) -> Metric:
    """The metric named, if it is one of the caller's (else one without data)."""
    if namespace == NAMESPACE:
        for metric in _metrics(ctx):
            if metric["MetricName"] == name and _same_dims(metric["Dimensions"], dims):
                return metric
    return {}


def _same_dims(have: list[dict[str, str]], asked: list[dict[str, Any]]) -> bool:
    return {(d["Name"], d["Value"]) for d in have} == {(d["Name"], d.get("Value")) for d in asked}


def _points(ctx: RequestContext, metric: Metric, start: float, end: float) -> list[Sample]:
    """The metric's data points from ``start`` to before ``end``, oldest first."""
    born, value = _sampler(ctx, metric)
    end = min(end, ctx.now + 1e-9)
    grid = []
    t = math.ceil(max(start, born) / SAMPLE) * SAMPLE
    while t < end:
        grid.append(t)
        t += SAMPLE
    name = metric["MetricName"]
    if name not in traffic.FIELDS:
        return [(t, value(t)) for t in grid]
    dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    if name in traffic.VIF_FIELDS:
        one = ctx.tx.get(traffic.KIND, dims["VirtualInterfaceId"])
        series = [one] if one else []
    else:
        series = ctx.tx.list(traffic.KIND, parent=dims["ConnectionId"])
    _, measured = traffic.samples(series, name, grid)
    return [(t, v) for t, v in measured if start <= t < end]


def _buckets(
    ctx: RequestContext, metric: Metric, start: float, end: float, period: int
) -> list[tuple[float, list[float]]]:
    """``(bucket start, samples)`` for every period holding data, oldest first."""
    if not metric:
        return []
    out: dict[float, list[float]] = {}
    for t, v in _points(ctx, metric, start, end):
        out.setdefault(start + (t - start) // period * period, []).append(v)
    return sorted(out.items())


def _stat(samples: list[float], stat: str) -> float:
    if stat == "Average":
        return sum(samples) / len(samples)
    if stat == "Minimum":
        return min(samples)
    if stat == "Maximum":
        return max(samples)
    if stat == "Sum":
        return sum(samples)
    if stat == "SampleCount":
        return float(len(samples))
    if stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
        ranked = sorted(samples)
        at = min(len(ranked) - 1, max(0, math.ceil(float(stat[1:]) / 100 * len(ranked)) - 1))
        return ranked[at]
    raise InvalidParameterValue(f"The statistic {stat} is not supported.")


# --- operations ----------------------------------------------------------------------------


@operation("ListMetrics", service=SERVICE)
def list_metrics(
    ctx: RequestContext,
    namespace: str | None = None,
    metric_name: str | None = None,
    dimensions: list[dict[str, Any]] | None = None,
    **_: Any,
) -> dict[str, Any]:
    if namespace not in (None, NAMESPACE):
        return {"Metrics": []}
    return {"Metrics": [m for m in _metrics(ctx) if _matches(m, metric_name, dimensions)]}


@operation("GetMetricData", service=SERVICE)
def get_metric_data(
    ctx: RequestContext,
    metric_data_queries: list[dict[str, Any]],
    start_time: float,
    end_time: float,
    scan_by: str = "TimestampDescending",
    **_: Any,
) -> dict[str, Any]:
    _check_times(start_time, end_time)
    results = []
    for query in metric_data_queries:
        stat_query = query.get("MetricStat")
        if stat_query is None:
            results.append({
                "Id": query["Id"], "Label": query.get("Label", query["Id"]),
                "Timestamps": [], "Values": [], "StatusCode": "InternalError",
                "Messages": [{"Code": "Unsupported",
                              "Value": "dxlocal evaluates MetricStat queries, not expressions."}],
            })  # fmt: skip
            continue
        m = stat_query["Metric"]
        metric = _known(
            ctx, m.get("Namespace", ""), m.get("MetricName", ""), m.get("Dimensions", [])
        )
        _check_period(stat_query["Period"])
        points = [
            (when, _stat(samples, stat_query["Stat"]))
            for when, samples in _buckets(ctx, metric, start_time, end_time, stat_query["Period"])
        ]
        if scan_by != "TimestampAscending":
            points.reverse()
        results.append({
            "Id": query["Id"], "Label": query.get("Label", m.get("MetricName", "")),
            "Timestamps": [p[0] for p in points], "Values": [p[1] for p in points],
            "StatusCode": "Complete",
        })  # fmt: skip
    return {"MetricDataResults": results, "Messages": []}


@operation("GetMetricStatistics", service=SERVICE)
def get_metric_statistics(
    ctx: RequestContext,
    namespace: str,
    metric_name: str,
    start_time: float,
    end_time: float,
    period: int,
    dimensions: list[dict[str, Any]] | None = None,
    statistics: list[str] | None = None,
    extended_statistics: list[str] | None = None,
    **_: Any,
) -> dict[str, Any]:
    _check_times(start_time, end_time)
    _check_period(period)
    if not statistics and not extended_statistics:
        raise MissingParameter("Either Statistics or ExtendedStatistics must be specified.")
    metric = _known(ctx, namespace, metric_name, dimensions or [])
    unit = {**CONNECTION_METRICS, **VIF_METRICS}.get(metric_name, "None")
    points = []
    for when, samples in _buckets(ctx, metric, start_time, end_time, period):
        point: dict[str, Any] = {"Timestamp": when, "Unit": unit}
        point.update({s: _stat(samples, s) for s in statistics or ()})
        if extended_statistics:
            point["ExtendedStatistics"] = {s: _stat(samples, s) for s in extended_statistics}
        points.append(point)
    return {"Label": metric_name, "Datapoints": points}


def _check_times(start: float, end: float) -> None:
    if end <= start:
        raise InvalidParameterValue("The parameter StartTime must be less than EndTime.")


def _check_period(period: int) -> None:
    if (
        period < 1
        or (period >= 60 and period % 60)
        or (period < 60 and period not in (1, 5, 10, 20, 30))
    ):
        raise InvalidParameterValue(
            "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60."
        )
