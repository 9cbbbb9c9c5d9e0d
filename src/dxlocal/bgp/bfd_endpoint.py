"""BFD on the wire (RFC 5881, single hop): one UDP endpoint per Amazon address.

An endpoint receives on ``address:3784``; each of its peers sends on a socket of its own,
connected to the peer, from a port of 49152-65535 kept for the session's life (RFC 5881
§4), with TTL/hop limit 255; a received packet whose TTL/hop limit is not 255 is dropped
(§5), so only a directly connected router can reach it. Packets are matched
to a peer by Your Discriminator, or while that is 0 by the source address (§6.3 of RFC
5880). Each peer runs a ``bfd.Session`` on the event loop's clock; the speaker's endpoints
share one ``bfd_timers.Timers`` for every peer's next transmission and detection deadline.
A received packet is read, checked (TTL) and handed to its session as bytes, so a repeated
packet costs a comparison (``bfd.Session.receive_bytes``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import struct
from collections.abc import Callable, Iterator

from . import bfd
from .bfd_timers import Timers
from .sockets import NetnsSockets, family_of

log = logging.getLogger("dxlocal.bgp")

IP_RECVTTL = 12  # Linux <netinet/in.h>
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
OnChange = Callable[[bfd.Change], None]


def discriminators(seed: int | None = None) -> Iterator[int]:
    """Local discriminators: non-zero, unique within one speaker (RFC 5880 §6.3)."""
    start = random.Random(seed).randrange(1, 1 << 30)
    return itertools.count(start)


class Peer:
    def __init__(self, endpoint: BfdEndpoint, remote: str, session: bfd.Session,
                 on_change: OnChange) -> None:  # fmt: skip
        self.endpoint = endpoint
        self.remote = remote
        self.dest = (remote, bfd.PORT)
        self.session = session
        self.on_change = on_change
        self.slot: int | None = None  # bfd_timers.Item
        # Connected to the remote's port 3784 from a source port of its own (RFC 5881 §4),
        # opened at the first packet: send() then needs no address parsed nor route looked up.
        self.tx: socket.socket | None = None

    def info(self) -> dict:
        return self.session.info()

    def admin(self, down: bool) -> None:
        change = self.session.admin(down)
        if change is not None:
            self.endpoint._send(self)  # tell the remote at once (§6.8.16)
            self.endpoint._rearm(self)


def fire(peer: Peer, now: float) -> None:
    """``Timers`` callback: the peer's deadline has come."""
    peer.endpoint._fire(peer, now)


