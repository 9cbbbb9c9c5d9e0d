"""The model-driven codec, without a server."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.model import ShapeResolver

from dxlocal import spec
from dxlocal.core.errors import ClientError, SerializationException
from dxlocal.protocol import awsjson, shapes


def parse(op: str, body: bytes):
    return awsjson.parse_input(spec.operation(op).input_shape, awsjson.parse_body(body))


def test_model_is_pinned():
    assert spec.BOTOCORE_VERSION == "1.44.8"
    assert len(spec.operation_names()) == 73


def test_empty_body_is_empty_input():
    assert parse("DescribeLocations", b"") == {}
    assert parse("DescribeConnections", b"  ") == {}


def test_nested_structures_and_lists_are_checked():
    body = json.dumps(
        {
            "connectionId": "dxcon-f1234567",
            "newPrivateVirtualInterface": {
                "virtualInterfaceName": "v",
                "vlan": 5,
                "tags": [{"key": "a", "value": "b"}],
                "unknown": 1,
            },
        }
    ).encode()
    out = parse("CreatePrivateVirtualInterface", body)
    assert out["newPrivateVirtualInterface"]["tags"] == [{"key": "a", "value": "b"}]
    assert "unknown" not in out["newPrivateVirtualInterface"]
    with pytest.raises(SerializationException, match="newPrivateVirtualInterface.vlan"):
        parse("CreatePrivateVirtualInterface", body.replace(b'"vlan": 5', b'"vlan": "5"'))
    with pytest.raises(SerializationException):
        parse(
            "CreatePrivateVirtualInterface",
            body.replace(b'"tags": [', b'"tags": {"x": [').replace(b"}], ", b"}]}, "),
        )


def test_booleans_are_not_integers_and_nulls_are_absent():
    with pytest.raises(SerializationException):
        parse(
            "CreatePrivateVirtualInterface",
            b'{"connectionId": "x", "newPrivateVirtualInterface": {"virtualInterfaceName": "v", "vlan": true}}',
        )
    assert parse("DescribeConnections", b'{"connectionId": null}') == {}


def test_required_members_are_client_errors():
    with pytest.raises(ClientError, match="connectionName"):
        parse("CreateConnection", b'{"location": "EqDC2", "bandwidth": "1Gbps"}')


def test_serializer_keeps_modelled_members_only():
    shape = spec.operation("DescribeLoa").output_shape
    out = json.loads(
        awsjson.serialize(
            shape, {"loaContent": b"%PDF-1.4", "loaContentType": "application/pdf", "_secret": 1}
        )
    )
    assert out == {
        "loaContent": base64.b64encode(b"%PDF-1.4").decode(),
        "loaContentType": "application/pdf",
    }
    conn = json.loads(
        awsjson.serialize(
            spec.operation("CreateConnection").output_shape,
            {"connectionId": "dxcon-f1234567", "tags": [], "loaIssueTime": 12.5, "_x": 1},
        )
    )
    assert conn == {"connectionId": "dxcon-f1234567", "loaIssueTime": 12.5}


def test_serializer_writes_the_models_order_without_nulls():
    shape = spec.operation("DescribeConnections").output_shape
    record = {
        "macSecKeys": [],  # no minimum length: kept when empty
        "tags": [{"key": "k", "value": "v", "_x": 1}],
        "vlan": None,
        "connectionId": "dxcon-f1234567",
        "rateLimiterStatus": {"inUse": 0, "maxAllowed": 10},
    }
    text = awsjson.serialize(shape, {"connections": [record], "nextToken": None})
    assert json.loads(text) == {
        "connections": [
            {
                "connectionId": "dxcon-f1234567",
                "tags": [{"key": "k", "value": "v"}],
                "macSecKeys": [],
                "rateLimiterStatus": {"maxAllowed": 10, "inUse": 0},
            }
        ]
    }
    assert text.index(b"connectionId") < text.index(b"tags") < text.index(b"macSecKeys")
    assert text.index(b"maxAllowed") < text.index(b"inUse")


def test_serializer_walks_a_structure_that_contains_itself():
    # No Direct Connect shape does, but a model may (a tree): the compiled walks must end.
    resolver = ShapeResolver(
        {
            "Node": {
                "type": "structure",
                "members": {
                    "name": {"shape": "Name"},
                    "parent": {"shape": "Node"},
                    "children": {"shape": "Nodes"},
                },
            },
            "Nodes": {"type": "list", "member": {"shape": "Node"}},
            "Name": {"type": "string"},
        }
    )
    node = resolver.get_shape_by_name("Node")
    tree = {
        "name": "a",
        "_x": 1,
        "parent": {"name": "p"},
        "children": [{"name": "c", "children": []}],
    }
    for binary in (False, True):
        assert shapes.shape_output(node, tree, binary=binary) == {
            "name": "a",
            "parent": {"name": "p"},
            "children": [{"name": "c", "children": []}],
        }


def test_a_structure_that_fails_to_compile_fails_each_time_alike():
    resolver = ShapeResolver(
        {
            "Odd": {"type": "structure", "members": {"x": {"shape": "Weird"}}},
            "Weird": {"type": "string"},
        }
    )
    odd = resolver.get_shape_by_name("Odd")
    odd.members["x"].type_name = "weird"  # a type no walker knows
    walker = shapes.OutputWalker()
    for _ in range(2):
        with pytest.raises(AttributeError):
            walker.walk(odd, {"x": 1})


def test_error_body():
    assert json.loads(awsjson.error_body(ClientError("nope"))) == {
        "__type": "DirectConnectClientException",
        "message": "nope",
    }
