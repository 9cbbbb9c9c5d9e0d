"""awsJson1_1 for Direct Connect: requests in, results and errors out.

    POST /  X-Amz-Target: OvertureService.<Operation>   Content-Type: application/x-amz-json-1.1
      body ──parse_body──▶ JSON object ──shapes.parse_input──▶ checked input members
      result dict ──serialize──▶ only the output shape's members, epoch-second timestamps,
                                 base64 blobs
      ApiError ──error_body──▶ {"__type": code, "message": text}

An empty body means ``{}`` (SDKs send ``{}`` for operations without input; raw callers may
send nothing). Shape walking is shared with the CBOR protocol (``shapes.py``).
"""

from __future__ import annotations

from typing import Any

import orjson
from botocore.model import OperationModel, StructureShape

from dxlocal.core.errors import ApiError, SerializationException
from dxlocal.protocol.shapes import parse_input, shape_output

CONTENT_TYPE = "application/x-amz-json-1.1"
__all__ = ["CONTENT_TYPE", "AwsJson", "error_body", "parse_body", "parse_input", "serialize"]


def parse_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = orjson.loads(body)
    except ValueError as exc:  # orjson.JSONDecodeError, invalid UTF-8 included
        if not body.strip():  # only white space: no input
            return {}
        raise SerializationException(f"Malformed JSON in request body: {exc}") from None
    if not isinstance(value, dict):
        raise SerializationException("The request body must be a JSON object.")
    return value


def serialize(shape: StructureShape | None, result: dict[str, Any] | None) -> bytes:
    return orjson.dumps(shape_output(shape, result))


def error_body(error: ApiError) -> bytes:
    return orjson.dumps({"__type": error.code, "message": error.message})


class AwsJson:
    """The awsJson wire of one service: 1.1 (Direct Connect, Health) or 1.0 (CloudWatch)."""

    def __init__(self, version: str = "1.1") -> None:
        self.content_type = f"application/x-amz-json-{version}"

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("content-type", self.content_type), ("x-amzn-requestid", request_id)]

    def parse(self, op: OperationModel, body: bytes) -> dict[str, Any]:
        return parse_input(op.input_shape, parse_body(body))

    def serialize(
        self, op: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> bytes:
        return serialize(op.output_shape, result)

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return error_body(exc)
