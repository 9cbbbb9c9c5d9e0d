"""VIF rate limiters: rateLimit on VIFs, rateLimiterStatus on connections and LAGs, the
10-per-parent limit (LimitExceededException), through boto3 in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import client_error, make_connection, make_interconnect, make_private_vif

PARTNER = "111122223333"
CUSTOMER = "444455556666"


def status(client, connection_id: str) -> dict:
    return client.describe_connections(connectionId=connection_id)["connections"][0][
        "rateLimiterStatus"
    ]


def vif_count(client, connection_id: str) -> int:
    return len(client.describe_virtual_interfaces(connectionId=connection_id)["virtualInterfaces"])


def hosted_connection(dx, bandwidth: str, *, vlan: int) -> dict:
    """An available hosted connection of CUSTOMER's, on PARTNER's interconnect."""
    partner = dx.client(account=PARTNER)
    customer = dx.client(account=CUSTOMER)
    ic = make_interconnect(dx, partner)
    hosted = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount=CUSTOMER,
        bandwidth=bandwidth,
        connectionName="h",
        vlan=vlan,
    )
    customer.confirm_connection(connectionId=hosted["connectionId"])
    return dx.wait(
        lambda: customer.describe_connections(connectionId=hosted["connectionId"])["connections"][
            0
        ],
        lambda c: c["connectionState"] == "available",
    )


def test_rate_limits_on_a_dedicated_connection(dx):
    client = dx.client()
    conn_id = make_connection(dx, client, bandwidth="1Gbps")["connectionId"]
    vif = make_private_vif(client, conn_id, vlan=100, rateLimit="500Mbps")
    assert vif["rateLimit"] == "500Mbps"
    assert status(client, conn_id) == {
        "maxAllowed": 10,
        "inUse": 1,
        "remaining": 9,
        "totalBandwidth": "500Mbps",
    }
    # Not a listed value; more than the port.
    with pytest.raises(client.exceptions.DirectConnectClientException, match="not supported"):
        make_private_vif(client, conn_id, vlan=101, rateLimit="123Mbps")
    with pytest.raises(
        client.exceptions.DirectConnectClientException, match="exceeds the bandwidth"
    ):
        make_private_vif(client, conn_id, vlan=101, rateLimit="2Gbps")

    # Nine more fit; the eleventh is LimitExceededException and creates nothing.
    for vlan in range(101, 110):
        make_private_vif(client, conn_id, vlan=vlan, rateLimit="50Mbps")
    assert status(client, conn_id)["remaining"] == 0
    assert status(client, conn_id)["totalBandwidth"] == "950Mbps"
    before = vif_count(client, conn_id)
    with pytest.raises(client.exceptions.LimitExceededException) as info:
        make_private_vif(client, conn_id, vlan=110, rateLimit="50Mbps")
    assert "rate limiter limit has been exceeded" in info.value.response["Error"]["Message"]
    assert vif_count(client, conn_id) == before
    plain = make_private_vif(client, conn_id, vlan=111)  # a VIF without a limiter still fits
    assert "rateLimit" not in plain

    # Update: adding a limiter to the plain VIF is over the limit (a client error here: the
    # model lists no LimitExceededException for this call); removing one frees a place.
    assert "rate limiter limit" in client_error(
        client,
        client.update_virtual_interface_attributes,
        virtualInterfaceId=plain["virtualInterfaceId"],
        rateLimit="100Mbps",
    )
    client.update_virtual_interface_attributes(
        virtualInterfaceId=vif["virtualInterfaceId"], rateLimit=""
    )
    assert status(client, conn_id)["inUse"] == 9
    changed = client.update_virtual_interface_attributes(
        virtualInterfaceId=plain["virtualInterfaceId"], rateLimit="1Gbps"
    )
    assert changed["rateLimit"] == "1Gbps"
    assert status(client, conn_id)["totalBandwidth"] == "1.45Gbps"

    # Deleting a VIF gives its place back.
    client.delete_virtual_interface(virtualInterfaceId=plain["virtualInterfaceId"])
    assert status(client, conn_id)["inUse"] == 9


def test_hosted_connections_take_no_rate_limiter(dx):
    customer = dx.client(account=CUSTOMER)
    hosted = hosted_connection(dx, "500Mbps", vlan=300)
    with pytest.raises(
        customer.exceptions.DirectConnectClientException, match="dedicated connections"
    ):
        make_private_vif(customer, hosted["connectionId"], vlan=300, rateLimit="100Mbps")
    assert vif_count(customer, hosted["connectionId"]) == 0


def test_joining_a_lag_counts_the_limiters_that_move_with_the_connection(dx):
    client = dx.client()
    first = make_connection(dx, client, name="first")["connectionId"]
    second = make_connection(dx, client, name="second")["connectionId"]
    for vlan in range(200, 206):
        make_private_vif(client, first, vlan=vlan, rateLimit="1Gbps")
    for vlan in range(300, 305):
        make_private_vif(client, second, vlan=vlan, rateLimit="1Gbps")
    lag = client.create_lag(
        numberOfConnections=1,
        location="EqDC2",
        connectionsBandwidth="10Gbps",
        lagName="lag",
        connectionId=first,
    )
    got = client.describe_lags(lagId=lag["lagId"])["lags"][0]
    assert got["rateLimiterStatus"]["inUse"] == 6
    with pytest.raises(client.exceptions.LimitExceededException):
        client.associate_connection_with_lag(connectionId=second, lagId=lag["lagId"])
    assert vif_count(client, second) == 5  # nothing moved
    # One limiter less, and the connection joins with its VIFs.
    one = client.describe_virtual_interfaces(connectionId=second)["virtualInterfaces"][0]
    client.update_virtual_interface_attributes(
        virtualInterfaceId=one["virtualInterfaceId"], rateLimit=""
    )
    client.associate_connection_with_lag(connectionId=second, lagId=lag["lagId"])
    got = client.describe_lags(lagId=lag["lagId"])["lags"][0]
    assert got["rateLimiterStatus"] == {
        "maxAllowed": 10,
        "inUse": 10,
        "remaining": 0,
        "totalBandwidth": "10Gbps",
    }
    assert status(client, second)["inUse"] == 0


def test_new_dedicated_connections_and_lags_show_room_for_ten(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
    lag = client.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName="l"
    )
    empty = {"maxAllowed": 10, "inUse": 0, "remaining": 10, "totalBandwidth": "0Mbps"}
    assert conn["rateLimiterStatus"] == empty
    assert lag["rateLimiterStatus"] == empty
    assert lag["connections"][0]["rateLimiterStatus"] == empty


def test_a_partner_lag_counts_its_ports_not_its_hosted_connections(dx):
    partner = dx.client(account=PARTNER)
    partner.create_interconnect(
        interconnectName="ic", bandwidth="1Gbps", location="EqDC2"
    )  # a partner
    lag = partner.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName="l"
    )
    dx.wait(
        lambda: partner.describe_lags(lagId=lag["lagId"])["lags"][0],
        lambda g: g["lagState"] == "available",
    )
    for vlan in range(10, 14):
        partner.allocate_hosted_connection(
            connectionId=lag["lagId"],
            ownerAccount=CUSTOMER,
            bandwidth="50Mbps",
            connectionName="h",
            vlan=vlan,
        )
    with pytest.raises(
        partner.exceptions.DirectConnectClientException, match="exceeds the bandwidth"
    ):
        make_private_vif(partner, lag["lagId"], vlan=100, rateLimit="2Gbps")


def test_a_rate_limited_vif_cannot_move_onto_a_hosted_connection(dx):
    customer = dx.client(account=CUSTOMER)
    hosted = hosted_connection(dx, "1Gbps", vlan=300)
    own = make_connection(dx, customer, bandwidth="1Gbps")["connectionId"]
    vif = make_private_vif(customer, own, vlan=300, rateLimit="500Mbps")
    with pytest.raises(customer.exceptions.DirectConnectClientException, match="hosted connection"):
        customer.associate_virtual_interface(
            virtualInterfaceId=vif["virtualInterfaceId"], connectionId=hosted["connectionId"]
        )
    assert status(customer, own)["inUse"] == 1
