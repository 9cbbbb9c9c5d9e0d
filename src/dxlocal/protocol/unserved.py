"""Error-only wires for requests to AWS services that dxlocal does not serve.

A client reads errors only in its own service's protocol, so the "not served here" answer
takes that protocol's form (awsJson, RPC v2 CBOR and awsQuery reuse their own wires):

    restJson1  {"__type": code, "message": text} + ``x-amzn-ErrorType`` header
    restXml    <Error><Code/><Message/><RequestId/></Error>   (S3's form; botocore's
               REST-XML parser reads it for every restXml service)
    ec2        <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import orjson
from botocore.model import OperationModel

from dxlocal.core.errors import ApiError


class _ErrorOnly:
    content_type = "application/json"

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("content-type", self.content_type), ("x-amzn-requestid", request_id)]

    def parse(self, op: OperationModel, body: bytes) -> dict[str, Any]:
        raise NotImplementedError("an unserved service has no operations")

    def serialize(
        self, op: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> bytes:
        raise NotImplementedError("an unserved service has no operations")

    def error(self, exc: ApiError, request_id: str) -> bytes:
        raise NotImplementedError


class RestJson(_ErrorOnly):
    def __init__(self, code: str) -> None:
        self.code = code

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [*super().headers(request_id), ("x-amzn-errortype", self.code)]

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return orjson.dumps({"__type": exc.code, "message": exc.message})


class RestXml(_ErrorOnly):
    content_type = "application/xml"

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return (
            f"<Error><Code>{escape(exc.code)}</Code><Message>{escape(exc.message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()


class Ec2(_ErrorOnly):
    content_type = "text/xml"

    def error(self, exc: ApiError, request_id: str) -> bytes:
        return (
            f"<Response><Errors><Error><Code>{escape(exc.code)}</Code>"
            f"<Message>{escape(exc.message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
