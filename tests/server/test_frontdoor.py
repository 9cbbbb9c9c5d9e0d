"""The front door: each request reaches the service it is for, and a request for a service
dxlocal does not serve gets an error naming it, in a form that service's clients read."""

from __future__ import annotations

import http.client

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dxlocal.protocol import cbor


@pytest.fixture
def server(live_server):
    live_server.control("POST", "/reset")
    return live_server


def client(server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="111122223333",
        aws_secret_access_key="dxlocal-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


# One call per wire protocol of services dxlocal does not serve: awsJson 1.0 and 1.1,
# awsQuery, EC2, restXml, restJson1.
@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("dynamodb", lambda c: c.list_tables(), "UnknownOperationException"),
        ("logs", lambda c: c.describe_log_groups(), "UnknownOperationException"),
        ("iam", lambda c: c.list_users(), "InvalidAction"),
        ("ec2", lambda c: c.describe_vpcs(), "InvalidAction"),
        ("s3", lambda c: c.list_buckets(), "InvalidAction"),
        ("lambda", lambda c: c.list_functions(), "UnknownOperationException"),
    ],
)
def test_unserved_service_is_named_in_its_own_protocol(server, service, call, code):
    with pytest.raises(ClientError) as info:
        call(client(server, service))
    error = info.value.response["Error"]
    assert error["Code"] == code
    assert "dxlocal does not serve" in error["Message"]
    assert "this endpoint serves cloudwatch, directconnect, health, sts" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def raw(
    server, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def test_cbor_for_an_unserved_service_answers_cbor(server):
    status, headers, body = raw(
        server,
        "/service/ACMPrivateCA/operation/ListCertificateAuthorities",
        cbor.dumps({}),
        {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )
    assert status == 400
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    error = cbor.loads(body)
    assert error["__type"] == "UnknownOperationException"
    assert "ACMPrivateCA" in error["message"]


def test_unsigned_query_request_is_routed_by_version_and_action(server):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, body = raw(server, "/", b"Action=GetCallerIdentity&Version=2011-06-15", form)
    assert (status, headers["content-type"]) == (200, "text/xml")
    assert b"<Account>123456789012</Account>" in body
    assert body.startswith(
        b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    )
    status, _, body = raw(server, "/", b"Action=AssumeRole", form)  # no Version: by Action
    assert status == 400 and b"<Code>ValidationError</Code>" in body
    status, _, body = raw(server, "/", b"Action=ListUsers&Version=2010-05-08", form)
    assert status == 400 and b"<Code>InvalidAction</Code>" in body
    status, _, body = raw(server, "/", b"Action=NoSuchThing&Version=2011-06-15", form)
    assert status == 400 and b"<Code>InvalidAction</Code>" in body and b"NoSuchThing" in body


def test_direct_connect_still_served_both_ways(server):
    dx = client(server, "directconnect")
    assert dx.describe_connections()["connections"] == []
    status, headers, body = raw(
        server,
        "/service/OvertureService/operation/DescribeConnections",
        cbor.dumps({}),
        {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )
    assert status == 200 and cbor.loads(body) == {"connections": []}


def test_call_log_names_query_actions(caplog):
    import logging
    import time

    from dxlocal.server import calllog

    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    body = b"Action=AssumeRole&Version=2011-06-15&RoleSessionName=s"
    with caplog.at_level(logging.INFO, logger="dxlocal.api"):
        calllog.record(
            "123456789012", "us-east-1", "POST", "/", form, body, 200, b"<x/>", time.perf_counter()
        )
    assert caplog.records[-1].operation == "AssumeRole"
