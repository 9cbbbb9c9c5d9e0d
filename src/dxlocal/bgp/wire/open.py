"""OPEN message (RFC 4271 §4.2) with capabilities (RFC 5492).

     0                   1                   2                   3
     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    +-+-+-+-+-+-+-+-+
    |    Version    |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |     My Autonomous System      |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |           Hold Time           |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |                         BGP Identifier                        |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    | Opt Parm Len  |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |             Optional Parameters (variable)                    |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

    Optional parameter: | Parm. Type (1) | Parm. Length (1) | Value |
    Capability (type 2 value, RFC 5492): | Code (1) | Length (1) | Value |

Capabilities handled: 1 Multiprotocol (RFC 4760: AFI(2) Reserved(1) SAFI(1)), 2 Route
Refresh (RFC 2918), 65 4-octet AS (RFC 6793: the ASN; "My Autonomous System" then holds
AS_TRANS 23456 when the ASN does not fit in 16 bits). Other capabilities are kept raw.
Session-level checks (peer AS, hold time, required capabilities) live in ``validate_open``.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from .header import MessageType, pack
from .notification import Notification, OpenError

AS_TRANS = 23456
PARAM_CAPABILITIES = 2

CAP_MULTIPROTOCOL = 1
CAP_ROUTE_REFRESH = 2
CAP_GRACEFUL_RESTART = 64  # RFC 4724 §3
CAP_FOUR_OCTET_AS = 65

AFI_IPV4, AFI_IPV6, SAFI_UNICAST = 1, 2, 1


@dataclass(frozen=True)
class Capability:
    code: int
    value: bytes = b""

    def encode(self) -> bytes:
        return struct.pack("!BB", self.code, len(self.value)) + self.value

    @classmethod
    def multiprotocol(cls, afi: int, safi: int) -> Capability:
        return cls(CAP_MULTIPROTOCOL, struct.pack("!HBB", afi, 0, safi))

    @classmethod
    def route_refresh(cls) -> Capability:
        return cls(CAP_ROUTE_REFRESH)

    @classmethod
    def four_octet_as(cls, asn: int) -> Capability:
        return cls(CAP_FOUR_OCTET_AS, struct.pack("!I", asn))

    @classmethod
    def graceful_restart(
        cls, restart_time: int, families: tuple[tuple[int, int, bool], ...] = ()
    ) -> Capability:
        """RFC 4724 §3: Restart Flags (R bit clear) and a 12-bit Restart Time, then each
        <AFI, SAFI> with its Forwarding State flag."""
        value = struct.pack("!H", restart_time & 0x0FFF)
        for afi, safi, forwarding in families:
            value += struct.pack("!HBB", afi, safi, 0x80 if forwarding else 0)
        return cls(CAP_GRACEFUL_RESTART, value)


@dataclass(frozen=True)
class GracefulRestart:
    """A peer's Graceful Restart capability (RFC 4724 §3)."""

    restart_time: int
    restarting: bool  # the R bit
    families: dict[tuple[int, int], bool]  # <AFI, SAFI> -> forwarding state preserved


