"""LAGs: CreateLag, DescribeLags, UpdateLag, DeleteLag, AssociateConnectionWithLag,
DisassociateConnectionFromLag (docs/behavior.md#lags)."""

from __future__ import annotations

import pytest

from functional.helpers import client_error

OTHER = "111122223333"


def lag_of(client, lag_id):
    return client.describe_lags(lagId=lag_id)["lags"][0]


def wait_lag(dx, client, lag_id, state="available"):
    return dx.wait(
        lambda: lag_of(client, lag_id),
        lambda lag: (
            lag["lagState"] == state
            and all(c["connectionState"] == "available" for c in lag["connections"])
        ),
    )


def conn_of(client, connection_id):
    return client.describe_connections(connectionId=connection_id)["connections"][0]


def wait_conn(dx, client, connection_id, state="available"):
    return dx.wait(lambda: conn_of(client, connection_id), lambda c: c["connectionState"] == state)


def test_create_lag_makes_members_and_becomes_available(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=2,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="lag-a",
        tags=[{"key": "env", "value": "test"}],
        childConnectionTags=[{"key": "member", "value": "yes"}],
    )
    assert lag["lagId"].startswith("dxlag-f")
    assert lag["lagState"] == "pending"
    assert lag["minimumLinks"] == 0
    assert lag["numberOfConnections"] == 2
    assert lag["tags"] == [{"key": "env", "value": "test"}]
    names = sorted(c["connectionName"] for c in lag["connections"])
    assert names == [f"Requested Connection {n} for Lag {lag['lagId']}" for n in (1, 2)]
    for member in lag["connections"]:
        assert member["connectionState"] == "requested"
        assert member["lagId"] == lag["lagId"]
        assert member["awsDeviceV2"] == lag["awsDeviceV2"]
        assert member["tags"] == [{"key": "member", "value": "yes"}]
    final = wait_lag(dx, client, lag["lagId"])
    assert final["jumboFrameCapable"] is True
    listed = client.describe_lags()["lags"]
    assert [x["lagId"] for x in listed] == [lag["lagId"]]


def test_create_lag_with_existing_connection_counts_it(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="existing")
    lag = client.create_lag(
        numberOfConnections=2,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="with-existing",
        connectionId=conn["connectionId"],
    )
    ids = {c["connectionId"] for c in lag["connections"]}
    assert len(ids) == 2 and conn["connectionId"] in ids
    assert conn_of(client, conn["connectionId"])["lagId"] == lag["lagId"]
    # Already in a LAG: cannot seed another one.
    msg = client_error(
        client,
        client.create_lag,
        numberOfConnections=1,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="again",
        connectionId=conn["connectionId"],
    )
    assert "already associated" in msg


def test_create_lag_limits(dx):
    client = dx.client()
    too_many = dict(location="EqDC2", lagName="x")
    msg = client_error(
        client, client.create_lag, numberOfConnections=5, connectionsBandwidth="10Gbps", **too_many
    )
    assert "1 to 4" in msg
    msg = client_error(
        client, client.create_lag, numberOfConnections=3, connectionsBandwidth="100Gbps", **too_many
    )
    assert "1 to 2" in msg
    client_error(
        client, client.create_lag, numberOfConnections=1, connectionsBandwidth="50Mbps", **too_many
    )
    client_error(
        client,
        client.create_lag,
        numberOfConnections=1,
        connectionsBandwidth="10Gbps",
        location="NOPE",
        lagName="x",
    )
    # 10 LAGs per Region (spread over two locations: 10 active connections per location).
    for n in range(10):
        client.create_lag(
            numberOfConnections=1,
            location="EqDC2" if n % 2 else "CSVA1",
            connectionsBandwidth="1Gbps",
            lagName=f"lag-{n}",
        )
    msg = client_error(
        client,
        client.create_lag,
        numberOfConnections=1,
        location="EqNY5",
        connectionsBandwidth="1Gbps",
        lagName="11",
    )
    assert "LAG limit exceeded" in msg
    # Another account has its own quota.
    dx.client(account=OTHER).create_lag(
        numberOfConnections=1, location="EqNY5", connectionsBandwidth="1Gbps", lagName="other"
    )


