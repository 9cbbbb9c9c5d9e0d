"""The API call line handed straight to dxlocal serve's handler (server/calllog.py) is the
line the standard logging chain would write, in both formats."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

import pytest

from dxlocal.commands import logs
from dxlocal.server import calllog

HEADERS = {
    "x-amz-target": "OvertureService.CreateConnection",
    "authorization": "AWS4-HMAC-SHA256 Credential=111122223333/20260101/eu-west-2/"
    "directconnect/aws4_request, SignedHeaders=host, Signature=0",
}
BODY = b'{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"x"}'
ANSWER = b'{"ownerAccount":"111122223333","connectionId":"dxcon-fabcdefg"}'
FAILED = b'{"__type":"DirectConnectClientException","message":"no"}'


def _lines(fmt: str, direct: bool) -> list[str]:
    stream = io.StringIO()
    logs.configure("info", fmt, stream=stream)
    keep = logging.Filter()  # a filter: the line must take the standard chain
    if not direct:
        logging.getLogger("dxlocal").addFilter(keep)
    assert (calllog._straight() is not None) is direct
    try:
        calllog.record("123456789012", "us-east-1", "POST", "/", HEADERS, BODY, 200, ANSWER, 0.0)
        calllog.record("123456789012", "us-east-1", "POST", "/", HEADERS, BODY, 400, FAILED, 0.0)
        for handler in logging.getLogger("dxlocal").handlers:
            handler.flush()
    finally:
        logging.getLogger("dxlocal").removeFilter(keep)
        logs.configure("warning", "text", stream=io.StringIO())
    return stream.getvalue().splitlines()


def _without_times(line: str) -> str:
    line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "T", line)
    return re.sub(r"\d+\.\d\dms|\"ms\":[0-9.e+-]+", "MS", line)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_direct_line_is_the_standard_line(fmt: str) -> None:
    direct, standard = _lines(fmt, True), _lines(fmt, False)
    assert len(direct) == 2
    assert [_without_times(x) for x in direct] == [_without_times(x) for x in standard]
    if fmt == "json":
        fields = json.loads(direct[1])
        assert fields["error"] == "DirectConnectClientException" and fields["status"] == 400
        assert list(fields) == list(json.loads(standard[1]))
    else:
        assert " INFO  111122223333 eu-west-2 CreateConnection dxcon-fabcdefg 200 " in direct[0]


def test_other_handlers_get_the_standard_chain() -> None:
    logs.configure("info", "text", stream=io.StringIO())
    extra = logging.NullHandler()
    logging.getLogger("dxlocal.api").addHandler(extra)
    try:
        assert calllog._straight() is None
    finally:
        logging.getLogger("dxlocal.api").removeHandler(extra)
        logs.configure("warning", "text", stream=io.StringIO())


def test_served_call_line_names_what_its_event_names(caplog: pytest.LogCaptureFixture) -> None:
    """A served call's line takes the service's account, Region, operation and resource (the
    ones its event records): a configured key's account, the connection a create made."""
    from dxlocal.config import Settings
    from dxlocal.server.service import Service

    service = Service(Settings(state=":memory:", credentials="AKIDEXAMPLE:secret:444455556666"))
    headers = {
        **HEADERS,
        "content-type": "application/x-amz-json-1.1",
        "authorization": HEADERS["authorization"].replace("111122223333", "AKIDEXAMPLE"),
    }
    try:
        with caplog.at_level(logging.INFO, logger="dxlocal.api"):
            body = BODY.replace(b"EqDC2", b"EqLD5")  # a London location
            status, _, answer = service.handle("POST", "/", headers, body)
            failed, _, _ = service.handle("POST", "/", headers, BODY)
        made = json.loads(answer)["connectionId"]
        with service.store.transaction() as tx:
            (event,) = tx.events(resource=made, type="api")
    finally:
        service.close()
    assert status == 200 and failed == 400
    line, bad = caplog.records[-2:]
    assert line.getMessage().startswith(f"444455556666 eu-west-2 CreateConnection {made} 200 ")
    assert (line.account, line.region, line.resource) == (event["account"], "eu-west-2", made)
    assert bad.status == 400 and bad.error == "DirectConnectClientException"


class _Writes(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_are_written_together_within_hold_and_none_is_lost_between_loops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = _Writes()
    handler = logs.BatchingHandler(stream)
    asked = []
    running = asyncio.get_running_loop

    def get_running_loop() -> asyncio.AbstractEventLoop:
        asked.append(1)  # a getpid system call each in Python 3.11
        return running()

    monkeypatch.setattr(logs.asyncio, "get_running_loop", get_running_loop)

    async def turns() -> None:
        for i in range(10):
            handler.hold(f"a{i}")
            await asyncio.sleep(0)  # loop turns go by: the lines wait
        assert stream.writes == 0
        assert len(asked) == 1  # the first line only
        await asyncio.sleep(logs.HOLD * 3)
        assert stream.writes == 1

    asyncio.run(turns())

    loop = asyncio.new_event_loop()

    def stop_before_the_flush() -> None:
        handler.hold("b0")  # its flush is scheduled on a loop that stops first
        loop.stop()

    loop.call_soon(stop_before_the_flush)
    loop.run_forever()
    loop.close()
    assert stream.writes == 1
    handler.hold("c0")  # no loop runs: written at once, with what was held
    assert stream.getvalue().split() == [*(f"a{i}" for i in range(10)), "b0", "c0"]
    assert stream.writes == 2


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_each_call_line_carries_its_own_millisecond(fmt: str) -> None:
    stream = io.StringIO()
    handler = logs.BatchingHandler(stream)
    handler.setFormatter(logs.JsonFormatter() if fmt == "json" else logs.TextFormatter())
    start = 1764660316.1231  # 2025-12-02T07:25:16.123Z
    # Next to a millisecond's edge last: the shared date is the one each line has alone.
    times = [start + late for late in (0.0, 0.0004, 0.0021, 0.0005, 1.0)]
    times += [1767225600.001, 1767225600.0010002]

    async def held() -> None:  # on a running loop, so the lines are held and written together
        for at in times:
            handler.call_line((at, "111122223333", "eu-west-2", "Op", "", 200, "", 1.0))
        handler.flush()

    asyncio.run(held())
    lines = stream.getvalue().splitlines()
    dates = [re.search(r"\d\d:\d\d:\d\d\.\d{3}Z", line).group(0) for line in lines]  # type: ignore[union-attr]
    assert dates == [
        "07:25:16.123Z",
        "07:25:16.123Z",
        "07:25:16.125Z",
        "07:25:16.123Z",
        "07:25:17.123Z",
        *(logs._stamp(at)[-13:] for at in (1767225600.001, 1767225600.0010002)),
    ]
    assert dates[-1] == "00:00:00.001Z"
    assert all(("Op - 200 1.00ms" if fmt == "text" else '"ms":1.0') in x for x in lines)
