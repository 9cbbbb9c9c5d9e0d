"""UpdateConnectionsBillingMode."""

from __future__ import annotations

from functional.helpers import client_error

OTHER = "111122223333"


def test_update_billing_mode(dx):
    client = dx.client()
    ids = [
        client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName=f"c{n}")[
            "connectionId"
        ]
        for n in range(3)
    ]
    out = client.update_connections_billing_mode(connectionIds=ids, billingMode="FlatRateTier2")
    assert out["billingMode"] == "FlatRateTier2"
    assert sorted(c["connectionId"] for c in out["connections"]) == sorted(ids)
    assert all(
        c["connectionId"] and c["billingMode"] == "FlatRateTier2"
        for c in client.describe_connections()["connections"]
    )
    made = client.create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="b", billingMode="PayAsYouGo"
    )
    assert made["billingMode"] == "PayAsYouGo"


def test_billing_mode_is_all_or_nothing(dx):
    client = dx.client()
    mine = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="m")[
        "connectionId"
    ]
    theirs = dx.client(account=OTHER).create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="t"
    )["connectionId"]
    msg = client_error(
        client,
        client.update_connections_billing_mode,
        connectionIds=[mine, theirs],
        billingMode="FlatRateTier1",
    )
    assert "Could not find Connection" in msg
    assert "billingMode" not in client.describe_connections(connectionId=mine)["connections"][0]
    client_error(
        client,
        client.update_connections_billing_mode,
        connectionIds=[mine],
        billingMode="PortPairFlatRateTier1",
    )
    msg = client_error(
        client,
        client.update_connections_billing_mode,
        connectionIds=[mine] * 201,
        billingMode="PayAsYouGo",
    )
    assert "1 to 200" in msg
    # 200 in one call is fine (duplicates count once).
    out = client.update_connections_billing_mode(
        connectionIds=[mine] * 200, billingMode="PayAsYouGo"
    )
    assert len(out["connections"]) == 1
    client.delete_connection(connectionId=mine)
    client_error(
        client,
        client.update_connections_billing_mode,
        connectionIds=[mine],
        billingMode="PayAsYouGo",
    )
