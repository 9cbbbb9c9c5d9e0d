"""Injected faults cascade as AWS's failures would, and are undone (docs/failures.md)."""

from __future__ import annotations

from typing import Any

import pytest

from functional.helpers import make_connection, make_private_vif, wait_vif


def vif_of(client: Any, vif_id: str) -> dict[str, Any]:
    return client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]


def state_of(client: Any, connection_id: str) -> str:
    return client.describe_connections(connectionId=connection_id)["connections"][0][
        "connectionState"
    ]


def test_connection_fault_takes_vifs_down_and_back(dx, vif):
    client, v = vif
    cid, vid = v["connectionId"], v["virtualInterfaceId"]
    fault = dx.control("POST", "/faults", {"target": "connection", "id": cid})
    assert fault["state"] == "active"
    assert ["virtualInterface", vid] in fault["affected"]
    assert state_of(client, cid) == "down"
    down = vif_of(client, vid)
    assert down["virtualInterfaceState"] == "down"
    assert {p["bgpStatus"] for p in down["bgpPeers"]} == {"down"}

    ended = dx.control("DELETE", f"/faults/{fault['faultId']}")
    assert ended["state"] == "ended"
    assert state_of(client, cid) == "available"
    assert wait_vif(dx, client, vid)["virtualInterfaceState"] == "available"


def test_overlapping_faults_end_independently(dx, vif):
    client, v = vif
    cid = v["connectionId"]
    location = client.describe_connections(connectionId=cid)["connections"][0]["location"]
    one = dx.control("POST", "/faults", {"target": "connection", "id": cid})
    two = dx.control("POST", "/faults", {"target": "location", "id": location})
    dx.control("DELETE", f"/faults/{one['faultId']}")
    assert state_of(client, cid) == "down"  # the location outage still holds it
    dx.control("DELETE", f"/faults/{two['faultId']}")
    assert state_of(client, cid) == "available"


def test_device_fault_reaches_every_port_on_the_device(dx):
    client = dx.client()
    a = make_connection(dx, client, name="a")
    b = make_connection(dx, client, name="b")
    other = make_connection(dx, client, name="c", location="CSVA1")
    assert a["awsDeviceV2"] == b["awsDeviceV2"] != other["awsDeviceV2"]
    fault = dx.control("POST", "/faults", {"target": "device", "id": a["awsDeviceV2"]})
    assert state_of(client, a["connectionId"]) == state_of(client, b["connectionId"]) == "down"
    assert state_of(client, other["connectionId"]) == "available"
    dx.control("DELETE", f"/faults/{fault['faultId']}")
    assert state_of(client, a["connectionId"]) == "available"


def test_lag_below_minimum_links_goes_down_with_its_vifs(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="lag"
    )
    lag_id = lag["lagId"]
    client.update_lag(lagId=lag_id, minimumLinks=2)
    dx.wait(
        lambda: client.describe_lags(lagId=lag_id)["lags"][0],
        lambda g: g["lagState"] == "available",
    )
    vid = make_private_vif(client, lag_id)["virtualInterfaceId"]
    wait_vif(dx, client, vid)
    member = client.describe_lags(lagId=lag_id)["lags"][0]["connections"][0]["connectionId"]
    fault = dx.control("POST", "/faults", {"target": "connection", "id": member})
    assert client.describe_lags(lagId=lag_id)["lags"][0]["lagState"] == "down"
    assert vif_of(client, vid)["virtualInterfaceState"] == "down"
    dx.control("DELETE", f"/faults/{fault['faultId']}")
    assert client.describe_lags(lagId=lag_id)["lags"][0]["lagState"] == "available"
    wait_vif(dx, client, vid)
    # the LAG's own state changes are in the event log, with the fault that caused them
    logged = dx.control("GET", f"/events?resource={lag_id}&type=state")["events"]
    assert [(e["from"], e["to"], e["fault"]) for e in logged] == [
        ("available", "down", fault["faultId"]),
        ("down", "available", fault["faultId"]),
    ]


def test_vif_fault_leaves_the_port_up(dx, vif):
    client, v = vif
    fault = dx.control(
        "POST", "/faults", {"target": "virtualInterface", "id": v["virtualInterfaceId"]}
    )
    assert vif_of(client, v["virtualInterfaceId"])["virtualInterfaceState"] == "down"
    assert state_of(client, v["connectionId"]) == "available"
    dx.control("DELETE", f"/faults/{fault['faultId']}")
    wait_vif(dx, client, v["virtualInterfaceId"])


def test_scheduled_fault_runs_on_the_clock(dx, vif):
    client, v = vif
    cid = v["connectionId"]
    fault = dx.control(
        "POST", "/faults", {"target": "connection", "id": cid, "in": 30, "duration": 60}
    )
    assert fault["state"] == "scheduled"
    assert state_of(client, cid) == "available"
    dx.advance(31)
    assert state_of(client, cid) == "down"
    assert dx.control("GET", f"/faults/{fault['faultId']}")["state"] == "active"
    dx.advance(60)
    assert state_of(client, cid) == "available"
    assert dx.control("GET", "/faults")["faults"][0]["state"] == "ended"


@pytest.mark.parametrize(
    "body",
    [
        {"target": "router", "id": "x"},
        {"target": "connection"},
        {"target": "connection", "id": "dxcon-fnothere"},
        {"target": "connection", "id": "dxcon-fnothere", "duration": -1},
        {"target": "location", "id": "Nowhere1"},
    ],
)
def test_bad_fault_requests_are_refused(dx, body):
    with pytest.raises(Exception, match="must|No "):
        dx.control("POST", "/faults", body)
    assert dx.control("GET", "/faults")["faults"] == []
