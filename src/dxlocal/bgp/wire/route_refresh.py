"""ROUTE-REFRESH message (RFC 2918 §3, RFC 7313 §3).

     0       7      15      23      31
     +-------+-------+-------+-------+
     |      AFI      | Subtype |  SAFI |
     +-------+-------+-------+-------+

Subtype is "Reserved" in RFC 2918 and names the enhanced route refresh message kind in RFC
7313 (0 normal request, 1 BoRR, 2 EoRR). A body that is not 4 octets is a ROUTE-REFRESH
Message Error / Invalid Message Length (7/1) carrying the whole message (RFC 7313 §5).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .header import MessageType, pack
from .notification import ErrorCode, Notification, RouteRefreshError


@dataclass(frozen=True)
class RouteRefresh:
    afi: int
    safi: int
    subtype: int = 0
    type = MessageType.ROUTE_REFRESH

    def encode(self) -> bytes:
        return pack(self.type, struct.pack("!HBB", self.afi, self.subtype, self.safi))

    @classmethod
    def decode(cls, body: bytes) -> RouteRefresh:
        if len(body) != 4:
            raise Notification(
                ErrorCode.ROUTE_REFRESH,
                RouteRefreshError.INVALID_MESSAGE_LENGTH,
                pack(MessageType.ROUTE_REFRESH, body),
                "ROUTE-REFRESH body must be 4 octets",
            )
        afi, subtype, safi = struct.unpack("!HBB", body)
        return cls(afi, safi, subtype)
