"""BGP-4 wire codec: bytes in, message objects out, and back. No I/O here.

Every decoding error raises ``Notification`` (itself the message to send to the peer);
nothing else escapes ``decode_message``/``decode_body`` for any input.
"""

from __future__ import annotations

from .attributes import (
    AFI_IPV4,
    AFI_IPV6,
    AS_SEQUENCE,
    AS_SET,
    SAFI_UNICAST,
    Attributes,
    AttrType,
    MpReach,
    MpUnreach,
    Origin,
    RawAttribute,
)
from .header import HEADER_LEN, MARKER, MAX_LEN, MessageType, pack
from .keepalive import Keepalive
from .notification import (
    Cease,
    ErrorCode,
    FsmError,
    HeaderError,
    Notification,
    OpenError,
    UpdateError,
    parse_header,
)
from .open import AS_TRANS, Capability, Open, validate_open
from .route_refresh import RouteRefresh
from .update import Update, build_announcements, build_withdrawals

Message = Open | Update | Notification | Keepalive | RouteRefresh

_DECODERS = {
    MessageType.OPEN: Open.decode,
    MessageType.UPDATE: Update.decode,
    MessageType.NOTIFICATION: Notification.decode,
    MessageType.KEEPALIVE: Keepalive.decode,
    MessageType.ROUTE_REFRESH: RouteRefresh.decode,
}


def decode_body(msg_type: MessageType, body: bytes) -> Message:
    """Decode a message body whose header ``parse_header`` already validated.

    A received NOTIFICATION is returned, not raised: it is the peer's error, not ours.
    """
    try:
        return _DECODERS[msg_type](body)
    except Notification:
        raise
    except (ValueError, IndexError, KeyError, TypeError) as exc:  # defensive: our bug
        raise Notification(
            {
                MessageType.OPEN: ErrorCode.OPEN,
                MessageType.UPDATE: ErrorCode.UPDATE,
            }.get(msg_type, ErrorCode.MESSAGE_HEADER),
            0,
            reason=f"undecodable {msg_type.name}: {exc}",
        ) from exc


def decode_message(data: bytes) -> Message:
    """Decode exactly one whole message (header included)."""
    if len(data) < HEADER_LEN:
        raise Notification.bad_length(len(data), "shorter than a header")
    length, msg_type = parse_header(data[:HEADER_LEN])
    if length != len(data):
        raise Notification.bad_length(length, "length field disagrees with the data")
    return decode_body(msg_type, data[HEADER_LEN:])


__all__ = [
    "AFI_IPV4",
    "AFI_IPV6",
    "AS_SEQUENCE",
    "AS_SET",
    "AS_TRANS",
    "HEADER_LEN",
    "MARKER",
    "MAX_LEN",
    "SAFI_UNICAST",
    "AttrType",
    "Attributes",
    "Capability",
    "Cease",
    "ErrorCode",
    "FsmError",
    "HeaderError",
    "Keepalive",
    "Message",
    "MessageType",
    "MpReach",
    "MpUnreach",
    "Notification",
    "Open",
    "OpenError",
    "Origin",
    "RawAttribute",
    "RouteRefresh",
    "Update",
    "UpdateError",
    "build_announcements",
    "build_withdrawals",
    "decode_body",
    "decode_message",
    "pack",
    "parse_header",
    "validate_open",
]
