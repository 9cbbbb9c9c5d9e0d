"""Resiliency groups: create/get/list/update/delete and connection associations."""

from __future__ import annotations

import pytest

from functional.helpers import client_error

ACCOUNT = "123456789012"
OTHER = "111122223333"


def group_of(client, group_id):
    return client.get_resiliency_group(resiliencyGroupId=group_id)["resiliencyGroup"]


def associations(client, group_id):
    return {
        a["connectionArn"].rsplit("/", 1)[1]: a["state"]
        for a in client.list_resiliency_group_associations(resiliencyGroupId=group_id)["items"]
    }


def test_group_lifecycle(dx):
    client = dx.client()
    made = client.create_resiliency_group(
        resiliencyGroupName="rg-1",
        intendedResiliencyModel="high-resiliency",
        tags=[{"key": "k", "value": "v"}],
    )["resiliencyGroup"]
    gid = made["resiliencyGroupId"]
    assert gid.startswith("dxrg-") and len(gid) == 22
    assert (
        made["resiliencyGroupArn"] == f"arn:aws:directconnect::{ACCOUNT}:dx-resiliency-group/{gid}"
    )
    assert made["resiliencyGroupType"] == "Managed" and made["state"] == "pending"
    assert made["ownerAccount"] == ACCOUNT and made["tags"] == [{"key": "k", "value": "v"}]
    dx.wait(lambda: group_of(client, gid), lambda g: g["state"] == "available")
    assert (
        client.update_resiliency_group(resiliencyGroupId=gid, resiliencyGroupName="rg-renamed")[
            "resiliencyGroup"
        ]["resiliencyGroupName"]
        == "rg-renamed"
    )
    listed = client.list_resiliency_groups()["items"]
    assert [(g["resiliencyGroupId"], g["resiliencyGroupName"]) for g in listed] == [
        (gid, "rg-renamed")
    ]
    # Tags through the ARN, too.
    client.tag_resource(
        resourceArn=made["resiliencyGroupArn"], tags=[{"key": "more", "value": "x"}]
    )
    assert len(group_of(client, gid)["tags"]) == 2
    deleting = client.delete_resiliency_group(resiliencyGroupId=gid)["resiliencyGroup"]
    assert deleting["state"] == "deleting"
    dx.wait(lambda: group_of(client, gid), lambda g: g["state"] == "deleted")
    client_error(
        client, client.update_resiliency_group, resiliencyGroupId=gid, resiliencyGroupName="late"
    )
    client_error(client, client.delete_resiliency_group, resiliencyGroupId=gid)


def test_group_validation_idempotency_and_quota(dx):
    client = dx.client()
    client_error(
        client,
        client.create_resiliency_group,
        resiliencyGroupName="bad name",
        intendedResiliencyModel="high-resiliency",
    )
    client_error(
        client,
        client.create_resiliency_group,
        resiliencyGroupName="x",
        intendedResiliencyModel="extreme",
    )
    one = client.create_resiliency_group(
        resiliencyGroupName="a", intendedResiliencyModel="basic-resiliency", clientToken="t1"
    )
    again = client.create_resiliency_group(
        resiliencyGroupName="a", intendedResiliencyModel="basic-resiliency", clientToken="t1"
    )
    assert (
        one["resiliencyGroup"]["resiliencyGroupId"] == again["resiliencyGroup"]["resiliencyGroupId"]
    )
    client_error(
        client,
        client.create_resiliency_group,
        resiliencyGroupName="b",
        intendedResiliencyModel="basic-resiliency",
        clientToken="t1",
    )
    for n in range(9):
        client.create_resiliency_group(
            resiliencyGroupName=f"g{n}", intendedResiliencyModel="basic-resiliency"
        )
    with pytest.raises(client.exceptions.LimitExceededException):
        client.create_resiliency_group(
            resiliencyGroupName="eleventh", intendedResiliencyModel="basic-resiliency"
        )
    page = client.list_resiliency_groups(maxResults=4)
    assert len(page["items"]) == 4 and page["nextToken"]
    msg = client_error(
        client, client.get_resiliency_group, resiliencyGroupId="dxrg-0123456789abcdefg"
    )
    assert "does not exist" in msg
    assert "invalid format" in client_error(
        client, client.get_resiliency_group, resiliencyGroupId="dxrg-0123456789abcdefX!"
    )
    # Another account sees none of them.
    other = dx.client(account=OTHER)
    assert other.list_resiliency_groups()["items"] == []
    client_error(
        other,
        other.get_resiliency_group,
        resiliencyGroupId=one["resiliencyGroup"]["resiliencyGroupId"],
    )


def test_associations_are_atomic(dx):
    client = dx.client()
    gid = client.create_resiliency_group(
        resiliencyGroupName="rg", intendedResiliencyModel="maximum-resiliency"
    )["resiliencyGroup"]["resiliencyGroupId"]
    a = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="a")[
        "connectionId"
    ]
    b = client.create_connection(location="CSVA1", bandwidth="10Gbps", connectionName="b")[
        "connectionId"
    ]
    b_arn = f"arn:aws:directconnect:us-east-1:{ACCOUNT}:dxcon/{b}"
    # One unknown connection: nothing is associated.
    msg = client_error(
        client,
        client.associate_connections_to_resiliency_group,
        resiliencyGroupId=gid,
        connectionIdentifiers=[a, "dxcon-fzzzzzzz"],
    )
    assert "Could not find Connection" in msg
    assert associations(client, gid) == {}
    out = client.associate_connections_to_resiliency_group(
        resiliencyGroupId=gid, connectionIdentifiers=[a, b_arn]
    )
    assert {x["state"] for x in out["resiliencyGroupAssociations"]} == {"associating"}
    dx.wait(lambda: associations(client, gid), lambda m: m == {a: "associated", b: "associated"})
    # A connection belongs to one group at a time; the whole request fails.
    other_gid = client.create_resiliency_group(
        resiliencyGroupName="rg2", intendedResiliencyModel="basic-resiliency"
    )["resiliencyGroup"]["resiliencyGroupId"]
    c = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="c")[
        "connectionId"
    ]
    msg = client_error(
        client,
        client.associate_connections_to_resiliency_group,
        resiliencyGroupId=other_gid,
        connectionIdentifiers=[c, a],
    )
    assert "already associated" in msg
    assert associations(client, other_gid) == {}
    # Another account's connection cannot be added.
    theirs = dx.client(account=OTHER).create_connection(
        location="EqDC2", bandwidth="10Gbps", connectionName="t"
    )["connectionId"]
    client_error(
        client,
        client.associate_connections_to_resiliency_group,
        resiliencyGroupId=gid,
        connectionIdentifiers=[theirs],
    )
    # The group cannot go while connections are in it.
    assert "disassociate" in client_error(
        client, client.delete_resiliency_group, resiliencyGroupId=gid
    )
    # Disassociation is atomic too.
    msg = client_error(
        client,
        client.disassociate_connections_from_resiliency_group,
        resiliencyGroupId=gid,
        connectionIdentifiers=[a, c],
    )
    assert "not associated" in msg
    assert associations(client, gid) == {a: "associated", b: "associated"}
    out = client.disassociate_connections_from_resiliency_group(
        resiliencyGroupId=gid, connectionIdentifiers=[a]
    )
    assert out["resiliencyGroupAssociations"][0]["state"] == "disassociating"
    dx.wait(lambda: associations(client, gid), lambda m: m == {b: "associated"})
    # Deleting a connection ends its association.
    client.delete_connection(connectionId=b)
    assert associations(client, gid) == {}
    client.delete_resiliency_group(resiliencyGroupId=gid)
