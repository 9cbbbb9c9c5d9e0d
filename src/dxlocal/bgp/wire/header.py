"""BGP message header (RFC 4271 §4.1).

     0                   1                   2                   3
     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |                                                               |
    +                                                               +
    |                           Marker (16 octets, all ones)        |
    +                                                               +
    |                                                               |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    |          Length               |      Type     |
    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

Length counts the header; it is 19..4096 (no RFC 8654 extended messages). §6.1 checks:
marker not all ones → 1/1, length out of range or too short/long for the type → 1/2 with
the length as data, unknown type → 1/3 with the type as data.
"""

from __future__ import annotations

import struct
from enum import IntEnum

MARKER = b"\xff" * 16
HEADER_LEN = 19
MAX_LEN = 4096


class MessageType(IntEnum):
    OPEN = 1
    UPDATE = 2
    NOTIFICATION = 3
    KEEPALIVE = 4
    ROUTE_REFRESH = 5  # RFC 2918


# (minimum, maximum) total length per type, RFC 4271 §4 and RFC 2918 §3.
_LENGTHS = {
    MessageType.OPEN: (29, MAX_LEN),
    MessageType.UPDATE: (23, MAX_LEN),
    MessageType.NOTIFICATION: (21, MAX_LEN),
    MessageType.KEEPALIVE: (19, 19),
    # RFC 7313 §5: a wrong ROUTE-REFRESH length is a ROUTE-REFRESH error, not a header error,
    # so the header layer only applies the generic bounds here.
    MessageType.ROUTE_REFRESH: (HEADER_LEN, MAX_LEN),
}


def pack(msg_type: int, body: bytes) -> bytes:
    """Prefix ``body`` with a header; raises ValueError if the result exceeds 4096 octets."""
    length = HEADER_LEN + len(body)
    if length > MAX_LEN:
        raise ValueError(f"BGP message of {length} octets exceeds {MAX_LEN}")
    return MARKER + struct.pack("!HB", length, msg_type) + body
