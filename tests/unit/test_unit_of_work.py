"""One unit of work: listeners hear about changes only after the outermost COMMIT."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dxlocal.config import Settings
from dxlocal.core import lifecycle
from dxlocal.core.work import Committed
from dxlocal.server.http import HttpServer
from dxlocal.server.service import Service

CREATE = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "OvertureService.CreateConnection",
}
BODY = b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "c"}'


@pytest.fixture
def service(tmp_path):
    service = Service(Settings(state=str(tmp_path / "s.sqlite3"), delay=0.05))
    yield service
    service.close()


def committed_count(service: Service, kind: str) -> int:
    """What a second connection to the file sees: committed rows only."""
    import sqlite3

    db = sqlite3.connect(service.store.location)
    try:
        return db.execute("SELECT count(*) FROM records WHERE kind=?", (kind,)).fetchone()[0]
    finally:
        db.close()


def test_nested_units_publish_once_after_the_outermost_commit(service):
    heard: list[tuple[Committed, int]] = []
    service.work.subscribe(lambda e: heard.append((e, committed_count(service, "virtualGateway"))))
    with service.work.unit("outer") as outer:
        with service.work.unit("inner", account="111122223333") as inner:
            inner.tx.insert("virtualGateway", "vgw-1", {"ownerAccount": "111122223333"},
                            account="111122223333", region="us-east-1")  # fmt: skip
        assert heard == []  # the savepoint is released, nothing is committed yet
        outer.tx.insert("virtualGateway", "vgw-2", {}, account="1", region="r")
    assert len(heard) == 1
    event, visible = heard[0]
    assert visible == 2  # the listener runs after the COMMIT: another reader sees both rows
    changes = {(c.kind, c.id): c for c in event.changes}
    assert set(changes) == {("virtualGateway", "vgw-1"), ("virtualGateway", "vgw-2")}
    assert changes[("virtualGateway", "vgw-1")].account == "111122223333"
    assert changes[("virtualGateway", "vgw-1")].origin == "inner"


def test_a_rolled_back_unit_publishes_nothing(service):
    heard: list[Committed] = []
    service.work.subscribe(heard.append)
    with service.work.unit("outer") as outer:
        with pytest.raises(RuntimeError), service.work.unit("inner") as inner:
            inner.tx.insert("virtualGateway", "vgw-1", {}, account="1", region="r")
            raise RuntimeError("undo")
        outer.tx.insert("virtualGateway", "vgw-2", {}, account="1", region="r")
    assert [c.id for c in heard[0].changes] == ["vgw-2"]  # the failed savepoint's change is gone
    with pytest.raises(RuntimeError), service.work.unit("outer") as outer:
        outer.tx.insert("virtualGateway", "vgw-3", {}, account="1", region="r")
        raise RuntimeError("undo")
    assert len(heard) == 1


@lifecycle.on_timer("unitTestThing", "ping")
def _ping(ctx: Any, record: dict[str, Any]) -> None:
    record["pinged"] = True
    ctx.tx.update("unitTestThing", "t-1", record)


def test_timers_fire_at_the_start_of_the_outermost_unit_only(service):
    now = service.clock.now()
    with service.work.unit("outer") as unit:
        unit.tx.insert("unitTestThing", "t-1", {"ownerAccount": "1"}, account="1", region="r")
        unit.tx.schedule(now + 60, "unitTestThing", "t-1", "ping")
    heard: list[Committed] = []
    service.work.subscribe(heard.append)
    with service.work.unit("outer") as outer, service.work.unit("inner") as inner:
        assert not inner.tx.get("unitTestThing", "t-1").get("pinged")  # not due yet
    assert heard == []
    service.clock.advance(60)  # due now, however long the lines above took
    with service.work.unit("outer") as outer:
        assert outer.tx.get("unitTestThing", "t-1")["pinged"]  # fired before the unit's work
    assert [(c.id, c.origin) for c in heard[0].changes] == [("t-1", "timer")]


def test_group_commit_publishes_after_its_commit_and_before_nothing(service):
    """The native server's group: its requests' changes reach listeners after the group's
    COMMIT, in one event; the answers are written after that COMMIT too."""
    heard: list[tuple[str, int]] = []
    service.work.subscribe(
        lambda e: heard.append(("event", committed_count(service, "connection")))
    )

    class Client:
        def answer(self, answer: Any, keep_alive: bool) -> None:
            heard.append(("answer", committed_count(service, "connection")))

    server = HttpServer(service)

    async def main() -> None:
        server._loop = asyncio.get_running_loop()
        for _ in range(3):
            server.enqueue(Client(), "POST", "/", CREATE, BODY, True)  # type: ignore[arg-type]
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert heard[0] == ("event", 3)
    assert heard[1:] == [("answer", 3)] * 3


def test_idle_waits_for_an_open_group(service):
    order: list[str] = []

    async def main() -> None:
        unit = service.work.unit("group")
        unit.__enter__()

        async def reader() -> None:
            await service.work.idle()
            order.append("read")

        task = asyncio.create_task(reader())
        await asyncio.sleep(0.01)
        order.append("commit")
        unit.__exit__(None, None, None)
        await task

    asyncio.run(main())
    assert order == ["commit", "read"]
