"""Seeded malformed BGP messages, by message type, for the speaker fuzz (tests/fuzz and
benchmarks/fuzz_long.py). Every case is malformed for certain: by construction (a field
RFC 4271 §6 names as an error) or because the codec refuses it (``decode_message``
raises). Stages: OPEN cases go to a session in OpenSent, the rest to an Established one.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator

from dxlocal.bgp.wire import MARKER, Notification, decode_message

TYPES = ("header", "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH")
PEER_AS = 65000


def frame(msg_type: int, body: bytes, length: int | None = None, marker: bytes = MARKER) -> bytes:
    size = 19 + len(body) if length is None else length
    return marker + struct.pack("!HB", size, msg_type) + body


def _open_body(version: int = 4, asn: int = PEER_AS, hold: int = 90, ident: bytes = b"\xc0\x00\x02\xc8",
               params: bytes | None = None) -> bytes:  # fmt: skip
    if params is None:  # multiprotocol IPv4 unicast + 4-octet AS
        params = bytes.fromhex("020c010400010001" + "41040000fde8")
    return struct.pack("!BHH", version, asn, hold) + ident + bytes([len(params)]) + params


def _update_body(rng: random.Random) -> bytes:
    attrs = bytes.fromhex("40010100" + "40020602010000fde8" + "400304a9fe0a02")
    nlri = bytes.fromhex("18c00002")
    return struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri


def _undecodable(data: bytes) -> bool:
    try:
        decode_message(data)
    except (Notification, ValueError):
        return True
    return False


def _corrupt(rng: random.Random, body: bytes) -> bytes:
    out = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if choice < 0.5 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif choice < 0.75 and out:
            del out[rng.randrange(len(out)) :]
        else:
            out += rng.randbytes(rng.randint(1, 8))
    return bytes(out)


def header_case(rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:  # a marker that is not all ones (RFC 4271 §6.1)
        marker = bytearray(MARKER)
        marker[rng.randrange(16)] = rng.randrange(255)
        return frame(4, b"", marker=bytes(marker))
    if kind == 1:  # a length out of 19..4096
        length = rng.choice([rng.randrange(0, 19), rng.randrange(4097, 65536)])
        return frame(4, b"", length=length)
    msg_type = rng.choice([0, *range(6, 256)])  # no such message type
    return frame(msg_type, rng.randbytes(rng.randrange(8)))


def open_case(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return frame(1, _open_body(version=rng.choice([v for v in range(256) if v != 4])))
    if kind == 1:  # hold time 1 or 2 (RFC 4271 §6.2)
        return frame(1, _open_body(hold=rng.choice([1, 2])))
    if kind == 2:  # not the ASN configured for the peer
        return frame(
            1, _open_body(asn=rng.choice([a for a in (1, 64512, 64999, 65001, 23456 + 1)]))
        )
    if kind == 3:  # BGP Identifier 0 (RFC 6286 §2.1; an eBGP peer may share ours)
        return frame(1, _open_body(ident=b"\x00\x00\x00\x00"))
    while True:  # corrupted parameters the codec refuses
        data = frame(1, _corrupt(rng, _open_body()))
        if _undecodable(data):
            return data


def update_case(rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:  # NLRI without the mandatory attributes
        nlri = bytes.fromhex("18c00002")
        return frame(2, struct.pack("!HH", 0, 0) + nlri)
    if kind == 1:  # withdrawn routes length beyond the message
        body = struct.pack("!H", rng.randrange(5, 4000)) + struct.pack("!H", 0)
        return frame(2, body)
    while True:
        data = frame(2, _corrupt(rng, _update_body(rng)))
        if _undecodable(data):
            return data


def notification_case(rng: random.Random) -> bytes:
    # Shorter than its 21-octet minimum, or too long: a header error (RFC 4271 §6.1);
    # any other NOTIFICATION is never answered (§6.4), so it is not a fuzz case here.
    if rng.random() < 0.7:
        return frame(3, rng.randbytes(rng.randrange(2)))
    return frame(3, b"\x06\x02", length=rng.randrange(4097, 65536))


def keepalive_case(rng: random.Random) -> bytes:
    return frame(4, rng.randbytes(rng.randint(1, 200)))  # a KEEPALIVE is 19 octets exactly


def route_refresh_case(rng: random.Random) -> bytes:
    size = rng.choice([n for n in range(0, 64) if n != 4])  # RFC 2918 §3: 4 octets of body
    return frame(5, rng.randbytes(size))


MAKERS: dict[str, Callable[[random.Random], bytes]] = {
    "header": header_case,
    "OPEN": open_case,
    "UPDATE": update_case,
    "NOTIFICATION": notification_case,
    "KEEPALIVE": keepalive_case,
    "ROUTE-REFRESH": route_refresh_case,
}


def cases(msg_type: str, count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(f"{seed}-{msg_type}")
    for _ in range(count):
        yield MAKERS[msg_type](rng)