class BfdEndpoint:
    def __init__(self, sockets: NetnsSockets, address: str, ids: Iterator[int],
                 timers: Timers | None = None) -> None:  # fmt: skip
        self.sockets = sockets
        self.timers = timers
        self._own_timers = timers is None
        self.address = address
        self.ids = ids
        self.peers: dict[str, Peer] = {}
        self.by_discr: dict[int, Peer] = {}
        self.rx: socket.socket | None = None
        self.dropped_ttl = 0
        self.dropped_bad = 0
        self.received = 0  # packets handed to a session
        self.sent = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def open(self) -> bool:
        return self.rx is not None

    def start(self) -> None:
        """Bind the receiving socket (OSError when the address is not there yet)."""
        self._loop = asyncio.get_running_loop()
        if self.timers is None:
            self.timers = Timers(self._loop, fire)  # type: ignore[arg-type]
        family = family_of(self.address)
        rx = self.sockets.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                rx.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                rx.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
            else:
                rx.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            rx.bind((self.address, bfd.PORT))
        except BaseException:
            rx.close()
            raise
        self.rx = rx
        self._loop.add_reader(rx.fileno(), self._readable)

    def close(self) -> None:
        for peer in self.peers.values():
            peer.slot = None
            _close_tx(peer)
        if self._own_timers and self.timers is not None:
            self.timers.close()
            self.timers = None
        self.peers.clear()
        self.by_discr.clear()
        if self.rx is not None and self._loop is not None:
            self._loop.remove_reader(self.rx.fileno())
        if self.rx is not None:
            self.rx.close()
        self.rx = None

    def counts(self) -> tuple[int, int]:
        return self.received, self.sent

    def attach(self, remote: str, on_change: OnChange) -> Peer:
        session = bfd.Session(next(self.ids))
        peer = Peer(self, remote, session, on_change)
        self.peers[remote] = peer
        self.by_discr[session.local_discr] = peer
        return peer

    def detach(self, peer: Peer) -> None:
        peer.slot = None
        _close_tx(peer)
        if self.peers.get(peer.remote) is peer:
            del self.peers[peer.remote]
        self.by_discr.pop(peer.session.local_discr, None)

    # -- receive ----------------------------------------------------------------------------
    def _readable(self) -> bool:
        """One datagram per call: the loop calls again while the socket has more (level
        triggered), so the usual single packet costs no failed read. False when none."""
        if self.rx is None:
            return False
        try:
            data, anc, _, addr = self.rx.recvmsg(128, _ANC_SPACE)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            log.debug("bfd %s: receive failed: %s", self.address, exc)
            return False
        self._handle(data, anc, addr)
        return True

    def _drain(self, limit: int = 256) -> None:
        """Read what is queued: a packet that arrived while the loop was busy elsewhere
        counts before a detection time is judged (the loop runs its timers before it polls)."""
        for _ in range(limit):
            if not self._readable():
                return

    def _handle(self, data: bytes, anc: list, addr: tuple) -> None:
        if not (len(anc) == 1 and anc[0] in _TTL_255) and _ttl(anc) != bfd.TTL:
            self.dropped_ttl += 1  # RFC 5881 §5: not from a directly connected system
            return
        if len(data) < bfd.LENGTH:
            self.dropped_bad += 1
            return
        yours = _YOURS(data, 8)[0]
        peer = self.by_discr.get(yours) if yours else self.peers.get(addr[0].split("%")[0])
        if peer is None:
            return
        session = peer.session
        self.received += 1
        now = self._loop.time()  # type: ignore[union-attr]
        if session.repeated(data, now):
            return  # only the detection time moved: the timers need not know (bfd_timers)
        try:
            change = session.receive_bytes(data, now)
        except bfd.BadPacket as exc:
            self.dropped_bad += 1
            log.debug("bfd %s: dropped a packet from %s: %s", self.address, addr[0], exc)
            return
        if change is not None or session.send_final:
            self._send(peer)  # a Final or a new state goes out at once (§6.8.7)
        self._rearm(peer)
        if change is not None:
            self._report(peer, change)

    # -- timers and send -------------------------------------------------------------------
    def _rearm(self, peer: Peer) -> None:
        if self.timers is not None and self.peers.get(peer.remote) is peer:
            self.timers.schedule(peer, peer.session.next_deadline())

    def _fire(self, peer: Peer, now: float) -> None:
        session = peer.session
        detect = session.detect_deadline
        if detect is not None and now >= detect:
            self._drain()
            detect = session.detect_deadline
        change = session.expire(now) if detect is not None and now >= detect else None
        if session.next_tx is not None and now >= session.next_tx:
            self._send(peer, now)
        self._rearm(peer)
        if change is not None:
            self._report(peer, change)

    def _send(self, peer: Peer, now: float | None = None) -> None:
        if self.rx is None or self._loop is None or not peer.session.active:
            return
        data = peer.session.packet_bytes(self._loop.time() if now is None else now)
        try:
            tx = peer.tx or self._open_tx(peer)
            try:
                tx.send(data)
            except ConnectionRefusedError:
                tx.send(data)  # an ICMP error of an earlier packet, reported on this one
            self.sent += 1
        except OSError as exc:  # unreachable for now: the detection timer decides
            log.debug("bfd %s: send to %s failed: %s", self.address, peer.remote, exc)

    def _open_tx(self, peer: Peer) -> socket.socket:
        """The peer's sending socket: TTL/hop limit 255 (RFC 5881 §5), a source port of
        49152-65535 kept for the session's life (§4), connected to the remote's port 3784."""
        family = family_of(self.address)
        tx = self.sockets.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                tx.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, bfd.TTL)
            else:
                tx.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, bfd.TTL)
            _bind_source_port(tx, self.address)
            tx.connect(peer.dest)
        except BaseException:
            tx.close()
            raise
        peer.tx = tx
        return tx

    def _report(self, peer: Peer, change: bfd.Change) -> None:
        log.info("bfd %s -> %s: %s -> %s (%s)", self.address, peer.remote, change.old.label,
                 change.new.label, bfd.diag_text(change.diag) or "ok")  # fmt: skip
        try:
            peer.on_change(change)
        except Exception:
            log.exception("bfd %s: change callback failed", peer.remote)


_ANC_SPACE = socket.CMSG_SPACE(4)
_YOURS = struct.Struct("!I").unpack_from
_TTL_255 = {(socket.IPPROTO_IP, socket.IP_TTL, struct.pack("=i", bfd.TTL)),
            (socket.IPPROTO_IPV6, IPV6_HOPLIMIT, struct.pack("=i", bfd.TTL))}  # fmt: skip


def _ttl(anc: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in anc:
        if (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IPV6,
                                                                  IPV6_HOPLIMIT)):  # fmt: skip
            return struct.unpack("=i", data[:4])[0] if len(data) >= 4 else data[0]
    return None


def _close_tx(peer: Peer) -> None:
    if peer.tx is not None:
        peer.tx.close()
        peer.tx = None


def _bind_source_port(sock: socket.socket, address: str, tries: int = 64) -> None:
    """RFC 5881 §4: a source port in 49152-65535, the same for the session's life."""
    low, high = bfd.SOURCE_PORTS
    for _ in range(tries):
        try:
            sock.bind((address, random.randint(low, high)))
            return
        except OSError as exc:
            if exc.errno != 98:  # EADDRINUSE: try another port
                raise
    raise OSError(98, f"no free BFD source port on {address}")
