"""TagResource, UntagResource, DescribeTags on every taggable ARN (docs/behavior.md#ids)."""

from __future__ import annotations

import pytest

from functional.helpers import client_error

ACCOUNT = "123456789012"
OTHER = "111122223333"


def arn(kind: str, rid: str, account: str = ACCOUNT, region: str = "us-east-1") -> str:
    return f"arn:aws:directconnect:{region}:{account}:{kind}/{rid}"


def tags_of(client, resource_arn):
    (entry,) = client.describe_tags(resourceArns=[resource_arn])["resourceTags"]
    assert entry["resourceArn"] == resource_arn
    return {t["key"]: t.get("value", "") for t in entry.get("tags", [])}


def taggable(client):
    """One resource of each taggable kind, with its ARN."""
    conn = client.create_connection(
        location="EqDC2",
        bandwidth="10Gbps",
        connectionName="c",
        tags=[{"key": "born", "value": "create"}],
    )
    lag = client.create_lag(
        numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="l"
    )
    ic = client.create_interconnect(interconnectName="i", bandwidth="10Gbps", location="EqDC2")
    vif = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "v",
            "vlan": 10,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    gw = client.create_direct_connect_gateway(directConnectGatewayName="g")["directConnectGateway"]
    return {
        "connection": arn("dxcon", conn["connectionId"]),
        "lag": arn("dxlag", lag["lagId"]),
        "interconnect": arn("dxcon", ic["interconnectId"]),
        "vif": arn("dxvif", vif["virtualInterfaceId"]),
        "gateway": f"arn:aws:directconnect::{ACCOUNT}:dx-gateway/{gw['directConnectGatewayId']}",
    }


def test_tag_untag_describe_every_kind(dx):
    client = dx.client()
    arns = taggable(client)
    assert tags_of(client, arns["connection"]) == {"born": "create"}
    for resource_arn in arns.values():
        client.tag_resource(
            resourceArn=resource_arn, tags=[{"key": "env", "value": "dev"}, {"key": "empty"}]
        )
        client.tag_resource(
            resourceArn=resource_arn, tags=[{"key": "env", "value": "prod"}]
        )  # overwrite
        tags = tags_of(client, resource_arn)
        assert tags["env"] == "prod" and tags["empty"] == ""
        client.untag_resource(resourceArn=resource_arn, tagKeys=["empty", "never-there"])
        assert "empty" not in tags_of(client, resource_arn)
    described = client.describe_tags(resourceArns=list(arns.values()))["resourceTags"]
    assert [d["resourceArn"] for d in described] == list(arns.values())
    # Tags show on the resources themselves.
    lag_id = arns["lag"].rsplit("/", 1)[1]
    assert {"key": "env", "value": "prod"} in client.describe_lags(lagId=lag_id)["lags"][0]["tags"]
    client.untag_resource(resourceArn=arns["lag"], tagKeys=["env"])
    assert (
        "tags" not in client.describe_lags(lagId=lag_id)["lags"][0]
    )  # an empty TagList is left out
    assert tags_of(client, arns["lag"]) == {}


def test_tag_limits_and_duplicates(dx):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="c")
    resource_arn = arn("dxcon", conn["connectionId"])
    with pytest.raises(client.exceptions.DuplicateTagKeysException):
        client.tag_resource(
            resourceArn=resource_arn, tags=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]
        )
    client.tag_resource(
        resourceArn=resource_arn, tags=[{"key": f"k{n}", "value": "v"} for n in range(50)]
    )
    with pytest.raises(client.exceptions.TooManyTagsException):
        client.tag_resource(resourceArn=resource_arn, tags=[{"key": "one-more", "value": "v"}])
    client.tag_resource(
        resourceArn=resource_arn, tags=[{"key": "k0", "value": "overwrite is fine"}]
    )
    assert len(tags_of(client, resource_arn)) == 50
    with pytest.raises(client.exceptions.TooManyTagsException):
        client.create_connection(
            location="EqDC2",
            bandwidth="10Gbps",
            connectionName="x",
            tags=[{"key": f"k{n}"} for n in range(51)],
        )
    with pytest.raises(client.exceptions.DuplicateTagKeysException):
        client.create_lag(
            numberOfConnections=1,
            location="EqDC2",
            connectionsBandwidth="10Gbps",
            lagName="d",
            tags=[{"key": "a"}, {"key": "a"}],
        )
    assert "reserved" in client_error(
        client, client.tag_resource, resourceArn=resource_arn, tags=[{"key": "aws:x"}]
    )


def test_bad_and_foreign_arns(dx):
    client = dx.client()
    other = dx.client(account=OTHER)
    theirs = other.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="theirs")
    their_arn = arn("dxcon", theirs["connectionId"], account=OTHER)
    for bad in ["not-an-arn", arn("dxfoo", "x"), "arn:aws:directconnect:us-east-1::dx-gateway/abc"]:
        assert "Invalid ARN" in client_error(client, client.describe_tags, resourceArns=[bad])
    assert "does not exist" in client_error(
        client, client.describe_tags, resourceArns=[arn("dxcon", "dxcon-fzzzzzzz")]
    )
    # Another account's resource, by its real ARN or with our account put in.
    client_error(client, client.describe_tags, resourceArns=[their_arn])
    client_error(client, client.tag_resource, resourceArn=their_arn, tags=[{"key": "k"}])
    client_error(client, client.untag_resource, resourceArn=their_arn, tagKeys=["k"])
    client_error(client, client.describe_tags, resourceArns=[arn("dxcon", theirs["connectionId"])])
    # The wrong Region.
    mine = client.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="mine")
    client_error(
        client,
        client.describe_tags,
        resourceArns=[arn("dxcon", mine["connectionId"], region="us-west-2")],
    )
    assert (
        other.describe_tags(resourceArns=[their_arn])["resourceTags"][0]["resourceArn"] == their_arn
    )


def test_hosted_connection_tags_for_both_parties(dx):
    partner = dx.client(account=OTHER)
    customer = dx.client()
    ic = partner.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")
    hosted = partner.allocate_hosted_connection(
        connectionId=ic["interconnectId"],
        ownerAccount=ACCOUNT,
        bandwidth="1Gbps",
        connectionName="h",
        vlan=5,
        tags=[{"key": "by", "value": "partner"}],
    )
    assert tags_of(customer, arn("dxcon", hosted["connectionId"])) == {"by": "partner"}
    assert tags_of(partner, arn("dxcon", hosted["connectionId"], account=OTHER)) == {
        "by": "partner"
    }
