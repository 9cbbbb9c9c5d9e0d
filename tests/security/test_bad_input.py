"""Hostile inputs that used to reach the store or raise: each is a 4xx and changes
nothing."""

from __future__ import annotations

import base64
import json

import pytest

from dxlocal import spec
from dxtest import call


def control(service, method: str, path: str, body) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    status, _, payload = service.handle(method, "/_dxlocal" + path, headers, raw)
    return status, json.loads(payload)


def snapshot(service) -> list:
    with service.store.transaction() as tx:
        kinds = ("connection", "virtualInterface", "virtualGateway", "transitGateway")
        return [sorted(json.dumps(r, sort_keys=True) for r in tx.list(k)) for k in kinds]


PAGINATED = sorted(
    name
    for name in spec.operation_names()
    if spec.operation(name).input_shape is not None
    and "nextToken" in spec.operation(name).input_shape.members
)


def test_every_paginated_operation_is_covered():
    assert len(PAGINATED) >= 7


@pytest.mark.parametrize("op", PAGINATED)
def test_a_deeply_nested_next_token_is_a_client_error(service, op):
    token = base64.b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    shape = spec.operation(op).input_shape
    body: dict = {"nextToken": token, "maxResults": 1}
    if "maxResults" not in shape.members:
        body.pop("maxResults")
    for name in shape.required_members:
        member = shape.members[name]
        body.setdefault(name, "dxvif-fzzzzzzz" if member.type_name == "string" else 1)
    status, payload = call(service, op, body)
    assert 400 <= status < 500, payload
    assert payload["__type"] in ("DirectConnectClientException", "SerializationException")


def _vif(service) -> tuple[str, str]:
    status, conn = call(
        service,
        "CreateConnection",
        {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "c"},
    )
    assert status == 200
    status, vif = call(
        service,
        "CreatePrivateVirtualInterface",
        {
            "connectionId": conn["connectionId"],
            "newPrivateVirtualInterface": {
                "virtualInterfaceName": "v",
                "vlan": 101,
                "asn": 65000,
                "virtualGatewayId": "vgw-0a1b2c3d",
            },
        },
    )
    assert status == 200, vif
    return vif["virtualInterfaceId"], vif["bgpPeers"][0]["bgpPeerId"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        # A dict or list where an id belongs.
        ("POST", "/bgp-peers/{peer}", {"bgpStatus": "down", "virtualInterfaceId": {"a": 1}}),
        ("POST", "/bgp-peers/{peer}", {"bgpStatus": "down", "virtualInterfaceId": [1]}),
        (
            "POST",
            "/bgp-peers/{peer}/routes",
            {"prefixes": ["10.9.0.0/16"], "virtualInterfaceId": {}},
        ),
        (
            "POST",
            "/bgp-peers/{peer}/routes",
            {"prefixes": ["10.9.0.0/16"], "virtualInterfaceId": [[]]},
        ),
        ("POST", "/virtual-gateways", {"virtualGatewayId": {"x": 1}}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": ["vgw-0a1b2c3d"]}),
        # Members of the wrong type.
        ("POST", "/bgp-peers/{peer}/routes", {"prefixes": [{"cidr": 5}]}),
        (
            "POST",
            "/bgp-peers/{peer}/routes",
            {"prefixes": [{"cidr": "10.8.0.0/16", "asPath": [-1]}]},
        ),
        (
            "POST",
            "/bgp-peers/{peer}/routes",
            {"prefixes": [{"cidr": "10.8.0.0/16", "asPath": ["x"]}]},
        ),
        (
            "POST",
            "/bgp-peers/{peer}/routes",
            {"prefixes": [{"cidr": "10.8.0.0/16", "communities": [{"a": 1}]}]},
        ),
        ("POST", "/bgp-peers/{peer}/routes", {"prefixes": "10.8.0.0/16"}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-0a1b2c3e", "account": 5}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-0a1b2c3e", "account": "x"}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-0a1b2c3e", "region": ["us"]}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-0a1b2c3e", "vpcCidrs": [5]}),
        ("POST", "/virtual-gateways", {"virtualGatewayId": "vgw-0a1b2c3e", "state": {"s": 1}}),
        ("POST", "/transit-gateways", {"transitGatewayId": "tgw-0a1b2c3e", "amazonSideAsn": "1"}),
        ("POST", "/advance", {"seconds": [1]}),
        ("POST", "/advance", {"seconds": True}),
    ],
)
def test_control_routes_refuse_wrong_types_and_store_nothing(service, method, path, body):
    vif_id, peer_id = _vif(service)
    before = snapshot(service)
    status, payload = control(service, method, path.format(peer=peer_id), body)
    assert 400 <= status < 500, payload
    assert payload["message"]
    assert snapshot(service) == before
    status, listing = call(service, "DescribeVirtualInterfaces", {})
    assert status == 200 and listing["virtualInterfaces"][0]["virtualInterfaceId"] == vif_id
