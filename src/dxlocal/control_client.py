"""The ``dxlocal`` commands' client of a running server's control API (``/_dxlocal``,
docs/security.md for its token): JSON in and out. A refused call is a ``RuntimeError`` with
the server's message; no server at all, a ``ConnectionError`` (an ``OSError``)."""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from typing import Any

from dxlocal import control_token


def endpoint_parser(what: str = "the running server") -> argparse.ArgumentParser:
    """A parent parser with ``--endpoint`` (default 127.0.0.1:$DXLOCAL_PORT, else :4599)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--endpoint",
        default=f"http://127.0.0.1:{os.environ.get('DXLOCAL_PORT', '4599')}",
        help=f"{what} (default http://127.0.0.1:$DXLOCAL_PORT or :4599)",
    )
    return parent


def call(
    endpoint: str, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 120
) -> Any:
    """``method /_dxlocal<path>`` with ``body`` as JSON (none for GET); the JSON answer."""
    data = None if method == "GET" else json.dumps(body or {}).encode()
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/_dxlocal" + path,
        data=data,
        method=method,
        headers={"content-type": "application/json", **control_token.client_headers()},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", "")
        except ValueError:
            message = ""
        raise RuntimeError(message or str(exc)) from None
    except urllib.error.URLError as exc:
        raise ConnectionError(f"no dxlocal server at {endpoint} ({exc.reason})") from None