def test_unknown_and_other_accounts_lag(dx):
    client = dx.client()
    other = dx.client(account=OTHER)
    msg = client_error(client, client.describe_lags, lagId="dxlag-fzzzzzzz")
    assert msg.startswith("Could not find Lag with ID dxlag-fzzzzzzz")
    lag = other.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="theirs"
    )
    assert client.describe_lags()["lags"] == []
    for fn, kwargs in [
        (client.describe_lags, {}),
        (client.delete_lag, {}),
        (client.update_lag, {"lagName": "mine"}),
    ]:
        assert "Could not find Lag" in client_error(client, fn, lagId=lag["lagId"], **kwargs)
    mine = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="mine")
    msg = client_error(
        client,
        client.associate_connection_with_lag,
        connectionId=mine["connectionId"],
        lagId=lag["lagId"],
    )
    assert "Could not find Lag" in msg


def test_update_lag(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="u"
    )
    wait_lag(dx, client, lag["lagId"])
    updated = client.update_lag(lagId=lag["lagId"], lagName="renamed", minimumLinks=2)
    assert updated["lagName"] == "renamed" and updated["minimumLinks"] == 2
    assert updated["lagState"] == "available"
    msg = client_error(client, client.update_lag, lagId=lag["lagId"], minimumLinks=3)
    assert "minimumLinks" in msg
    msg = client_error(client, client.update_lag, lagId=lag["lagId"], encryptionMode="must_encrypt")
    assert "MACsec" in msg
    macsec = client.create_lag(
        numberOfConnections=1,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="m",
        requestMACSec=True,
    )
    assert macsec["macSecCapable"] is True and macsec["encryptionMode"] == "must_encrypt"
    changed = client.update_lag(lagId=macsec["lagId"], encryptionMode="should_encrypt")
    assert changed["encryptionMode"] == "should_encrypt"
    assert all(c["encryptionMode"] == "should_encrypt" for c in changed["connections"])
    client_error(client, client.update_lag, lagId=macsec["lagId"], encryptionMode="sometimes")


def test_associate_rules(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=3, location="EqDC2", connectionsBandwidth="10Gbps", lagName="a"
    )
    one_gig = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="1g")
    msg = client_error(
        client,
        client.associate_connection_with_lag,
        connectionId=one_gig["connectionId"],
        lagId=lag["lagId"],
    )
    assert "must match" in msg
    elsewhere = client.create_connection(location="CSVA1", bandwidth="10Gbps", connectionName="va")
    client_error(
        client,
        client.associate_connection_with_lag,
        connectionId=elsewhere["connectionId"],
        lagId=lag["lagId"],
    )
    fourth = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="4th")
    joined = client.associate_connection_with_lag(
        connectionId=fourth["connectionId"], lagId=lag["lagId"]
    )
    assert joined["lagId"] == lag["lagId"]
    assert lag_of(client, lag["lagId"])["numberOfConnections"] == 4
    fifth = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="5th")
    with pytest.raises(client.exceptions.DirectConnectClientException):
        client.associate_connection_with_lag(connectionId=fifth["connectionId"], lagId=lag["lagId"])
    # CreateConnection with lagId obeys the same cap.
    client_error(
        client,
        client.create_connection,
        location="EqDC2",
        bandwidth="10Gbps",
        connectionName="6",
        lagId=lag["lagId"],
    )
    msg = client_error(
        client,
        client.associate_connection_with_lag,
        connectionId="dxcon-fzzzzzzz",
        lagId=lag["lagId"],
    )
    assert "Could not find Connection with ID dxcon-fzzzzzzz" in msg


def test_disassociate_transitioning_and_minimum_links(dx_manual):
    client = dx_manual.client()
    lag = client.create_lag(
        numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="t"
    )
    first, second = (c["connectionId"] for c in lag["connections"])
    # Right after creation the member is still provisioning (terraform-provider-aws PR #3212).
    msg = client_error(
        client, client.disassociate_connection_from_lag, connectionId=first, lagId=lag["lagId"]
    )
    assert msg == f"Connection {first} is in a transitioning state."
    wait_lag(dx_manual, client, lag["lagId"])
    client.update_lag(lagId=lag["lagId"], minimumLinks=2)
    msg = client_error(
        client, client.disassociate_connection_from_lag, connectionId=first, lagId=lag["lagId"]
    )
    assert "minimumLinks" in msg
    # DeleteConnection of a member obeys minimumLinks too.
    assert "minimumLinks" in client_error(client, client.delete_connection, connectionId=first)
    client.update_lag(lagId=lag["lagId"], minimumLinks=1)
    out = client.disassociate_connection_from_lag(connectionId=first, lagId=lag["lagId"])
    assert "lagId" not in out
    # Not a member (any more).
    msg = client_error(
        client, client.disassociate_connection_from_lag, connectionId=first, lagId=lag["lagId"]
    )
    assert "not associated" in msg
    # The last member may always leave; the LAG stays, empty and down.
    client.disassociate_connection_from_lag(connectionId=second, lagId=lag["lagId"])
    empty = dx_manual.wait(lambda: lag_of(client, lag["lagId"]), lambda x: x["lagState"] == "down")
    assert empty["connections"] == [] and empty["numberOfConnections"] == 0


