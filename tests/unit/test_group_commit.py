"""Group commit in the native server: one answer per request, after its COMMIT, even when
a request aborts the whole group."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dxlocal.config import Settings
from dxlocal.server.http import HttpServer
from dxlocal.server.service import Service

JSON = {"content-type": "application/x-amz-json-1.1"}
LOCATIONS = {**JSON, "x-amz-target": "OvertureService.DescribeLocations"}
CREATE = {**JSON, "x-amz-target": "OvertureService.CreateConnection"}


class Client:
    def __init__(self) -> None:
        self.answers: list[int] = []

    def write(self, status: int, headers: Any, body: bytes, keep_alive: bool) -> None:
        self.answers.append(status)

    def answer(self, answer: Any, keep_alive: bool) -> None:
        self.write(*answer, keep_alive)


def run_group(service: Service, requests: list[tuple[Client, dict[str, str], bytes]]) -> None:
    server = HttpServer(service)

    async def main() -> None:
        server._loop = asyncio.get_running_loop()
        for client, headers, body in requests:
            server.enqueue(client, "POST", "/", headers, body, True)  # type: ignore[arg-type]
        await asyncio.sleep(0.05)

    asyncio.run(main())


def test_an_aborted_group_answers_each_request_once_and_keeps_nothing(tmp_path):
    service = Service(Settings(state=str(tmp_path / "s.sqlite3")))
    real = service.handle
    calls = 0

    def handle(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt  # not an Exception: the group rolls back, the loop stops
        return real(*args)

    service.handle = handle  # type: ignore[method-assign]
    body = b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "lost"}'
    a, b = Client(), Client()
    with pytest.raises(KeyboardInterrupt):
        run_group(service, [(a, CREATE, body), (b, LOCATIONS, b"{}")])
    assert a.answers == [500] and b.answers == [500]
    service.handle = real  # type: ignore[method-assign]
    c = Client()
    run_group(
        service, [(c, {**JSON, "x-amz-target": "OvertureService.DescribeConnections"}, b"{}")]
    )
    assert c.answers == [200]
    with service.store.transaction() as tx:
        assert tx.list("connection") == []  # the first request's create was rolled back
    service.close()


def test_reads_are_answered_in_their_turn_and_a_write_waits_for_the_commit(tmp_path):
    """A group that wrote nothing has nothing to COMMIT: its answers leave at the end of
    its first loop turn. A group that wrote stays open a turn more for requests on their
    way, and answers only after its COMMIT."""
    service = Service(Settings(state=str(tmp_path / "s.sqlite3")))
    server = HttpServer(service)
    body = b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "held"}'
    reader, writer = Client(), Client()
    seen: list[tuple[list[int], bool]] = []

    async def main() -> None:
        server._loop = asyncio.get_running_loop()
        server.enqueue(reader, "POST", "/", LOCATIONS, b"{}", True)  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the turn that handles the read
        seen.append((list(reader.answers), server._group is None))
        server.enqueue(writer, "POST", "/", CREATE, body, True)  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the turn that handles the write
        seen.append((list(writer.answers), server._group is None))
        await asyncio.sleep(0.02)

    asyncio.run(main())
    assert seen == [([200], True), ([], False)]
    assert writer.answers == [200]
    with service.store.transaction() as tx:
        assert len(tx.list("connection")) == 1
    service.close()


def test_a_group_that_cannot_open_fails_its_requests_and_the_next_group_serves(tmp_path):
    service = Service(Settings(state=str(tmp_path / "s.sqlite3")))
    store = service.store
    real = store._check_version
    failures = [OSError("disk gone")]

    def check_version() -> None:
        if failures:
            raise failures.pop()
        real()

    store._check_version = check_version  # type: ignore[method-assign]
    server = HttpServer(service)
    first, second = Client(), Client()

    async def main() -> None:
        server._loop = asyncio.get_running_loop()
        server.enqueue(first, "POST", "/", LOCATIONS, b"{}", True)  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        server.enqueue(second, "POST", "/", LOCATIONS, b"{}", True)  # type: ignore[arg-type]
        await asyncio.sleep(0.01)

    asyncio.run(main())
    assert first.answers == [500] and second.answers == [200]
    assert server._group is None
    service.close()
