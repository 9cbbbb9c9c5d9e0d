"""Smithy RPC v2 CBOR, the model's other protocol (``protocols: [smithy-rpc-v2-cbor, json]``).

    POST /service/OvertureService/operation/<Operation>
         smithy-protocol: rpc-v2-cbor     Content-Type: application/cbor
      body (CBOR map, or empty) ──shapes.parse_input──▶ the same input members as awsJson
      result ──▶ CBOR map: byte strings for blobs, tag-1 epoch seconds for timestamps
      error  ──▶ CBOR {"__type": code, "message": text}, HTTP 400

Every response carries ``smithy-protocol: rpc-v2-cbor`` (Smithy "RPC v2 CBOR protocol",
"Response headers"). SDKs that prefer this protocol reach the same providers as JSON ones.
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, StructureShape

from dxlocal.core.errors import ApiError, SerializationException
from dxlocal.protocol import cbor
from dxlocal.protocol.shapes import parse_input, shape_output

CONTENT_TYPE = "application/cbor"
PATH_PREFIX = "/service/"
__all__ = ["CONTENT_TYPE", "RpcV2Cbor", "error_body", "parse_body", "parse_input", "serialize"]


def operation_from_path(path: str, target_prefix: str) -> str | None:
    """``/service/OvertureService/operation/CreateBGPPeer`` -> ``CreateBGPPeer``."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if (
        len(parts) == 4
        and parts[0] == "service"
        and parts[1] == target_prefix
        and parts[2] == "operation"
    ):
        return parts[3]
    return None


def parse_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = cbor.loads(body)
    except cbor.CborError as exc:
        raise SerializationException(f"Malformed CBOR in request body: {exc}") from None
    if not isinstance(value, dict):
        raise SerializationException("The request body must be a CBOR map.")
    return value


def serialize(shape: StructureShape | None, result: dict[str, Any] | None) -> bytes:
    return cbor.dumps(shape_output(shape, result, binary=True))


def error_body(error: ApiError) -> bytes:
    return cbor.dumps({"__type": error.code, "message": error.message})


class RpcV2Cbor:
    """The RPC v2 CBOR wire (any service whose model lists ``smithy-rpc-v2-cbor``)."""

    content_type = CONTENT_TYPE

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [
            ("content-type", CONTENT_TYPE),
            ("x-amzn-requestid", request_id),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]

    def parse(self, op: OperationModel, body: bytes) -> dict[str, Any]:
        return parse_input(op.input_shape, parse_body(body))

    def serialize(
        self, op: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> bytes:
        return serialize(op.output_shape, result)

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return error_body(exc)
