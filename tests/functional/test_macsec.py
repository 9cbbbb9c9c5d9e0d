"""MACsec keys: AssociateMacSecKey, DisassociateMacSecKey on connections and LAGs."""

from __future__ import annotations

from functional.helpers import client_error

OTHER = "111122223333"
CKN = "1" * 63 + "a"
CAK = "b" * 64
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dx-macsec-key-AbCdEf"


def keys_of(client, connection_id):
    return client.describe_connections(connectionId=connection_id)["connections"][0].get(
        "macSecKeys", []
    )


def test_ckn_cak_on_a_connection(dx):
    client = dx.client()
    conn = client.create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="m", requestMACSec=True
    )
    cid = conn["connectionId"]
    out = client.associate_mac_sec_key(connectionId=cid, ckn=CKN, cak=CAK)
    assert out["connectionId"] == cid
    (key,) = out["macSecKeys"]
    assert key["ckn"] == CKN and key["state"] == "associating" and key["startOn"]
    assert key["secretARN"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
    dx.wait(lambda: keys_of(client, cid), lambda keys: keys[0]["state"] == "associated")
    final = dx.wait(
        lambda: client.describe_connections(connectionId=cid)["connections"][0],
        lambda c: c["connectionState"] == "available",
    )
    assert final["portEncryptionStatus"] == "Encryption Up"
    # The same key twice is refused; the returned ARN names the same pair.
    msg = client_error(
        client, client.associate_mac_sec_key, connectionId=cid, secretARN=key["secretARN"]
    )
    assert "already associated" in msg
    gone = client.disassociate_mac_sec_key(connectionId=cid, secretARN=key["secretARN"])
    assert gone["macSecKeys"][0]["state"] == "disassociating"
    dx.wait(lambda: keys_of(client, cid), lambda keys: keys == [])
    msg = client_error(
        client, client.disassociate_mac_sec_key, connectionId=cid, secretARN=key["secretARN"]
    )
    assert "not associated" in msg
    # Re-associate by the ARN alone: the CKN comes back with it.
    again = client.associate_mac_sec_key(connectionId=cid, secretARN=key["secretARN"])
    assert again["macSecKeys"][0]["ckn"] == CKN


def test_secret_arn_on_a_lag(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=2,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="m",
        requestMACSec=True,
    )
    out = client.associate_mac_sec_key(connectionId=lag["lagId"], secretARN=SECRET)
    assert out["macSecKeys"][0]["secretARN"] == SECRET
    dx.wait(
        lambda: client.describe_lags(lagId=lag["lagId"])["lags"][0]["macSecKeys"],
        lambda keys: keys[0]["state"] == "associated",
    )
    client.disassociate_mac_sec_key(connectionId=lag["lagId"], secretARN=SECRET)


def test_macsec_errors(dx):
    client = dx.client()
    secure = client.create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="s", requestMACSec=True
    )
    plain = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="p")
    sid = secure["connectionId"]
    assert "MACsec" in client_error(
        client, client.associate_mac_sec_key, connectionId=plain["connectionId"], secretARN=SECRET
    )
    assert "not both" in client_error(
        client, client.associate_mac_sec_key, connectionId=sid, secretARN=SECRET, ckn=CKN, cak=CAK
    )
    client_error(client, client.associate_mac_sec_key, connectionId=sid, ckn=CKN)
    client_error(client, client.associate_mac_sec_key, connectionId=sid)
    assert "64 hexadecimal" in client_error(
        client, client.associate_mac_sec_key, connectionId=sid, ckn="abc", cak=CAK
    )
    client_error(client, client.associate_mac_sec_key, connectionId=sid, ckn=CKN, cak="z" * 64)
    client_error(client, client.associate_mac_sec_key, connectionId=sid, secretARN="not-an-arn")
    client_error(
        client, client.associate_mac_sec_key, connectionId="dxcon-fzzzzzzz", secretARN=SECRET
    )
    assert "Could not find Lag" in client_error(
        client, client.associate_mac_sec_key, connectionId="dxlag-fzzzzzzz", secretARN=SECRET
    )
    other = dx.client(account=OTHER)
    client_error(other, other.associate_mac_sec_key, connectionId=sid, secretARN=SECRET)
    client.associate_mac_sec_key(connectionId=sid, secretARN=SECRET)
    client_error(other, other.disassociate_mac_sec_key, connectionId=sid, secretARN=SECRET)
