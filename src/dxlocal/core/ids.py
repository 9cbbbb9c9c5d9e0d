"""Identifiers in AWS's formats (dx-behavior.md §2.1).

Connection, LAG, VIF and peer ids are a prefix plus 8 lowercase alphanumerics; real ones
nearly always start with ``f``, so minted ones do too. Gateways, associations and proposals
are UUIDv4.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid

_ALNUM = string.ascii_lowercase + string.digits
_KEY_CHARS = string.ascii_letters + string.digits + "._"

PATTERNS = {
    "dxcon": re.compile(r"^dxcon-[a-z0-9]{8}$"),
    "dxlag": re.compile(r"^dxlag-[a-z0-9]{8}$"),
    "dxvif": re.compile(r"^dxvif-[a-z0-9]{8}$"),
    "dxpeer": re.compile(r"^dxpeer-[a-z0-9]{8}$"),
    "vgw": re.compile(r"^vgw-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "tgw": re.compile(r"^tgw-[0-9a-f]{17}$"),
    "uuid": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
}


def mint(prefix: str) -> str:
    """``dxcon`` -> ``dxcon-f3k9x0qa``."""
    return f"{prefix}-f" + "".join(secrets.choice(_ALNUM) for _ in range(7))


def mint_uuid() -> str:
    return str(uuid.uuid4())


def request_id() -> str:
    return str(uuid.uuid4())


def auth_key() -> str:
    """A generated BGP MD5 key: ``0x`` + 22 characters of ``[A-Za-z0-9._]`` (AWS's form)."""
    return "0x" + "".join(secrets.choice(_KEY_CHARS) for _ in range(22))


def device(location: str) -> str:
    """An AWS device name such as ``EqDC2-2ab9m1x0c4jq``."""
    return f"{location}-" + "".join(secrets.choice(_ALNUM) for _ in range(12))


def matches(kind: str, value: str) -> bool:
    return bool(PATTERNS[kind].match(value))
