"""One log line per API call at INFO, on logger ``dxlocal.api``:

    2026-12-01T17:50:00.123Z INFO  123456789012 us-east-1 CreateConnection dxcon-fg5678ab 200 1.4ms

time, account, region, operation, the resource the call names or creates, HTTP status (and
error code), milliseconds in dxlocal. Nothing is computed unless INFO is enabled for the logger
(``dxlocal serve`` enables it by default; in-process mode leaves logging to the application).
Control API calls are logged at DEBUG. A call the service answered comes with what the
service learnt of it (``Seen``: the caller's account and Region, the operation, the resource
its event names), so nothing is parsed twice; for any other answer the line is read from the
request and the answer.

``dxlocal serve`` (commands/logs.py) names its handler with ``direct``: while that handler is
the only one the line would reach, the line goes straight to it, formatted as its formatter
would, without the standard library's record and handler chain (most of a line's cost).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

import orjson

from dxlocal.core import events, ids
from dxlocal.protocol import cbor, rpcv2cbor

log = logging.getLogger("dxlocal.api")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/")
_FORM = "application/x-www-form-urlencoded"
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)(?:&|$)")


# (account, region, operation, resource) of a call the service answered.
Seen = tuple[str, str, str, str]
_direct: Any = None  # commands/logs.py's BatchingHandler, when it alone writes the lines


def enabled() -> bool:
    return log.isEnabledFor(logging.INFO)


def direct(handler: Any) -> None:
    """Hand API call lines straight to ``handler.call_line(message, fields)`` while it is
    the ``dxlocal`` logger's only handler and nothing else filters or receives them."""
    global _direct
    _direct = handler


def _straight() -> Any:
    handler = _direct
    parent = log.parent
    if (
        handler is None
        or log.handlers
        or log.filters
        or not log.propagate
        or parent is None
        or parent.name != "dxlocal"
        or parent.propagate
        or parent.filters
        or len(parent.handlers) != 1
        or parent.handlers[0] is not handler
        or handler.filters
        or handler.level > logging.INFO
        or log.disabled
    ):
        return None
    return handler


def _decode(body: bytes, path: str) -> Any:
    if not body:
        return None
    try:
        if path.startswith(rpcv2cbor.PATH_PREFIX):
            return cbor.loads(body)
        return orjson.loads(body)
    except Exception:  # a malformed body is logged as such by its status
        return None


@functools.lru_cache(maxsize=1024)
def _caller(authorization: str, default_account: str, default_region: str) -> tuple[str, str]:
    """(account, region) from a SigV4 credential scope (a client sends the same header on
    every call, so it is parsed once)."""
    match = _CREDENTIAL.search(authorization)
    if not match:
        return default_account, default_region
    key, region = match.groups()
    return (key if ids.is_account(key) else default_account), region


def _operation(path: str, headers: Mapping[str, str], body: bytes) -> str:
    if path.startswith(rpcv2cbor.PATH_PREFIX):
        return path.rsplit("/", 1)[-1]
    target = headers.get("x-amz-target", "")
    if not target and headers.get("content-type", "").startswith(_FORM):
        # awsQuery (STS): the Action field names the operation (docs/services.md).
        action = _ACTION.search(body)
        return action.group(1).decode("ascii") if action else "-"
    return target.partition(".")[2] or target or "-"


def record(
    default_account: str,
    default_region: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    status: int,
    payload: bytes,
    started: float,
    seen: Seen | None = None,
) -> None:
    ms = (time.perf_counter() - started) * 1000  # rounded to 2 places where written
    if seen is not None:
        _line(*seen, status, "", ms)
        return
    if path.startswith("/_dxlocal"):
        log.debug("control %s %s %d %.2fms", method, path, status, ms)
        return
    account, region = _caller(headers.get("authorization", ""), default_account, default_region)
    operation = _operation(path, headers, body)
    asked = _decode(body, path)
    named = events.resource_of(operation, asked, None)
    creates = operation.startswith(("Create", "Allocate")) and operation != "CreateBGPPeer"
    # The answer is decoded only when it is needed: what a create makes (else what the call
    # names), what a call naming nothing finds, and an error's code.
    answer = _decode(payload, path) if creates or not named or status >= 300 else None
    resource = named if answer is None else events.resource_of(operation, asked, answer)
    error = ""
    if status >= 300 and isinstance(answer, dict):
        error = str(answer.get("__type", "")).rpartition("#")[2]
    _line(account, region, operation, resource, status, error, ms)


def _line(
    account: str, region: str, operation: str, resource: str, status: int, error: str, ms: float
) -> None:
    handler = _straight()
    if handler is not None:
        handler.call_line((time.time(), account, region, operation, resource, status, error, ms))
        return
    log.info(
        "%s %s %s %s %d%s %.2fms",
        account,
        region,
        operation,
        resource or "-",
        status,
        f" {error}" if error else "",
        ms,
        extra={
            "account": account,
            "region": region,
            "operation": operation,
            "resource": resource,
            "status": status,
            "error": error,
            "ms": round(ms, 2),
        },
    )
