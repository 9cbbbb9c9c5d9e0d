"""UPDATE message (RFC 4271 §4.3) and End-of-RIB markers (RFC 4724 §2).

    +-----------------------------------------------------+
    |   Withdrawn Routes Length (2 octets)                |
    +-----------------------------------------------------+
    |   Withdrawn Routes (variable)                       |
    +-----------------------------------------------------+
    |   Total Path Attribute Length (2 octets)            |
    +-----------------------------------------------------+
    |   Path Attributes (variable)                        |
    +-----------------------------------------------------+
    |   Network Layer Reachability Information (variable) |
    +-----------------------------------------------------+

Withdrawn Routes and NLRI carry IPv4 unicast only; IPv6 uses MP_REACH_NLRI/MP_UNREACH_NLRI
(RFC 4760). End-of-RIB is an UPDATE with nothing in it (IPv4) or with an empty MP_UNREACH
for the family (others). ``build_announcements`` splits prefixes into messages that fit in
4096 octets.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .attributes import AFI_IPV4, AFI_IPV6, SAFI_UNICAST, Attributes, MpReach, MpUnreach
from .header import HEADER_LEN, MAX_LEN, MessageType, pack
from .notification import Notification, UpdateError
from .prefix import Network, decode_prefixes, encode_prefix, encode_prefixes


@dataclass(frozen=True)
class Update:
    withdrawn: tuple[ipaddress.IPv4Network, ...] = ()
    attributes: Attributes = field(default_factory=Attributes)
    nlri: tuple[ipaddress.IPv4Network, ...] = ()
    type = MessageType.UPDATE

    def encode(self) -> bytes:
        withdrawn = encode_prefixes(self.withdrawn)
        attrs = self.attributes.encode()
        body = (
            struct.pack("!H", len(withdrawn))
            + withdrawn
            + struct.pack("!H", len(attrs))
            + attrs
            + encode_prefixes(self.nlri)
        )
        return pack(self.type, body)

    @classmethod
    def decode(cls, body: bytes) -> Update:
        (wlen,) = struct.unpack("!H", body[:2])
        if 2 + wlen + 2 > len(body):
            raise Notification.update(
                UpdateError.MALFORMED_ATTRIBUTE_LIST, reason="withdrawn length overruns"
            )
        withdrawn = decode_prefixes(body[2 : 2 + wlen], 4, _invalid_network)
        (alen,) = struct.unpack("!H", body[2 + wlen : 4 + wlen])
        attr_end = 4 + wlen + alen
        if attr_end > len(body):
            raise Notification.update(
                UpdateError.MALFORMED_ATTRIBUTE_LIST, reason="attribute length overruns"
            )
        attrs = Attributes.decode(body[4 + wlen : attr_end])
        nlri = decode_prefixes(body[attr_end:], 4, _invalid_network)
        _check_mandatory(attrs, bool(nlri))
        return cls(tuple(withdrawn), attrs, tuple(nlri))  # type: ignore[arg-type]

    # -- End-of-RIB ----------------------------------------------------------------------
    @classmethod
    def end_of_rib(cls, afi: int = AFI_IPV4, safi: int = SAFI_UNICAST) -> Update:
        if (afi, safi) == (AFI_IPV4, SAFI_UNICAST):
            return cls()
        return cls(attributes=Attributes(mp_unreach=MpUnreach(afi, safi)))

    def end_of_rib_family(self) -> tuple[int, int] | None:
        """The (AFI, SAFI) this UPDATE marks as End-of-RIB, or None."""
        if self.withdrawn or self.nlri:
            return None
        a = self.attributes
        if a == Attributes():
            return (AFI_IPV4, SAFI_UNICAST)
        if (
            a.mp_unreach is not None
            and not a.mp_unreach.withdrawn
            and a == Attributes(mp_unreach=a.mp_unreach)
        ):
            return (a.mp_unreach.afi, a.mp_unreach.safi)
        return None


def _invalid_network(reason: str) -> Notification:
    return Notification.update(UpdateError.INVALID_NETWORK_FIELD, reason=reason)


def _check_mandatory(attrs: Attributes, has_ipv4_nlri: bool) -> None:
    # §6.3 / RFC 4760 §3: ORIGIN and AS_PATH whenever something is announced, NEXT_HOP
    # only for NLRI in the UPDATE's own field. Data is the missing attribute's type code.
    needed = []
    announces = has_ipv4_nlri or (attrs.mp_reach is not None and attrs.mp_reach.nlri)
    if announces:
        needed += [(1, attrs.origin), (2, attrs.as_path)]
    if has_ipv4_nlri:
        needed.append((3, attrs.next_hop))
    for code, value in needed:
        if value is None:
            raise Notification.update(
                UpdateError.MISSING_WELL_KNOWN, bytes([code]), f"missing attribute {code}"
            )


def build_announcements(
    prefixes: Sequence[Network], attributes: Attributes, next_hops: Sequence[str]
) -> list[Update]:
    """UPDATEs announcing ``prefixes`` (one family) with ``attributes``, each ≤ 4096 octets.

    IPv4 prefixes go in the NLRI field with NEXT_HOP; IPv6 ones in MP_REACH_NLRI.
    """
    if not prefixes:
        return []
    v6 = prefixes[0].version == 6
    if v6:
        base = replace(
            attributes, next_hop=None, mp_reach=MpReach(AFI_IPV6, SAFI_UNICAST, tuple(next_hops))
        )
    else:
        base = replace(attributes, next_hop=next_hops[0], mp_reach=None)
    room = MAX_LEN - HEADER_LEN - 4 - len(base.encode()) - 2  # 2: possible extended length
    out: list[Update] = []
    for chunk in _chunks(prefixes, room):
        if v6:
            reach = replace(base.mp_reach, nlri=tuple(chunk))  # type: ignore[arg-type]
            out.append(Update(attributes=replace(base, mp_reach=reach)))
        else:
            out.append(Update(attributes=base, nlri=tuple(chunk)))  # type: ignore[arg-type]
    return out


def build_withdrawals(prefixes: Sequence[Network]) -> list[Update]:
    if not prefixes:
        return []
    v6 = prefixes[0].version == 6
    room = MAX_LEN - HEADER_LEN - 4 - (8 if v6 else 0)
    out = []
    for chunk in _chunks(prefixes, room):
        if v6:
            attrs = Attributes(mp_unreach=MpUnreach(AFI_IPV6, SAFI_UNICAST, tuple(chunk)))
            out.append(Update(attributes=attrs))
        else:
            out.append(Update(withdrawn=tuple(chunk)))  # type: ignore[arg-type]
    return out


def _chunks(prefixes: Sequence[Network], room: int) -> list[list[Network]]:
    chunks: list[list[Network]] = [[]]
    used = 0
    for p in prefixes:
        size = len(encode_prefix(p))
        if used + size > room and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append(p)
        used += size
    return chunks
