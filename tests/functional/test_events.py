"""The event log: API calls, state and session changes, faults (docs/failures.md#events)."""

from __future__ import annotations

import pytest

from functional.helpers import client_error, make_connection


def test_api_calls_are_logged_with_account_resource_and_status(dx):
    client = dx.client()
    start = dx.control("GET", "/events")["next"]
    conn = make_connection(dx, client)
    cid = conn["connectionId"]
    client_error(client, client.describe_connections, connectionId="dxcon-nothere")
    logged = dx.control("POST", "/events", {"since": start, "type": "api"})["events"]
    create = [e for e in logged if e["operation"] == "CreateConnection"]
    assert create and create[0]["resource"] == cid and create[0]["status"] == 200
    assert create[0]["account"] == "123456789012" and create[0]["service"] == "directconnect"
    failed = [e for e in logged if e["resource"] == "dxcon-nothere"]
    assert failed and failed[0]["status"] == 400
    assert [e["eventId"] for e in logged] == sorted(e["eventId"] for e in logged)


def test_an_event_names_what_a_create_made_as_the_call_line_does(dx, vif):
    """One rule for both (core/events.py ``resource_of``): a VIF create is about the VIF,
    not the connection it names; CreateBGPPeer is about its VIF."""
    _, v = vif
    logged = dx.control(
        "POST", "/events", {"type": "api", "operation": "CreatePrivateVirtualInterface"}
    )
    assert logged["events"][-1]["resource"] == v["virtualInterfaceId"]


def test_a_fault_logs_its_cascade_on_each_resource(dx, vif):
    client, v = vif
    cid, vid = v["connectionId"], v["virtualInterfaceId"]
    start = dx.control("GET", "/events")["next"]
    fault = dx.control("POST", "/faults", {"target": "connection", "id": cid})
    dx.control("DELETE", f"/faults/{fault['faultId']}")
    on_conn = dx.control("GET", f"/events?resource={cid}&since={start}")["events"]
    assert [(e["type"], e.get("what"), e.get("to")) for e in on_conn] == [
        ("fault", "scheduled", None),
        ("state", None, "down"),
        ("fault", "begun", None),
        ("state", None, "available"),
        ("fault", "ended", None),
    ]
    on_vif = dx.control("POST", "/events", {"resource": vid, "since": start})["events"]
    sessions = [e["bgpStatus"] for e in on_vif if e["type"] == "session"]
    assert sessions[0] == "down" and sessions[-1] == "up"
    assert {e["fault"] for e in on_vif} == {fault["faultId"]}


def test_a_reader_waits_for_the_next_event(dx):
    client = dx.client()
    start = dx.control("GET", "/events")["next"]
    quiet = dx.control("POST", "/events", {"since": start, "type": "fault", "wait": 0.2})
    assert quiet["events"] == []
    cid = make_connection(dx, client)["connectionId"]
    dx.control("POST", "/faults", {"target": "connection", "id": cid, "in": 0})
    heard = dx.control("POST", "/events", {"since": start, "type": "fault", "wait": 5})
    assert heard["events"][0]["resource"] == cid


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "since=inf", "since=nan", "since=1e400", "limit=-1", "wait=x"],
    ids=["since", "since-inf", "since-nan", "since-huge", "limit", "wait"],
)
def test_bad_queries_are_refused(dx, query: str):
    with pytest.raises(Exception) as caught:
        dx.control("GET", f"/events?{query}")
    assert "must be" in str(caught.value)
