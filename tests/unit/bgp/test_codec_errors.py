"""Malformed input raises the NOTIFICATION RFC 4271 §6.1-6.3 names, and nothing else."""

from __future__ import annotations

import ipaddress
import random
import struct

import pytest

from dxlocal.bgp.wire import (
    AS_SEQUENCE,
    Attributes,
    Capability,
    Notification,
    Open,
    Update,
    build_announcements,
    build_withdrawals,
    decode_message,
    validate_open,
)

MARKER = b"\xff" * 16


def msg(msg_type: int, body: bytes, length: int | None = None) -> bytes:
    return (
        MARKER
        + struct.pack("!HB", length if length is not None else 19 + len(body), msg_type)
        + body
    )


def update(attrs: bytes, nlri: bytes = b"", withdrawn: bytes = b"") -> bytes:
    body = struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs)) + attrs
    return msg(2, body + nlri)


ORIGIN = bytes.fromhex("40010100")
AS_PATH = bytes.fromhex("4002060201fa56ea01")
NEXT_HOP = bytes.fromhex("400304a9fe0a02")
NLRI = bytes.fromhex("18c00002")


def open_body(version=4, my_as=23456, hold=9, ident="a9fe0a02", params=b"") -> bytes:
    return (
        struct.pack("!BHH", version, my_as, hold)
        + bytes.fromhex(ident)
        + bytes([len(params)])
        + params
    )


CAPS = bytes.fromhex("020e") + bytes.fromhex("01040001000102004104fa56ea01")


def code_of(data: bytes) -> tuple[int, int, bytes]:
    with pytest.raises(Notification) as info:
        decode_message(data)
    return info.value.code, info.value.subcode, info.value.data


# -- §6.1 message header errors -----------------------------------------------------------
def test_bad_marker() -> None:
    assert code_of(b"\x00" + msg(4, b"")[1:])[:2] == (1, 1)


@pytest.mark.parametrize("length", [18, 4097, 0xFFFF])
def test_length_out_of_range(length: int) -> None:
    assert code_of(MARKER + struct.pack("!HB", length, 4)) == (1, 2, struct.pack("!H", length))


def test_bad_type() -> None:
    assert code_of(msg(9, b"")) == (1, 3, b"\x09")


@pytest.mark.parametrize(
    ("msg_type", "body"),
    [(4, b"\x00"), (1, b"\x04" * 9), (2, b"\x00\x00\x00"), (3, b"\x06")],
    ids=["keepalive-20", "open-28", "update-22", "notification-20"],
)
def test_length_too_short_or_long_for_type(msg_type: int, body: bytes) -> None:
    assert code_of(msg(msg_type, body))[:2] == (1, 2)


def test_length_field_disagrees_with_data() -> None:
    assert code_of(msg(4, b"", length=19) + b"\x00")[:2] == (1, 2)


def test_route_refresh_bad_length_is_a_route_refresh_error() -> None:
    wire = msg(5, b"\x00\x01\x00\x01\x00")
    assert code_of(wire) == (7, 1, wire)  # RFC 7313 §5: the whole message as data


# -- §6.2 OPEN errors -------------------------------------------------------------------
def test_unsupported_version() -> None:
    assert code_of(msg(1, open_body(version=3, params=CAPS))) == (2, 1, b"\x00\x04")


def test_unsupported_optional_parameter() -> None:
    assert code_of(msg(1, open_body(params=b"\x01\x02ab")))[:2] == (2, 4)


@pytest.mark.parametrize(
    "params",
    [b"\x02\x05\x41\x04\xfa", b"\x02", b"\x02\x03\x41\x04\xfa"],
    ids=["cap", "param", "cap-len"],
)
def test_truncated_parameters(params: bytes) -> None:
    assert code_of(msg(1, open_body(params=params)))[:2] == (2, 0)


def _validate(**kw: object) -> tuple[int, int, bytes]:
    fields = {"params": CAPS, **kw}
    decoded = decode_message(msg(1, open_body(**fields)))  # type: ignore[arg-type]
    assert isinstance(decoded, Open)
    with pytest.raises(Notification) as info:
        validate_open(decoded, local_asn=4200000000, remote_asn=4200000001, local_id="169.254.10.1")
    return info.value.code, info.value.subcode, info.value.data


