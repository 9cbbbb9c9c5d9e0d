"""Interconnects and hosted connections across two accounts (docs/behavior.md#hosted-connections)."""

from __future__ import annotations

import re

from functional.helpers import client_error, make_interconnect

PARTNER = "111122223333"
CUSTOMER = "444455556666"


def test_interconnect_lifecycle(dx):
    partner = dx.client(account=PARTNER)
    ic = partner.create_interconnect(
        interconnectName="ic-1",
        bandwidth="10Gbps",
        location="EqDC2",
        tags=[{"key": "k", "value": "v"}],
    )
    assert ic["interconnectId"].startswith("dxcon-f")
    assert ic["interconnectState"] == "requested"
    assert ic["tags"] == [{"key": "k", "value": "v"}]
    dx.wait(
        lambda: partner.describe_interconnects(interconnectId=ic["interconnectId"])[
            "interconnects"
        ][0],
        lambda i: i["interconnectState"] == "available",
    )
    assert [i["interconnectId"] for i in partner.describe_interconnects()["interconnects"]] == [
        ic["interconnectId"]
    ]
    # An interconnect is not a connection.
    assert partner.describe_connections()["connections"] == []
    client_error(
        partner,
        partner.create_interconnect,
        interconnectName="x",
        bandwidth="50Mbps",
        location="EqDC2",
    )
    msg = client_error(partner, partner.describe_interconnects, interconnectId="dxcon-fzzzzzzz")
    assert "Could not find Interconnect with ID dxcon-fzzzzzzz" in msg
    # Other accounts neither see nor delete it.
    other = dx.client(account=CUSTOMER)
    assert other.describe_interconnects()["interconnects"] == []
    client_error(other, other.delete_interconnect, interconnectId=ic["interconnectId"])
    assert (
        partner.delete_interconnect(interconnectId=ic["interconnectId"])["interconnectState"]
        == "deleted"
    )
    client_error(partner, partner.delete_interconnect, interconnectId=ic["interconnectId"])


def test_only_partners_allocate(dx):
    customer = dx.client(account=CUSTOMER)
    conn = customer.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="own")
    msg = client_error(
        customer,
        customer.allocate_hosted_connection,
        connectionId=conn["connectionId"],
        ownerAccount=PARTNER,
        bandwidth="500Mbps",
        connectionName="nope",
        vlan=10,
    )
    assert msg == f"Account {CUSTOMER} is not an authorized Direct Connect partner in us-east-1."
    meta = customer.describe_customer_metadata()
    assert meta["nniPartnerType"] == "nonPartner"


def test_hosted_connection_two_accounts(dx):
    partner = dx.client(account=PARTNER)
    customer = dx.client(account=CUSTOMER)
    ic = make_interconnect(dx, partner)
    assert partner.describe_customer_metadata()["nniPartnerType"] == "v2"
    own = customer.create_connection(
        location="EqDC2", bandwidth="1Gbps", connectionName="customer-private"
    )

    hosted = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount=CUSTOMER,
        bandwidth="500Mbps",
        connectionName="for-customer",
        vlan=101,
        tags=[{"key": "team", "value": "net"}],
    )
    hid = hosted["connectionId"]
    assert hid.startswith("dxcon-f") and hid != ic["interconnectId"]
    assert hosted["connectionState"] == "ordering"
    assert hosted["ownerAccount"] == CUSTOMER
    assert hosted["vlan"] == 101 and hosted["partnerName"] == "ic"
    assert hosted["location"] == "EqDC2" and hosted["bandwidth"] == "500Mbps"

    # The customer sees it among its connections, in ordering; the partner on its interconnect.
    seen = {c["connectionId"]: c for c in customer.describe_connections()["connections"]}
    assert set(seen) == {own["connectionId"], hid}
    assert seen[hid]["connectionState"] == "ordering"
    assert partner.describe_connections()["connections"] == []
    on_ic = partner.describe_hosted_connections(connectionId=ic["interconnectId"])["connections"]
    assert [c["connectionId"] for c in on_ic] == [hid]
    assert [
        c["connectionId"]
        for c in partner.describe_connections_on_interconnect(interconnectId=ic["interconnectId"])[
            "connections"
        ]
    ] == [hid]

    # Neither sees the other's private resources.
    assert customer.describe_interconnects()["interconnects"] == []
    msg = client_error(
        customer, customer.describe_hosted_connections, connectionId=ic["interconnectId"]
    )
    assert (
        msg
        == f"{CUSTOMER} DescribeHostedConnections failed for connection {ic['interconnectId']} doesn't exist."
    )
    msg = client_error(partner, partner.describe_connections, connectionId=own["connectionId"])
    assert msg.startswith("Could not find Connection with ID")
    client_error(partner, partner.confirm_connection, connectionId=own["connectionId"])
    # Only the owner confirms.
    client_error(partner, partner.confirm_connection, connectionId=hid)

    # The customer confirms: ordering -> pending -> available.
    assert customer.confirm_connection(connectionId=hid)["connectionState"] == "pending"
    dx.wait(
        lambda: customer.describe_connections(connectionId=hid)["connections"][0],
        lambda c: c["connectionState"] == "available",
    )
    msg = client_error(customer, customer.confirm_connection, connectionId=hid)
    assert msg == f"ConfirmConnection failed. {hid} is in state available"

    # A second allocation, rejected by the customer deleting it while ordering.
    second = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount=CUSTOMER,
        bandwidth="1Gbps",
        connectionName="2nd",
        vlan=102,
    )
    rejected = customer.delete_connection(connectionId=second["connectionId"])
    assert rejected["connectionState"] == "rejected"
    states = {
        c["connectionId"]: c["connectionState"]
        for c in partner.describe_hosted_connections(connectionId=ic["interconnectId"])[
            "connections"
        ]
    }
    assert states == {hid: "available", second["connectionId"]: "rejected"}
    client_error(customer, customer.confirm_connection, connectionId=second["connectionId"])

    # The interconnect cannot go while it hosts a live connection; the partner deletes it first.
    msg = client_error(partner, partner.delete_interconnect, interconnectId=ic["interconnectId"])
    assert "hosted connection" in msg
    assert partner.delete_connection(connectionId=hid)["connectionState"] == "deleted"
    assert (
        customer.describe_connections(connectionId=hid)["connections"][0]["connectionState"]
        == "deleted"
    )
    assert (
        partner.delete_interconnect(interconnectId=ic["interconnectId"])["interconnectState"]
        == "deleted"
    )


