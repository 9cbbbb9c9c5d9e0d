"""NOTIFICATION message (RFC 4271 §4.5), which is also the error type of the codec.

     0                   1                   2                   3
     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    | Error code    | Error subcode |   Data (variable)             |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

A ``Notification`` is an exception *and* the message to send: every decoding problem in
``dxlocal.bgp.wire`` raises one, carrying the code/subcode/data that RFC 4271 §6 prescribes,
so the session layer can write ``exc.encode()`` to the peer and close the connection.
"""

from __future__ import annotations

import struct
from enum import IntEnum

from .header import _LENGTHS, HEADER_LEN, MARKER, MAX_LEN, MessageType, pack


class ErrorCode(IntEnum):
    MESSAGE_HEADER = 1
    OPEN = 2
    UPDATE = 3
    HOLD_TIMER_EXPIRED = 4
    FSM = 5
    CEASE = 6
    ROUTE_REFRESH = 7  # RFC 7313 §5


class HeaderError(IntEnum):
    CONNECTION_NOT_SYNCHRONIZED = 1
    BAD_MESSAGE_LENGTH = 2
    BAD_MESSAGE_TYPE = 3


class OpenError(IntEnum):
    UNSPECIFIC = 0
    UNSUPPORTED_VERSION = 1
    BAD_PEER_AS = 2
    BAD_BGP_IDENTIFIER = 3
    UNSUPPORTED_OPTIONAL_PARAMETER = 4
    UNACCEPTABLE_HOLD_TIME = 6
    UNSUPPORTED_CAPABILITY = 7  # RFC 5492 §5


class UpdateError(IntEnum):
    MALFORMED_ATTRIBUTE_LIST = 1
    UNRECOGNIZED_WELL_KNOWN = 2
    MISSING_WELL_KNOWN = 3
    ATTRIBUTE_FLAGS = 4
    ATTRIBUTE_LENGTH = 5
    INVALID_ORIGIN = 6
    INVALID_NEXT_HOP = 8
    OPTIONAL_ATTRIBUTE = 9
    INVALID_NETWORK_FIELD = 10
    MALFORMED_AS_PATH = 11


class FsmError(IntEnum):  # RFC 6608
    UNSPECIFIED = 0
    UNEXPECTED_IN_OPENSENT = 1
    UNEXPECTED_IN_OPENCONFIRM = 2
    UNEXPECTED_IN_ESTABLISHED = 3


class Cease(IntEnum):  # RFC 4486
    MAX_PREFIXES = 1
    ADMIN_SHUTDOWN = 2
    PEER_DECONFIGURED = 3
    ADMIN_RESET = 4
    CONNECTION_REJECTED = 5
    OTHER_CONFIGURATION_CHANGE = 6
    CONNECTION_COLLISION = 7
    OUT_OF_RESOURCES = 8
    BFD_DOWN = 10  # RFC 9384


class RouteRefreshError(IntEnum):
    INVALID_MESSAGE_LENGTH = 1


_SUBCODES: dict[int, type[IntEnum]] = {
    ErrorCode.MESSAGE_HEADER: HeaderError,
    ErrorCode.OPEN: OpenError,
    ErrorCode.UPDATE: UpdateError,
    ErrorCode.FSM: FsmError,
    ErrorCode.CEASE: Cease,
    ErrorCode.ROUTE_REFRESH: RouteRefreshError,
}


class Notification(Exception):
    """A BGP error: raise it, and send ``encode()`` to the peer."""

    type = MessageType.NOTIFICATION

    def __init__(self, code: int, subcode: int = 0, data: bytes = b"", reason: str = "") -> None:
        self.code = int(code)
        self.subcode = int(subcode)
        self.data = bytes(data)
        self.reason = reason
        super().__init__(self.describe())

    def describe(self) -> str:
        try:
            name = ErrorCode(self.code).name.lower().replace("_", " ")
        except ValueError:
            name = "unknown"
        sub = ""
        enum = _SUBCODES.get(self.code)
        if enum is not None:
            try:
                sub = " / " + enum(self.subcode).name.lower().replace("_", " ")
            except ValueError:
                sub = ""
        text = f"NOTIFICATION {self.code}/{self.subcode} ({name}{sub})"
        return f"{text}: {self.reason}" if self.reason else text

    def encode(self) -> bytes:
        return pack(self.type, struct.pack("!BB", self.code, self.subcode) + self.data)

    @classmethod
    def decode(cls, body: bytes) -> Notification:
        # The header layer guarantees len(body) >= 2 (minimum message length 21).
        return cls(body[0], body[1], body[2:])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Notification):
            return NotImplemented
        return (self.code, self.subcode, self.data) == (other.code, other.subcode, other.data)

    def __hash__(self) -> int:
        return hash((self.code, self.subcode, self.data))

    # Named constructors for the errors the codec raises (RFC 4271 §6).
    @classmethod
    def header(cls, subcode: HeaderError, data: bytes = b"", reason: str = "") -> Notification:
        return cls(ErrorCode.MESSAGE_HEADER, subcode, data, reason)

    @classmethod
    def bad_length(cls, length: int, reason: str = "") -> Notification:
        # §6.1: the Data field contains the erroneous Length field.
        return cls.header(HeaderError.BAD_MESSAGE_LENGTH, struct.pack("!H", length), reason)

    @classmethod
    def open(cls, subcode: OpenError, data: bytes = b"", reason: str = "") -> Notification:
        return cls(ErrorCode.OPEN, subcode, data, reason)

    @classmethod
    def update(cls, subcode: UpdateError, data: bytes = b"", reason: str = "") -> Notification:
        return cls(ErrorCode.UPDATE, subcode, data, reason)

    @classmethod
    def cease(cls, subcode: Cease, data: bytes = b"", reason: str = "") -> Notification:
        return cls(ErrorCode.CEASE, subcode, data, reason)

    @classmethod
    def fsm(cls, subcode: FsmError, reason: str = "") -> Notification:
        return cls(ErrorCode.FSM, subcode, b"", reason)

    @classmethod
    def hold_timer_expired(cls) -> Notification:
        return cls(ErrorCode.HOLD_TIMER_EXPIRED, 0, b"", "hold timer expired")


def parse_header(data: bytes) -> tuple[int, MessageType]:
    """Validate a 19-octet header; return (total length, type) or raise a Notification."""
    if len(data) != HEADER_LEN:
        raise ValueError("parse_header needs exactly 19 octets")
    if data[:16] != MARKER:
        raise Notification.header(HeaderError.CONNECTION_NOT_SYNCHRONIZED, reason="bad marker")
    length, raw_type = struct.unpack("!HB", data[16:])
    if length < HEADER_LEN or length > MAX_LEN:
        raise Notification.bad_length(length, "length out of range")
    try:
        msg_type = MessageType(raw_type)
    except ValueError:
        raise Notification.header(
            HeaderError.BAD_MESSAGE_TYPE, bytes([raw_type]), f"unknown type {raw_type}"
        ) from None
    low, high = _LENGTHS[msg_type]
    if not low <= length <= high:
        raise Notification.bad_length(length, f"bad length for {msg_type.name}")
    return length, msg_type
