"""Requests a web page could have sent are refused before any work (docs/security.md).

A browser lets any page POST to ``http://127.0.0.1:4599`` with a "simple" content type
(``text/plain``, form encoding) and no preflight, and DNS rebinding lets a page's own host
name resolve to the loopback. Three checks close both, in this order:

    Host    a name the server answers to: an IP literal, ``localhost`` (or a name under
            ``.localhost``), the bound host, or one of ``--allowed-host``      else 403
    Origin  absent (SDKs, the CLI, curl) or the server's own origin
            (``http://`` + Host: the console)                                 else 403
    body    the content type of the protocol its path speaks (one of the registered
            types; a protocol may also require a header)                       else 415

A rebinding page's Host is its own domain name, so an IP literal cannot be one. Each
protocol registers its content types with ``accept``: the Direct Connect ones below, and
services served beside it add their own (awsQuery's form encoding, for instance).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dxlocal.core.errors import ApiError


class AccessDeniedException(ApiError):
    # AWS's common error for a request refused whatever its content (403).
    code = "AccessDeniedException"
    status = 403


class UnsupportedMediaTypeException(ApiError):
    # RFC 9110 §15.5.16: the body's media type is not one this path accepts.
    code = "UnsupportedMediaTypeException"
    status = 415


@dataclass
class _Accepted:
    media_types: set[str] = field(default_factory=set)
    # media type -> headers (lower-case name -> value) that must come with it
    required: dict[str, dict[str, str]] = field(default_factory=dict)


_BY_PREFIX: dict[str, _Accepted] = {}
# (path, content type) -> (media type, headers it requires), or why it is refused.
_VERDICTS: dict[tuple[str, str | None], tuple[str, dict[str, str]] | str] = {}


def accept(prefix: str, media_type: str, **required_headers: str) -> None:
    """Let requests under path ``prefix`` carry bodies of ``media_type`` (the longest
    matching prefix decides); ``required_headers`` use ``_`` for ``-`` in names."""
    _VERDICTS.clear()
    entry = _BY_PREFIX.setdefault(prefix, _Accepted())
    media_type = media_type.lower()
    entry.media_types.add(media_type)
    if required_headers:
        entry.required[media_type] = {
            k.replace("_", "-").lower(): v for k, v in required_headers.items()
        }


# Direct Connect: awsJson1_1 at "/", Smithy RPC v2 CBOR under /service/, the control API.
accept("/", "application/x-amz-json-1.1")
accept("/service/", "application/cbor", smithy_protocol="rpc-v2-cbor")
accept("/_dxlocal", "application/json")


def _accepted(path: str) -> _Accepted | None:
    best = ""
    for prefix in _BY_PREFIX:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _BY_PREFIX.get(best)


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:4599
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


@functools.cache
def _machine_name() -> str:
    return socket.gethostname().lower()


def host_allowed(host: str, settings: Any) -> bool:
    # A client sends the same Host on every call: each (Host, settings) is judged once.
    key = (host, settings.host, settings.allowed_hosts)
    known = _JUDGED.get(key)
    if known is None:
        if len(_JUDGED) >= 1024:
            _JUDGED.clear()
        known = _JUDGED[key] = _host_allowed(host, settings)
    return known


_JUDGED: dict[tuple[str, str, str], bool] = {}


def _host_allowed(host: str, settings: Any) -> bool:
    name = _hostname(host)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost"):
        return True
    allowed = {settings.host.lower(), _machine_name()}
    allowed.update(h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip())
    return name in allowed


def check(method: str, path: str, headers: Mapping[str, str], body: bytes, settings: Any) -> None:
    """Raise a 403 or 415 ``ApiError`` for a request a browser page could have made."""
    host = headers.get("host")
    if host is not None and not host_allowed(host, settings):
        raise AccessDeniedException(
            f"Host {host!r} is not a name this server answers to; add it with --allowed-host."
        )
    origin = headers.get("origin")
    if origin is not None:
        own = {f"http://{host}", f"https://{host}"} if host else set()
        if origin.rstrip("/").lower() not in {o.lower() for o in own}:
            raise AccessDeniedException(
                f"Requests from origin {origin!r} are not accepted: only the server's own "
                "origin may send them."
            )
    content_type = headers.get("content-type")
    if content_type is None and not body:
        return
    # A client sends the same path and content type on every call: each pair is judged once.
    key = (path, content_type)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        if len(_VERDICTS) >= 1024:
            _VERDICTS.clear()
        verdict = _VERDICTS[key] = _media_verdict(path, content_type)
    if isinstance(verdict, str):
        raise UnsupportedMediaTypeException(verdict)
    media_type, required = verdict
    for name, value in required.items():
        if headers.get(name, "").lower() != value:
            raise UnsupportedMediaTypeException(
                f"A {media_type} request to {path} must carry the header {name}: {value}."
            )


def _media_verdict(path: str, content_type: str | None) -> tuple[str, dict[str, str]] | str:
    """(media type, headers it requires) when ``path`` accepts ``content_type``, else the
    refusal's message."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    accepted = _accepted(path)
    if accepted is None or media_type not in accepted.media_types:
        wanted = " or ".join(sorted(accepted.media_types)) if accepted else "none"
        return f"Content-Type {content_type!r} is not accepted for {path}; send {wanted}."
    return media_type, accepted.required.get(media_type, {})
