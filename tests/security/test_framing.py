"""HTTP framing against a live server, over raw sockets: pipelined answers in order, head
size limits, timeouts and the connection cap (server/limits.py)."""

from __future__ import annotations

import json
import socket
import time

import pytest

from dxtest import LiveServer, wait_until

LIMITS = ["--max-request-line", "2048", "--max-header-bytes", "2048", "--header-timeout", "0.5",
          "--idle-timeout", "0.5", "--max-connections", "6"]  # fmt: skip
# The server closes after 0.5 s; a loaded machine may take longer to show it, but a server
# that never closes fails read_all all the same.
CLOSED_WITHIN = 20.0
CREATE = json.dumps({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "p"}).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = LiveServer(tmp_path_factory.mktemp("framing") / "state.sqlite3", *LIMITS).start()
    yield srv
    srv.stop()


def request(target: str, body: bytes = b"{}", *extra: str) -> bytes:
    head = [
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/x-amz-json-1.1",
        f"X-Amz-Target: OvertureService.{target}",
        f"Content-Length: {len(body)}",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything until the server closes (fails if it does not within ``timeout``)."""
    sock.settimeout(timeout)
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def responses(raw: bytes) -> list[tuple[int, bytes]]:
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(
            int(v)
            for k, _, v in (line.partition(b":") for line in lines[1:])
            if k.strip().lower() == b"content-length"
        )
        out.append((int(lines[0].split()[1]), rest[:length]))
        raw = rest[length:]
    return out


def connection_count(server) -> int:
    with connect(server) as s:
        s.sendall(request("DescribeConnections", b"{}", "Connection: close"))
        [(status, body)] = responses(read_all(s))
    assert status == 200
    return len(json.loads(body)["connections"])


def test_a_committed_request_is_answered_before_the_error_for_the_next(server):
    server.control("POST", "/reset")
    with connect(server) as s:
        s.sendall(request("CreateConnection", CREATE) + b"GARBAGE \x00\x01 HTTP/9\r\n\r\n")
        answers = responses(read_all(s))
    assert [a[0] for a in answers] == [200, 400]
    assert json.loads(answers[0][1])["connectionName"] == "p"
    assert connection_count(server) == 1


def test_pipelined_requests_are_answered_in_order(server):
    server.control("POST", "/reset")
    names = [f"n{i}" for i in range(8)]
    burst = b"".join(
        request(
            "CreateConnection",
            json.dumps({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": n}).encode(),
        )
        for n in names
    )
    with connect(server) as s:
        s.sendall(burst + request("DescribeConnections", b"{}", "Connection: close"))
        answers = responses(read_all(s))
    assert [json.loads(b).get("connectionName") for _, b in answers[:-1]] == names
    assert len(json.loads(answers[-1][1])["connections"]) == 8


def test_nothing_after_connection_close_is_read(server):
    server.control("POST", "/reset")
    with connect(server) as s:
        s.sendall(
            request("CreateConnection", CREATE, "Connection: close")
            + request("CreateConnection", CREATE)
            + b"NOT HTTP\r\n\r\n"
        )
        raw = read_all(s)
    answers = responses(raw)
    assert [a[0] for a in answers] == [200]
    assert b"connection: close" in raw.lower()
    assert connection_count(server) == 1


def test_a_long_request_line_is_414(server):
    with connect(server) as s:
        s.sendall(b"POST /" + b"a" * 4096 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        [(status, _)] = responses(read_all(s))
    assert status == 414


def test_a_request_line_that_never_ends_is_414_without_reading_it_all(server):
    with connect(server) as s:
        s.sendall(b"POST /")
        sent = 0
        with pytest.raises(OSError):  # the server closes while we are still sending
            for _ in range(4096):
                s.sendall(b"b" * 65536)
                sent += 65536
        assert sent < 64 * 1024 * 1024


def test_large_headers_are_431(server):
    with connect(server) as s:
        s.sendall(request("DescribeConnections", b"{}", "X-Big: " + "v" * 4096))
        [(status, _)] = responses(read_all(s))
    assert status == 431
    with connect(server) as s:  # many small ones count together
        s.sendall(request("DescribeConnections", b"{}", *[f"X-{i}: {'v' * 50}" for i in range(60)]))
        [(status, _)] = responses(read_all(s))
    assert status == 431


def test_a_slow_head_is_408_and_closed(server):
    with connect(server) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(3):  # trickling bytes does not keep it open
            time.sleep(0.2)
            s.sendall(b"X-A: b\r\n")
        raw = read_all(s, timeout=CLOSED_WITHIN)
    assert responses(raw)[0][0] == 408


def test_an_idle_kept_alive_connection_is_closed(server):
    with connect(server) as s:
        s.sendall(request("DescribeConnections"))
        [(status, _)] = responses(read_all(s, timeout=CLOSED_WITHIN))
    assert status == 200


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    """The connection cap alone: timeouts far longer than any test, so no connection is
    closed for its silence while a test counts on it being open."""
    limits = ["--max-connections", "6", "--header-timeout", "60", "--idle-timeout", "60"]
    srv = LiveServer(tmp_path_factory.mktemp("capped") / "state.sqlite3", *limits).start()
    yield srv
    srv.stop()


def read_answer(sock: socket.socket) -> int:
    """The status of one whole answer, the connection left open."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    head, _, body = raw.partition(b"\r\n\r\n")
    length = next(
        int(v)
        for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])
        if k.strip().lower() == b"content-length"
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1])


def settled(sock: socket.socket, then: bytes = b"") -> None:
    """Send a whole request (and ``then``) on ``sock`` and read its answer: the server has
    by then read everything sent to it before, on every connection (a closed one included),
    which a sleep could only hope for."""
    sock.sendall(request("DescribeConnections") + then)
    assert read_answer(sock) == 200


HEAD = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # a request begun, never finished


def test_past_the_cap_the_oldest_idle_connection_makes_room(capped):
    idle = [connect(capped) for _ in range(6)]
    try:
        settled(idle[-1])  # the others are idle since they were accepted, before this one
        with connect(capped) as s:
            s.sendall(request("DescribeConnections", b"{}", "Connection: close"))
            [(status, _)] = responses(read_all(s))
        assert status == 200
        assert idle[0].recv(1) == b""  # the longest idle was closed for it
    finally:
        for s in idle:
            s.close()


def test_past_the_cap_with_none_idle_a_newcomer_gets_503(capped):
    busy = [connect(capped) for _ in range(6)]
    try:
        for s in busy[:-1]:  # each has begun a request: none is idle
            s.sendall(HEAD)
        settled(busy[-1], then=HEAD)
        with connect(capped) as s:
            raw = read_all(s)
        [(status, body)] = responses(raw)
        assert status == 503 and json.loads(body)["__type"] == "ServiceUnavailable"
    finally:
        for s in busy:
            s.close()
    # It serves again once they are gone (as soon as it has seen them close).
    wait_until(lambda: _status_of_a_newcomer(capped), lambda status: status == 200)


def _status_of_a_newcomer(server) -> int:
    with connect(server) as s:
        s.sendall(request("DescribeConnections", b"{}", "Connection: close"))
        return responses(read_all(s))[0][0]
