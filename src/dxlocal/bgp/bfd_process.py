"""BFD in a process of its own: the speaker's BFD endpoints run in a child (docs/bfd.md#process).

The detection time is 900 ms (RFC 5880 §6.8.4 with 300 ms x 3), so a BFD speaker must send a
packet at least every 300 ms whatever else it is doing. On the API's event loop one slow
request would hold every BFD packet back and the customers' routers would declare the path
down. So the endpoints (sockets, timer wheel, state machine: ``bfd_endpoint.py``,
``bfd_timers.py``, ``bfd.py``) run in ``python -m dxlocal.bgp.bfd_process``, a child of the
server, on an event loop that does nothing else; the speaker keeps the BGP sessions and talks
to it over a Unix socket pair, one JSON object a line:

* to the child: ``attach`` (key, namespace, Amazon and customer address, interval,
  multiplier, admin down), ``detach`` (key), ``admin`` (key, down);
* from the child: ``attached`` (key, whether the endpoint could bind), ``change`` (key, old
  and new state, diagnostic, the session's figures) at once on every transition, and ``info``
  (the figures that changed) every ``INFO_EVERY`` seconds.

The child dies with its parent: ``PR_SET_PDEATHSIG`` and, should that miss, end of file on
the socket. If the child dies first the speaker forgets its BFD sessions and starts a new
child at the next reconcile.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable

from . import bfd
from .bfd_endpoint import BfdEndpoint, Peer, discriminators, fire
from .bfd_timers import Timers
from .sockets import NetnsSockets

log = logging.getLogger("dxlocal.bgp")

INFO_EVERY = 0.5  # seconds between two pushes of the sessions' changed figures
PR_SET_PDEATHSIG = 1  # Linux <sys/prctl.h>
OnBfdChange = Callable[[str, bfd.Change], None]


class Channel:
    """One end of the socket pair on an event loop: JSON lines in and out, never blocking
    (what the other end has not read yet waits in a buffer)."""

    def __init__(self, sock: socket.socket, on_message: Callable[[dict], None],
                 on_close: Callable[[], None]) -> None:  # fmt: skip
        sock.setblocking(False)
        self.sock = sock
        self.on_message = on_message
        self.on_close = on_close
        self._in = b""
        self._out = bytearray()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        self.closed = False
        self._writer = False  # waiting for the socket to take the rest of _out

    def send(self, message: dict) -> None:
        if self.closed:
            return
        self._out += json.dumps(message, separators=(",", ":")).encode() + b"\n"
        if not self._writer:
            self._flush()

    def _flush(self) -> None:
        try:
            n = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            self.close()
            return
        del self._out[:n]
        if self._out and not self._writer:
            self._loop.add_writer(self.sock.fileno(), self._flush)
            self._writer = True
        elif not self._out and self._writer:
            self._loop.remove_writer(self.sock.fileno())
            self._writer = False

    def _readable(self) -> None:
        try:
            data = self.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        *lines, self._in = (self._in + data).split(b"\n")
        for line in lines:
            try:
                self.on_message(json.loads(line))
            except Exception:
                log.exception("bfd channel: message %r failed", line[:200])

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._loop.remove_reader(self.sock.fileno())
        if self._writer:
            self._loop.remove_writer(self.sock.fileno())
        self.sock.close()
        self.on_close()


class BfdProcess:
    """The speaker's side: starts the child on first use and mirrors its sessions' figures."""

    def __init__(self, on_change: OnBfdChange) -> None:
        self.on_change = on_change
        self.proc: subprocess.Popen | None = None
        self.channel: Channel | None = None
        self.pending: dict[str, int] = {}  # key -> attach number, until the child answers
        self.infos: dict[str, dict] = {}  # attached keys and their last figures
        self._seq = 0

    def attached(self, key: str) -> bool:
        """Attached or asked for (a refused attach is forgotten: the next reconcile retries)."""
        return key in self.infos or key in self.pending

    def attach(self, key: str, netns: str | None, local: str, remote: str, *,
               admin_down: bool = False, min_interval: float = bfd.MIN_INTERVAL,
               multiplier: int = bfd.MULTIPLIER) -> None:  # fmt: skip
        self._start()
        self._seq += 1
        self.pending[key] = self._seq
        self._send(op="attach", key=key, seq=self._seq, netns=netns, local=local, remote=remote,
                   admin=admin_down, interval=min_interval, mult=multiplier)  # fmt: skip

    def detach(self, key: str) -> None:
        if self.pending.pop(key, None) is not None or self.infos.pop(key, None) is not None:
            self._send(op="detach", key=key)

    def admin(self, key: str, down: bool) -> None:
        if self.attached(key):
            self._send(op="admin", key=key, down=down)

    def info(self, key: str) -> dict | None:
        return self.infos.get(key)

    def close(self) -> None:
        channel, proc = self.channel, self.proc
        self.channel = self.proc = None
        self.pending.clear()
        self.infos.clear()
        if channel is not None:
            channel.close()  # end of file: the child exits
        if proc is not None:
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- internals -------------------------------------------------------------------------
    def _start(self) -> None:
        if self.channel is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            argv = [sys.executable, "-m", "dxlocal.bgp.bfd_process", str(theirs.fileno()),
                    str(os.getpid()), str(log.getEffectiveLevel())]  # fmt: skip
            self.proc = subprocess.Popen(
                argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.channel = Channel(ours, self._message, self._closed)
        log.info("bfd: child process %d started", self.proc.pid)

    def _send(self, **message: object) -> None:
        if self.channel is not None:
            self.channel.send(message)

    def _closed(self) -> None:
        if self.channel is None:
            return  # close() asked for it
        log.error("bfd: child process ended; its sessions start again at the next reconcile")
        proc, self.channel, self.proc = self.proc, None, None
        self.pending.clear()
        self.infos.clear()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def _message(self, msg: dict) -> None:
        ev, key = msg.get("ev"), msg.get("key", "")
        if ev == "attached":
            if self.pending.get(key) != msg["seq"]:
                return  # detached or attached again since
            del self.pending[key]
            if msg["ok"]:
                self.infos[key] = msg["info"]
        elif ev == "change":
            if key in self.infos:
                self.infos[key] = msg["info"]
                change = bfd.Change(bfd.State(msg["old"]), bfd.State(msg["new"]),
                                    bfd.Diag(msg["diag"]))  # fmt: skip
                self.on_change(key, change)
        elif ev == "info":
            for k, info in msg["infos"].items():
                if k in self.infos:
                    self.infos[k] = info


class _Child:
    """The child's side: the endpoints, their peers and the one timer wheel."""

    def __init__(self) -> None:
        self.sockets: dict[str | None, NetnsSockets] = {}
        self.endpoints: dict[tuple[str | None, str], BfdEndpoint] = {}
        self.peers: dict[str, Peer] = {}
        self.where: dict[str, tuple[str | None, str]] = {}
        self.pushed: dict[str, dict] = {}
        self.ids = discriminators()
        self.timers: Timers | None = None
        self.channel: Channel | None = None

    async def run(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self.timers = Timers(loop, fire)  # type: ignore[arg-type]
        self.channel = Channel(sock, self.handle, lambda: done.done() or done.set_result(None))
        push = loop.call_later(INFO_EVERY, self._push, loop)
        try:
            await done
        finally:
            push.cancel()
            for endpoint in self.endpoints.values():
                endpoint.close()
            self.timers.close()
            for factory in self.sockets.values():
                factory.close()

    def handle(self, msg: dict) -> None:
        op, key = msg["op"], msg["key"]
        if op == "attach":
            ok = self._attach(key, msg)
            info = self.peers[key].info() if ok else None
            if info is not None:
                self.pushed[key] = info
            self.channel.send({"ev": "attached", "key": key, "seq": msg["seq"], "ok": ok,  # type: ignore[union-attr]
                               "info": info})  # fmt: skip
        elif op == "detach":
            self._detach(key)
        elif op == "admin" and key in self.peers:
            self.peers[key].admin(msg["down"])
            info = self.pushed[key] = self.peers[key].info()  # the new state shows at once
            self.channel.send({"ev": "info", "infos": {key: info}})  # type: ignore[union-attr]

    def _attach(self, key: str, msg: dict) -> bool:
        self._detach(key)
        netns, local, remote = msg["netns"], msg["local"], msg["remote"]
        ekey = (netns, local)
        endpoint = self.endpoints.get(ekey)
        if endpoint is None:
            try:
                if netns not in self.sockets:
                    self.sockets[netns] = NetnsSockets(netns)
            except OSError as exc:
                log.debug("%s: no namespace %s for BFD yet: %s", key, netns, exc)
                return False
            endpoint = BfdEndpoint(self.sockets[netns], local, self.ids, self.timers)
        if not endpoint.open:
            try:
                endpoint.start()
            except OSError as exc:
                log.debug("%s: no BFD on %s yet: %s", key, local, exc)
                return False
        self.endpoints[ekey] = endpoint
        if remote in endpoint.peers:
            return False  # loopback transport: ::1 shared by several sessions; the first has it

        def changed(change: bfd.Change) -> None:
            info = self.peers[key].info()
            self.pushed[key] = info
            self.channel.send({"ev": "change", "key": key, "old": int(change.old),  # type: ignore[union-attr]
                               "new": int(change.new), "diag": int(change.diag), "info": info})  # fmt: skip

        peer = endpoint.attach(remote, changed)
        peer.session.min_interval = peer.session.required_min_rx = msg["interval"]
        peer.session.detect_mult = msg["mult"]
        self.peers[key] = peer
        self.where[key] = ekey
        if msg["admin"]:
            peer.admin(True)
        return True

    def _detach(self, key: str) -> None:
        peer = self.peers.pop(key, None)
        self.pushed.pop(key, None)
        if peer is None:
            return
        ekey = self.where.pop(key)
        endpoint = peer.endpoint
        endpoint.detach(peer)
        if not endpoint.peers:
            endpoint.close()
            self.endpoints.pop(ekey, None)

    def _push(self, loop: asyncio.AbstractEventLoop) -> None:
        changed = {}
        for key, peer in self.peers.items():
            info = peer.info()
            if info != self.pushed.get(key):
                self.pushed[key] = changed[key] = info
        if changed and self.channel is not None:
            self.channel.send({"ev": "info", "infos": changed})
        loop.call_later(INFO_EVERY, self._push, loop)


def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent exits (Linux); gone already: exit now."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # end of file on the socket still ends the child
    if os.getppid() != parent:
        sys.exit(0)


def main(argv: list[str]) -> None:
    fd, parent, level = int(argv[0]), int(argv[1]), int(argv[2])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when BFD stops
    logging.basicConfig(format="%(asctime)s bfd[%(process)d] %(levelname)s %(message)s")
    log.setLevel(level)  # the server's level for dxlocal.bgp: state changes are logged
    sock = socket.socket(fileno=fd)
    try:  # the server's loop too when it is installed (docs/bfd.md#cost)
        import uvloop
    except ImportError:
        asyncio.run(_Child().run(sock))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_Child().run(sock))


if __name__ == "__main__":
    main(sys.argv[1:])
