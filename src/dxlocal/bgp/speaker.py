"""The Amazon side of every BGP peer: owns the sessions, their listeners and namespaces.

Namespaces. The speaker runs in the dxlocal process and binds Amazon-side addresses wherever
they live: ``Speaker(netns=NAME)`` (or ``PeerSpec.netns`` per peer) makes every listening and
connecting socket inside network namespace NAME, through a worker thread that entered it with
``setns(2)`` (``sockets.NetnsSockets``). Sockets keep their namespace for life, so asyncio
drives them from the main thread as usual; nothing else in the process changes namespace.
This works on Python 3.11, needs no helper process, and is the same path ``dxlocal serve``
can use for addresses inside a namespace it creates. Without a namespace the sockets live in
the process's own one (loopback mode: 127.0.0.x / ::1 with non-standard ports).

Listeners. One listening socket per (namespace, local address, port), shared by every
session on that address. TCP-MD5 keys are installed on it per remote address, so an
accepted connection is handed to the session whose ``remote_address`` matches (the first
running one, should several peers share a remote address on one listener: give them
distinct ports instead). If two such peers carry different keys, the last one set wins.

Reconcile. ``reconcile(specs)`` makes the running set equal ``specs``: new keys start,
missing keys stop with Cease/Peer De-configured (6/3), ``enabled=False`` stops with
Cease/Administrative Shutdown (6/2) and ``enabled=True`` starts again; a change of
``advertise``/``next_hop``/``max_prefixes`` applies live (UPDATEs, no reset), and any other
change restarts the session with Cease/Other Configuration Change (6/6).

BFD. Each session also gets a BFD peer (RFC 5880/5881, ``bfd.py``) on the endpoint of its
local address, passive until the customer's router speaks, run by a child process so that a
busy event loop here cannot delay it (``bfd_process.py``); when BFD goes from Up to Down
the session ends at once with Cease/BFD Down (RFC 9384). A peer held down
(``enabled=False``) puts its BFD session in AdminDown. docs/bfd.md has the rules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import bfd
from .bfd_process import BfdProcess
from .connection import Connection, Trace
from .session import OnChange, Session
from .sockets import NetnsSockets, listening_socket, set_md5
from .wire import Cease, Notification

log = logging.getLogger("dxlocal.bgp")

ADMIN_DOWN_AFTER = 0.5  # seconds from a held peer's NOTIFICATION to its BFD AdminDown
_LIVE_FIELDS = ("advertise", "next_hop", "max_prefixes", "enabled")


@dataclass(frozen=True)
class PeerSpec:
    key: str  # the dxpeer- id
    family: str  # "ipv4" | "ipv6"
    local_address: str  # amazonAddress without prefix length
    remote_address: str  # customerAddress without prefix length
    local_asn: int  # VIF amazonSideAsn
    remote_asn: int  # peer asn/asnLong
    md5_key: str | None  # authKey
    # what we announce: a prefix, or (prefix, AS_PATH, communities "a:b") for its own attributes
    advertise: tuple[str | tuple[str, tuple[int, ...], tuple[str, ...]], ...] = ()
    next_hop: str | None = None  # next hop to announce (defaults to local_address)
    max_prefixes: int = 100
    local_port: int = 179  # where we listen
    remote_port: int = 179  # where we connect
    hold_time: int = 90
    connect_retry: float = 2.0
    passive: bool = False
    enabled: bool = True  # False = administratively down (failover tests)
    router_id: str | None = None  # BGP Identifier; derived from local_address if None
    restart_time: int = 120  # graceful restart time we advertise (RFC 4724)
    netns: str | None = None  # namespace of this peer's sockets; the speaker's if None
    generation: int = 0  # a new value resets the session (SiteLink toggled)

    def validate(self) -> None:
        version = 6 if self.family == "ipv6" else 4
        if self.family not in ("ipv4", "ipv6"):
            raise ValueError(f"{self.key}: family must be ipv4 or ipv6")
        for addr in (self.local_address, self.remote_address):
            if ipaddress.ip_address(addr).version != version:
                raise ValueError(f"{self.key}: {addr} is not an {self.family} address")
        if self.next_hop is not None and ipaddress.ip_address(self.next_hop).version != version:
            raise ValueError(f"{self.key}: next hop {self.next_hop} is not {self.family}")
        for asn in (self.local_asn, self.remote_asn):
            if not 1 <= asn <= 0xFFFFFFFF:
                raise ValueError(f"{self.key}: ASN {asn} out of range")
        if self.hold_time and self.hold_time < 3:
            raise ValueError(f"{self.key}: hold time must be 0 or at least 3")
        if self.md5_key and len(self.md5_key.encode()) > 80:
            raise ValueError(f"{self.key}: MD5 key longer than 80 octets")


ListenerKey = tuple[str | None, str, int]


class _Listener:
    def __init__(self, speaker: Speaker, key: ListenerKey) -> None:
        self.speaker = speaker
        self.key = key
        self.server: asyncio.base_events.Server | None = None
        self.sock = None
        self.md5: dict[str, str | None] = {}
        self.sessions: set[str] = set()

    async def open(self, sockets: NetnsSockets) -> None:
        _, address, port = self.key
        self.sock = listening_socket(sockets, address, port)
        self.server = await asyncio.start_server(self._accept, sock=self.sock)

    def set_key(self, remote: str, key: str | None) -> None:
        if self.sock is None:
            return
        if self.md5.get(remote) not in (None, key) and key:
            log.warning("listener %s: MD5 key for %s replaced", self.key, remote)
        set_md5(self.sock, remote, key)
        self.md5[remote] = key

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        addr = ipaddress.ip_address(str(peer[0]).split("%")[0]) if peer else None
        for key in sorted(self.sessions):
            session = self.speaker._sessions.get(key)
            if session is None or ipaddress.ip_address(session.spec.remote_address) != addr:
                continue
            conn = Connection(reader, writer, False, self.speaker._trace, key)
            if session.offer(conn):
                return
        writer.close()  # no running session for this address (§8.2.2 Idle: refuse)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        elif self.sock is not None:
            self.sock.close()


class Speaker:
    def __init__(
        self,
        on_change: Callable[[str, str, str], None] | None = None,
        *,
        netns: str | None = None,
        trace: Trace | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        self._on_change: OnChange | None = on_change
        self.wall = wall  # stamps learned routes (AdjRibIn); the wall clock when None
        self.on_routes: Callable[[str], None] | None = None  # a session's accepted routes changed
        self.netns = netns
        self._trace = trace
        self._sessions: dict[str, Session] = {}
        self._listeners: dict[ListenerKey, _Listener] = {}
        self._sockets: dict[str | None, NetnsSockets] = {}
        self._bfd = BfdProcess(self._bfd_changed)  # BFD runs in a child process (bfd_process)

    # -- public interface ----------------------------------------------------------------
    async def reconcile(self, specs: Iterable[PeerSpec]) -> None:
        wanted: dict[str, PeerSpec] = {}
        for spec in specs:
            spec.validate()
            wanted[spec.key] = spec
        for key in [k for k in self._sessions if k not in wanted]:
            await self._remove(key, Cease.PEER_DECONFIGURED, "peer removed")
        for key, spec in wanted.items():
            session = self._sessions.get(key)
            if session is None:
                await self._add(spec)
                continue
            if not self._bfd.attached(key):
                self._attach_bfd(session)  # its address may have appeared since
            if session.spec == spec:
                continue
            elif _same_but_live(session.spec, spec):
                session.update_spec(spec)
                if not spec.enabled and session.running:
                    shutdown = Notification.cease(Cease.ADMIN_SHUTDOWN)
                    await session.stop(shutdown, "administratively down")
                    # BFD AdminDown a moment after the NOTIFICATION: a router whose BFD
                    # hears it first (BIRD's runs in its own thread) closes the session
                    # before reading why (docs/failures.md#live)
                    loop = asyncio.get_running_loop()
                    loop.call_later(ADMIN_DOWN_AFTER, self._bfd_admin_down, key)
                else:
                    self._bfd.admin(key, not spec.enabled)
                if spec.enabled and not session.running:
                    session.start()
            else:
                await self._remove(key, Cease.OTHER_CONFIGURATION_CHANGE, "peer reconfigured")
                await self._add(spec)

    def _bfd_admin_down(self, key: str) -> None:
        session = self._sessions.get(key)
        if session is not None and not session.spec.enabled:
            self._bfd.admin(key, True)

    def _bfd_changed(self, key: str, change: bfd.Change) -> None:
        session = self._sessions.get(key)
        if session is not None and change.old is bfd.State.UP and change.new is bfd.State.DOWN:
            session.path_down(f"BFD down ({bfd.diag_text(change.diag)})")

    def status(self, key: str) -> str:
        session = self._sessions.get(key)
        return "up" if session is not None and session.established else "down"

    def retaining(self, key: str) -> bool:
        """The session is down but keeps the restarting peer's routes (RFC 4724)."""
        session = self._sessions.get(key)
        return session is not None and session.retained_until is not None

    def accepted_routes(self, key: str) -> list[dict]:
        session = self._sessions.get(key)
        return session.rib_in.to_dicts() if session is not None else []

    def advertised_routes(self, key: str) -> list[dict]:
        session = self._sessions.get(key)
        return session.rib_out.to_dicts() if session is not None else []

    def info(self, key: str) -> dict:
        """Diagnostics: FSM state, negotiated hold time, last error, setup time."""
        s = self._sessions.get(key)
        if s is None:
            return {"state": "Idle", "configured": False}
        return {
            "configured": True,
            "state": s.fsm.state.value,
            "holdTime": s.hold_time,
            "lastError": s.last_error,
            "lastSetupSeconds": s.last_setup_seconds,
            "establishedCount": s.established_count,
            "upSeconds": s.up_seconds,
            "acceptedPrefixes": len(s.rib_in),
            "advertisedPrefixes": len(s.rib_out),
            "droppedOwnAsPaths": s.rib_in.dropped_own_as,
            "routerId": s.local_id,
            "bfd": self.bfd_info(key),
            "gracefulRestart": s.graceful_restart_info(),
        }

    def bfd_info(self, key: str) -> dict:
        info = self._bfd.info(key)
        if info is None:
            return {"state": bfd.State.DOWN.label, "listening": False}
        return {**info, "listening": True}

    def keys(self) -> list[str]:
        return list(self._sessions)

    async def close(self) -> None:
        for key in list(self._sessions):
            await self._remove(key, Cease.ADMIN_SHUTDOWN, "speaker closed")
        self._bfd.close()
        for listener in list(self._listeners.values()):
            await listener.close()
        self._listeners.clear()
        for factory in self._sockets.values():
            factory.close()
        self._sockets.clear()

    # -- internals -------------------------------------------------------------------------
    def _factory(self, netns: str | None) -> NetnsSockets:
        if netns not in self._sockets:
            self._sockets[netns] = NetnsSockets(netns)
        return self._sockets[netns]

    def _listener_key(self, spec: PeerSpec) -> ListenerKey:
        return (spec.netns or self.netns, spec.local_address, spec.local_port)

    async def _add(self, spec: PeerSpec) -> None:
        netns = spec.netns or self.netns
        sockets = self._factory(netns)
        session = Session(spec, sockets, self._on_change, self._trace, wall=self.wall)
        session.on_routes = self.on_routes
        self._sessions[spec.key] = session
        lkey = self._listener_key(spec)
        listener = self._listeners.get(lkey)
        if listener is None or listener.server is None:
            listener = listener or _Listener(self, lkey)
            self._listeners[lkey] = listener
            try:
                await listener.open(sockets)
            except OSError as exc:  # e.g. address not (yet) configured: active side only
                session.last_error = f"cannot listen on {spec.local_address}: {exc}"
                log.warning("%s: %s", spec.key, session.last_error)
        listener.sessions.add(spec.key)
        listener.set_key(spec.remote_address, spec.md5_key)
        self._attach_bfd(session)
        if spec.enabled:
            session.start()

    def _attach_bfd(self, session: Session) -> None:
        """A BFD peer for the session on its local address's endpoint, in the child (bound
        on first use; retried at the next reconcile while the address is missing)."""
        spec = session.spec
        self._bfd.attach(spec.key, spec.netns or self.netns, spec.local_address,
                         spec.remote_address, admin_down=not spec.enabled)  # fmt: skip

    def _detach_bfd(self, session: Session) -> None:
        self._bfd.detach(session.key)

    async def _remove(self, key: str, subcode: Cease, reason: str) -> None:
        session = self._sessions.pop(key)
        self._detach_bfd(session)
        await session.stop(Notification.cease(subcode), reason)
        lkey = self._listener_key(session.spec)
        listener = self._listeners.get(lkey)
        if listener is None:
            return
        listener.sessions.discard(key)
        remote = session.spec.remote_address
        if not any(self._sessions[k].spec.remote_address == remote for k in listener.sessions):
            listener.set_key(remote, None)
            listener.md5.pop(remote, None)
        if not listener.sessions:
            await listener.close()
            del self._listeners[lkey]


def _same_but_live(old: PeerSpec, new: PeerSpec) -> bool:
    blank = dict.fromkeys(_LIVE_FIELDS)
    return dataclasses.replace(old, **blank) == dataclasses.replace(new, **blank)