def test_delete_lag_refused_with_vif(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="v"
    )
    wait_lag(dx, client, lag["lagId"])
    vif = client.create_private_virtual_interface(
        connectionId=lag["lagId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "on-lag",
            "vlan": 100,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    msg = client_error(client, client.delete_lag, lagId=lag["lagId"])
    assert "virtual interface" in msg
    client.delete_virtual_interface(virtualInterfaceId=vif["virtualInterfaceId"])
    dx.wait(
        lambda: client.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])[
            "virtualInterfaces"
        ][0],
        lambda v: v["virtualInterfaceState"] == "deleted",
    )
    assert client.delete_lag(lagId=lag["lagId"])["lagState"] == "deleted"
    assert "Could not find Lag" in client_error(client, client.delete_lag, lagId=lag["lagId"])


def test_vifs_move_with_connection_into_lag(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="with-vif")
    wait_conn(dx, client, conn["connectionId"])
    vif = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "moves",
            "vlan": 200,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    lag = client.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="empty"
    )
    client.associate_connection_with_lag(connectionId=conn["connectionId"], lagId=lag["lagId"])
    moved = client.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])[
        "virtualInterfaces"
    ][0]
    assert moved["connectionId"] == lag["lagId"]
    on_lag = client.describe_virtual_interfaces(connectionId=lag["lagId"])["virtualInterfaces"]
    assert [v["virtualInterfaceId"] for v in on_lag] == [vif["virtualInterfaceId"]]


def test_lag_of_four_leaves_no_orphans(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=4, location="EqDC2", connectionsBandwidth="10Gbps", lagName="four"
    )
    lag_id = lag["lagId"]
    member_ids = sorted(c["connectionId"] for c in lag["connections"])
    assert len(member_ids) == 4
    wait_lag(dx, client, lag_id)
    # Disassociate all four: standalone connections, the LAG empty.
    for cid in member_ids:
        out = client.disassociate_connection_from_lag(connectionId=cid, lagId=lag_id)
        assert out["connectionId"] == cid and "lagId" not in out
    assert lag_of(client, lag_id)["connections"] == []
    # Associate them again, then take two out once more.
    for cid in member_ids:
        assert (
            client.associate_connection_with_lag(connectionId=cid, lagId=lag_id)["lagId"] == lag_id
        )
    again = lag_of(client, lag_id)
    assert sorted(c["connectionId"] for c in again["connections"]) == member_ids
    for cid in member_ids[:2]:
        client.disassociate_connection_from_lag(connectionId=cid, lagId=lag_id)
    # DeleteLag leaves its remaining members standing on their own.
    deleted = client.delete_lag(lagId=lag_id)
    assert deleted["lagState"] == "deleted"
    assert deleted["connections"] == [] and deleted["numberOfConnections"] == 0
    for cid in member_ids:
        assert client.delete_connection(connectionId=cid)["connectionState"] == "deleted"
    # Nothing refers to the LAG any more, and the LAG reports no members.
    everything = client.describe_connections()["connections"]
    assert sorted(c["connectionId"] for c in everything) == member_ids
    assert all("lagId" not in c and c["connectionState"] == "deleted" for c in everything)
    lags = client.describe_lags()["lags"]
    assert [(x["lagId"], x["lagState"], x["connections"]) for x in lags] == [
        (lag_id, "deleted", [])
    ]
    assert client.describe_virtual_interfaces(connectionId=lag_id)["virtualInterfaces"] == []


def test_describe_lags_pagination(dx):
    client = dx.client()
    made = sorted(
        client.create_lag(
            numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName=f"p{n}"
        )["lagId"]
        for n in range(3)
    )
    first = client.describe_lags(maxResults=2)
    assert len(first["lags"]) == 2 and first["nextToken"]
    second = client.describe_lags(maxResults=2, nextToken=first["nextToken"])
    assert "nextToken" not in second
    assert [x["lagId"] for x in first["lags"] + second["lags"]] == made
