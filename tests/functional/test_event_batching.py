"""Read calls' events are written in batches, yet every reader sees them at once
(docs/failures.md#events)."""

from __future__ import annotations

import threading
from typing import Any

from functional.helpers import make_connection


def test_a_read_calls_event_is_there_when_the_call_returns(dx):
    client = dx.client()
    cid = make_connection(dx, client)["connectionId"]
    start = dx.control("GET", "/events")["next"]
    for _ in range(3):
        client.describe_connections(connectionId=cid)
        # Another client (the control API) reads the log right after the answer.
        logged = dx.control("GET", f"/events?since={start}&resource={cid}")["events"]
        assert logged and logged[-1]["operation"] == "DescribeConnections"
        assert logged[-1]["status"] == 200
        start = logged[-1]["eventId"]


def test_a_waiting_reader_hears_of_a_read_call(dx):
    client = dx.client()
    cid = make_connection(dx, client)["connectionId"]
    start = dx.control("GET", "/events")["next"]
    heard: dict[str, Any] = {}

    def wait() -> None:
        query = {"since": start, "operation": "DescribeConnections", "wait": 10}
        heard.update(dx.control("POST", "/events", query))

    waiter = threading.Thread(target=wait)
    waiter.start()
    client.describe_connections(connectionId=cid)
    waiter.join(15)
    assert [e["resource"] for e in heard["events"]] == [cid]


def test_reads_and_writes_keep_their_order(dx):
    client = dx.client()
    cid = make_connection(dx, client)["connectionId"]
    arn = _arn(client, cid)
    start = dx.control("GET", "/events")["next"]
    client.describe_connections(connectionId=cid)
    client.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    client.describe_tags(resourceArns=[arn])
    logged = dx.control("POST", "/events", {"since": start, "type": "api"})["events"]
    assert [e["operation"] for e in logged] == [
        "DescribeConnections",
        "TagResource",
        "DescribeTags",
    ]
    assert [e["eventId"] for e in logged] == sorted(e["eventId"] for e in logged)


def _arn(client: Any, cid: str) -> str:
    conn = client.describe_connections(connectionId=cid)["connections"][0]
    return f"arn:aws:directconnect:{conn['region']}:{conn['ownerAccount']}:dxcon/{cid}"
