"""The BFD endpoint on real UDP sockets in this namespace (RFC 5881): a customer made of a
``bfd.Session`` and a plain socket brings it Up; TTL 255 is sent and required."""

from __future__ import annotations

import asyncio
import random
import socket
import struct

from dxlocal.bgp import bfd
from dxlocal.bgp.bfd_endpoint import IP_RECVTTL, BfdEndpoint, discriminators
from dxlocal.bgp.sockets import NetnsSockets


def _address() -> str:
    return f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.1"


def _customer_socket(local: str, ttl: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    sock.bind((local, bfd.PORT))
    sock.setblocking(False)
    return sock


def _received(sock: socket.socket) -> list[tuple[bfd.Packet, int, tuple[str, int]]]:
    out = []
    while True:
        try:
            data, anc, _, addr = sock.recvmsg(128, socket.CMSG_SPACE(4))
        except BlockingIOError:
            return out
        ttl = next(struct.unpack("=i", d[:4])[0] for lvl, k, d in anc if k == socket.IP_TTL)
        out.append((bfd.Packet.decode(data), ttl, addr))


def test_endpoint_comes_up_with_ttl_255_and_drops_other_ttls() -> None:
    async def t() -> None:
        amazon = _address()
        cust_addr = amazon[:-1] + "2"
        endpoint = BfdEndpoint(NetnsSockets(None), amazon, discriminators(1))
        endpoint.start()
        changes: list[bfd.Change] = []
        peer = endpoint.attach(cust_addr, changes.append)
        good = _customer_socket(cust_addr, 255)
        far = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        far.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
        try:
            theirs = bfd.Session(4242, rng=random.Random(3))
            theirs.active = True
            # A packet with TTL 64 (not a direct neighbour): dropped, we stay silent.
            far.sendto(theirs.packet(0).encode(), (amazon, bfd.PORT))
            await asyncio.sleep(0.05)
            assert endpoint.dropped_ttl == 1 and peer.session.state is bfd.State.DOWN
            assert not _received(good)
            loop = asyncio.get_running_loop()
            for _ in range(20):
                good.sendto(theirs.packet(loop.time()).encode(), (amazon, bfd.PORT))
                await asyncio.sleep(0.05)
                for pkt, ttl, src in _received(good):
                    assert ttl == 255 and 49152 <= src[1] <= 65535 and src[0] == amazon
                    theirs.receive(pkt, loop.time())
                if peer.session.state is bfd.State.UP and theirs.state is bfd.State.UP:
                    break
            assert peer.session.state is bfd.State.UP, peer.info()
            assert [c.new for c in changes] == [bfd.State.INIT, bfd.State.UP]
            # The customer falls silent: Down after 3 x 300 ms (well before a second).
            start = loop.time()
            while peer.session.state is bfd.State.UP and loop.time() - start < 3:
                await asyncio.sleep(0.02)
            assert peer.session.state is bfd.State.DOWN
            assert changes[-1].diag is bfd.Diag.DETECTION_EXPIRED
            assert loop.time() - start >= 0.7  # not before the detection time
        finally:
            endpoint.close()
            good.close()
            far.close()

    asyncio.run(asyncio.wait_for(t(), 20))


def test_packets_queued_while_the_loop_was_busy_count_before_the_detection_verdict() -> None:
    """The loop runs due timers before it polls sockets: after a stall, the detection
    timer must not fire while the customer's packets wait unread in the socket."""

    async def t() -> None:
        amazon = _address()
        cust_addr = amazon[:-1] + "2"
        endpoint = BfdEndpoint(NetnsSockets(None), amazon, discriminators(5))
        endpoint.start()
        changes: list[bfd.Change] = []
        peer = endpoint.attach(cust_addr, changes.append)
        good = _customer_socket(cust_addr, 255)
        loop = asyncio.get_running_loop()
        try:
            theirs = bfd.Session(4343, rng=random.Random(4))
            theirs.active = True
            for _ in range(40):
                good.sendto(theirs.packet_bytes(loop.time()), (amazon, bfd.PORT))
                await asyncio.sleep(0.02)
                for pkt, _, _ in _received(good):
                    theirs.receive(pkt, loop.time())
                if peer.session.state is theirs.state is bfd.State.UP:
                    break
            assert peer.session.state is bfd.State.UP
            # A stall: the detection time has passed, but a packet is waiting in the socket.
            # (loopback delivers at sendto; the loop does not run until the next await)
            good.sendto(theirs.packet_bytes(loop.time()), (amazon, bfd.PORT))
            peer.session.detect_deadline = loop.time() - 0.001
            endpoint._fire(peer, loop.time())
            assert peer.session.state is bfd.State.UP, changes
            assert peer.session.detect_deadline > loop.time()  # type: ignore[operator]
            # Nothing queued: the same verdict takes it down.
            peer.session.detect_deadline = loop.time() - 0.001
            endpoint._fire(peer, loop.time())
            assert peer.session.state is bfd.State.DOWN
            assert changes[-1].diag is bfd.Diag.DETECTION_EXPIRED
        finally:
            endpoint.close()
            good.close()

    asyncio.run(asyncio.wait_for(t(), 20))
