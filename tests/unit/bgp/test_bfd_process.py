"""BFD in its child process (docs/bfd.md#process) on real UDP sockets in this namespace: a
customer made of a ``bfd.Session`` and a plain socket brings a session Up through the child,
the changes and figures come back over the socket pair, AdminDown goes out, and the child
exits when its parent's end of the pair closes."""

from __future__ import annotations

import asyncio
import random
import socket

from dxlocal.bgp import bfd
from dxlocal.bgp.bfd_endpoint import IP_RECVTTL
from dxlocal.bgp.bfd_process import BfdProcess


def _customer(local: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    sock.bind((local, bfd.PORT))
    sock.setblocking(False)
    return sock


def test_child_brings_a_session_up_reports_changes_and_exits_with_its_parent() -> None:
    async def t() -> None:
        amazon = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.1"
        cust_addr = amazon[:-1] + "2"
        changes: list[tuple[str, bfd.Change]] = []
        proc = BfdProcess(lambda key, change: changes.append((key, change)))
        sock = _customer(cust_addr)
        loop = asyncio.get_running_loop()
        theirs = bfd.Session(4242, rng=random.Random(3))
        theirs.active, theirs.next_tx = True, 0.0

        def exchange() -> None:
            if theirs.due(loop.time()) or theirs.send_final:
                sock.sendto(theirs.packet(loop.time()).encode(), (amazon, bfd.PORT))
            while True:
                try:
                    data = sock.recv(128)
                except BlockingIOError:
                    return
                theirs.receive(bfd.Packet.decode(data), loop.time())

        try:
            proc.attach("dxpeer-1", None, amazon, cust_addr)
            assert proc.attached("dxpeer-1") and proc.info("dxpeer-1") is None  # not yet bound
            for _ in range(200):
                exchange()
                info = proc.info("dxpeer-1")
                if info and info["state"] == "Up" and theirs.state is bfd.State.UP:
                    break
                await asyncio.sleep(0.02)
            info = proc.info("dxpeer-1")
            assert info is not None and info["state"] == "Up", info
            assert [(k, c.new) for k, c in changes] == [("dxpeer-1", bfd.State.INIT),
                                                        ("dxpeer-1", bfd.State.UP)]  # fmt: skip
            assert (info["minIntervalMs"], info["multiplier"]) == (300, 3)

            proc.admin("dxpeer-1", True)  # the peer held down: the customer hears AdminDown
            for _ in range(100):
                exchange()
                if theirs.remote_state is bfd.State.ADMIN_DOWN:
                    break
                await asyncio.sleep(0.02)
            assert theirs.remote_state is bfd.State.ADMIN_DOWN
            assert proc.info("dxpeer-1")["state"] == "AdminDown"  # type: ignore[index]

            proc.admin("dxpeer-1", False)  # back; then the customer falls silent
            for _ in range(100):
                exchange()
                if proc.info("dxpeer-1")["state"] == "Up":  # type: ignore[index]
                    break
                await asyncio.sleep(0.02)
            start = loop.time()
            while changes[-1][1].new is not bfd.State.DOWN and loop.time() - start < 3:
                await asyncio.sleep(0.02)
            assert changes[-1][1] == bfd.Change(bfd.State.UP, bfd.State.DOWN,
                                                bfd.Diag.DETECTION_EXPIRED)  # fmt: skip
            assert loop.time() - start >= 0.7  # not before the detection time
            assert proc.info("dxpeer-1")["lastDownReason"] == "Detection expired"  # type: ignore[index]

            child = proc.proc
            assert child is not None
            child.kill()  # the child dies on its own: its sessions are forgotten
            for _ in range(100):
                if not proc.attached("dxpeer-1"):
                    break
                await asyncio.sleep(0.02)
            assert not proc.attached("dxpeer-1") and proc.proc is None
            proc.attach("dxpeer-1", None, amazon, cust_addr)  # the next reconcile: a new child
            for _ in range(100):
                if proc.info("dxpeer-1") is not None:
                    break
                await asyncio.sleep(0.02)
            assert proc.info("dxpeer-1") is not None and proc.proc is not None
            child = proc.proc
            proc.close()  # end of file on the socket pair: the child exits by itself
            assert child.returncode == 0
        finally:
            proc.close()
            sock.close()

    asyncio.run(asyncio.wait_for(t(), 30))