def test_missing_four_octet_as_capability_is_refused() -> None:
    no_as4 = bytes.fromhex("02080104000100010200")
    code, sub, data = _validate(my_as=64512, params=no_as4)
    assert (code, sub) == (2, 7)
    assert data == Capability.four_octet_as(4200000000).encode()


def test_bad_peer_as() -> None:
    caps = bytes.fromhex("020641040000fde8")  # AS 65000
    assert _validate(my_as=65000, params=caps)[:2] == (2, 2)


def test_my_as_field_must_be_as_trans_for_large_asn() -> None:
    assert _validate(my_as=1234)[:2] == (2, 2)


@pytest.mark.parametrize("hold", [1, 2])
def test_unacceptable_hold_time(hold: int) -> None:
    assert _validate(hold=hold)[:2] == (2, 6)


@pytest.mark.parametrize("ident", ["00000000", "e0000001", "ffffffff"])
def test_bad_bgp_identifier(ident: str) -> None:
    assert _validate(ident=ident)[:2] == (2, 3)


def test_hold_time_zero_and_good_open_accepted() -> None:
    for hold in (0, 3, 9, 90):
        decoded = decode_message(msg(1, open_body(hold=hold, params=CAPS)))
        assert isinstance(decoded, Open)
        validate_open(decoded, local_asn=4200000000, remote_asn=4200000001, local_id="169.254.10.1")


# -- §6.3 UPDATE errors -------------------------------------------------------------------
def test_withdrawn_length_overruns() -> None:
    assert code_of(msg(2, b"\x00\x10\x00\x00"))[:2] == (3, 1)


def test_attribute_length_overruns() -> None:
    assert code_of(msg(2, b"\x00\x00\x00\x20" + ORIGIN))[:2] == (3, 1)


def test_attribute_value_overruns_list() -> None:
    assert code_of(update(bytes.fromhex("40020a0201")))[:2] == (3, 5)


def test_duplicate_attribute() -> None:
    assert code_of(update(ORIGIN + ORIGIN + AS_PATH + NEXT_HOP, NLRI))[:2] == (3, 1)


def test_unrecognized_well_known() -> None:
    attr = bytes.fromhex("406301ff")
    assert code_of(update(attr)) == (3, 2, attr)


def test_unknown_optional_is_kept() -> None:
    attr = bytes.fromhex("c06301ff")
    decoded = decode_message(update(ORIGIN + AS_PATH + NEXT_HOP + attr, NLRI))
    assert isinstance(decoded, Update)
    assert decoded.attributes.other[0].code == 0x63


@pytest.mark.parametrize(
    ("attrs", "missing"),
    [(AS_PATH + NEXT_HOP, 1), (ORIGIN + NEXT_HOP, 2), (ORIGIN + AS_PATH, 3)],
)
def test_missing_well_known(attrs: bytes, missing: int) -> None:
    assert code_of(update(attrs, NLRI)) == (3, 3, bytes([missing]))


def test_attribute_flags_error() -> None:
    bad = bytes.fromhex("c0010100")  # ORIGIN flagged optional
    assert code_of(update(bad + AS_PATH + NEXT_HOP, NLRI)) == (3, 4, bad)


def test_attribute_length_error() -> None:
    bad = bytes.fromhex("4001020000")
    assert code_of(update(bad + AS_PATH + NEXT_HOP, NLRI)) == (3, 5, bad)


def test_invalid_origin() -> None:
    bad = bytes.fromhex("40010103")
    assert code_of(update(bad + AS_PATH + NEXT_HOP, NLRI)) == (3, 6, bad)


@pytest.mark.parametrize("hop", ["00000000", "ffffffff", "e0000005"])
def test_invalid_next_hop(hop: str) -> None:
    bad = bytes.fromhex("400304" + hop)
    assert code_of(update(ORIGIN + AS_PATH + bad, NLRI)) == (3, 8, bad)


