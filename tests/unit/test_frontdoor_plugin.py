"""Serving one more AWS service is its model plus a provider module: here AWS Health (awsJson
1.1 and RPC v2 CBOR), plugged in for the test only, reaches its handler through the same front
door, parser and serializer as Direct Connect."""

from __future__ import annotations

import json

import botocore.session
import pytest

from dxlocal import spec
from dxlocal.config import Settings
from dxlocal.protocol import cbor
from dxlocal.provider import _registry, load_all
from dxlocal.server import frontdoor
from dxlocal.server.service import Service


@pytest.fixture
def health(monkeypatch):
    model = botocore.session.get_session().get_service_model("health")
    shipped = spec.service_model
    served = spec.available()
    monkeypatch.setattr(spec, "available", lambda: [*served, "health"])
    monkeypatch.setattr(
        spec,
        "service_model",
        lambda name=spec.SERVICE_NAME: model if name == "health" else shipped(name),
    )

    def describe_events(ctx, **params):
        return {"events": [{"arn": "arn:aws:health:us-east-1::event/X", "service": "DIRECTCONNECT",
                            "eventTypeCode": "AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED",
                            "startTime": 1796126400.0, "asked": params}]}  # fmt: skip

    load_all()  # the served providers register first; the test's handler then stands in
    monkeypatch.setitem(_registry._HANDLERS, ("health", "DescribeEvents"), describe_events)
    frontdoor.table.cache_clear()
    service = Service(Settings(state=":memory:"))
    yield service
    service.close()
    frontdoor.table.cache_clear()


def test_json_and_cbor_reach_the_provider(health):
    headers = {
        "x-amz-target": "AWSHealth_20160804.DescribeEvents",
        "content-type": "application/x-amz-json-1.1",
    }
    status, out_headers, body = health.handle("POST", "/", headers, b'{"maxResults": 10}')
    assert status == 200 and dict(out_headers)["content-type"] == "application/x-amz-json-1.1"
    (event,) = json.loads(body)["events"]
    assert event["eventTypeCode"] == "AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED"
    assert "asked" not in event  # only the output shape's members are answered

    cbor_headers = {"content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    path = "/service/AWSHealth_20160804/operation/DescribeEvents"
    status, _, body = health.handle("POST", path, cbor_headers, cbor.dumps({}))
    assert status == 200 and cbor.loads(body)["events"][0]["service"] == "DIRECTCONNECT"


def test_model_checks_input_and_unimplemented_operations_are_named(health):
    headers = {
        "x-amz-target": "AWSHealth_20160804.DescribeEvents",
        "content-type": "application/x-amz-json-1.1",
    }
    status, _, body = health.handle("POST", "/", headers, b'{"maxResults": "ten"}')
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    headers["x-amz-target"] = "AWSHealth_20160804.DescribeEventAggregates"
    status, _, body = health.handle(
        "POST", "/", headers, b'{"aggregateField": "eventTypeCategory"}'
    )
    error = json.loads(body)
    assert status == 400 and error["__type"] == "UnknownOperationException"
    assert "health DescribeEventAggregates" in error["message"]
