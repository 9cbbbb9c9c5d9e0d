"""The installed pytest plugin: fixtures usable by any project's tests."""

from __future__ import annotations

import boto3

from dxlocal import mock_directconnect


def test_dx_client_fixture(dx_client):
    conn = dx_client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="plugin")
    assert (
        dx_client.describe_connections()["connections"][0]["connectionId"] == conn["connectionId"]
    )


def test_each_test_gets_a_fresh_store(dx_client):
    assert dx_client.describe_connections()["connections"] == []


@mock_directconnect()
def test_decorator_form():
    client = boto3.client("directconnect", region_name="eu-west-2")
    codes = {loc["locationCode"] for loc in client.describe_locations()["locations"]}
    assert "EqLD5" in codes


def test_context_manager_and_control():
    with mock_directconnect(progress="manual") as mock:
        client = boto3.client("directconnect", region_name="us-east-1")
        conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="m")
        assert client.describe_connections()["connections"][0]["connectionState"] == "requested"
        mock.control.call("POST", "/_dxlocal/advance")
        assert (
            client.describe_connections(connectionId=conn["connectionId"])["connections"][0][
                "connectionState"
            ]
            == "pending"
        )
