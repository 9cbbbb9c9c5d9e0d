"""Identifiers in AWS's formats (docs/behavior.md#ids).

Connection, LAG, VIF and peer ids are a prefix plus 8 lowercase alphanumerics; real ones
nearly always start with ``f``, so minted ones do too. Gateways, associations and proposals
are UUIDv4.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import string
import threading
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


_POOL = bytearray()  # random bytes from ``secrets``, drawn 4 KiB at a time
_POOL_LOCK = threading.Lock()


def _random_bytes(n: int) -> bytes:
    """``n`` bytes of ``secrets.token_bytes``, taken from a pool (a syscall per 4 KiB
    rather than per id)."""
    with _POOL_LOCK:
        if len(_POOL) < n:
            _POOL.extend(secrets.token_bytes(max(n, 4096)))
        out = bytes(_POOL[:n])
        del _POOL[:n]
    return out


@functools.cache
def _tables(alphabet: str) -> tuple[bytes, bytes]:
    """A byte -> character table and the bytes to drop: those past the largest multiple of
    the alphabet's size, so that no character is more likely than another."""
    size = len(alphabet)
    limit = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    return table, bytes(range(limit, 256))


def _random_text(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly from ``alphabet``."""
    table, drop = _tables(alphabet)
    out = b""
    while len(out) < length:
        out += _random_bytes(2 * length).translate(table, drop)
    return out[:length].decode("ascii")


def mint(prefix: str) -> str:
    """``dxcon`` -> ``dxcon-f3k9x0qa``."""
    return f"{prefix}-f" + _random_text(_ALNUM, 7)


def is_account(text: str) -> bool:
    """An AWS account id: 12 ASCII digits (``str`` methods: cheaper than a regex, and no
    other script's digits or trailing newline slip through)."""
    return len(text) == 12 and text.isascii() and text.isdigit()


def mint_uuid() -> str:
    return str(uuid.uuid4())


# Request ids only need to be unique: a random UUIDv4-shaped prefix per process and a
# counter in the last group, which is far cheaper than a fresh uuid4 per request.
_REQUEST_PREFIX = str(uuid.uuid4())[:24]
_REQUEST_COUNTER = itertools.count(secrets.randbits(40))


def request_id() -> str:
    # The counter's low 6 bytes in hex: 12 digits, as "%012x" writes them, for less.
    return _REQUEST_PREFIX + (next(_REQUEST_COUNTER) & 0xFFFFFFFFFFFF).to_bytes(6).hex()


def auth_key() -> str:
    """A generated BGP MD5 key: ``0x`` + 22 characters of ``[A-Za-z0-9._]`` (AWS's form)."""
    return "0x" + _random_text(_KEY_CHARS, 22)


def device(location: str) -> str:
    """An AWS device name such as ``EqDC2-2ab9m1x0c4jq``."""
    return f"{location}-" + _random_text(_ALNUM, 12)


def matches(kind: str, value: str) -> bool:
    return bool(PATTERNS[kind].match(value))
