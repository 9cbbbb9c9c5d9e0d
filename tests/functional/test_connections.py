"""Dedicated connections: CreateConnection options, UpdateConnection, ConfirmConnection,
DeleteConnection (docs/behavior.md#connections)."""

from __future__ import annotations

from functional.helpers import client_error

OTHER = "111122223333"


def test_create_with_tags_macsec_and_provider(dx):
    client = dx.client()
    conn = client.create_connection(
        location="EqDC2",
        bandwidth="10Gbps",
        connectionName="secure",
        tags=[{"key": "env", "value": "prod"}],
        requestMACSec=True,
        providerName="Megaport",
    )
    assert conn["connectionState"] == "requested"
    assert conn["tags"] == [{"key": "env", "value": "prod"}]
    assert conn["macSecCapable"] is True
    assert conn["encryptionMode"] == "must_encrypt"
    assert conn["portEncryptionStatus"] == "Encryption Down"
    assert conn["providerName"] == "Megaport"
    assert conn["hasLogicalRedundancy"] == "unknown"
    # MACsec only where the location offers it for that speed; a provider must be listed.
    client_error(
        client,
        client.create_connection,
        location="EqDC2",
        bandwidth="1Gbps",
        connectionName="x",
        requestMACSec=True,
    )
    client_error(
        client,
        client.create_connection,
        location="EqDC2",
        bandwidth="1Gbps",
        connectionName="x",
        providerName="Nobody",
    )
    client_error(
        client, client.create_connection, location="EqDC2", bandwidth="3Gbps", connectionName="x"
    )


def test_update_connection(dx):
    client = dx.client()
    plain = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="old")
    renamed = client.update_connection(connectionId=plain["connectionId"], connectionName="new")
    assert renamed["connectionName"] == "new"
    assert (
        client.describe_connections(connectionId=plain["connectionId"])["connections"][0][
            "connectionName"
        ]
        == "new"
    )
    msg = client_error(
        client,
        client.update_connection,
        connectionId=plain["connectionId"],
        encryptionMode="must_encrypt",
    )
    assert "MACsec" in msg
    secure = client.create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="s", requestMACSec=True
    )
    out = client.update_connection(
        connectionId=secure["connectionId"], encryptionMode="should_encrypt"
    )
    assert out["encryptionMode"] == "should_encrypt"
    client_error(
        client,
        client.update_connection,
        connectionId=secure["connectionId"],
        encryptionMode="always",
    )
    client_error(
        client, client.update_connection, connectionId=secure["connectionId"], connectionName=""
    )
    msg = client_error(
        client, client.update_connection, connectionId="dxcon-fzzzzzzz", connectionName="n"
    )
    assert msg == "Could not find Connection with ID dxcon-fzzzzzzz"
    other = dx.client(account=OTHER)
    client_error(
        other,
        other.update_connection,
        connectionId=plain["connectionId"],
        connectionName="mine now",
    )
    client.delete_connection(connectionId=plain["connectionId"])
    client_error(
        client, client.update_connection, connectionId=plain["connectionId"], connectionName="late"
    )


def test_delete_connection(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="bye")
    other = dx.client(account=OTHER)
    client_error(other, other.delete_connection, connectionId=conn["connectionId"])
    assert (
        client.delete_connection(connectionId=conn["connectionId"])["connectionState"] == "deleted"
    )
    # Deleted connections stay visible for a while; deleting again is refused.
    assert client.describe_connections()["connections"][0]["connectionState"] == "deleted"
    client_error(client, client.delete_connection, connectionId=conn["connectionId"])
    client_error(client, client.confirm_connection, connectionId=conn["connectionId"])


def test_connection_quota_per_location(dx):
    client = dx.client()
    for n in range(10):
        client.create_connection(location="EqNY5", bandwidth="1Gbps", connectionName=f"c{n}")
    msg = client_error(
        client, client.create_connection, location="EqNY5", bandwidth="1Gbps", connectionName="11"
    )
    assert "limit" in msg
    # LAG members count too.
    msg = client_error(
        client,
        client.create_lag,
        numberOfConnections=1,
        location="EqNY5",
        connectionsBandwidth="1Gbps",
        lagName="l",
    )
    assert "limit" in msg
