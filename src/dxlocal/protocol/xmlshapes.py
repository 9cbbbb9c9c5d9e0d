"""XML answers driven by the output shape, as the AWS query protocol writes them.

Element names are the members' serialized names; lists are ``<Name><member>…</member>
</Name>`` (repeated ``<Name>`` when flattened), maps ``<entry><key/><value/></entry>``,
timestamps ISO 8601 in UTC, booleans ``true``/``false``, blobs base64. Members the shape
does not know are left out, as in the JSON and CBOR answers.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from botocore.model import OperationModel, Shape

from dxlocal.core.errors import ApiError


def response(op: OperationModel, result: dict[str, Any], request_id: str, xmlns: str) -> bytes:
    name = op.name
    out = [f"<{name}Response xmlns={quoteattr(xmlns)}>"]
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
        out.append(f"<{wrapper}>")
        _members(shape, result, out)
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    out.append(f"</{name}Response>")
    return "".join(out).encode("utf-8")


def error_response(exc: ApiError, request_id: str, xmlns: str = "") -> bytes:
    """``<ErrorResponse>`` with the fault's side: Sender for 4xx, Receiver for 5xx."""
    fault = "Receiver" if exc.status >= 500 else "Sender"
    attr = f" xmlns={quoteattr(xmlns)}" if xmlns else ""
    return (
        f"<ErrorResponse{attr}><Error><Type>{fault}</Type><Code>{escape(exc.code)}</Code>"
        f"<Message>{escape(exc.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def _members(shape: Any, value: dict[str, Any], out: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _element(member.serialization.get("name", name), member, item, out)


def _element(tag: str, shape: Shape, value: Any, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "list":
        member = shape.member  # type: ignore[attr-defined]
        if shape.serialization.get("flattened"):
            for item in value:
                _element(tag, member, item, out)
            return
        inner = member.serialization.get("name", "member")
        out.append(f"<{tag}>")
        for item in value:
            _element(inner, member, item, out)
        out.append(f"</{tag}>")
        return
    out.append(f"<{tag}>")
    if kind == "structure":
        _members(shape, value, out)
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")  # type: ignore[attr-defined]
        value_name = shape.value.serialization.get("name", "value")  # type: ignore[attr-defined]
        for k, v in value.items():
            out.append("<entry>")
            _element(key_name, shape.key, k, out)  # type: ignore[attr-defined]
            _element(value_name, shape.value, v, out)  # type: ignore[attr-defined]
            out.append("</entry>")
    else:
        out.append(escape(_text(kind, value)))
    out.append(f"</{tag}>")


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        if not isinstance(value, dt.datetime):
            value = dt.datetime.fromtimestamp(float(value), dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    return str(value)