def test_mp_reach_bad_next_hop_length_is_optional_attribute_error() -> None:
    bad = bytes.fromhex("800e0d0002010820010db8000000000000")
    assert code_of(update(ORIGIN + AS_PATH + bad))[:2] == (3, 9)


def test_mp_reach_bad_prefix_is_optional_attribute_error() -> None:
    bad = bytes.fromhex("800e160002011020010db80000000000000000000000020081")
    assert code_of(update(ORIGIN + AS_PATH + bad))[:2] == (3, 9)


@pytest.mark.parametrize("nlri", ["21c0000200", "18c000"], ids=["len33", "truncated"])
def test_invalid_network_field(nlri: str) -> None:
    assert code_of(update(ORIGIN + AS_PATH + NEXT_HOP, bytes.fromhex(nlri)))[:2] == (3, 10)


@pytest.mark.parametrize(
    "path",
    ["40020605 01fa56ea01", "40020202 00", "40020702 02fa56ea01ff"],
    ids=["type", "empty", "short"],
)
def test_malformed_as_path(path: str) -> None:
    assert code_of(update(ORIGIN + bytes.fromhex(path) + NEXT_HOP, NLRI))[:2] == (3, 11)


def test_communities_length() -> None:
    bad = bytes.fromhex("c00803fde800")
    assert code_of(update(ORIGIN + AS_PATH + NEXT_HOP + bad, NLRI)) == (3, 5, bad)


# -- only Notification escapes, for any input ----------------------------------------------
def _samples() -> list[bytes]:
    net = ipaddress.ip_network
    attrs = Attributes(origin=0, as_path=((AS_SEQUENCE, (4200000001, 65000)),), communities=(1, 2))
    v4 = build_announcements([net("192.0.2.0/24"), net("10.0.0.0/8")], attrs, ["192.0.2.1"])
    v6 = build_announcements([net("2001:db8::/32")], attrs, ["2001:db8::1", "fe80::1"])
    opn = Open(4200000001, 9, "192.0.2.1", (Capability.four_octet_as(4200000001),))
    return [u.encode() for u in v4 + v6] + [opn.encode(), Update.end_of_rib(2, 1).encode()]


def test_random_corruption_raises_only_notification() -> None:
    rng = random.Random(4271)
    samples = _samples()
    for _ in range(4000):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(16, len(data))  # keep most markers intact to go deeper
            data[pos] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(19, len(data)) :]
            data[16:18] = struct.pack("!H", len(data))
        try:
            decode_message(bytes(data))
        except Notification as exc:
            assert "undecodable" not in exc.reason  # never the codec's defensive fallback


def test_round_trip_many_prefixes_split_under_4096() -> None:
    nets = [ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24") for i in range(2000)]
    attrs = Attributes(origin=0, as_path=((AS_SEQUENCE, (4200000000,)),))
    updates = build_announcements(nets, attrs, ["169.254.10.1"])
    assert len(updates) > 1
    seen = []
    for u in updates:
        wire = u.encode()
        assert len(wire) <= 4096
        seen += decode_message(wire).nlri  # type: ignore[union-attr]
    assert seen == nets
    v6 = [ipaddress.ip_network(f"2001:db8:{i:x}::/48") for i in range(600)]
    withdrawn = []
    for u in build_withdrawals(v6):
        withdrawn += decode_message(u.encode()).attributes.mp_unreach.withdrawn  # type: ignore[union-attr]
    assert withdrawn == v6


def test_long_as_path_uses_extended_length() -> None:
    path = ((AS_SEQUENCE, tuple(range(1, 301))),)
    u = Update(
        attributes=Attributes(origin=0, as_path=path, next_hop="192.0.2.1"),
        nlri=(ipaddress.ip_network("192.0.2.0/24"),),
    )
    decoded = decode_message(u.encode())
    assert decoded.attributes.flat_as_path() == list(range(1, 301))  # type: ignore[union-attr]


def test_notification_is_the_message() -> None:
    exc = Notification.cease(2)  # type: ignore[arg-type]
    assert decode_message(exc.encode()) == exc
    assert "cease / admin shutdown" in str(exc)
