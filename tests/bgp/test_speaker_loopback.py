"""Speaker behaviour on loopback with scripted peers: no router needed.

A raw peer built from the codec sends a malformed UPDATE to one of two sessions sharing a
listener; two speakers facing each other, both active, exercise connection collision
resolution and live re-advertisement over real sockets. Each session's own states, timers and
NOTIFICATIONs are covered without sockets in tests/unit/bgp/test_session.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket

from bgplab import free_port, run, wait_until

from dxlocal.bgp.speaker import PeerSpec, Speaker
from dxlocal.bgp.wire import (
    HEADER_LEN,
    Capability,
    Keepalive,
    Notification,
    Open,
    Update,
    decode_message,
    parse_header,
)

A_ASN, B_ASN = 4200000000, 4200000001


def spec(key: str, remote: str, port: int, **kw: object) -> PeerSpec:
    fields: dict = dict(
        key=key,
        family="ipv4",
        local_address="127.0.0.1",
        remote_address=remote,
        local_asn=A_ASN,
        remote_asn=B_ASN,
        md5_key=None,
        advertise=("10.100.0.0/16",),
        next_hop="169.254.10.1",
        local_port=port,
        remote_port=free_port(),  # nobody listens there: the peer must connect to us
        hold_time=9,
        connect_retry=0.5,
    )
    fields.update(kw)
    return PeerSpec(**fields)


class RawPeer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, source: str, port: int) -> RawPeer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((source, 0))
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return cls(*await asyncio.open_connection(sock=sock))

    async def read(self, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        head = await asyncio.wait_for(self.reader.readexactly(HEADER_LEN), timeout)
        length, _ = parse_header(head)
        body = await asyncio.wait_for(self.reader.readexactly(length - HEADER_LEN), timeout)
        return decode_message(head + body)

    async def handshake(self, hold: int = 9, caps: tuple[Capability, ...] | None = None) -> Open:
        if caps is None:
            caps = (Capability.multiprotocol(1, 1), Capability.four_octet_as(B_ASN))
        self.writer.write(Open(B_ASN, hold, "192.0.2.2", caps).encode())
        theirs = await self.read()
        assert isinstance(theirs, Open)
        return theirs

    async def until(self, kind: type, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        while True:
            msg = await self.read(timeout)
            if isinstance(msg, kind):
                return msg

    def close(self) -> None:
        self.writer.close()


def test_malformed_update_ends_only_that_session() -> None:
    port = free_port()

    async def main() -> None:
        speaker = Speaker()
        try:
            await speaker.reconcile(
                [spec("bad", "127.0.0.2", port), spec("good", "127.0.0.3", port)]
            )
            good, bad = (
                await RawPeer.connect("127.0.0.3", port),
                await RawPeer.connect("127.0.0.2", port),
            )
            for peer in (good, bad):
                theirs = await peer.handshake()
                assert theirs.asn == A_ASN and theirs.my_as_field == 23456
                await peer.until(Keepalive)
                peer.writer.write(Keepalive().encode())
            await wait_until(lambda: speaker.status("bad") == speaker.status("good") == "up", 5)
            announced = await bad.until(Update)
            assert announced.nlri == (ipaddress.ip_network("10.100.0.0/16"),)
            # ORIGIN value 3 → UPDATE Message Error / Invalid ORIGIN Attribute (3/6).
            body = bytes.fromhex("0000 0012 40010103 4002060201fa56ea01 400304c0000202 18c00002")
            bad.writer.write(
                b"\xff" * 16 + (HEADER_LEN + len(body)).to_bytes(2, "big") + b"\x02" + body
            )
            note = await bad.until(Notification)
            assert (note.code, note.subcode, note.data) == (3, 6, bytes.fromhex("40010103"))
            assert await bad.reader.read() == b""  # and the connection is closed
            await wait_until(lambda: speaker.status("bad") == "down", 2)
            assert speaker.status("good") == "up"
            assert "3/6" in speaker.info("bad")["lastError"]
            # After the retry delay the same peer can come back.
            await asyncio.sleep(0.6)
            again = await RawPeer.connect("127.0.0.2", port)
            await again.handshake()
            await again.until(Keepalive)
            again.writer.write(Keepalive().encode())
            await wait_until(lambda: speaker.status("bad") == "up", 5)
            for peer in (good, bad, again):
                peer.close()
        finally:
            await speaker.close()

    run(main(), 30)


def test_two_speakers_collide_and_converge() -> None:
    pa, pb = free_port(), free_port()
    a_spec = spec("a", "127.0.0.2", pa, remote_port=pb, connect_retry=1.0)
    b_spec = dataclasses.replace(
        a_spec,
        key="b",
        local_address="127.0.0.2",
        remote_address="127.0.0.1",
        local_asn=B_ASN,
        remote_asn=A_ASN,
        local_port=pb,
        remote_port=pa,
        advertise=("192.0.2.0/24",),
        next_hop="169.254.10.2",
    )

    async def main() -> None:
        a, b = Speaker(), Speaker()
        try:
            await asyncio.gather(a.reconcile([a_spec]), b.reconcile([b_spec]))
            await wait_until(lambda: a.status("a") == b.status("b") == "up", 10)
            await wait_until(lambda: len(a.accepted_routes("a")) == 1, 5)
            await asyncio.sleep(0.5)
            assert a.info("a")["establishedCount"] == b.info("b")["establishedCount"] == 1
            # A live advertisement change: new prefix announced, old one withdrawn, no reset.
            await b.reconcile([dataclasses.replace(b_spec, advertise=("198.51.100.0/24",))])
            await wait_until(
                lambda: [r["prefix"] for r in a.accepted_routes("a")] == ["198.51.100.0/24"], 5
            )
            assert a.info("a")["establishedCount"] == 1
        finally:
            await a.close()
            await b.close()

    run(main(), 30)
