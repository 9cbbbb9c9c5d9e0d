"""Golden byte vectors for every message type, written by hand from the RFC layouts.

Each vector is spelled field by field; the test checks that encoding produces exactly these
octets and that decoding them yields the same object.
"""

from __future__ import annotations

import ipaddress

import pytest

from dxlocal.bgp.wire import (
    AS_SEQUENCE,
    Attributes,
    Capability,
    Keepalive,
    MpReach,
    Notification,
    Open,
    RouteRefresh,
    Update,
    decode_message,
)

MARKER = "ff" * 16


def hx(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts).replace(" ", ""))


net = ipaddress.ip_network

# RFC 4271 §4.2 + RFC 5492 + RFC 6793: AS 4200000000 does not fit → AS_TRANS (0x5ba0).
OPEN_4B = hx(
    MARKER, "002d 01",  # length 45, type OPEN
    "04",  # version
    "5ba0",  # My AS = AS_TRANS 23456
    "005a",  # hold time 90
    "a9fe0a01",  # BGP identifier 169.254.10.1
    "10",  # optional parameters length 16
    "02 0e",  # parameter: capabilities, 14 octets
    "01 04 0001 00 01",  # multiprotocol: AFI 1 (IPv4), reserved, SAFI 1 (unicast)
    "02 00",  # route refresh
    "41 04 fa56ea00",  # 4-octet AS 4200000000
)  # fmt: skip

# 2-octet ASN 64512 in both fields, IPv6 unicast, hold 9.
OPEN_2B = hx(
    MARKER, "002d 01",
    "04 fc00 0009 c0000201 10",
    "02 0e", "01 04 0002 00 01", "02 00", "41 04 0000fc00",
)  # fmt: skip

KEEPALIVE = hx(MARKER, "0013 04")

# IPv4 announcement: ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES + 2 NLRI.
UPDATE_V4 = hx(
    MARKER, "0041 02",  # length 65
    "0000",  # no withdrawn routes
    "0022",  # path attributes: 34 octets
    "40 01 01 00",  # ORIGIN (well-known transitive) IGP
    "40 02 06 02 01 fa56ea01",  # AS_PATH: AS_SEQUENCE of 1: 4200000001
    "40 03 04 a9fe0a02",  # NEXT_HOP 169.254.10.2
    "80 04 04 00000032",  # MED (optional non-transitive) 50
    "c0 08 04 fde80064",  # COMMUNITIES (optional transitive) 65000:100
    "18 c00002",  # 192.0.2.0/24
    "18 c63364",  # 198.51.100.0/24
)  # fmt: skip

UPDATE_V4_WITHDRAW = hx(MARKER, "001a 02", "0003 10 0a64", "0000")  # withdraw 10.100.0.0/16

# IPv6 via MP_REACH_NLRI with a 32-octet next hop (global + link-local, RFC 2545 §3).
UPDATE_V6 = hx(
    MARKER, "0053 02",  # length 83
    "0000 003c",  # no withdrawn; 60 octets of attributes
    "40 01 01 00",
    "40 02 06 02 01 fa56ea01",
    "80 0e 2c",  # MP_REACH_NLRI, 44 octets
    "0002 01 20",  # AFI 2, SAFI 1, next hop length 32
    "20010db8000000000000000000000002",  # 2001:db8::2
    "fe800000000000000000000000000002",  # fe80::2
    "00",  # reserved
    "30 20010db8aaaa",  # 2001:db8:aaaa::/48
)  # fmt: skip

EOR_V4 = hx(MARKER, "0017 02", "0000 0000")  # RFC 4724 §2
EOR_V6 = hx(MARKER, "001d 02", "0000 0006", "80 0f 03 0002 01")
NOTIFICATION_ADMIN_SHUTDOWN = hx(MARKER, "0015 03", "06 02")
NOTIFICATION_HOLD = hx(MARKER, "0015 03", "04 00")
NOTIFICATION_BAD_LENGTH = hx(MARKER, "0017 03", "01 02 0012")
ROUTE_REFRESH_V6 = hx(MARKER, "0017 05", "0002 00 01")