def test_confirm_dedicated_connection_fails(dx):
    client = dx.client()
    conn = client.create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="dedicated"
    )
    msg = client_error(client, client.confirm_connection, connectionId=conn["connectionId"])
    # requested, or already a step further when the test machine is slow (steps are 50 ms)
    assert re.fullmatch(
        f"ConfirmConnection failed. {conn['connectionId']} is in state (requested|pending|available)",
        msg,
    ), msg
    client_error(client, client.confirm_connection, connectionId="dxcon-fzzzzzzz")


def test_allocation_rules(dx):
    partner = dx.client(account=PARTNER)
    ic = make_interconnect(dx, partner, wait=False)
    base = dict(connectionId=ic["interconnectId"], ownerAccount=CUSTOMER, connectionName="h")
    partner.allocate_hosted_connection(bandwidth="100Mbps", vlan=7, **base)
    assert "VLAN 7 is already in use" in client_error(
        partner, partner.allocate_hosted_connection, bandwidth="100Mbps", vlan=7, **base
    )
    client_error(
        partner, partner.allocate_hosted_connection, bandwidth="100Mbps", vlan=5000, **base
    )
    client_error(partner, partner.allocate_hosted_connection, bandwidth="3Gbps", vlan=8, **base)
    assert "capacity" in client_error(
        partner, partner.allocate_hosted_connection, bandwidth="25Gbps", vlan=8, **base
    )
    client_error(
        partner,
        partner.allocate_hosted_connection,
        connectionId=ic["interconnectId"],
        ownerAccount="12",
        connectionName="h",
        bandwidth="100Mbps",
        vlan=9,
    )
    msg = client_error(
        partner,
        partner.allocate_hosted_connection,
        connectionId="dxcon-fzzzzzzz",
        ownerAccount=CUSTOMER,
        connectionName="h",
        bandwidth="100Mbps",
        vlan=9,
    )
    assert "Could not find Interconnect" in msg
    # The deprecated call behaves alike, interconnects only.
    old = partner.allocate_connection_on_interconnect(
        interconnectId=ic["interconnectId"],
        ownerAccount=CUSTOMER,
        bandwidth="50Mbps",
        connectionName="old",
        vlan=9,
    )
    assert old["connectionState"] == "ordering" and old["vlan"] == 9
    client_error(
        partner, partner.describe_connections_on_interconnect, interconnectId="dxcon-fzzzzzzz"
    )
    # Pagination of the partner's view.
    page = partner.describe_hosted_connections(connectionId=ic["interconnectId"], maxResults=1)
    assert len(page["connections"]) == 1 and page["nextToken"]


def test_hosted_connections_on_a_partner_lag_and_moving_them(dx):
    partner = dx.client(account=PARTNER)
    ic = make_interconnect(dx, partner, wait=False)
    # A partner's LAG hosts connections (CreateLag doc).
    lag = partner.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="plag"
    )
    assert lag["allowsHostedConnections"] is True
    hosted = partner.allocate_hosted_connection(
        connectionId=lag["lagId"],
        ownerAccount=CUSTOMER,
        bandwidth="1Gbps",
        connectionName="on-lag",
        vlan=300,
    )
    assert [
        c["connectionId"]
        for c in partner.describe_hosted_connections(connectionId=lag["lagId"])["connections"]
    ] == [hosted["connectionId"]]
    # LAG members are not hosted connections.
    assert len(partner.describe_lags(lagId=lag["lagId"])["lags"][0]["connections"]) == 1
    assert "hosted connection" in client_error(partner, partner.delete_lag, lagId=lag["lagId"])
    # Move it to the interconnect; a VLAN clash there refuses the move.
    blocker = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount=CUSTOMER,
        bandwidth="1Gbps",
        connectionName="b",
        vlan=300,
    )
    msg = client_error(
        partner,
        partner.associate_hosted_connection,
        connectionId=hosted["connectionId"],
        parentConnectionId=ic["interconnectId"],
    )
    assert "VLAN 300" in msg
    partner.delete_connection(connectionId=blocker["connectionId"])
    moved = partner.associate_hosted_connection(
        connectionId=hosted["connectionId"], parentConnectionId=ic["interconnectId"]
    )
    assert moved["connectionId"] == hosted["connectionId"]
    assert partner.describe_hosted_connections(connectionId=lag["lagId"])["connections"] == []
    on_ic = {
        c["connectionId"]
        for c in partner.describe_hosted_connections(connectionId=ic["interconnectId"])[
            "connections"
        ]
    }
    assert hosted["connectionId"] in on_ic
    # Only the partner moves it.
    customer = dx.client(account=CUSTOMER)
    client_error(
        customer,
        customer.associate_hosted_connection,
        connectionId=hosted["connectionId"],
        parentConnectionId=lag["lagId"],
    )
