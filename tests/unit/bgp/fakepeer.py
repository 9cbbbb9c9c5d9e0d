"""An in-memory transport and a scripted peer for driving one ``Session`` without sockets.

    test ──FakePeer.send(bytes|message)──► StreamReader ──► Session (real framing + codec)
    test ◄──FakePeer.messages (decoded)──── FakeWriter ◄──── Session.send

``FakeDialer`` stands in for TCP: each attempt is answered as the test chose (accept, refuse,
hang until cancelled). Time is a ``ManualClock``: nothing waits on the real clock.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from dxlocal.bgp.clock import ManualClock
from dxlocal.bgp.connection import Connection
from dxlocal.bgp.fsm import State
from dxlocal.bgp.session import Session
from dxlocal.bgp.speaker import PeerSpec
from dxlocal.bgp.wire import (
    HEADER_LEN,
    Capability,
    Keepalive,
    Message,
    Notification,
    Open,
    Update,
    decode_message,
    parse_header,
)

LOCAL_ASN, REMOTE_ASN = 64512, 65000
LOCAL_ADDR, REMOTE_ADDR = "169.254.10.1", "169.254.10.2"
PEER_ID_HIGH, PEER_ID_LOW = "192.0.2.200", "10.0.0.1"  # above / below 169.254.10.1


class FakeWriter:
    """The session's side of the stream: what it writes lands in the peer's inbox."""

    def __init__(self, peer: FakePeer) -> None:
        self._peer = peer
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise RuntimeError("write on a closed transport")
        self._peer._receive(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self._peer.address, 179) if name == "peername" else default


class FakePeer:
    """The customer's router at the far end of one in-memory connection."""

    def __init__(self, address: str = REMOTE_ADDR) -> None:
        self.address = address
        self.reader = asyncio.StreamReader()
        self.writer = FakeWriter(self)
        self.messages: list[Message] = []
        self._buffer = bytearray()

    # what the session sent
    def _receive(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= HEADER_LEN:
            length, _ = parse_header(bytes(self._buffer[:HEADER_LEN]))
            if len(self._buffer) < length:
                return
            whole, self._buffer = bytes(self._buffer[:length]), self._buffer[length:]
            self.messages.append(decode_message(whole))

    def sent(self, kind: type) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]

    @property
    def notification(self) -> Notification | None:
        notes = self.sent(Notification)
        return notes[-1] if notes else None

    @property
    def closed(self) -> bool:
        return self.writer.closed

    # what the peer sends
    def send(self, message: bytes | Message) -> None:
        self.reader.feed_data(message if isinstance(message, bytes) else message.encode())

    def send_open(
        self,
        asn: int = REMOTE_ASN,
        hold: int = 90,
        bgp_id: str = PEER_ID_HIGH,
        caps: tuple[Capability, ...] | None = None,
    ) -> None:
        if caps is None:
            caps = (Capability.multiprotocol(1, 1), Capability.four_octet_as(asn))
        self.send(Open(asn, hold, bgp_id, caps))

    def hang_up(self) -> None:
        self.reader.feed_eof()

    def connection(self) -> Connection:
        """This peer's connection as the speaker's listener would hand it to a session."""
        return Connection(self.reader, self.writer, False)  # type: ignore[arg-type]


class FakeDialer:
    """The session's ``dial``: records attempts and answers each as ``mode`` says."""

    def __init__(self, mode: str = "accept") -> None:
        self.mode = mode  # "accept" | "refuse" | "hang"
        self.attempts = 0
        self.peers: list[FakePeer] = []

    async def __call__(self, spec: PeerSpec) -> tuple[asyncio.StreamReader, FakeWriter]:
        self.attempts += 1
        if self.mode == "refuse":
            raise ConnectionRefusedError(111, "Connection refused")
        if self.mode == "hang":
            await asyncio.get_running_loop().create_future()  # until cancelled
        peer = FakePeer(spec.remote_address)
        self.peers.append(peer)
        return peer.reader, peer.writer

    @property
    def peer(self) -> FakePeer:
        return self.peers[-1]


@dataclass
class Rig:
    """One session on a fake transport and a manual clock, plus what it reported."""

    session: Session
    dialer: FakeDialer
    clock: ManualClock
    changes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def state(self) -> State:
        return self.session.fsm.state

    async def advance(self, seconds: float) -> None:
        await self.clock.advance(seconds)

    async def settle(self) -> None:
        await self.clock.settle()

    async def opensent(self) -> FakePeer:
        """Start an active session: it dials, sends its OPEN and waits in OpenSent."""
        self.session.start()
        await self.settle()
        assert self.state is State.OPENSENT, self.state
        peer = self.dialer.peer
        assert isinstance(peer.messages[0], Open)
        return peer

    async def openconfirm(self, hold: int = 90, bgp_id: str = PEER_ID_HIGH) -> FakePeer:
        """On to OpenConfirm: the peer's OPEN is accepted and answered with a KEEPALIVE."""
        peer = await self.opensent()
        peer.send_open(hold=hold, bgp_id=bgp_id)
        await self.settle()
        assert self.state is State.OPENCONFIRM, self.session.last_error
        return peer

    async def establish(self, hold: int = 90, bgp_id: str = PEER_ID_HIGH) -> FakePeer:
        """On to Established: the peer's KEEPALIVE completes the handshake."""
        peer = await self.openconfirm(hold, bgp_id)
        peer.send(Keepalive())
        await self.settle()
        assert self.state is State.ESTABLISHED, self.session.last_error
        return peer


def spec(**overrides: Any) -> PeerSpec:
    fields: dict[str, Any] = dict(
        key="dxpeer-ftest001",
        family="ipv4",
        local_address=LOCAL_ADDR,
        remote_address=REMOTE_ADDR,
        local_asn=LOCAL_ASN,
        remote_asn=REMOTE_ASN,
        md5_key=None,
        advertise=("10.0.0.0/16",),
        hold_time=90,
        connect_retry=2.0,
    )
    fields.update(overrides)
    return PeerSpec(**fields)


def rig(mode: str = "accept", **overrides: Any) -> Rig:
    dialer, clock = FakeDialer(mode), ManualClock()
    changes: list[tuple[str, str]] = []
    session = Session(
        spec(**overrides),
        on_change=lambda key, status, reason: changes.append((status, reason)),
        dial=dialer,
        clock=clock,
    )
    return Rig(session, dialer, clock, changes)


def drive(test: Callable[[], Awaitable[None]]) -> None:
    """Run one async test; the wall-clock bound only guards against a hang."""

    async def main() -> None:
        await asyncio.wait_for(test(), 10.0)

    asyncio.run(main())


def announce(count: int, base: str = "172.16.0.0", next_hop: str = REMOTE_ADDR) -> list[Update]:
    """UPDATEs announcing ``count`` /24s from AS ``REMOTE_ASN``."""
    from dxlocal.bgp.wire import AS_SEQUENCE, Attributes, Origin, build_announcements

    first = int(ipaddress.IPv4Address(base))
    prefixes = [ipaddress.ip_network((first + (i << 8), 24)) for i in range(count)]
    attrs = Attributes(origin=Origin.IGP, as_path=((AS_SEQUENCE, (REMOTE_ASN,)),))
    return build_announcements(prefixes, attrs, [next_hop])