AS4 = ((AS_SEQUENCE, (4200000001,)),)

CASES = [
    (
        "open-4octet",
        OPEN_4B,
        Open(
            4200000000,
            90,
            "169.254.10.1",
            (
                Capability.multiprotocol(1, 1),
                Capability.route_refresh(),
                Capability.four_octet_as(4200000000),
            ),
        ),
    ),
    (
        "open-2octet",
        OPEN_2B,
        Open(
            64512,
            9,
            "192.0.2.1",
            (
                Capability.multiprotocol(2, 1),
                Capability.route_refresh(),
                Capability.four_octet_as(64512),
            ),
        ),
    ),
    ("keepalive", KEEPALIVE, Keepalive()),
    (
        "update-v4",
        UPDATE_V4,
        Update(
            attributes=Attributes(
                origin=0, as_path=AS4, next_hop="169.254.10.2", med=50, communities=(0xFDE80064,)
            ),
            nlri=(net("192.0.2.0/24"), net("198.51.100.0/24")),
        ),
    ),
    ("update-v4-withdraw", UPDATE_V4_WITHDRAW, Update(withdrawn=(net("10.100.0.0/16"),))),
    (
        "update-v6-mp-reach",
        UPDATE_V6,
        Update(
            attributes=Attributes(
                origin=0,
                as_path=AS4,
                mp_reach=MpReach(2, 1, ("2001:db8::2", "fe80::2"), (net("2001:db8:aaaa::/48"),)),
            )
        ),
    ),
    ("eor-v4", EOR_V4, Update.end_of_rib(1, 1)),
    ("eor-v6", EOR_V6, Update.end_of_rib(2, 1)),
    ("notification-cease", NOTIFICATION_ADMIN_SHUTDOWN, Notification(6, 2)),
    ("notification-hold", NOTIFICATION_HOLD, Notification(4, 0)),
    ("notification-data", NOTIFICATION_BAD_LENGTH, Notification(1, 2, b"\x00\x12")),
    ("route-refresh", ROUTE_REFRESH_V6, RouteRefresh(2, 1)),
]


@pytest.mark.parametrize(("name", "wire", "message"), CASES, ids=[c[0] for c in CASES])
def test_encode_matches_golden_bytes(name: str, wire: bytes, message: object) -> None:
    assert message.encode() == wire  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "wire", "message"), CASES, ids=[c[0] for c in CASES])
def test_decode_golden_bytes(name: str, wire: bytes, message: object) -> None:
    decoded = decode_message(wire)
    if isinstance(message, Open):
        assert isinstance(decoded, Open)
        assert (decoded.asn, decoded.hold_time, decoded.bgp_id, decoded.capabilities) == (
            message.asn,
            message.hold_time,
            message.bgp_id,
            message.capabilities,
        )
    else:
        assert decoded == message
    assert decoded.encode() == wire  # type: ignore[union-attr]


def test_open_views() -> None:
    msg = decode_message(OPEN_4B)
    assert isinstance(msg, Open)
    assert msg.my_as_field == 23456
    assert msg.four_octet_asn == 4200000000
    assert msg.families == {(1, 1)}
    assert msg.route_refresh


def test_end_of_rib_detection() -> None:
    assert decode_message(EOR_V4).end_of_rib_family() == (1, 1)  # type: ignore[union-attr]
    assert decode_message(EOR_V6).end_of_rib_family() == (2, 1)  # type: ignore[union-attr]
    assert decode_message(UPDATE_V4).end_of_rib_family() is None  # type: ignore[union-attr]
    assert decode_message(UPDATE_V4_WITHDRAW).end_of_rib_family() is None  # type: ignore[union-attr]
