"""Letters of authorization: DescribeLoa, DescribeConnectionLoa, DescribeInterconnectLoa."""

from __future__ import annotations

import io

from pypdf import PdfReader

from dxlocal import mock_directconnect
from dxtest import dx_client
from functional.helpers import client_error

OTHER = "111122223333"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content), strict=True)
    return "\n".join(page.extract_text() for page in reader.pages)


def wait_state(dx, fetch, field, states=("pending", "available")):
    return dx.wait(fetch, lambda r: r[field] in states)


def test_connection_loa_is_a_real_pdf(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="loa-me")
    cid = conn["connectionId"]
    after = wait_state(
        dx,
        lambda: client.describe_connections(connectionId=cid)["connections"][0],
        "connectionState",
    )
    assert "loaIssueTime" not in after
    loa = client.describe_loa(
        connectionId=cid, providerName="Megaport", loaContentType="application/pdf"
    )
    assert loa["loaContentType"] == "application/pdf"
    text = pdf_text(loa["loaContent"])
    assert cid in text
    assert "EqDC2" in text and "Equinix" in text
    assert after["awsDeviceV2"] in text
    assert "Port: xe-" in text and "10GBASE-LR" in text
    assert "Megaport" in text
    stamped = client.describe_connections(connectionId=cid)["connections"][0]
    assert stamped["loaIssueTime"] is not None
    # The deprecated form wraps the same document.
    old = client.describe_connection_loa(connectionId=cid)["loa"]
    assert cid in pdf_text(old["loaContent"])
    client_error(client, client.describe_loa, connectionId=cid, loaContentType="text/plain")


def test_loa_errors(dx):
    client = dx.client()
    msg = client_error(client, client.describe_loa, connectionId="dxcon-fzzzzzzz")
    assert "Could not find Connection with ID" in msg
    other = dx.client(account=OTHER)
    theirs = other.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="theirs")
    wait_state(
        dx,
        lambda: other.describe_connections(connectionId=theirs["connectionId"])["connections"][0],
        "connectionState",
    )
    client_error(client, client.describe_loa, connectionId=theirs["connectionId"])
    client_error(client, client.describe_connection_loa, connectionId=theirs["connectionId"])
    assert "Could not find Lag" in client_error(
        client, client.describe_loa, connectionId="dxlag-fzzzzzzz"
    )
    client_error(client, client.describe_interconnect_loa, interconnectId="dxcon-fzzzzzzz")


def test_lag_and_interconnect_loa(dx):
    client = dx.client()
    lag = client.create_lag(
        numberOfConnections=2, location="CSVA1", connectionsBandwidth="100Gbps", lagName="l"
    )
    dx.wait(
        lambda: client.describe_lags(lagId=lag["lagId"])["lags"][0],
        lambda x: all(c["connectionState"] != "requested" for c in x["connections"]),
    )
    text = pdf_text(client.describe_loa(connectionId=lag["lagId"])["loaContent"])
    assert lag["lagId"] in text and "CSVA1" in text and "100GBASE-LR4" in text
    for member in lag["connections"]:
        assert member["connectionId"] in text
    members = client.describe_lags(lagId=lag["lagId"])["lags"][0]["connections"]
    assert all(m.get("loaIssueTime") for m in members)

    ic = client.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")
    iid = ic["interconnectId"]
    wait_state(
        dx,
        lambda: client.describe_interconnects(interconnectId=iid)["interconnects"][0],
        "interconnectState",
    )
    loa = client.describe_interconnect_loa(interconnectId=iid, providerName="Zayo Group")["loa"]
    assert iid in pdf_text(loa["loaContent"])
    assert client.describe_interconnects(interconnectId=iid)["interconnects"][0]["loaIssueTime"]
    assert iid in pdf_text(client.describe_loa(connectionId=iid)["loaContent"])


def test_hosted_connection_has_no_loa(dx):
    partner = dx.client(account=OTHER)
    customer = dx.client()
    ic = partner.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")
    hosted = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount="123456789012",
        bandwidth="1Gbps",
        connectionName="h",
        vlan=5,
    )
    customer.confirm_connection(connectionId=hosted["connectionId"])
    msg = client_error(customer, customer.describe_loa, connectionId=hosted["connectionId"])
    assert "hosted connection" in msg


def test_no_loa_before_aws_approves_the_request():
    # On the manual clock the connection stays ``requested`` until the clock moves.
    with mock_directconnect(progress="manual"):
        client = dx_client("http://dxlocal.invalid")
        cid = client.create_connection(
            location="EqDC2", bandwidth="10Gbps", connectionName="loa-early"
        )["connectionId"]
        assert "requested" in client_error(client, client.describe_loa, connectionId=cid)
