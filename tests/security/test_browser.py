"""No web page can drive the server: foreign Origin, a Host that is not the server's, or a
body type other than the protocol's own are refused before any work
(server/origin.py)."""

from __future__ import annotations

import http.client
import json

import pytest

from dxtest import LiveServer

CREATE = json.dumps({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "csrf"}).encode()
CBOR_PATH = "/service/OvertureService/operation/CreateConnection"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The manual clock: the connection each test creates stays ``requested``, so the listings
    # before and after a refused request differ only if that request changed something.
    state = tmp_path_factory.mktemp("browser") / "s.sqlite3"
    srv = LiveServer(state, "--allowed-host", "dxlocal", "--progress", "manual")
    srv.start()
    yield srv
    srv.stop()


def send(server, method: str, path: str, body: bytes, headers: dict[str, str]):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest(method, path, skip_host="Host" in headers)
    for k, v in {**headers, "Content-Length": str(len(body))}.items():
        conn.putheader(k, v)
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def listing(server) -> list:
    status, data = send(server, "POST", "/", b"{}", {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "OvertureService.DescribeConnections"})  # fmt: skip
    assert status == 200
    return json.loads(data)["connections"]


def own_host(server) -> str:
    return f"127.0.0.1:{server.port}"


BROWSER_ATTEMPTS = [
    # A page on another site posts text/plain (no preflight) to the CBOR path.
    ("POST", CBOR_PATH, CREATE, {"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403),
    # The same to the control API.
    ("POST", "/_dxlocal/reset", b"{}", {"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403),
    ("POST", "/_dxlocal/reset", b"", {"Origin": "null"}, 403),
    # DNS rebinding: the page's own origin, its own host name, resolved to the loopback.
    ("POST", "/_dxlocal/reset", b"{}", {"Content-Type": "application/json",
                                         "Host": "evil.example:{port}", "Origin": "http://evil.example:{port}"}, 403),
    ("POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.1", "Host": "rebind.evil.example",
                          "X-Amz-Target": "OvertureService.DeleteConnection"}, 403),
    # Simple content types without an Origin (a form, a sendBeacon from an old browser).
    ("POST", "/", CREATE, {"Content-Type": "text/plain", "X-Amz-Target": "OvertureService.CreateConnection"}, 415),
    ("POST", "/", CREATE, {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Amz-Target": "OvertureService.CreateConnection"}, 415),
    ("POST", "/_dxlocal/reset", b"{}", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
    ("POST", "/_dxlocal/reset", b"{}", {}, 415),  # a body without a type
    # CBOR without the protocol header, or JSON sent to the CBOR path.
    ("POST", CBOR_PATH, b"\xa0", {"Content-Type": "application/cbor"}, 415),
    ("POST", CBOR_PATH, b"{}", {"Content-Type": "application/x-amz-json-1.1", "smithy-protocol": "rpc-v2-cbor"}, 415),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), BROWSER_ATTEMPTS)
def test_browser_style_requests_are_refused_before_any_work(
    server, method, path, body, headers, status
):
    server.control("POST", "/reset")
    send(
        server,
        "POST",
        "/",
        CREATE,
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "OvertureService.CreateConnection",
        },
    )
    before = listing(server)
    assert len(before) == 1
    headers = {k: v.format(port=server.port) for k, v in headers.items()}
    got, data = send(server, method, path, body, headers)
    assert got == status, data
    if not path.startswith("/service/"):
        code = json.loads(data)["__type"]
        assert code == (
            "AccessDeniedException" if status == 403 else "UnsupportedMediaTypeException"
        )
    assert listing(server) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:{port}"},  # the server's own origin (the console)
        {"Host": "localhost:{port}", "Origin": "http://localhost:{port}"},
        {"Host": "dxlocal:{port}"},  # --allowed-host
        {"Host": "[::1]:{port}"},
        {"Content-Type": "application/json; charset=utf-8"},
    ],
)
def test_same_origin_and_allowed_hosts_pass(server, headers):
    headers = {"Content-Type": "application/json", **headers}
    headers = {k: v.format(port=server.port) for k, v in headers.items()}
    status, data = send(server, "GET", "/_dxlocal/health", b"", headers)
    assert status == 200, data
