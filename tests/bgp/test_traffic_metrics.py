"""CloudWatch's AWS/DX traffic metrics read through boto3 from ``dxlocal serve --bgp live``: a
known UDP blast from the customer's namespace to the Amazon address shows up as Ingress on
the VIF and its connection, one half as large the other way as Egress, each matching the
kernel's own counters; a VIF with no namespace reads 0 (docs/failures.md#traffic)."""

from __future__ import annotations

import ipaddress
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from bgplab import sh
from livelab import ACCOUNT, LiveBgpServer

SAMPLE = 1.0  # seconds between the server's readings of the counters
COUNT, SIZE = 800, 1000  # datagrams, and UDP payload bytes each


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    srv = LiveBgpServer(tmp_path, env={"DXLOCAL_TRAFFIC_SAMPLE": str(SAMPLE)})
    try:
        yield srv.start()
    finally:
        srv.cleanup()


def counters(netns: str, dev: str) -> tuple[int, int, int, int]:
    (link,) = json.loads(sh("ip", "-n", netns, "-s", "-j", "link", "show", "dev", dev).stdout)
    rx, tx = link["stats64"]["rx"], link["stats64"]["tx"]
    return rx["bytes"], tx["bytes"], rx["packets"], tx["packets"]


def blast(netns: str, address: str, count: int = COUNT) -> None:
    """``count`` datagrams of SIZE bytes to a port nobody listens on, paced so no queue drops."""
    code = (
        "import socket, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"for i in range({count}):\n"
        f"    s.sendto(b'x' * {SIZE}, ('{address}', 9))\n"
        "    time.sleep(0.001)\n"
    )
    res = sh("ip", "netns", "exec", netns, "python3", "-c", code)
    assert res.returncode == 0, res.stderr


def totals(cloudwatch: Any, metric: str, dims: dict[str, str], start: float) -> list[float]:
    """The metric's data points since ``start``, one a second at most."""
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
            "Namespace": "AWS/DX", "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
            "Period": 1, "Stat": "Sum"}}],
        StartTime=start, EndTime=time.time() + 5, ScanBy="TimestampAscending",
    )  # fmt: skip
    (result,) = answer["MetricDataResults"]
    assert result["StatusCode"] == "Complete"
    return result["Values"]


def test_udp_blasts_show_as_ingress_and_egress_matching_the_counters(server: LiveBgpServer) -> None:
    idle = server.make_vif(families=("ipv4",), vlan=102)  # never attached
    vif = server.make_vif(families=("ipv4",), vlan=101)
    vif_id, cid = vif["virtualInterfaceId"], vif["connectionId"]
    ns = server.new_netns("traffic")
    server.cli("attach", vif_id, "--netns", ns)
    amazon = str(ipaddress.ip_interface(vif["bgpPeers"][0]["amazonAddress"]).ip)
    customer = str(ipaddress.ip_interface(vif["bgpPeers"][0]["customerAddress"]).ip)
    blast(ns, amazon, count=1)  # the neighbour (ARP) resolved before anything is counted
    dev = f"dxa{vif_id[-7:]}"
    sub = next(n for n in (f"{dev}.101", dev) if sh("ip", "-n", server.aws_ns, "link", "show",
                                                     "dev", n).returncode == 0)  # fmt: skip
    time.sleep(2.5 * SAMPLE)  # the server's baseline reading is behind us

    start = time.time()
    before_vif, before_port = counters(server.aws_ns, sub), counters(server.aws_ns, dev)
    blast(ns, amazon)  # customer -> AWS: Ingress
    blast(server.aws_ns, customer, count=COUNT // 2)  # AWS -> customer: Egress
    time.sleep(0.3)
    after_vif, after_port = counters(server.aws_ns, sub), counters(server.aws_ns, dev)
    time.sleep(2.5 * SAMPLE)  # a reading after the blast has been filed
    in_bytes, out_bytes, in_packets, out_packets = (
        a - b for a, b in zip(after_vif, before_vif, strict=True)
    )
    port_in_bytes, port_out_bytes = after_port[0] - before_port[0], after_port[1] - before_port[1]
    # the kernel saw what was sent (plus a few ICMP errors each way)
    assert COUNT * (SIZE + 28) <= in_bytes <= COUNT * (SIZE + 46) + 5000
    assert COUNT // 2 * (SIZE + 28) <= out_bytes <= COUNT // 2 * (SIZE + 46) + 5000

    cloudwatch = boto3.client("cloudwatch", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id=ACCOUNT, aws_secret_access_key="secret")  # fmt: skip
    dims = {"ConnectionId": cid, "VirtualInterfaceId": vif_id}
    # Each point is a rate over about SAMPLE seconds: their sum x SAMPLE is what went through.
    bits_in = sum(totals(cloudwatch, "VirtualInterfaceBpsIngress", dims, start - 1)) * SAMPLE
    bits_out = sum(totals(cloudwatch, "VirtualInterfaceBpsEgress", dims, start - 1)) * SAMPLE
    packets_in = sum(totals(cloudwatch, "VirtualInterfacePpsIngress", dims, start - 1)) * SAMPLE
    packets_out = sum(totals(cloudwatch, "VirtualInterfacePpsEgress", dims, start - 1)) * SAMPLE
    port = {"ConnectionId": cid}
    port_in = sum(totals(cloudwatch, "ConnectionBpsIngress", port, start - 1)) * SAMPLE
    port_out = sum(totals(cloudwatch, "ConnectionBpsEgress", port, start - 1)) * SAMPLE
    assert bits_in == pytest.approx(8 * in_bytes, rel=0.15)
    assert bits_out == pytest.approx(8 * out_bytes, rel=0.15)
    assert packets_in == pytest.approx(in_packets, rel=0.15)
    assert packets_out == pytest.approx(out_packets, rel=0.15)
    assert port_in == pytest.approx(8 * port_in_bytes, rel=0.15)
    assert port_out == pytest.approx(8 * port_out_bytes, rel=0.15)

    listed = cloudwatch.list_metrics(Namespace="AWS/DX", MetricName="VirtualInterfaceBpsIngress")
    assert {"Name": "VirtualInterfaceId", "Value": vif_id} in [
        d for m in listed["Metrics"] for d in m["Dimensions"]
    ]
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/DX", MetricName="VirtualInterfacePpsIngress",
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=start - 60, EndTime=time.time() + 60, Period=60, Statistics=["Maximum"],
    )  # fmt: skip
    assert stats["Datapoints"] and stats["Datapoints"][0]["Unit"] == "Count/Second"
    assert max(p["Maximum"] for p in stats["Datapoints"]) > COUNT / 5

    # The VIF without a namespace: 0 at each 30-second data point since it was made.
    born = server.control("GET", f"/events?resource={idle['connectionId']}")["events"][0]["time"]
    first_point = math.ceil(born / 30) * 30
    time.sleep(max(0.0, first_point + 0.5 - time.time()))
    idle_dims = {
        "ConnectionId": idle["connectionId"],
        "VirtualInterfaceId": idle["virtualInterfaceId"],
    }
    for metric in ("VirtualInterfaceBpsIngress", "VirtualInterfaceBpsEgress"):
        values = totals(cloudwatch, metric, idle_dims, born - 1)
        assert values and set(values) == {0.0}
    assert set(totals(cloudwatch, "ConnectionBpsIngress", {"ConnectionId": idle["connectionId"]},
                      born - 1)) == {0.0}  # fmt: skip
