"""KEEPALIVE message (RFC 4271 §4.4): a header with no body, exactly 19 octets.

+--------------------------------+
| Marker (16) | Length=19 | Type=4|
+--------------------------------+
"""

from __future__ import annotations

from dataclasses import dataclass

from .header import MessageType, pack


@dataclass(frozen=True)
class Keepalive:
    type = MessageType.KEEPALIVE

    def encode(self) -> bytes:
        return pack(self.type, b"")

    @classmethod
    def decode(cls, body: bytes) -> Keepalive:
        return cls()  # the header layer enforced length 19
