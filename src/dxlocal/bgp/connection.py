"""One TCP connection carrying BGP messages, and the events a session reacts to.

A connection's reader task ("pump") frames the byte stream into messages with the wire codec
and posts them to the owning session's event queue:

    bytes ──► parse_header ──► decode_body ──► Received(conn, message)
                    │                │
                    └── Notification ┴──────► Failed(conn, notification)   (ours to send)
    EOF / reset ─────────────────────────────► Closed(conn, reason)

Sending never awaits: BGP traffic per session is small, and a session must keep reacting to
its timers even if the peer stops reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .wire import HEADER_LEN, Message, Notification, Open, decode_body, parse_header

log = logging.getLogger("dxlocal.bgp")

Trace = Callable[[str, str, bytes], None]  # (session key, "in"|"out", whole message)


class Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        locally_initiated: bool,
        trace: Trace | None = None,
        key: str = "",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.locally_initiated = locally_initiated
        self.opened_at = time.monotonic()
        self.peer_open: Open | None = None
        self.keepalive_sent = False
        self.keepalive_seen = False
        self.closed = False
        self._pump: asyncio.Task | None = None
        self._trace = trace
        self._key = key
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = (str(peer[0]).split("%")[0], int(peer[1]))

    def __repr__(self) -> str:
        way = "out" if self.locally_initiated else "in"
        return f"<Connection {way} {self.peer[0]}:{self.peer[1]}>"

    def start(self, events: asyncio.Queue) -> None:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run(events))

    async def _run(self, events: asyncio.Queue) -> None:
        try:
            while True:
                head = await self.reader.readexactly(HEADER_LEN)
                length, msg_type = parse_header(head)
                body = await self.reader.readexactly(length - HEADER_LEN)
                if self._trace is not None:
                    self._trace(self._key, "in", head + body)
                events.put_nowait(Received(self, decode_body(msg_type, body)))
        except Notification as exc:
            events.put_nowait(Failed(self, exc))
        except asyncio.IncompleteReadError:
            events.put_nowait(Closed(self, "connection closed by peer"))
        except OSError as exc:
            events.put_nowait(Closed(self, f"connection error: {exc}"))

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if self._trace is not None:
            self._trace(self._key, "out", data)
        try:
            self.writer.write(data)
        except (OSError, RuntimeError) as exc:  # transport already closing
            log.debug("send on %r failed: %s", self, exc)

    def close(self, notification: Notification | None = None) -> None:
        """Send ``notification`` if given, then close (buffered data is still flushed)."""
        if self.closed:
            return
        if notification is not None:
            self.send(notification.encode())
        self.closed = True
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.close()


# -- events ------------------------------------------------------------------------------
@dataclass(eq=False)
class Incoming:
    """The listener accepted a connection from this peer's address."""

    conn: Connection


@dataclass(eq=False)
class Connected:
    """Our own connection attempt number ``attempt`` succeeded."""

    conn: Connection
    attempt: int


@dataclass(eq=False)
class DialFailed:
    attempt: int
    reason: str


@dataclass(eq=False)
class Received:
    conn: Connection
    message: Message


@dataclass(eq=False)
class Failed:
    """The peer sent something malformed; ``notification`` is our answer."""

    conn: Connection
    notification: Notification


@dataclass(eq=False)
class Closed:
    conn: Connection
    reason: str


@dataclass(eq=False)
class Readvertise:
    """The advertised prefixes or next hop changed while the session may be up."""


@dataclass(eq=False)
class PathDown:
    """BFD declared the forwarding path to the peer down (RFC 5882 §3.2)."""

    reason: str


Event = Incoming | Connected | DialFailed | Received | Failed | Closed | Readvertise | PathDown