@dataclass(frozen=True)
class Open:
    asn: int  # the real (possibly 4-octet) ASN; encode() writes AS_TRANS when needed
    hold_time: int
    bgp_id: str
    capabilities: tuple[Capability, ...] = field(default_factory=tuple)
    version: int = 4
    my_as_field: int | None = None  # the 2-octet field as received (None when built locally)
    type = MessageType.OPEN

    # -- derived views --------------------------------------------------------------
    def capability_values(self, code: int) -> list[bytes]:
        return [c.value for c in self.capabilities if c.code == code]

    @property
    def four_octet_asn(self) -> int | None:
        values = self.capability_values(CAP_FOUR_OCTET_AS)
        return struct.unpack("!I", values[0])[0] if values else None

    @property
    def families(self) -> set[tuple[int, int]]:
        return {
            (struct.unpack("!H", v[:2])[0], v[3])
            for v in self.capability_values(CAP_MULTIPROTOCOL)
            if len(v) == 4
        }

    @property
    def graceful_restart(self) -> GracefulRestart | None:
        values = self.capability_values(CAP_GRACEFUL_RESTART)
        if not values or len(values[0]) < 2:
            return None
        v = values[0]
        head = struct.unpack("!H", v[:2])[0]
        families = {
            (struct.unpack("!H", v[i : i + 2])[0], v[i + 2]): bool(v[i + 3] & 0x80)
            for i in range(2, len(v) - 3, 4)
        }
        return GracefulRestart(head & 0x0FFF, bool(head & 0x8000), families)

    @property
    def route_refresh(self) -> bool:
        return bool(self.capability_values(CAP_ROUTE_REFRESH))

    # -- codec --------------------------------------------------------------------------
    def encode(self) -> bytes:
        caps = b"".join(c.encode() for c in self.capabilities)
        params = b""
        # One capabilities parameter per 255 octets (RFC 5492 §4 allows several).
        while caps:
            chunk, caps = caps[:255], caps[255:]
            params += struct.pack("!BB", PARAM_CAPABILITIES, len(chunk)) + chunk
        if len(params) > 255:
            raise ValueError("optional parameters exceed 255 octets")
        my_as = self.asn if self.asn <= 0xFFFF else AS_TRANS
        body = struct.pack(
            "!BHH4sB",
            self.version,
            my_as,
            self.hold_time,
            ipaddress.IPv4Address(self.bgp_id).packed,
            len(params),
        )
        return pack(self.type, body + params)

    @classmethod
    def decode(cls, body: bytes) -> Open:
        version, my_as, hold, raw_id, opt_len = struct.unpack("!BHH4sB", body[:10])
        if version != 4:
            # §6.2: Data is the largest locally supported version number, 2 octets.
            raise Notification.open(
                OpenError.UNSUPPORTED_VERSION, struct.pack("!H", 4), f"version {version}"
            )
        if opt_len != len(body) - 10:
            raise Notification.open(OpenError.UNSPECIFIC, reason="optional parameter length")
        caps: list[Capability] = []
        params, pos = body[10:], 0
        while pos < len(params):
            if pos + 2 > len(params):
                raise Notification.open(OpenError.UNSPECIFIC, reason="truncated parameter")
            ptype, plen = params[pos], params[pos + 1]
            value = params[pos + 2 : pos + 2 + plen]
            if len(value) != plen:
                raise Notification.open(OpenError.UNSPECIFIC, reason="truncated parameter")
            pos += 2 + plen
            if ptype != PARAM_CAPABILITIES:
                raise Notification.open(
                    OpenError.UNSUPPORTED_OPTIONAL_PARAMETER, reason=f"parameter type {ptype}"
                )
            caps.extend(_decode_capabilities(value))
        asn = my_as
        for cap in caps:
            if cap.code == CAP_FOUR_OCTET_AS:
                if len(cap.value) != 4:
                    raise Notification.open(OpenError.UNSPECIFIC, reason="4-octet AS length")
                asn = struct.unpack("!I", cap.value)[0]
                break
        return cls(
            asn=asn,
            hold_time=hold,
            bgp_id=str(ipaddress.IPv4Address(raw_id)),
            capabilities=tuple(caps),
            version=version,
            my_as_field=my_as,
        )


def _decode_capabilities(data: bytes) -> list[Capability]:
    caps, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise Notification.open(OpenError.UNSPECIFIC, reason="truncated capability")
        code, length = data[pos], data[pos + 1]
        value = data[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise Notification.open(OpenError.UNSPECIFIC, reason="truncated capability")
        caps.append(Capability(code, value))
        pos += 2 + length
    return caps


def validate_open(
    msg: Open, *, local_asn: int, remote_asn: int, local_id: str, allow_zero_hold: bool = True
) -> None:
    """Session-level OPEN checks of RFC 4271 §6.2 and RFC 6793; raise a Notification.

    ``allow_zero_hold=False`` also refuses a hold time of 0, which §6.2 lets a speaker do
    ("MAY reject connections on the basis of the Hold Time").

    A peer that does not announce the 4-octet AS capability is refused with OPEN error /
    Unsupported Capability (2/7) naming that capability, as RFC 5492 §3 allows: this speaker
    implements neither 2-octet AS_PATHs nor AS4_PATH merging (every current BGP
    implementation announces the capability).
    """
    four = msg.four_octet_asn
    if four is None:
        raise Notification.open(
            OpenError.UNSUPPORTED_CAPABILITY,
            Capability.four_octet_as(local_asn).encode(),
            "peer lacks the 4-octet AS capability (RFC 6793)",
        )
    expected_field = four if four <= 0xFFFF else AS_TRANS
    if four != remote_asn or msg.my_as_field not in (None, expected_field):
        raise Notification.open(
            OpenError.BAD_PEER_AS,
            struct.pack("!H", msg.my_as_field or 0),
            f"peer AS {four}, expected {remote_asn}",
        )
    if msg.hold_time in (1, 2) or (msg.hold_time == 0 and not allow_zero_hold):
        # §6.2: a hold time of 1 or 2 seconds is unacceptable; 0 is the speaker's call.
        raise Notification.open(OpenError.UNACCEPTABLE_HOLD_TIME, reason=f"hold {msg.hold_time}")
    ident = ipaddress.IPv4Address(msg.bgp_id)
    if int(ident) == 0 or ident.is_multicast or int(ident) == 0xFFFFFFFF:
        raise Notification.open(OpenError.BAD_BGP_IDENTIFIER, reason=f"identifier {ident}")
    if msg.bgp_id == local_id and msg.asn == local_asn:
        # RFC 6286 §2.2: identical identifiers are only an error within one AS.
        raise Notification.open(OpenError.BAD_BGP_IDENTIFIER, reason="identifier equals ours")
