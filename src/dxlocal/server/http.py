"""The native HTTP/1.1 front end of ``dxlocal serve``: asyncio + httptools, with group commit.

    data_received ──httptools──▶ complete request ──▶ pending (every connection)
    call_soon(flush) once per loop turn:
        the open group: the outermost unit of work (core/work.py), which fires due timers
          └─ each request: a nested unit (a savepoint of its own)
        wrote anything, and new requests in the next turn? ── yes (and the group not full)
                                                             ─▶ flush again
                 └─ no ─▶ COMMIT ─▶ listeners hear the group's changes ─▶ every response
                          is written

A response leaves only after the COMMIT that holds its changes, so an acknowledged call is
durable; requests that arrive together share that COMMIT (group commit), which is what the
write path costs most. A group stays open while each loop turn (a poll that does not wait)
brings more requests, up to 64 requests or 5 ms, so clients whose requests cross on the
wire share one COMMIT rather than alternating between two half-size ones. A group that has
written nothing (reads only: their events are written later, docs/failures.md#events) is
answered at the end of its first turn, as its COMMIT has nothing to make durable. A failed
request rolls back its own savepoint only. Keep-alive, pipelining (answers in order), chunked
request bodies and ``Expect: 100-continue`` are handled; bodies beyond the size limit are not
kept (the service answers 413).

Shutdown (SIGTERM, SIGINT): the requests already received are handled in a last group and
answered after its COMMIT; then every connection is closed, so a request that arrives later
meets a closed connection, never an answer from a closed store.

The ASGI app (``server/asgi.py``) serves the same ``Service`` for other ASGI servers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, Protocol

import httptools

from dxlocal.server import limits
from dxlocal.server.service import Service

log = logging.getLogger("dxlocal")
MAX_GROUP = 64  # requests behind one COMMIT at most
MAX_AGE = 0.005  # seconds a group stays open for more requests at most
_FAILURE = (
    500,
    [("content-type", "application/json")],
    b'{"__type":"InternalFailure","message":"The request could not be committed."}',
)
_BUSY = (
    503,
    [("content-type", "application/json")],
    b'{"__type":"ServiceUnavailable","message":"The server has too many open connections."}',
)
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_CRLF = "\r\n"


_SLICE = 16 * 1024  # a request head is parsed in slices this size, so its size is known
_NAMES: dict[bytes, str] = {}  # header names as sent -> lower-case text
# The server's one clock (timeouts, a group's age): monotonic seconds, read directly.
_now = time.monotonic


class _Connection(asyncio.Protocol):
    """One client connection. Answers leave in the order the requests came (pipelining);
    a framing error or a limit (server/limits.py) is answered only after every request
    before it, and then the connection closes; nothing after it is read."""

    __slots__ = (
        "server", "limits", "transport", "parser", "url", "headers", "body", "size", "closed",
        "in_head", "head_seen", "header_bytes", "began", "last", "inflight", "stopping",
        "final", "backlog",
    )  # fmt: skip

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.limits = server.limits
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.closed = False
        self.inflight = 0  # requests handed to the server, not yet answered
        self.stopping = False  # no further request is read
        self.final: tuple[int, str] | None = None  # an error owed after the inflight answers
        self.last = _now()
        self.in_head = False
        self.began = 0.0
        # Answers held back behind one not ready yet (a control route that waits), so the
        # answers still leave in the order of the requests.
        self.backlog: collections.deque[tuple[Any, bool]] | None = None
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.head_seen = 0
        self.header_bytes = 0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.admit(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.forget(self)

    def data_received(self, data: bytes) -> None:
        self.last = _now()
        if len(data) <= _SLICE:  # most reads: one slice, fed as it is
            if data and not self.stopping:
                self._feed(data)
            return
        view = memoryview(data)
        while view and not self.stopping:
            piece = view[:_SLICE] if self.in_head or not self.began else view
            view = view[len(piece) :]
            self._feed(piece)

    def _feed(self, piece: bytes | memoryview) -> None:
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserUpgrade:
            self.refuse(400, "upgrades are not supported")
        except httptools.HttpParserError:
            if not self.stopping:  # a limit hit in a callback has answered already
                self.refuse(400, "malformed HTTP request")
        if self.in_head and not self.stopping:
            # Bytes of a head not yet complete (httptools keeps partial fields itself).
            self.head_seen += len(piece)
            limits = self.limits
            if self.head_seen > limits.max_request_line + limits.max_header_bytes + _SLICE:
                self._too_large()

    def _too_large(self) -> None:
        if not self.header_bytes:
            self.refuse(414, "request line too long")
        else:
            self.refuse(431, "request header fields too large")

    def refuse(self, status: int, message: str) -> None:
        """Stop reading; answer ``status`` once every earlier request has its answer."""
        self.stopping = True
        self.in_head = False
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()
        self.final = (status, message)
        if self.inflight == 0:
            self._send_final()

    def _send_final(self) -> None:
        if self.final is not None:
            status, message = self.final
            self.final = None
            self._send(status, [("content-type", "text/plain")], message.encode(), False)

    def close_if_idle(self, now: float) -> bool:
        """The sweep's check (server/limits.py): close on a slow head or a silent
        connection. True if closed."""
        if self.closed or self.stopping:
            return False
        limits = self.limits
        if self.in_head:
            if now - self.began > limits.header_timeout:
                self.refuse(408, "request head not received in time")
                return True
            return False
        if self.inflight or now - self.last <= limits.idle_timeout:
            return False  # busy (an answer is owed) or not silent long enough
        if self.began:
            self.refuse(408, "request body not received in time")
        elif self.transport is not None:
            self.transport.close()
            self.closed = True
        return True

    @property
    def idle(self) -> bool:
        return not (self.in_head or self.began or self.inflight or self.closed)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._reset()
        self.in_head = True
        self.began = _now()

    def on_url(self, url: bytes) -> None:
        if self.stopping:
            return
        self.url += url
        if len(self.url) > self.limits.max_request_line:
            self.refuse(414, "request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.stopping:
            return
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > self.limits.max_header_bytes:
            self.refuse(431, "request header fields too large")
            return
        key = _NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(_NAMES) < 256 and len(name) <= 64:  # the names clients send: a few dozen
                _NAMES[name] = key
        self.headers[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.in_head = False
        if self.stopping:
            return
        if self.headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        limit = self.server.limit
        if self.size <= limit:
            self.body.append(body[: limit + 1 - self.size])
        self.size += len(body)

    def on_message_complete(self) -> None:
        self.began = 0.0
        if self.stopping:
            return
        url = self.url.decode("latin-1")
        # The control API reads query parameters (/_dxlocal/events?since=…); the AWS
        # protocols served here carry none.
        path = url if url.startswith("/_dxlocal") else url.split("?", 1)[0] or "/"
        method = self.parser.get_method().decode("latin-1")
        body = b"".join(self.body)
        keep_alive = self.parser.should_keep_alive()
        if not keep_alive:
            # Connection: close (or HTTP/1.0): this is the last request read.
            self.stopping = True
            if self.transport is not None:
                self.transport.pause_reading()
        self.inflight += 1
        self.server.enqueue(self, method, path, self.headers, body, keep_alive)

    def answer(self, answer: Any, keep_alive: bool) -> None:
        """Write ``answer`` (a response, or a coroutine giving one) after every earlier one."""
        if self.backlog is None and isinstance(answer, tuple):
            self.write(*answer, keep_alive)
            return
        if self.backlog is None:
            self.backlog = collections.deque()
            asyncio.ensure_future(self._drain())
        self.backlog.append((answer, keep_alive))

    async def _drain(self) -> None:
        assert self.backlog is not None
        while self.backlog:
            answer, keep_alive = self.backlog.popleft()
            if not isinstance(answer, tuple):
                answer = await answer
            self.write(*answer, keep_alive)
        self.backlog = None

    def close(self) -> None:
        """Close once what is written has been sent (shutdown)."""
        self.stopping = True
        if not self.closed and self.transport is not None:
            self.transport.close()
        self.closed = True

    def write(
        self, status: int, headers: list[tuple[str, str]], body: bytes, keep_alive: bool
    ) -> None:
        """The answer to the oldest request in flight."""
        self.inflight -= 1
        self.last = _now()
        self._send(status, headers, body, keep_alive)
        if self.inflight == 0:
            self._send_final()  # an error owed for a later request, then the close

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, keep_alive: bool
    ) -> None:
        if self.closed or self.transport is None:
            return
        fields = [*map(": ".join, headers), f"content-length: {len(body)}"]
        if not keep_alive:
            fields.append("connection: close")
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n{_CRLF.join(fields)}\r\n\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        if not keep_alive:
            self.transport.close()
            self.closed = True


class Companion(Protocol):
    """Something that runs beside the server for its lifetime (the live BGP bridge)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class HttpServer:
    def __init__(self, service: Service, companions: Iterable[Companion] = ()) -> None:
        self.service = service
        self.companions = list(companions)
        self._closing = False
        self.limit = service.settings.max_body
        self.limits = limits.Limits.from_settings(service.settings)
        # Open client connections, oldest first (server/limits.py).
        self._connections: dict[_Connection, None] = {}
        self._pending: list[tuple[_Connection, str, str, dict[str, str], bytes, bool]] = []
        self._scheduled = False
        # The open group: its transaction, when it opened, the answers it holds back.
        self._group: contextlib.AbstractContextManager[Any] | None = None
        self._group_tx: Any = None  # the open group's transaction (store/base.py Tx)
        self._opened = 0.0
        self._answers: list[tuple[_Connection, Any, bool]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def admit(self, conn: _Connection) -> None:
        """A new connection: past the cap, the longest-idle one is closed to make room;
        with none idle, the newcomer is refused (503)."""
        if len(self._connections) >= self.limits.max_connections:
            idle = [c for c in self._connections if c.idle]
            if idle:
                oldest = min(idle, key=lambda c: c.last)
                if oldest.transport is not None:
                    oldest.transport.close()
                oldest.closed = True
                self._connections.pop(oldest, None)
            else:
                conn.stopping = True
                conn._send(*_BUSY, False)
                return
        self._connections[conn] = None

    def forget(self, conn: _Connection) -> None:
        self._connections.pop(conn, None)

    def _sweep(self) -> None:
        """Close connections past a timeout; runs every ``limits.sweep_interval``."""
        assert self._loop is not None
        now = _now()
        for conn in list(self._connections):
            conn.close_if_idle(now)
        self._loop.call_later(self.limits.sweep_interval, self._sweep)

    def enqueue(
        self,
        conn: _Connection,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        keep_alive: bool,
    ) -> None:
        if self._closing:
            conn.close()  # shutting down: no answer, a closed connection
            return
        self._pending.append((conn, method, path, headers, body, keep_alive))
        if not self._scheduled:
            self._scheduled = True
            assert self._loop is not None
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Handle what arrived this loop turn inside the open group. The group is committed,
        and its answers written, once a loop turn brings no new request (every client that
        had something to send has sent it) or the group is full or old enough."""
        self._scheduled = False
        batch, self._pending = self._pending, []
        if batch and self.service.store.shared:
            # A shared store: calls are not grouped (one call's lost race must not undo the
            # others); each is an outermost unit of its own.
            for conn, method, path, headers, body, keep_alive in batch:
                conn.answer(self.service.handle(method, path, headers, body), keep_alive)
            return
        if batch:
            assert self._loop is not None
            if self._group is None:
                # The outermost unit: it fires the timers that are due, ahead of the
                # group's requests and in its COMMIT.
                group = self.service.work.unit("group")
                try:
                    self._group_tx = group.__enter__().tx
                except Exception:  # the store failed (it left nothing open): these fail
                    log.exception("opening a group of %d requests failed", len(batch))
                    for conn, *_, keep_alive in batch:
                        conn.answer(_FAILURE, keep_alive)
                    return
                self._group = group
                self._opened = _now()
            done = 0
            try:
                for conn, method, path, headers, body, keep_alive in batch:
                    answer = self.service.handle(method, path, headers, body)
                    self._answers.append((conn, answer, keep_alive))
                    done += 1
            except BaseException as exc:
                # The group rolls back: every request in it (answered or not) fails, once.
                self._answers += [(c, _FAILURE, k) for c, *_, k in batch[done:]]
                self._commit(exc)
                if not isinstance(exc, Exception):
                    raise
                return
            if (
                self._group_tx.wrote  # else nothing to make durable: answered now
                and len(self._answers) < MAX_GROUP
                and _now() - self._opened < MAX_AGE
                and not self._closing
            ):
                # One more loop turn (a poll that does not wait): requests already on their
                # way join this COMMIT instead of waiting for the next one.
                self._scheduled = True
                self._loop.call_soon(self.flush)
                return
        self._commit()

    def _commit(self, error: BaseException | None = None) -> None:
        """COMMIT the open group (or roll it back after ``error``), then write its answers:
        no answer leaves before the COMMIT that holds its changes."""
        group, self._group = self._group, None
        self._group_tx = None
        answers, self._answers = self._answers, []
        if group is None:
            return
        try:
            if error is None:
                group.__exit__(None, None, None)  # COMMIT, then the listeners hear of it
            else:
                group.__exit__(type(error), error, error.__traceback__)  # ROLLBACK
        except Exception as exc:
            error = exc
        if error is not None:
            log.error("group commit of %d requests failed", len(answers), exc_info=error)
            for _, answer, _ in answers:
                if not isinstance(answer, tuple):
                    answer.close()  # a waiting control route's answer, never awaited
            answers = [(conn, _FAILURE, keep_alive) for conn, _, keep_alive in answers]
        for conn, answer, keep_alive in answers:
            conn.answer(answer, keep_alive)

    async def serve(
        self,
        host: str,
        port: int,
        ready: asyncio.Event | None = None,
        on_listening: Callable[[int], None] | None = None,
    ) -> None:
        """Serve until SIGINT/SIGTERM. ``on_listening(port)`` runs once the port is bound
        (the port actually bound, for port 0); a port that cannot be bound raises
        ``CannotListen`` with the store closed."""
        self._loop = asyncio.get_running_loop()
        try:
            server = await self._loop.create_server(
                lambda: _Connection(self), host, port, backlog=1024
            )
        except OSError as exc:
            self.service.close()
            raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self.service.store.start_background()  # no COMMIT waits for a checkpoint
        ticker = asyncio.create_task(self.service.work.tick())
        self._loop.call_later(self.limits.sweep_interval, self._sweep)
        for companion in self.companions:
            await companion.start()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(sig, stop.set)
        if on_listening is not None:
            on_listening(server.sockets[0].getsockname()[1])
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            # No await until every connection is closed: no request slips in between.
            self._closing = True
            server.close()
            self.flush()  # what was received: handled in a last group, COMMIT, answered
            for conn in list(self._connections):
                if conn.backlog is None:
                    conn.close()
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            for companion in reversed(self.companions):
                await companion.stop()
            self.service.close()


class CannotListen(OSError):
    """The port could not be bound (in use, not permitted, no such address)."""


def run(
    service: Service,
    host: str,
    port: int,
    companions: Iterable[Companion] = (),
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, on uvloop when it is installed; ``companions`` start
    after the port is bound and stop before the store closes."""
    serving = HttpServer(service, companions).serve(host, port, on_listening=on_listening)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serving)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serving)


__all__ = ["CannotListen", "HttpServer", "run"]
