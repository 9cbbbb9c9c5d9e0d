"""CloudWatch AWS/DX metrics and AWS Health through the same port, read by boto3
(docs/failures.md#metrics)."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest

from functional.helpers import make_connection


def _client(dx: Any, service: str) -> Any:
    if dx.mode != "server":
        pytest.skip("boto3 reaches CloudWatch and AWS Health through the server")
    return boto3.client(
        service, endpoint_url=dx.endpoint, region_name="us-east-1",
        aws_access_key_id="123456789012", aws_secret_access_key="secret",
    )  # fmt: skip


def test_connection_state_goes_1_0_1_across_a_fault(dx):
    cloudwatch = _client(dx, "cloudwatch")
    cid = make_connection(dx, dx.client())["connectionId"]
    born = dx.control("GET", f"/events?resource={cid}")["events"][0]["time"]
    dx.advance(120)
    fault = dx.control("POST", "/faults", {"target": "connection", "id": cid})
    dx.advance(120)
    dx.control("DELETE", f"/faults/{fault['faultId']}")
    dx.advance(120)

    listed = cloudwatch.list_metrics(Namespace="AWS/DX", MetricName="ConnectionState")
    assert {"Name": "ConnectionId", "Value": cid} in [
        d for m in listed["Metrics"] for d in m["Dimensions"]
    ]
    state = {"Namespace": "AWS/DX", "MetricName": "ConnectionState",
             "Dimensions": [{"Name": "ConnectionId", "Value": cid}]}  # fmt: skip
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "s", "MetricStat": {"Metric": state, "Period": 60, "Stat": "Minimum"}}],
        StartTime=born - 60, EndTime=born + 3600, ScanBy="TimestampAscending",
    )  # fmt: skip
    (result,) = answer["MetricDataResults"]
    assert result["StatusCode"] == "Complete"
    assert [v for v, _ in itertools.groupby(result["Values"])] == [1.0, 0.0, 1.0]

    light = cloudwatch.get_metric_statistics(
        Namespace="AWS/DX", MetricName="ConnectionLightLevelRx",
        Dimensions=[{"Name": "ConnectionId", "Value": cid}],
        StartTime=born - 60, EndTime=born + 3600, Period=60, Statistics=["Minimum"],
    )  # fmt: skip
    assert min(p["Minimum"] for p in light["Datapoints"]) < -30  # no light while down


def test_bad_period_is_refused_as_cloudwatch_does(dx):
    cloudwatch = _client(dx, "cloudwatch")
    with pytest.raises(cloudwatch.exceptions.InvalidParameterValueException):
        cloudwatch.get_metric_statistics(
            Namespace="AWS/DX", MetricName="ConnectionState", StartTime=0, EndTime=600,
            Period=45, Statistics=["Average"],
        )  # fmt: skip


def test_maintenance_is_announced_in_health_and_runs_on_the_clock(dx):
    health = _client(dx, "health")
    client = dx.client()
    conn = make_connection(dx, client)
    cid = conn["connectionId"]

    def state() -> str:
        return client.describe_connections(connectionId=cid)["connections"][0]["connectionState"]

    window = dx.control(
        "POST", "/maintenance",
        {"target": "device", "id": conn["awsDeviceV2"], "in": 14 * 86400, "duration": 3600},
    )  # fmt: skip
    (event,) = [
        e
        for e in health.describe_events(filter={"services": ["DIRECTCONNECT"]})["events"]
        if window["maintenanceId"] in e["arn"]
    ]
    assert event["eventTypeCode"] == "AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED"
    assert event["eventTypeCategory"] == "scheduledChange" and event["statusCode"] == "upcoming"
    entities = health.describe_affected_entities(filter={"eventArns": [event["arn"]]})
    assert cid in [e["entityValue"] for e in entities["entities"]]
    details = health.describe_event_details(eventArns=[event["arn"]])["successfulSet"]
    assert conn["awsDeviceV2"] in details[0]["eventDescription"]["latestDescription"]
    # Read now: two weeks on, the event log's retention (a week by default) has dropped it.
    kinds = [
        e["type"] for e in dx.control("GET", f"/events?resource={conn['awsDeviceV2']}")["events"]
    ]
    assert "maintenance" in kinds

    dx.advance(14 * 86400 + 60)
    assert state() == "down"
    (event,) = health.describe_events(filter={"eventArns": [event["arn"]]})["events"]
    assert event["statusCode"] == "open"
    dx.advance(3600)
    assert state() == "available"
    (event,) = health.describe_events(filter={"eventArns": [event["arn"]]})["events"]
    assert event["statusCode"] == "closed"


def test_planned_maintenance_needs_notice(dx):
    conn = make_connection(dx, dx.client())
    with pytest.raises(Exception, match="emergency"):
        dx.control("POST", "/maintenance", {"target": "connection", "id": conn["connectionId"],
                                            "in": 60, "duration": 600})  # fmt: skip
    urgent = dx.control("POST", "/maintenance", {"target": "connection", "in": 60,
                        "id": conn["connectionId"], "duration": 600, "emergency": True})  # fmt: skip
    assert urgent["emergency"] and urgent["connections"] == [conn["connectionId"]]
