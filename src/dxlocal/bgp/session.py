"""One BGP session (one peer, one address family) driven by asyncio.

The session runs RFC 4271 §8 as one coroutine per state; each waits on the session's event
queue (see ``connection.py``) and its timers, and returns the next state:

    _idle ──► _connect ⇄ _active ──► _opensent ──► _openconfirm ──► _established
      ▲  (retry delay)                    any error: NOTIFICATION, close, back to _idle

* Both passive (connections handed over by the speaker's shared listener) and active (our own
  connector, retried every ``connect_retry`` seconds, §8.2.2 ConnectRetryTimer).
* Collisions (§6.8): a connection arriving in OpenSent/OpenConfirm becomes a *candidate*; we
  send it our OPEN, and once an OPEN tells us the peer's BGP Identifier the connection
  initiated by the higher identifier survives, the other gets Cease/Connection Collision
  Resolution (6/7). A connection arriving while Established is refused the same way.
* A malformed message ends this session with the codec's NOTIFICATION, never the process.
* Received paths holding our own ASN are dropped (rib.py); more accepted prefixes than
  ``max_prefixes`` → Cease/Maximum Number of Prefixes Reached (6/1, RFC 4486), then Idle
  for ``connect_retry`` seconds before trying again.
* Graceful restart (RFC 4724, docs/bfd.md#graceful-restart): we advertise the capability
  (restart time ``spec.restart_time``, 120 s). When the TCP connection of an Established
  session whose peer advertised it for our family ends without a NOTIFICATION, the peer's
  routes are kept, marked stale, until it comes back and sends End-of-RIB (those it did not
  send again are dropped then), its new OPEN lacks the Forwarding State bit (all dropped), or
  the peer's restart time runs out.
* A session carries one family (IPv4 unicast or IPv6 unicast) and announces only that one,
  as Direct Connect does; it still records whatever the peer sends.

Seams. All timers read the session's ``Clock`` (``clock.py``; a ``ManualClock`` in tests) and
every outgoing connection comes from its ``Dial`` function (TCP with MD5 through
``NetnsSockets`` by default), so a test can hand the session in-memory streams and drive
every state without sockets or real time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .clock import Clock, MonotonicClock
from .connection import (
    Closed,
    Connected,
    Connection,
    DialFailed,
    Event,
    Failed,
    Incoming,
    PathDown,
    Readvertise,
    Received,
    Trace,
)
from .fsm import (
    OPENSENT_HOLD_TIME,
    Fsm,
    State,
    keep_locally_initiated,
    keepalive_interval,
    negotiate_hold_time,
)
from .rib import AdjRibIn, AdjRibOut, Route, parse_community, parse_prefixes
from .sockets import NetnsSockets, connecting_socket
from .wire import (
    AFI_IPV4,
    AFI_IPV6,
    AS_SEQUENCE,
    SAFI_UNICAST,
    Attributes,
    Capability,
    Cease,
    FsmError,
    Keepalive,
    Notification,
    Open,
    Origin,
    RouteRefresh,
    Update,
    build_announcements,
    build_withdrawals,
    validate_open,
)

if TYPE_CHECKING:
    from .speaker import PeerSpec

log = logging.getLogger("dxlocal.bgp")

OnChange = Callable[[str, str, str], None]
# Opens one TCP connection to the peer for ``spec`` (raises OSError when it cannot).
Dial = Callable[["PeerSpec"], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def tcp_dial(sockets: NetnsSockets) -> Dial:
    """Dial from ``spec.local_address`` in the sockets' namespace, TCP-MD5 keyed (RFC 2385)."""

    async def dial(spec: PeerSpec) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        sock = connecting_socket(sockets, spec.local_address, spec.remote_address, spec.md5_key)
        try:
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, (spec.remote_address, spec.remote_port))
            streams = await asyncio.open_connection(sock=sock)
        except BaseException:
            sock.close()
            raise
        return streams

    return dial


