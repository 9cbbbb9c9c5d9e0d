"""awsQuery: form-encoded requests in, XML answers out (STS; CloudWatch also lists it).

    POST /  Content-Type: application/x-www-form-urlencoded
      Action=AssumeRole&Version=2011-06-15&RoleArn=…&Tags.member.1.Key=k&Tags.member.1.Value=v
        ──parse──▶ dotted keys into a tree ──▶ the input shape's members, typed by the shape
                   ──shapes.parse_input──▶ required members and number ranges checked
      result ──serialize──▶ <OpResponse xmlns=…><OpResult>…</OpResult>
                              <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
      ApiError ──error──▶ <ErrorResponse><Error><Type>Sender</Type><Code>…</Code>
                              <Message>…</Message></Error><RequestId>…</RequestId>

Key forms follow the AWS query protocol: ``Name.member.N`` for lists (``Name.N`` when
flattened, ``Name=`` for an empty list), ``Name.entry.N.key``/``.value`` for maps, ``A.B``
for nested structures, N from 1.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel, Shape

from dxlocal.core.errors import ApiError, ClientError, SerializationException
from dxlocal.protocol import xmlshapes
from dxlocal.protocol.shapes import parse_input

CONTENT_TYPE = "text/xml"
FORM = "application/x-www-form-urlencoded"


def form(body: bytes) -> dict[str, str]:
    """The form's fields (a repeated key keeps its last value)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationException("The request body is not UTF-8.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def parse_form(shape: Any, fields: dict[str, str]) -> dict[str, Any]:
    if shape is None:
        return {}
    tree: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("Action", "Version"):
            continue
        node = tree
        *parents, last = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # "A=1&A.B=2": the scalar gives way
                child = node[part] = {}
            node = child
        if not isinstance(node.get(last), dict):
            node[last] = value
    return parse_input(shape, _structure(shape, tree, ""))


def _value(shape: Shape, node: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, node, path)
    if kind == "list":
        return _list(shape, node, path)
    if kind == "map":
        return _map(shape, node, path)
    if isinstance(node, dict):
        raise SerializationException(f"Expected a {kind} for {path}.")
    return _scalar(kind, node, path)


def _structure(shape: Any, node: Any, path: str) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise SerializationException(f"Expected a structure for {path}.")
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = member.serialization.get("name", name)
        if key in node:
            out[name] = _value(member, node[key], f"{path}.{key}" if path else key)
    return out


def _indexed(node: Any, path: str) -> list[Any]:
    """``{"1": a, "2": b}`` -> ``[a, b]``; an empty string is an empty list."""
    if node == "":
        return []
    if not isinstance(node, dict) or not all(k.isdigit() for k in node):
        raise SerializationException(f"Expected numbered entries for {path}.")
    return [node[k] for k in sorted(node, key=int)]


def _list(shape: Any, node: Any, path: str) -> list[Any]:
    if node != "" and not shape.serialization.get("flattened"):
        name = shape.member.serialization.get("name", "member")
        if not isinstance(node, dict) or set(node) != {name}:
            raise SerializationException(f"Expected {path}.{name}.N for a list.")
        node = node[name]
    return [_value(shape.member, item, path) for item in _indexed(node, path)]


def _map(shape: Any, node: Any, path: str) -> dict[str, Any]:
    if node != "" and not shape.serialization.get("flattened"):
        if not isinstance(node, dict) or set(node) != {"entry"}:
            raise SerializationException(f"Expected {path}.entry.N for a map.")
        node = node["entry"]
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out: dict[str, Any] = {}
    for entry in _indexed(node, path):
        if not isinstance(entry, dict) or key_name not in entry:
            raise SerializationException(f"Each entry of {path} needs a {key_name}.")
        out[_value(shape.key, entry[key_name], path)] = _value(
            shape.value, entry.get(value_name, ""), path
        )
    return out


def _scalar(kind: str, text: str, path: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("double", "float"):
            return float(text)
    except ValueError:
        raise SerializationException(f"Value '{text}' at '{path}' is not a number.") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise SerializationException(f"Value '{text}' at '{path}' is not a boolean.")
        return text == "true"
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException(f"Value at '{path}' is not valid base64.") from None
    return text  # strings, and timestamps (ISO 8601 text, read by shapes.parse_input)


class InvalidInput(ApiError):
    """Input the model refuses, under the code the service's query API uses for it."""


class AwsQuery:
    """The awsQuery wire of one service: its XML namespace, and the error code its API gives
    for input that fails the model's constraints (STS: ``ValidationError``)."""

    content_type = CONTENT_TYPE

    def __init__(self, xmlns: str, invalid_input: str = "ValidationError") -> None:
        self.xmlns = xmlns
        self.invalid_input = invalid_input

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("content-type", CONTENT_TYPE), ("x-amzn-requestid", request_id)]

    def parse(self, op: OperationModel, body: bytes) -> dict[str, Any]:
        try:
            return parse_form(op.input_shape, form(body))
        except (ClientError, SerializationException) as exc:
            error = InvalidInput(exc.message)
            error.code = self.invalid_input
            raise error from None

    def serialize(
        self, op: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> bytes:
        return xmlshapes.response(op, result or {}, request_id, self.xmlns)

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return xmlshapes.error_response(exc, request_id, self.xmlns)
