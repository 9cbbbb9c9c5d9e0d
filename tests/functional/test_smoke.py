"""The harness itself: both modes answer, and lifecycle progression is visible to a poller."""

from __future__ import annotations


def test_connection_reaches_available(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="smoke")
    assert conn["connectionState"] == "requested"
    assert conn["connectionId"].startswith("dxcon-f")
    final = dx.wait(
        lambda: client.describe_connections(connectionId=conn["connectionId"])["connections"][0],
        lambda c: c["connectionState"] == "available",
    )
    assert final["ownerAccount"] == "123456789012"
    assert final["region"] == "us-east-1"
