"""What the front door needs of a wire protocol, whichever service it carries.

    parse(op, body)                  request body -> the input shape's members, checked
    serialize(op, result, request_id) result dict -> response body
    error(exc, request_id)           ApiError -> an error body the service's clients read
    headers(request_id)              content type, request id, protocol headers

Implemented by ``awsjson.AwsJson`` (1.0 and 1.1), ``rpcv2cbor.RpcV2Cbor`` and
``awsquery.AwsQuery``; ``unserved.py`` adds error-only forms for services dxlocal does not
serve.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.model import OperationModel

from dxlocal.core.errors import ApiError

Headers = list[tuple[str, str]]


class Wire(Protocol):
    content_type: str

    def headers(self, request_id: str) -> Headers: ...

    def parse(self, op: OperationModel, body: bytes) -> dict[str, Any]: ...

    def serialize(
        self, op: OperationModel, result: dict[str, Any] | None, request_id: str
    ) -> bytes: ...

    def error(self, exc: ApiError, request_id: str) -> bytes: ...
