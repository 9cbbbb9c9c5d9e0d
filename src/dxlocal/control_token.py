"""The control API's token (docs/security.md): required whenever the server listens beyond
loopback or ``--auth sigv4`` is on.

The token is ``--control-token``/``DXLOCAL_CONTROL_TOKEN`` when given; otherwise it is made
at the first start that needs one and kept beside the state file, in
``<state>.control-token`` (mode 0600; beside the default state file for ``:memory:`` and
database URLs), where the ``dxlocal`` commands find it. Clients send it as
``Authorization: Bearer <token>`` (RFC 6750 §2.1).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from dxlocal.config import DEFAULT_STATE

SUFFIX = ".control-token"


def path_for(state: str) -> str:
    base = state if state and state != ":memory:" and "://" not in state else DEFAULT_STATE
    return base + SUFFIX


def load_or_create(settings: Any) -> str:
    """The server's token: the configured one, else the kept one, else a new one kept."""
    if settings.control_token:
        return settings.control_token
    path = path_for(settings.state)
    try:
        with open(path, encoding="ascii") as f:
            token = f.read().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
    return token


def find(state: str | None = None) -> str | None:
    """What a client sends: ``DXLOCAL_CONTROL_TOKEN``, else the token kept beside
    ``state`` (default: ``DXLOCAL_STATE`` or the default state file)."""
    token = os.environ.get("DXLOCAL_CONTROL_TOKEN")
    if token:
        return token
    state = state or os.environ.get("DXLOCAL_STATE") or DEFAULT_STATE
    try:
        with open(path_for(state), encoding="ascii") as f:
            return f.read().strip() or None
    except OSError:
        return None


def client_headers(state: str | None = None) -> dict[str, str]:
    token = find(state)
    return {"Authorization": f"Bearer {token}"} if token else {}