class SessionDown(Exception):
    """The session ends without a NOTIFICATION from us (the peer closed or sent one)."""


def router_id_for(spec: PeerSpec) -> str:
    """Our BGP Identifier: the IPv4 local address, or for IPv6 sessions an IPv4-shaped
    value taken from the low 32 bits of the address (RFC 6286 only asks for a non-zero
    4-octet value, unique within the AS)."""
    if spec.router_id:
        return spec.router_id
    addr = ipaddress.ip_address(spec.local_address)
    if addr.version == 4:
        return str(addr)
    low = int(addr) & 0xFFFFFFFF
    if low in (0, 0xFFFFFFFF) or ipaddress.IPv4Address(low).is_multicast:
        low = (int(addr) % 0xFFFFFFFE) | 0x01000000
    return str(ipaddress.IPv4Address(low))


class Session:
    def __init__(
        self,
        spec: PeerSpec,
        sockets: NetnsSockets | None = None,
        on_change: OnChange | None = None,
        trace: Trace | None = None,
        *,
        dial: Dial | None = None,
        clock: Clock | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        self.on_routes: Callable[[str], None] | None = None  # Adj-RIB-In changed
        if dial is None:
            if sockets is None:
                raise ValueError("a session needs sockets or a dial function")
            dial = tcp_dial(sockets)
        self.spec = spec
        self.key = spec.key
        self.version = 6 if spec.family == "ipv6" else 4
        self.afi = AFI_IPV6 if self.version == 6 else AFI_IPV4
        self.local_id = router_id_for(spec)
        self._clock: Clock = clock or MonotonicClock()
        self.fsm = Fsm(now=self._clock.now)
        self.rib_in = AdjRibIn(spec.local_asn, wall)
        self.rib_out = AdjRibOut()
        self.hold_time: int | None = None
        self.last_error = ""
        self.last_setup_seconds: float | None = None  # TCP up → Established
        self.established_count = 0
        self.established_at: float | None = None
        self._dial_fn = dial
        self._on_change = on_change
        self._trace = trace
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._conn: Connection | None = None
        self._candidates: list[Connection] = []
        self._task: asyncio.Task | None = None
        self._keepalive_task: asyncio.Task | None = None
        self._dial_task: asyncio.Task | None = None
        self._attempt = 0
        self._restart_delay = 0.0
        self._hold_deadline: float | None = None
        self.retained_until: float | None = None  # keeping a restarting peer's routes
        self._peer_restarts = False  # the connection just closed under graceful restart
        self._gr_task: asyncio.Task | None = None
        self._last_peer_open: Open | None = None  # of the last Established connection

    # -- control (called by the speaker) -----------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def established(self) -> bool:
        return self.fsm.state is State.ESTABLISHED

    @property
    def up_seconds(self) -> float | None:
        """How long the session has been Established (None when it is not)."""
        if not self.established or self.established_at is None:
            return None
        return self._clock.now() - self.established_at

    def start(self) -> None:
        if not self.running:
            self._restart_delay = 0.0
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.key)

    async def stop(self, notification: Notification, reason: str) -> None:
        """Send ``notification`` if a connection is open, close everything, go Idle."""
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1.0)  # re-cancel if a cancel got lost
        self._reset(notification)
        self._end_retention()
        self._enter(State.IDLE, reason)

    def offer(self, conn: Connection) -> bool:
        """A connection from the peer's address reached the listener."""
        if not self.running:
            return False
        conn.opened_at = self._clock.now()
        self._events.put_nowait(Incoming(conn))
        return True

    def path_down(self, reason: str) -> None:
        """BFD lost the peer: an Established session ends at once (docs/bfd.md)."""
        if self.running:
            self._events.put_nowait(PathDown(reason))

    def update_spec(self, spec: PeerSpec) -> None:
        """Apply changes that need no reconnect (advertised prefixes, next hop, limit)."""
        readvertise = (spec.advertise, spec.next_hop) != (self.spec.advertise, self.spec.next_hop)
        # A lower prefix limit is checked against what the session holds now (the
        # Readvertise event runs that check on the session's own task).
        readvertise = readvertise or spec.max_prefixes < self.spec.max_prefixes
        self.spec = spec
        if readvertise and self.running:
            self._events.put_nowait(Readvertise())

    # -- the state machine ------------------------------------------------------------
    async def _run(self) -> None:
        handlers = {
            State.IDLE: self._idle,
            State.CONNECT: self._connect,
            State.ACTIVE: self._active,
            State.OPENSENT: self._opensent,
            State.OPENCONFIRM: self._openconfirm,
            State.ESTABLISHED: self._established,
        }
        while True:
            reason = ""
            try:
                nxt = await handlers[self.fsm.state]()
            except Notification as exc:
                reason = f"sent {exc.describe()}"
                self._reset(exc)
                nxt = State.IDLE
            except SessionDown as exc:
                reason = str(exc)
                self._reset(None)
                nxt = State.IDLE
            except Exception as exc:  # our bug: end this session only, and retry later
                log.exception("%s: internal error", self.key)
                reason = f"internal error: {exc!r}"
                self._reset(Notification.cease(Cease.OUT_OF_RESOURCES, reason="internal error"))
                nxt = State.IDLE
            if reason:
                self.last_error = reason
                log.info("%s: %s", self.key, reason)
            self._enter(nxt, reason)

    def _enter(self, state: State, reason: str = "") -> None:
        if state is self.fsm.state:
            return
        prev = self.fsm.transition(state)
        log.debug("%s: %s -> %s", self.key, prev.value, state.value)
        if state is State.ESTABLISHED:
            self._notify("up", "established")
        elif prev is State.ESTABLISHED:
            self._notify("down", reason or "session closed")

    def _notify(self, status: str, reason: str) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(self.key, status, reason)
        except Exception:  # a broken callback must not take the session down
            log.exception("%s: on_change callback failed", self.key)

    async def _idle(self) -> State:
        if self._restart_delay:
            deadline = self._clock.now() + self._restart_delay
            while (ev := await self._next_event(deadline)) is not None:
                self._discard(ev)  # §8.2.2: Idle refuses incoming connections
        self._restart_delay = self.spec.connect_retry
        return State.ACTIVE if self.spec.passive else State.CONNECT

    async def _connect(self) -> State:
        self._dial()
        deadline = self._clock.now() + self.spec.connect_retry
        while True:
            ev = await self._next_event(deadline)
            if ev is None:  # ConnectRetryTimer: drop the attempt, try again, stay in Connect
                self._dial()
                deadline = self._clock.now() + self.spec.connect_retry
            elif isinstance(ev, Connected) and ev.attempt == self._attempt:
                self._adopt(ev.conn)
                return State.OPENSENT
            elif isinstance(ev, DialFailed) and ev.attempt == self._attempt:
                self.last_error = f"connect failed: {ev.reason}"
                return State.ACTIVE
            elif isinstance(ev, Incoming):
                # Our own attempt keeps going: if it completes too, it becomes a collision
                # candidate and §6.8 picks the survivor (cancelling it here could leave both
                # sides holding the connection the other one dropped).
                self._adopt(ev.conn)
                return State.OPENSENT
            else:
                self._discard(ev)

    async def _active(self) -> State:
        deadline = None if self.spec.passive else self._clock.now() + self.spec.connect_retry
        while True:
            ev = await self._next_event(deadline)
            if ev is None:
                return State.CONNECT
            if isinstance(ev, Incoming) or (
                isinstance(ev, Connected) and ev.attempt == self._attempt
            ):
                self._adopt(ev.conn)
                return State.OPENSENT
            self._discard(ev)

    async def _opensent(self) -> State:
        self._hold_deadline = self._clock.now() + OPENSENT_HOLD_TIME
        while True:
            ev = await self._next_event(self._hold_deadline)
            if ev is None:
                raise Notification.hold_timer_expired()
            self._handshake(ev)
            if self._conn is None:
                # §8.2.2: TcpConnectionFails in OpenSent → Active (errors went via Idle).
                return State.ACTIVE
            if self._conn.peer_open is not None:
                self._confirm(self._conn)
                return State.OPENCONFIRM

    async def _openconfirm(self) -> State:
        while True:
            ev = await self._next_event(self._hold_deadline)
            if ev is None:
                raise Notification.hold_timer_expired()
            self._handshake(ev)
            conn = self._conn
            if conn is None:
                raise SessionDown(self.last_error or "connection lost in OpenConfirm")
            if conn.peer_open is not None and not conn.keepalive_sent:
                self._confirm(conn)  # a collision winner replaced the connection
            if conn.keepalive_seen:
                return State.ESTABLISHED

    async def _established(self) -> State:
        conn = self._conn
        assert conn is not None
        now = self._clock.now()
        self.established_at = now
        self.last_setup_seconds = now - conn.opened_at
        self.established_count += 1
        self._cancel_dial()
        self._peer_back(conn)
        for other in self._candidates:
            other.close(Notification.cease(Cease.CONNECTION_COLLISION))
        self._candidates.clear()
        self._advertise(full=True)
        while True:
            ev = await self._next_event(self._hold_deadline)
            if ev is None:
                raise Notification.hold_timer_expired()
            if isinstance(ev, Readvertise):
                self._advertise(full=False)
                self._check_prefix_limit()
            elif isinstance(ev, PathDown):
                # RFC 5882 §3.2 / RFC 9384: BFD Down ends the session with Cease/BFD Down.
                raise Notification.cease(Cease.BFD_DOWN, reason=ev.reason)
            elif isinstance(ev, (Incoming, Connected)):
                # §6.8: a collision with an Established session closes the new connection.
                ev.conn.close(Notification.cease(Cease.CONNECTION_COLLISION))
            elif getattr(ev, "conn", None) is not conn:
                self._discard(ev)
            elif isinstance(ev, Received):
                self._restart_hold_timer()
                self._on_message(ev.message)
            elif isinstance(ev, Failed):
                raise ev.notification
            elif isinstance(ev, Closed):
                self._peer_restarts = self._graceful(conn)
                raise SessionDown(ev.reason)

    # -- helpers for the states ---------------------------------------------------------
    async def _next_event(self, deadline: float | None) -> Event | None:
        if deadline is None:
            return await self._events.get()
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with a completed get(), which would make stop() hang.
        try:
            async with self._clock.timeout_at(deadline):
                return await self._events.get()
        except TimeoutError:
            return None

    def _discard(self, ev: Event) -> None:
        """Events that do not concern the current state: close stray connections."""
        if (
            isinstance(ev, (Incoming, Connected))
            and ev.conn is not self._conn
            and ev.conn not in self._candidates
        ):
            ev.conn.close()

    def _dial(self) -> None:
        self._cancel_dial()
        self._attempt += 1
        self._dial_task = asyncio.get_running_loop().create_task(self._dial_once(self._attempt))

    def _cancel_dial(self) -> None:
        if self._dial_task is not None:
            self._dial_task.cancel()
            self._dial_task = None

    async def _dial_once(self, attempt: int) -> None:
        try:
            reader, writer = await self._dial_fn(self.spec)
        except OSError as exc:
            self._events.put_nowait(DialFailed(attempt, str(exc) or type(exc).__name__))
            return
        conn = Connection(reader, writer, True, self._trace, self.key)
        conn.opened_at = self._clock.now()
        self._events.put_nowait(Connected(conn, attempt))

    def _adopt(self, conn: Connection) -> None:
        self._conn = conn
        conn.start(self._events)
        conn.send(self._open_message().encode())

    def _open_message(self) -> Open:
        spec = self.spec
        return Open(
            asn=spec.local_asn,
            hold_time=spec.hold_time,
            bgp_id=self.local_id,
            capabilities=(
                Capability.multiprotocol(self.afi, SAFI_UNICAST),
                Capability.route_refresh(),
                Capability.four_octet_as(spec.local_asn),
                # We keep no forwarding state across our own restart: F bit clear.
                Capability.graceful_restart(spec.restart_time, ((self.afi, SAFI_UNICAST, False),)),
            ),
        )

    def _handshake(self, ev: Event) -> None:
        """OpenSent/OpenConfirm events, for the main connection and collision candidates."""
        if isinstance(ev, Incoming) or (isinstance(ev, Connected) and ev.attempt == self._attempt):
            self._candidates.append(ev.conn)
            ev.conn.start(self._events)
            ev.conn.send(self._open_message().encode())
            return
        conn = getattr(ev, "conn", None)
        if conn is None or (conn is not self._conn and conn not in self._candidates):
            self._discard(ev)
            return
        if conn is self._conn and isinstance(ev, Received):
            self._restart_hold_timer()
        if isinstance(ev, Closed):
            self._drop(conn, None, ev.reason)
        elif isinstance(ev, Failed):
            self._drop(conn, ev.notification, f"sent {ev.notification.describe()}")
        elif isinstance(ev, Received):
            msg = ev.message
            if isinstance(msg, Notification):
                self._drop(conn, None, f"peer sent {msg.describe()}")
            elif isinstance(msg, Open) and conn.peer_open is None:
                try:
                    validate_open(
                        msg,
                        local_asn=self.spec.local_asn,
                        remote_asn=self.spec.remote_asn,
                        local_id=self.local_id,
                        # Direct Connect does not support a hold time of 0 (user guide
                        # "BGP-specific settings"): a peer offering it is refused (2/6).
                        allow_zero_hold=False,
                    )
                except Notification as exc:
                    self._drop(conn, exc, f"sent {exc.describe()}")
                    return
                conn.peer_open = msg
                self._resolve_collision()
            elif isinstance(msg, Keepalive) and conn.peer_open is not None:
                conn.keepalive_seen = True
            else:
                sub = FsmError.UNEXPECTED_IN_OPENCONFIRM
                if not conn.keepalive_sent:
                    sub = FsmError.UNEXPECTED_IN_OPENSENT
                exc = Notification.fsm(sub, f"unexpected {type(msg).__name__}")
                self._drop(conn, exc, f"sent {exc.describe()}")

    def _drop(self, conn: Connection, notification: Notification | None, reason: str) -> None:
        conn.close(notification)
        self.last_error = reason
        if conn in self._candidates:
            self._candidates.remove(conn)
            return
        self._conn = None
        if self._candidates:  # the other side of a collision carries on
            best = max(self._candidates, key=lambda c: (c.peer_open is not None, c.opened_at))
            self._candidates.remove(best)
            self._conn = best
            self._restart_hold_timer()
        elif notification is not None:
            raise SessionDown(reason)  # our NOTIFICATION was sent: go to Idle

    def _resolve_collision(self) -> None:
        conns = [c for c in [self._conn, *self._candidates] if c is not None]
        known = [c for c in conns if c.peer_open is not None]
        if len(conns) < 2 or not known:
            return
        remote = known[0].peer_open
        assert remote is not None
        keep_local = keep_locally_initiated(
            self.local_id, remote.bgp_id, self.spec.local_asn, self.spec.remote_asn
        )
        preferred = [c for c in conns if c.locally_initiated == keep_local] or conns
        winner = max(preferred, key=lambda c: (c.peer_open is not None, c.opened_at))
        for c in conns:
            if c is not winner:
                c.close(Notification.cease(Cease.CONNECTION_COLLISION, reason="collision"))
        log.info("%s: connection collision, keeping %r", self.key, winner)
        self._candidates.clear()
        if winner is not self._conn:
            self._conn = winner
            self._restart_hold_timer()

    def _confirm(self, conn: Connection) -> None:
        """The peer's OPEN on the main connection is acceptable: KEEPALIVE and timers."""
        assert conn.peer_open is not None
        self.hold_time = negotiate_hold_time(self.spec.hold_time, conn.peer_open.hold_time)
        conn.send(Keepalive().encode())
        conn.keepalive_sent = True
        self._restart_hold_timer()
        if self._keepalive_task is None and self.hold_time:
            interval = keepalive_interval(self.hold_time)
            loop = asyncio.get_running_loop()
            self._keepalive_task = loop.create_task(self._keepalives(interval))

    async def _keepalives(self, interval: float) -> None:
        data = Keepalive().encode()
        while True:
            await self._clock.sleep(interval)
            if self._conn is not None and self._conn.keepalive_sent:
                self._conn.send(data)

    def _restart_hold_timer(self) -> None:
        if self.fsm.state is State.OPENSENT and self.hold_time is None:
            self._hold_deadline = self._clock.now() + OPENSENT_HOLD_TIME
        elif self.hold_time:
            self._hold_deadline = self._clock.now() + self.hold_time
        else:
            self._hold_deadline = None  # our own hold time 0: no hold timer (§4.2)

    def _on_message(self, msg: object) -> None:
        if isinstance(msg, Update):
            self.rib_in.apply(msg)
            if self.rib_in.stale and (self.afi, SAFI_UNICAST) in self.rib_in.end_of_rib:
                self._end_retention()  # End-of-RIB: what was not sent again is gone
            if self.on_routes is not None:
                self.on_routes(self.spec.key)
            self._check_prefix_limit()
        elif isinstance(msg, RouteRefresh):
            if (msg.afi, msg.safi) == (self.afi, SAFI_UNICAST):
                self._advertise(full=True, reannounce=True)
        elif isinstance(msg, Notification):
            raise SessionDown(f"peer sent {msg.describe()}")
        elif isinstance(msg, Open):
            raise Notification.fsm(FsmError.UNEXPECTED_IN_ESTABLISHED, "OPEN while Established")

    def _check_prefix_limit(self) -> None:
        if len(self.rib_in) > self.spec.max_prefixes:
            limit = self.spec.max_prefixes
            raise Notification.cease(
                Cease.MAX_PREFIXES,
                struct.pack("!HBI", self.afi, SAFI_UNICAST, limit),  # RFC 4486 §4
                f"{len(self.rib_in)} prefixes exceed the limit of {limit}",
            )

    # -- Adj-RIB-Out ------------------------------------------------------------------------
    def _wanted_routes(self) -> list[Route]:
        spec = self.spec
        next_hop = spec.next_hop or spec.local_address
        out: dict = {}
        for item in spec.advertise:
            if isinstance(item, str):
                text, path, communities = item, (spec.local_asn,), ()
            else:
                text, path, communities = item
            for p in parse_prefixes([text], self.version):
                comms = tuple(parse_community(c) for c in communities)
                out.setdefault(p, Route(p, next_hop, tuple(path), Origin.IGP, comms))
        return list(out.values())

    def _advertise(self, full: bool, reannounce: bool = False) -> None:
        conn = self._conn
        if conn is None:
            return
        wanted = self._wanted_routes()
        if full or reannounce:
            announce, withdraw = wanted, []
        else:
            old = self.rib_out.routes
            announce = [r for r in wanted if old.get(r.prefix) != r]
            keep = {r.prefix for r in wanted}
            withdraw = [p for p in old if p not in keep]
        updates = build_withdrawals(withdraw)
        groups: dict[tuple, list] = {}  # one UPDATE group per attribute set
        for r in announce:
            groups.setdefault((r.as_path, r.communities, r.next_hop), []).append(r.prefix)
        for (path, communities, hop), prefixes in groups.items():
            attrs = Attributes(origin=Origin.IGP, as_path=((AS_SEQUENCE, path),),
                               communities=communities)  # fmt: skip
            updates += build_announcements(prefixes, attrs, [hop])
        if full and not reannounce:
            updates.append(Update.end_of_rib(self.afi, SAFI_UNICAST))  # RFC 4724 §2
        for update in updates:
            conn.send(update.encode())
        self.rib_out.set(wanted)

    # -- graceful restart (RFC 4724 §4.2, receiving speaker) --------------------------------
    def _graceful(self, conn: Connection) -> bool:
        gr = conn.peer_open.graceful_restart if conn.peer_open is not None else None
        return bool(gr and gr.restart_time and (self.afi, SAFI_UNICAST) in gr.families)

    def _retain(self) -> None:
        conn_open = self._last_peer_open
        gr = conn_open.graceful_restart if conn_open is not None else None
        assert gr is not None
        self.rib_in.mark_stale()
        self.retained_until = self._clock.now() + gr.restart_time
        if self._gr_task is not None:
            self._gr_task.cancel()
        loop = asyncio.get_running_loop()
        self._gr_task = loop.create_task(self._restart_timer(gr.restart_time))
        log.info("%s: peer restarting; keeping %d routes for %d s", self.key,
                 len(self.rib_in), gr.restart_time)  # fmt: skip

    async def _restart_timer(self, seconds: float) -> None:
        await self._clock.sleep(seconds)
        self._gr_task = None  # this task is ending: nothing to cancel
        log.info("%s: restart time over; dropping the stale routes", self.key)
        self._end_retention()

    def _peer_back(self, conn: Connection) -> None:
        """Established again: keep the stale routes until End-of-RIB only if the peer kept
        its forwarding state (§4.2); otherwise drop them now."""
        self._last_peer_open = conn.peer_open
        if self.retained_until is None:
            return
        gr = conn.peer_open.graceful_restart if conn.peer_open is not None else None
        if not (gr and gr.families.get((self.afi, SAFI_UNICAST))):
            self._end_retention()

    def _end_retention(self) -> None:
        if self._gr_task is not None:
            self._gr_task.cancel()
            self._gr_task = None
        had = self.retained_until is not None or bool(self.rib_in.stale)
        self.retained_until = None
        if self.established:
            self.rib_in.purge_stale()
        else:
            self.rib_in.clear()
        if had and self.on_routes is not None:
            self.on_routes(self.spec.key)

    def graceful_restart_info(self) -> dict:
        gr = self._last_peer_open.graceful_restart if self._last_peer_open else None
        left = self.retained_until - self._clock.now() if self.retained_until else None
        return {
            "restartTime": self.spec.restart_time,
            "peerRestartTime": gr.restart_time if gr else None,
            "peerFamilies": sorted(f"{a}/{s}" for a, s in gr.families) if gr else [],
            "retaining": self.retained_until is not None,
            "retainedSecondsLeft": left,
            "staleRoutes": len(self.rib_in.stale),
        }

    # -- teardown ----------------------------------------------------------------------
    def _reset(self, notification: Notification | None) -> None:
        """Close every connection (sending ``notification`` on the main one), stop timers."""
        self._cancel_dial()
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        if self._conn is not None:
            send = notification if self.fsm.state is not State.IDLE else None
            self._conn.close(send)
            self._conn = None
        for conn in self._candidates:
            conn.close(notification)
        self._candidates.clear()
        while not self._events.empty():
            self._discard(self._events.get_nowait())
        if self._peer_restarts:
            self._peer_restarts = False
            self._retain()
        elif self.retained_until is None:
            self.rib_in.clear()
        self.rib_out.clear()
        self.hold_time = None
        self._hold_deadline = None
        self._restart_delay = self.spec.connect_retry
