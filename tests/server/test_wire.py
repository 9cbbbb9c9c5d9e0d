"""The front door against a live server: bad requests get AWS-style 4xx answers, change
nothing, and the server keeps serving."""

from __future__ import annotations

import http.client
import json

import pytest

TARGET = "OvertureService."
AUTH = (
    "AWS4-HMAC-SHA256 Credential=123456789012/20261125/us-east-1/directconnect/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


def post(
    server, body: bytes, target: str | None = "OvertureService.DescribeConnections", **headers
):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    hdrs = {"Content-Type": "application/x-amz-json-1.1", "Authorization": AUTH, **headers}
    if target is not None:
        hdrs["X-Amz-Target"] = target
    conn.request("POST", "/", body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, json.loads(data) if data else None


def count_connections(server) -> int:
    resp, body = post(server, b"{}")
    assert resp.status == 200
    return len(body["connections"])


@pytest.fixture
def server(live_server):
    live_server.control("POST", "/reset")
    resp, _ = post(
        live_server,
        json.dumps({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "keep"}).encode(),
        target=TARGET + "CreateConnection",
    )
    assert resp.status == 200
    return live_server


def test_success_headers(server):
    resp, body = post(server, b"{}")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/x-amz-json-1.1"
    assert len(resp.getheader("x-amzn-RequestId")) == 36
    assert body["connections"][0]["connectionName"] == "keep"


@pytest.mark.parametrize(
    ("body", "target", "status", "code"),
    [
        (b"{not json", TARGET + "CreateConnection", 400, "SerializationException"),
        (b"[1, 2]", TARGET + "CreateConnection", 400, "SerializationException"),
        (
            b'{"location": 5, "bandwidth": "1Gbps", "connectionName": "x"}',
            TARGET + "CreateConnection",
            400,
            "SerializationException",
        ),
        (
            b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "x", "requestMACSec": "yes"}',
            TARGET + "CreateConnection",
            400,
            "SerializationException",
        ),
        (
            b'{"connectionId": "dxcon-fzzzzzzz", "newBGPPeer": {"asn": "65000"}}',
            TARGET + "CreateBGPPeer",
            400,
            "SerializationException",
        ),
        (b'{"connectionId": true}', TARGET + "DescribeConnections", 400, "SerializationException"),
        (
            b'{"location": "EqDC2", "bandwidth": "1Gbps"}',
            TARGET + "CreateConnection",
            400,
            "DirectConnectClientException",
        ),
        (b"{}", TARGET + "NoSuchOperation", 400, "UnknownOperationException"),
        (b"{}", "SomeOtherService.DescribeConnections", 400, "UnknownOperationException"),
        (b"{}", None, 400, "UnknownOperationException"),
        (b"\xff\xfe\x00", TARGET + "CreateConnection", 400, "SerializationException"),
        # A lone surrogate is valid JSON but not text.
        (
            b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "\\ud800"}',
            TARGET + "CreateConnection",
            400,
            "SerializationException",
        ),
        # Numbers beyond the wire type (integer is 32-bit, long 64-bit) or not whole.
        (
            b'{"connectionId": "dxcon-fzzzzzzz", "newPrivateVirtualInterface": {"virtualInterfaceName": "v",'
            b' "vlan": 1e30, "asn": 65000}}',
            TARGET + "CreatePrivateVirtualInterface",
            400,
            "SerializationException",
        ),
        (
            b'{"connectionId": "dxcon-fzzzzzzz", "newPrivateVirtualInterface": {"virtualInterfaceName": "v",'
            b' "vlan": 4294967297, "asn": 65000}}',
            TARGET + "CreatePrivateVirtualInterface",
            400,
            "SerializationException",
        ),
        (
            b'{"virtualInterfaceId": "dxvif-fzzzzzzz", "newBGPPeer": {"asnLong": 1e300}}',
            TARGET + "CreateBGPPeer",
            400,
            "SerializationException",
        ),
        (
            b'{"virtualInterfaceId": "dxvif-fzzzzzzz", "newBGPPeer": {"asn": 65000.5}}',
            TARGET + "CreateBGPPeer",
            400,
            "SerializationException",
        ),
        # Model minimum (PrefixPoolAllocatedCount >= 0) is a validation error.
        (
            b'{"virtualInterfaceId": "dxvif-fzzzzzzz", "prefixPoolAllocatedCountIpv4": -1}',
            TARGET + "UpdateVirtualInterfaceAttributes",
            400,
            "DirectConnectClientException",
        ),
        # A forged pagination token.
        (
            b'{"maxResults": 1, "nextToken": "eyJhZnRlciI6IDV9"}',
            TARGET + "DescribeVirtualInterfaces",
            400,
            "DirectConnectClientException",
        ),
    ],
)
def test_bad_requests(server, body, target, status, code):
    before = count_connections(server)
    resp, payload = post(server, body, target=target)
    assert resp.status == status
    assert payload["__type"] == code
    assert payload["message"]
    assert count_connections(server) == before


def test_oversized_body(server):
    before = count_connections(server)
    big = json.dumps(
        {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "x" * (2 * 1024 * 1024)}
    )
    resp, payload = post(server, big.encode(), target=TARGET + "CreateConnection")
    assert resp.status == 413
    assert payload["__type"] == "SerializationException"
    assert count_connections(server) == before


def test_server_survives_a_burst_of_garbage(server):
    for i in range(50):
        post(server, bytes([i]) * i, target=TARGET + "CreateBGPPeer")
    assert server.control("GET", "/health")["status"] == "ok"
    assert count_connections(server) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_dxlocal/advance", b'{"seconds": "soon"}'),
        ("PATCH", "/_dxlocal/records/connection/{id}", b'{"connectionName": "\\ud800"}'),
        ("POST", "/_dxlocal/reset", b"[1]"),
    ],
)
def test_bad_control_requests(server, method, path, body):
    conn_id = post(server, b"{}")[1]["connections"][0]["connectionId"]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(
        method, path.format(id=conn_id), body=body, headers={"Content-Type": "application/json"}
    )
    resp = conn.getresponse()
    payload = json.loads(resp.read())
    conn.close()
    assert resp.status == 400 and payload["__type"] == "SerializationException"
    assert count_connections(server) == 1
    assert post(server, b"{}")[1]["connections"][0]["connectionName"] == "keep"
