"""NLRI prefix encoding (RFC 4271 §4.3, RFC 4760 §5).

    +---------------------------+
    |   Length (1 octet)        |   prefix length in bits
    +---------------------------+
    |   Prefix (variable)       |   ceil(length / 8) octets, trailing bits irrelevant
    +---------------------------+

Host bits past the prefix length are ignored on decode (``strict=False``), as the RFC says
they are irrelevant. A length beyond the address size or a truncated prefix raises the
Notification the caller chose (Invalid Network Field for the UPDATE's own fields, Optional
Attribute Error inside MP_REACH/MP_UNREACH, RFC 4760 §7).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def encode_prefix(net: Network) -> bytes:
    nbytes = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:nbytes]


def encode_prefixes(nets: Iterable[Network]) -> bytes:
    return b"".join(encode_prefix(n) for n in nets)


def decode_prefixes(data: bytes, version: int, error: Callable[[str], Exception]) -> list[Network]:
    size = 4 if version == 4 else 16
    out: list[Network] = []
    pos = 0
    while pos < len(data):
        plen = data[pos]
        if plen > size * 8:
            raise error(f"prefix length {plen}")
        nbytes = (plen + 7) // 8
        raw = data[pos + 1 : pos + 1 + nbytes]
        if len(raw) != nbytes:
            raise error("truncated prefix")
        pos += 1 + nbytes
        packed = raw + b"\x00" * (size - nbytes)
        addr = ipaddress.IPv4Address(packed) if size == 4 else ipaddress.IPv6Address(packed)
        out.append(ipaddress.ip_network((addr, plen), strict=False))
    return out
