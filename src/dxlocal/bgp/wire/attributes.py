"""UPDATE path attributes (RFC 4271 §4.3, §5, §6.3; RFC 1997; RFC 4760; RFC 6793).

    0                   1
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |  Attr. Flags  |Attr. Type Code|   then Length: 1 octet, or 2 if Extended Length
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    Flags: O(ptional) T(ransitive) P(artial) E(xtended length), high bits first.

    AS_PATH segment:  | type (1) | count (1) | count x 4-octet ASN |   (4-octet AS session)
    MP_REACH_NLRI:    | AFI (2) | SAFI (1) | NH len (1) | next hop | reserved (1) | NLRI |
    MP_UNREACH_NLRI:  | AFI (2) | SAFI (1) | withdrawn NLRI |

Because only 4-octet-AS peers are accepted, AS_PATH always carries 4-octet ASNs and
AS4_PATH/AS4_AGGREGATOR (17/18) are kept as opaque optional attributes. An IPv6 unicast
MP_REACH next hop is 16 octets (global) or 32 (global + link-local, RFC 2545 §3).

Errors follow RFC 4271 §6.3 (session reset with the named subcode and the attribute as
data) rather than RFC 7606's treat-as-withdraw: simpler, and always a correct NOTIFICATION.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from enum import IntEnum

from .notification import Notification, UpdateError
from .prefix import Network, decode_prefixes, encode_prefixes

OPTIONAL, TRANSITIVE, PARTIAL, EXTENDED = 0x80, 0x40, 0x20, 0x10

AFI_IPV4, AFI_IPV6, SAFI_UNICAST = 1, 2, 1


class AttrType(IntEnum):
    ORIGIN = 1
    AS_PATH = 2
    NEXT_HOP = 3
    MED = 4
    LOCAL_PREF = 5
    ATOMIC_AGGREGATE = 6
    AGGREGATOR = 7
    COMMUNITIES = 8
    MP_REACH_NLRI = 14
    MP_UNREACH_NLRI = 15


class Origin(IntEnum):
    IGP = 0
    EGP = 1
    INCOMPLETE = 2


AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET = 1, 2, 3, 4

# Required (optional, transitive) flag bits of each recognized attribute (§5, §6.3).
_FLAGS = {
    AttrType.ORIGIN: (False, True),
    AttrType.AS_PATH: (False, True),
    AttrType.NEXT_HOP: (False, True),
    AttrType.MED: (True, False),
    AttrType.LOCAL_PREF: (False, True),
    AttrType.ATOMIC_AGGREGATE: (False, True),
    AttrType.AGGREGATOR: (True, True),
    AttrType.COMMUNITIES: (True, True),
    AttrType.MP_REACH_NLRI: (True, False),
    AttrType.MP_UNREACH_NLRI: (True, False),
}
_FIXED_LENGTH = {
    AttrType.ORIGIN: 1,
    AttrType.NEXT_HOP: 4,
    AttrType.MED: 4,
    AttrType.LOCAL_PREF: 4,
    AttrType.ATOMIC_AGGREGATE: 0,
    AttrType.AGGREGATOR: 8,
}


@dataclass(frozen=True)
class MpReach:
    afi: int
    safi: int
    next_hops: tuple[str, ...] = ()
    nlri: tuple[Network, ...] = ()


@dataclass(frozen=True)
class MpUnreach:
    afi: int
    safi: int
    withdrawn: tuple[Network, ...] = ()


@dataclass(frozen=True)
class RawAttribute:
    flags: int
    code: int
    value: bytes


@dataclass(frozen=True)
class Attributes:
    origin: int | None = None
    as_path: tuple[tuple[int, tuple[int, ...]], ...] | None = None  # (segment type, ASNs)
    next_hop: str | None = None
    med: int | None = None
    local_pref: int | None = None
    atomic_aggregate: bool = False
    aggregator: tuple[int, str] | None = None
    communities: tuple[int, ...] = ()
    mp_reach: MpReach | None = None
    mp_unreach: MpUnreach | None = None
    other: tuple[RawAttribute, ...] = ()

    def flat_as_path(self) -> list[int]:
        return [asn for _, asns in self.as_path or () for asn in asns]

    # -- encode ---------------------------------------------------------------------
    def encode(self) -> bytes:
        out = bytearray()
        if self.origin is not None:
            out += _attr(TRANSITIVE, AttrType.ORIGIN, bytes([self.origin]))
        if self.as_path is not None:
            out += _attr(TRANSITIVE, AttrType.AS_PATH, _encode_as_path(self.as_path))
        if self.next_hop is not None:
            nh = ipaddress.IPv4Address(self.next_hop).packed
            out += _attr(TRANSITIVE, AttrType.NEXT_HOP, nh)
        if self.med is not None:
            out += _attr(OPTIONAL, AttrType.MED, struct.pack("!I", self.med))
        if self.local_pref is not None:
            out += _attr(TRANSITIVE, AttrType.LOCAL_PREF, struct.pack("!I", self.local_pref))
        if self.atomic_aggregate:
            out += _attr(TRANSITIVE, AttrType.ATOMIC_AGGREGATE, b"")
        if self.aggregator is not None:
            asn, addr = self.aggregator
            value = struct.pack("!I", asn) + ipaddress.IPv4Address(addr).packed
            out += _attr(OPTIONAL | TRANSITIVE, AttrType.AGGREGATOR, value)
        if self.communities:
            value = b"".join(struct.pack("!I", c) for c in self.communities)
            out += _attr(OPTIONAL | TRANSITIVE, AttrType.COMMUNITIES, value)
        if self.mp_reach is not None:
            r = self.mp_reach
            nh = b"".join(ipaddress.ip_address(a).packed for a in r.next_hops)
            value = struct.pack("!HBB", r.afi, r.safi, len(nh)) + nh + b"\x00"
            out += _attr(OPTIONAL, AttrType.MP_REACH_NLRI, value + encode_prefixes(r.nlri))
        if self.mp_unreach is not None:
            u = self.mp_unreach
            value = struct.pack("!HB", u.afi, u.safi) + encode_prefixes(u.withdrawn)
            out += _attr(OPTIONAL, AttrType.MP_UNREACH_NLRI, value)
        for raw in self.other:
            out += _attr(raw.flags & ~EXTENDED, raw.code, raw.value)
        return bytes(out)

    # -- decode -----------------------------------------------------------------------
    @classmethod
    def decode(cls, data: bytes) -> Attributes:
        fields: dict[str, object] = {}
        other: list[RawAttribute] = []
        seen: set[int] = set()
        pos = 0
        while pos < len(data):
            if pos + 3 > len(data):
                raise _malformed_list("truncated attribute header")
            flags, code = data[pos], data[pos + 1]
            if flags & EXTENDED:
                if pos + 4 > len(data):
                    raise _malformed_list("truncated attribute header")
                length = struct.unpack("!H", data[pos + 2 : pos + 4])[0]
                start = pos + 4
            else:
                length = data[pos + 2]
                start = pos + 3
            value = data[start : start + length]
            whole = data[pos : start + length]
            if len(value) != length:
                raise Notification.update(
                    UpdateError.ATTRIBUTE_LENGTH, whole, f"attribute {code} overruns the list"
                )
            pos = start + length
            if code in seen:  # RFC 4271 §6.3: an attribute appearing twice
                raise _malformed_list(f"attribute {code} appears twice")
            seen.add(code)
            _decode_one(flags, code, value, whole, fields, other)
        return cls(other=tuple(other), **fields)  # type: ignore[arg-type]


def _attr(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | EXTENDED, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def _encode_as_path(segments: tuple[tuple[int, tuple[int, ...]], ...]) -> bytes:
    out = bytearray()
    for seg_type, asns in segments:
        for i in range(0, len(asns), 255):  # a segment holds at most 255 ASNs
            chunk = asns[i : i + 255]
            out += struct.pack("!BB", seg_type, len(chunk))
            out += b"".join(struct.pack("!I", a) for a in chunk)
    return bytes(out)


def _malformed_list(reason: str) -> Notification:
    return Notification.update(UpdateError.MALFORMED_ATTRIBUTE_LIST, reason=reason)


def _decode_one(
    flags: int,
    code: int,
    value: bytes,
    whole: bytes,
    fields: dict[str, object],
    other: list[RawAttribute],
) -> None:
    try:
        kind = AttrType(code)
    except ValueError:
        if not flags & OPTIONAL:  # §6.3: unrecognized well-known attribute
            raise Notification.update(
                UpdateError.UNRECOGNIZED_WELL_KNOWN, whole, f"unknown well-known {code}"
            ) from None
        other.append(RawAttribute(flags, code, value))
        return
    optional, transitive = _FLAGS[kind]
    partial_ok = optional and transitive  # only optional transitive may be Partial
    if (
        bool(flags & OPTIONAL) != optional
        or bool(flags & TRANSITIVE) != transitive
        or (flags & PARTIAL and not partial_ok)
    ):
        raise Notification.update(UpdateError.ATTRIBUTE_FLAGS, whole, f"flags of {kind.name}")
    fixed = _FIXED_LENGTH.get(kind)
    if fixed is not None and len(value) != fixed:
        raise Notification.update(UpdateError.ATTRIBUTE_LENGTH, whole, f"length of {kind.name}")

    if kind is AttrType.ORIGIN:
        if value[0] > Origin.INCOMPLETE:
            raise Notification.update(UpdateError.INVALID_ORIGIN, whole, f"origin {value[0]}")
        fields["origin"] = value[0]
    elif kind is AttrType.AS_PATH:
        fields["as_path"] = _decode_as_path(value)
    elif kind is AttrType.NEXT_HOP:
        nh = ipaddress.IPv4Address(value)
        if int(nh) in (0, 0xFFFFFFFF) or nh.is_multicast:  # §6.3 syntactic check
            raise Notification.update(UpdateError.INVALID_NEXT_HOP, whole, f"next hop {nh}")
        fields["next_hop"] = str(nh)
    elif kind is AttrType.MED:
        fields["med"] = struct.unpack("!I", value)[0]
    elif kind is AttrType.LOCAL_PREF:
        fields["local_pref"] = struct.unpack("!I", value)[0]
    elif kind is AttrType.ATOMIC_AGGREGATE:
        fields["atomic_aggregate"] = True
    elif kind is AttrType.AGGREGATOR:
        fields["aggregator"] = (
            struct.unpack("!I", value[:4])[0],
            str(ipaddress.IPv4Address(value[4:])),
        )
    elif kind is AttrType.COMMUNITIES:
        if len(value) % 4:
            raise Notification.update(UpdateError.ATTRIBUTE_LENGTH, whole, "COMMUNITIES length")
        fields["communities"] = struct.unpack(f"!{len(value) // 4}I", value)
    elif kind is AttrType.MP_REACH_NLRI:
        fields["mp_reach"] = _decode_mp_reach(value, whole)
    else:
        fields["mp_unreach"] = _decode_mp_unreach(value, whole)


def _decode_as_path(value: bytes) -> tuple[tuple[int, tuple[int, ...]], ...]:
    segments = []
    pos = 0
    while pos < len(value):
        if pos + 2 > len(value):
            raise Notification.update(UpdateError.MALFORMED_AS_PATH, reason="truncated segment")
        seg_type, count = value[pos], value[pos + 1]
        if seg_type not in (AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET):
            raise Notification.update(UpdateError.MALFORMED_AS_PATH, reason=f"segment {seg_type}")
        raw = value[pos + 2 : pos + 2 + 4 * count]
        if count == 0 or len(raw) != 4 * count:  # RFC 7606 §7.2: empty segments are malformed
            raise Notification.update(UpdateError.MALFORMED_AS_PATH, reason="segment length")
        segments.append((seg_type, struct.unpack(f"!{count}I", raw)))
        pos += 2 + 4 * count
    return tuple(segments)


def _family_version(afi: int, safi: int) -> int | None:
    if safi != SAFI_UNICAST:
        return None
    return {AFI_IPV4: 4, AFI_IPV6: 6}.get(afi)


def _optional_error(whole: bytes):
    # RFC 4760 §7: a malformed MP attribute is an Optional Attribute Error.
    def make(reason: str) -> Notification:
        return Notification.update(UpdateError.OPTIONAL_ATTRIBUTE, whole, reason)

    return make


def _decode_mp_reach(value: bytes, whole: bytes) -> MpReach:
    err = _optional_error(whole)
    if len(value) < 5:
        raise err("MP_REACH_NLRI too short")
    afi, safi, nh_len = struct.unpack("!HBB", value[:4])
    nh_raw = value[4 : 4 + nh_len]
    if len(nh_raw) != nh_len or len(value) < 5 + nh_len:
        raise err("MP_REACH_NLRI next hop overruns")
    version = _family_version(afi, safi)
    if version is None:  # a family never negotiated: keep it opaque
        return MpReach(afi, safi)
    if version == 4 and nh_len == 4:
        hops = (str(ipaddress.IPv4Address(nh_raw)),)
    elif version == 6 and nh_len in (16, 32):
        hops = tuple(str(ipaddress.IPv6Address(nh_raw[i : i + 16])) for i in range(0, nh_len, 16))
    else:
        raise err(f"next hop length {nh_len} for AFI {afi}")
    nlri = decode_prefixes(value[5 + nh_len :], version, err)
    return MpReach(afi, safi, hops, tuple(nlri))


def _decode_mp_unreach(value: bytes, whole: bytes) -> MpUnreach:
    err = _optional_error(whole)
    if len(value) < 3:
        raise err("MP_UNREACH_NLRI too short")
    afi, safi = struct.unpack("!HB", value[:3])
    version = _family_version(afi, safi)
    if version is None:
        return MpUnreach(afi, safi)
    return MpUnreach(afi, safi, tuple(decode_prefixes(value[3:], version, err)))
