"""In-process mode: Direct Connect calls never leave the process.

``mock_directconnect`` (decorator or context manager) starts a ``Service`` with a fresh
in-memory store and answers every botocore request for the ``directconnect`` service from
it, through a ``before-send`` hook: the same request path as the server, no port. Clients
created before or inside the block are both covered, whatever their ``endpoint_url``.

STS is answered too (GetCallerIdentity: which account a key acts as), as ``dxlocal serve``
answers it on its port, unless moto's ``mock_aws`` is active: then moto keeps STS
(mock/moto.py).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from dxlocal.config import Settings, from_env
from dxlocal.mock import moto
from dxlocal.server.service import Service

F = TypeVar("F", bound=Callable[..., Any])
_ACTIVE: list[mock_directconnect] = []
_EVENT = "before-send.directconnect"
_STS_EVENT = "before-send.sts"
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "dxlocal-testing",
    "AWS_SECRET_ACCESS_KEY": "dxlocal-testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class _Raw:
    """The raw-stream side of a botocore response."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


def _before_send(request: Any, **_: Any) -> AWSResponse | None:
    if not _ACTIVE:
        return None
    moto.pass_directconnect()  # moto's mock_aws, when active, must not answer it too
    return _answer(request)


def _before_send_sts(request: Any, **_: Any) -> AWSResponse | None:
    if not _ACTIVE or moto.active():
        return None
    return _answer(request)


_HOOKS = ((_EVENT, _before_send), (_STS_EVENT, _before_send_sts))


def _answer(request: Any) -> AWSResponse:
    """The active mock's answer to a botocore request, as the server would give it."""
    service = _ACTIVE[-1].service
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = {
        k.lower(): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in request.headers.items()
    }
    path = request.url.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    answer = service.handle(request.method, path, headers, body)
    if not isinstance(answer, tuple):
        answer = asyncio.run(answer)  # a control route that waits
    status, out_headers, payload = answer
    response_headers = HTTPHeaders()
    for key, value in out_headers:
        response_headers[key] = value
    return AWSResponse(request.url, status, response_headers, _Raw(payload))


# New botocore sessions register the hooks (inert while no mock is active).
for _hook in _HOOKS:
    if _hook not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(_hook)


class mock_directconnect:  # noqa: N801 - named like moto's mock_aws, as users expect
    """Route Direct Connect calls to an in-process dxlocal.

    >>> with mock_directconnect() as dx:
    ...     client = boto3.client("directconnect", region_name="us-east-1")
    ...     client.describe_locations()
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or from_env()
        # In-process calls never leave the process: no signature to check (docs/security.md).
        self.settings = base.with_(state=":memory:", **{"auth": "none", **overrides})
        self.service: Service | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def control(self) -> Any:
        assert self.service is not None, "the mock is not started"
        return self.service.control

    def start(self) -> mock_directconnect:
        self.service = Service(self.settings)
        for key, value in _FAKE_CREDENTIALS.items():
            if key not in os.environ:
                self._saved_env[key] = None
                os.environ[key] = value
        _register_on_existing_sessions()
        _ACTIVE.append(self)
        return self

    def stop(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if not _ACTIVE:
            moto.release()
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
        self._saved_env.clear()
        _forget_default_session()  # it may hold the fake credentials set above
        if self.service is not None:
            self.service.close()
            self.service = None

    def __enter__(self) -> mock_directconnect:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with mock_directconnect(self.settings):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mock_directconnect(self.settings):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _register_on_existing_sessions() -> None:
    """boto3's default session may predate this module; give it the hooks too."""
    try:
        import boto3
    except ImportError:
        return
    session = getattr(boto3, "DEFAULT_SESSION", None)
    if session is not None:
        for event, hook in _HOOKS:
            session._session.unregister(event, hook)
            session._session.register(event, hook)


def _forget_default_session() -> None:
    """boto3's default session keeps the credentials it first resolved; after the mock, the
    next ``boto3.client`` must resolve them again (the mock's fake ones are gone)."""
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None
