"""Live BGP: the speaker is the Amazon side of every BGP peer (``dxlocal serve --bgp live``).

    store ──(work.subscribe: committed VIF / gateway changes)──────────────▶ LiveBgp
      ▲                                                                        │ debounced,
      │ apply_status (a provider function): bgpStatus, VIF state               │ on the loop,
      │ one unit of work per batch, after any open group has committed        ▼ committed reads
    on_change(peer, up|down) ◀── Speaker ◀── reconcile(PeerSpecs) ◀── specs + Plumbing.sync

The bridge depends on two ports, given by the composition root (``dxlocal.compose``):
``RouteSource`` (what AWS announces on each VIF, and how many prefixes a session may
accept) and ``StatusApplier`` (write a session's status onto its peer and VIF). Besides
them it knows the unit of work (``core/work.py``), whose clock stamps the routes sessions
learn (so under ``--progress manual`` they agree with the API's other times), and the
settings; it imports no provider or server code.

Per BGP peer of every VIF in pending/available/down/testing (peers deleting or deleted get
none) one session, one address family each as Direct Connect does: local address the
peer's amazonAddress, local ASN the VIF's amazonSideAsn, remote its customerAddress and
asnLong, TCP-MD5 key its authKey (RFC 2385). Peers held down (``_heldDown`` from the control
API, ``_failoverTest`` from StartBgpFailoverTest) get ``enabled=False``: Cease/Administrative
Shutdown, then silence until released. The speaker advertises what the VIF reaches (the
same list ListVirtualInterfaceRoutes serves: the VGW's VPC CIDRs, the DX gateway
associations' allowed prefixes, or Amazon public prefixes on a public VIF) and enforces the
route quota: more than 100 accepted prefixes per session on a private or transit VIF, 1,000
on a public one, ends the session (Cease 6/1, RFC 4486), as AWS does (user guide quotas).

Transport. The Amazon addresses live in the namespace dxlocal creates (``bgp_netns``,
default ``dxlocal-aws``, see netns.py), port 179. Where namespaces cannot be created (or
``bgp_netns`` is empty), and for VIFs attached with ``dxlocal lab attach --loopback``, each
peer instead gets a loopback transport (docs/behavior.md#lab): peer slot n listens on
127.1.0.0+4n+1 (IPv4) or ::1 (IPv6), port ``bgp_loopback_port``+2n, and dials the customer at
127.1.0.0+4n+2 / ::1, port +2n+1; it announces the VIF's real Amazon address as next hop.

Nothing here blocks the event loop for long: ``ip`` commands run in a worker thread, store
transactions are the same short SQLite ones the API uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .netns import Plumbing, Port
from .session import router_id_for
from .speaker import PeerSpec, Speaker

if TYPE_CHECKING:
    from dxlocal.config import Settings
    from dxlocal.core.work import Committed, Work
    from dxlocal.store.base import Tx

log = logging.getLogger("dxlocal.bgp")

VIF = "virtualInterface"
LIVE_VIF_STATES = {"pending", "available", "down", "testing"}
SESSION_PEER_STATES = {"verifying", "pending", "available"}
# Records whose change can alter what a VIF advertises.
REACH_KINDS = {"*", "directConnectGatewayAssociation", "virtualGateway", "transitGateway",
               "directConnectGateway"}  # fmt: skip
DEBOUNCE = 0.05
LOOPBACK_V4 = int(ipaddress.IPv4Address("127.1.0.0"))

# A peer id -> (accepted, advertised) routes of its session.
SessionRoutes = Callable[[str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]
Announcement = tuple[str, tuple[int, ...], tuple[str, ...]]  # (prefix, AS_PATH, communities)


class RouteSource(Protocol):
    """What the provider says about a VIF's routes."""

    def announced(self, tx: Tx, vif: dict[str, Any], sessions: SessionRoutes) -> list[Announcement]:
        """What AWS announces on the VIF (``sessions``: the live sessions' routes, which
        SiteLink passes on)."""
        ...

    def limit(self, vif: dict[str, Any], family: str) -> int:
        """Accepted prefixes per session of ``family`` beyond which the session ends."""
        ...


# (tx, VIF record, {peer id: "up"|"down"}): write the sessions' statuses onto the VIF's
# peers and derive the VIF's state from them.
StatusApplier = Callable[["Tx", dict[str, Any], Mapping[str, str]], None]


@dataclass(frozen=True)
class Transport:
    mode: str  # "netns" | "loopback"
    amazon_address: str
    amazon_port: int
    customer_address: str
    customer_port: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "amazon": {"address": self.amazon_address, "port": self.amazon_port},
            "customer": {"address": self.customer_address, "port": self.customer_port},
        }


def _ip(address: str) -> str:
    return str(ipaddress.ip_interface(address).ip)


def port_lost(tx: Tx, peer: dict[str, Any]) -> bool:
    """A fault on the port under the peer's VIF holds it (docs/failures.md#live): a lost link,
    unlike a fault on the VIF alone (``fault`` records, provider/faults.py)."""
    for fault_id in peer.get("_faults") or ():
        fault = tx.get("fault", fault_id)
        if fault is not None and fault.get("target") != VIF:
            return True
    return False


def held(peer: dict[str, Any]) -> bool:
    """Held down by the control API, a running failover test or an injected fault."""
    return bool(peer.get("_heldDown") or peer.get("_failoverTest") or peer.get("_faults"))


class LiveBgp:
    def __init__(
        self, settings: Settings, work: Work, routes: RouteSource, apply_status: StatusApplier
    ) -> None:
        self.settings = settings
        self.work = work
        self.route_source = routes
        self.apply_status = apply_status
        self.speaker = Speaker(self._on_change, wall=work.clock.now)
        self.speaker.on_routes = self._on_routes
        self.site_link: dict[str, str] = {}  # SiteLink VIF id -> its Direct Connect gateway
        self.plumbing: Plumbing | None = None
        self.specs: dict[str, list[PeerSpec]] = {}  # VIF id -> its sessions
        self.ports: dict[str, Port] = {}  # VIF id -> its wiring in the Amazon namespace
        self.owner: dict[str, str] = {}  # peer id -> VIF id
        self.loopback_vifs: set[str] = set()  # attached with --loopback
        self.cut: set[str] = set()  # VIFs whose port a fault took down: their link is down
        self._slots: dict[str, int] = {}
        self._free: list[int] = []
        self._dirty: set[str] = set()
        self._full = True
        self._status_keys: set[str] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._flush_task: asyncio.Task | None = None
        self._unsubscribe: Callable[[], None] = lambda: None
        self._busy = False
        self.reconciles = 0

    @property
    def mode(self) -> str:
        return "netns" if self.plumbing is not None else "loopback"

    # -- start / stop ---------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.settings.bgp_netns:
            plumbing = Plumbing(self.settings.bgp_netns)
            try:
                await asyncio.to_thread(plumbing.start)
                self.plumbing = plumbing
            except OSError as exc:
                log.warning("live BGP: no network namespace (%s); loopback transport", exc)
        self._unsubscribe = self.work.subscribe(self._changed)
        self._task = self._loop.create_task(self._run(), name="live-bgp")
        self.kick(full=True)
        log.info("live BGP started (%s transport)", self.mode)

    async def stop(self) -> None:
        self._unsubscribe()
        for task in (self._task, self._flush_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.speaker.close()
        if self.plumbing is not None:
            await asyncio.to_thread(self.plumbing.stop)
            self.plumbing = None
        # Ready to start again (a lease lost and won back): a fresh speaker, and the next
        # start reconciles every VIF.
        self.speaker = Speaker(self._on_change, wall=self.work.clock.now)
        self.speaker.on_routes = self._on_routes
        self._task = self._flush_task = None

    # -- what changed -----------------------------------------------------------------------
    def _changed(self, event: Committed) -> None:
        for change in event.changes:
            if change.kind == VIF:
                self._dirty.add(change.id)
            elif change.kind in REACH_KINDS:
                self._full = True
        if self._dirty or self._full:
            self.kick()

    def kick(self, vif_id: str | None = None, full: bool = False) -> None:
        if vif_id:
            self._dirty.add(vif_id)
        self._full = self._full or full
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(DEBOUNCE)  # let a burst of commits collapse into one round
            self._wake.clear()
            dirty, full = self._dirty, self._full
            self._dirty, self._full = set(), False
            self._busy = True
            try:
                await self._reconcile(dirty, full)
            except Exception:
                log.exception("live BGP: reconcile failed")
            finally:
                self._busy = False

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until no reconcile is pending (tests, lab routes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (
            self._busy or self._wake.is_set() or self._dirty or self._full
        ):
            await asyncio.sleep(DEBOUNCE)

    # -- reconcile --------------------------------------------------------------------------
    async def _reconcile(self, dirty: set[str], full: bool) -> None:
        self.reconciles += 1
        old_ports = dict(self.ports)
        await self.work.idle()  # read committed records only
        with self.work.unit("bgp") as unit:
            tx = unit.tx
            if full:
                records = {v["virtualInterfaceId"]: v for v in tx.list(VIF)}
                records.update({vid: None for vid in self.specs if vid not in records})
            else:
                records = {vid: tx.get(VIF, vid) for vid in dirty}
            for vif_id, vif in records.items():
                specs, port = self._build(tx, vif) if vif is not None else ([], None)
                self._set(vif_id, specs, port)
        if self.plumbing is not None and (full or self.ports != old_ports):
            await asyncio.to_thread(self.plumbing.sync, dict(self.ports))
        await self.speaker.reconcile(s for specs in self.specs.values() for s in specs)
        self._check_statuses(records.items())

    def _set(self, vif_id: str, specs: list[PeerSpec], port: Port | None) -> None:
        if not specs:
            self._site_link_member(vif_id, None)
        for old in self.specs.get(vif_id, []):
            if old.key not in {s.key for s in specs}:
                self.owner.pop(old.key, None)
                if old.key in self._slots:
                    self._free.append(self._slots.pop(old.key))
        if specs:
            self.specs[vif_id] = specs
            self.owner.update({s.key: vif_id for s in specs})
        else:
            self.specs.pop(vif_id, None)
            self.loopback_vifs.discard(vif_id)
            self.cut.discard(vif_id)
        if port is not None:
            self.ports[vif_id] = port
        else:
            self.ports.pop(vif_id, None)

    def session_peers(self, vif: dict[str, Any]) -> list[dict[str, Any]]:
        if vif.get("virtualInterfaceState") not in LIVE_VIF_STATES:
            return []
        return [p for p in vif.get("bgpPeers", []) if p.get("bgpPeerState") in SESSION_PEER_STATES]

    def port_of(self, vif: dict[str, Any]) -> Port | None:
        peers = self.session_peers(vif)
        if not peers:
            return None
        amazon = tuple(sorted({str(ipaddress.ip_interface(p["amazonAddress"])) for p in peers}))
        cust = tuple(sorted({str(ipaddress.ip_interface(p["customerAddress"])) for p in peers}))
        return Port(vif["virtualInterfaceId"], int(vif["vlan"]), amazon, cust,
                    int(vif.get("mtu") or 1500), vif["virtualInterfaceId"] not in self.cut)  # fmt: skip

    def advertise(self, tx: Tx, vif: dict[str, Any]) -> tuple[Announcement, ...]:
        """What AWS announces on the VIF, with each route's AS_PATH and communities, exactly
        as ListVirtualInterfaceRoutes advertises it (docs/routing.md)."""
        try:
            return tuple(sorted(set(self.route_source.announced(tx, vif, self.routes))))
        except Exception:
            log.exception("live BGP: prefixes of %s", vif["virtualInterfaceId"])
            return ()

    def transport(self, vif_id: str, peer: dict[str, Any]) -> Transport:
        family, key = peer["addressFamily"], peer["bgpPeerId"]
        if self.plumbing is not None and vif_id not in self.loopback_vifs:
            amazon, customer = _ip(peer["amazonAddress"]), _ip(peer["customerAddress"])
            return Transport("netns", amazon, 179, customer, 179)
        if key not in self._slots:
            self._slots[key] = self._free.pop(0) if self._free else len(self._slots)
        n = self._slots[key]
        port = self.settings.bgp_loopback_port + 2 * n
        if family == "ipv6":
            return Transport("loopback", "::1", port, "::1", port + 1)
        a = str(ipaddress.IPv4Address(LOOPBACK_V4 + 4 * n + 1))
        c = str(ipaddress.IPv4Address(LOOPBACK_V4 + 4 * n + 2))
        return Transport("loopback", a, port, c, port + 1)

    def _build(self, tx: Any, vif: dict[str, Any]) -> tuple[list[PeerSpec], Port | None]:
        peers = self.session_peers(vif)
        if not peers:
            return [], None
        vif_id = vif["virtualInterfaceId"]
        if any(port_lost(tx, p) for p in peers):
            self.cut.add(vif_id)
        else:
            self.cut.discard(vif_id)
        advertise = self.advertise(tx, vif)
        site_link = vif.get("siteLinkEnabled") and vif.get("directConnectGatewayId")
        self._site_link_member(vif_id, site_link or None)
        out = []
        for peer in peers:
            t = self.transport(vif_id, peer)
            amazon = _ip(peer["amazonAddress"])
            spec = PeerSpec(
                key=peer["bgpPeerId"],
                family=peer["addressFamily"],
                local_address=t.amazon_address,
                remote_address=t.customer_address,
                local_asn=int(vif["amazonSideAsn"]),
                remote_asn=int(peer.get("asnLong") or peer.get("asn") or 0),
                md5_key=peer.get("authKey") or None,
                advertise=advertise,
                max_prefixes=self.route_source.limit(vif, peer["addressFamily"]),
                local_port=t.amazon_port,
                remote_port=t.customer_port,
                hold_time=self.settings.bgp_hold_time,
                connect_retry=self.settings.bgp_connect_retry,
                enabled=not held(peer),
                generation=int(vif.get("_sessionResets", 0)),
                netns=self.plumbing.netns if t.mode == "netns" and self.plumbing else None,
            )
            if t.mode == "loopback":
                # docs/behavior.md#lab: a 127/8 next hop is martian to the customer; announce the
                # VIF's Amazon address, and keep the router id the API's addresses imply.
                real = dataclasses.replace(spec, local_address=amazon)
                spec = dataclasses.replace(spec, next_hop=amazon, router_id=router_id_for(real))
            try:
                spec.validate()
            except ValueError as exc:
                log.warning("live BGP: no session for %s: %s", peer["bgpPeerId"], exc)
                continue
            out.append(spec)
        return out, (self.port_of(vif) if self.plumbing is not None else None)

    # -- write back -------------------------------------------------------------------------
    def _site_link_member(self, vif_id: str, gw: str | None) -> None:
        """Record whether a VIF takes part in SiteLink on ``gw``; when that changes, the
        gateway's other SiteLink VIFs gain or lose its routes."""
        old = self.site_link.get(vif_id)
        if old == gw:
            return
        if gw is None:
            del self.site_link[vif_id]
        else:
            self.site_link[vif_id] = gw
        for other, other_gw in self.site_link.items():
            if other != vif_id and other_gw in (old, gw):
                self.kick(other)

    def _on_routes(self, key: str) -> None:
        """A SiteLink VIF's accepted routes feed what the gateway's other SiteLink VIFs
        announce (docs/routing.md#sitelink): rebuild those."""
        gw = self.site_link.get(self.owner.get(key, ""))
        if gw is None:
            return
        for vif_id, other_gw in self.site_link.items():
            if other_gw == gw and vif_id != self.owner[key]:
                self.kick(vif_id)

    def _on_change(self, key: str, status: str, reason: str) -> None:
        log.info("live BGP: %s %s (%s)", key, status, reason)
        self._on_routes(key)  # a session going down withdraws its routes
        self._status_keys.add(key)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._loop is not None and (self._flush_task is None or self._flush_task.done()):
            self._flush_task = self._loop.create_task(self._flush())

    def _check_statuses(self, records: Iterable[tuple[str, dict[str, Any] | None]]) -> None:
        """Records whose bgpStatus disagrees with the session (startup, a provider's write)."""
        for _, vif in records:
            for peer in self.session_peers(vif or {}):
                key = peer["bgpPeerId"]
                if key in self.owner and peer.get("bgpStatus") != self.speaker.status(key):
                    self._on_change(key, self.speaker.status(key), "resync")

    async def _flush(self) -> None:
        await asyncio.sleep(0.02)
        keys, self._status_keys = self._status_keys, set()
        by_vif: dict[str, dict[str, str]] = {}
        for key in keys:
            if key in self.owner:
                by_vif.setdefault(self.owner[key], {})[key] = self.speaker.status(key)
        await self.work.idle()  # a COMMIT of our own, never a savepoint of an open group
        try:
            with self.work.unit("bgp") as unit:
                for vif_id, statuses in by_vif.items():
                    vif = unit.tx.get(VIF, vif_id)
                    if vif is None:
                        continue
                    wanted = {
                        p["bgpPeerId"]: statuses[p["bgpPeerId"]]
                        for p in self.session_peers(vif)
                        if p["bgpPeerId"] in statuses
                        and p.get("bgpStatus") != statuses[p["bgpPeerId"]]
                    }
                    if wanted:
                        self.apply_status(unit.tx, vif, wanted)
        except Exception:
            log.exception("live BGP: writing bgpStatus failed; retrying")
            self._status_keys |= keys
            if self._loop is not None:
                self._loop.call_later(0.5, self._schedule_flush)

    def routes(self, peer_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(accepted, advertised) routes of a peer's session; ``([], [])`` unless it is up
        (or, down, keeps the routes of a restarting router: accepted ones only).

        Each route: ``{"prefix", "nextHop", "asPath": [int], "origin", "communities":
        ["a:b"]}`` (and ``med`` when sent)."""
        if self.speaker.status(peer_id) != "up":
            # Graceful restart (docs/bfd.md): the customer's routes outlive its session.
            retained = self.speaker.retaining(peer_id)
            return (self.speaker.accepted_routes(peer_id) if retained else []), []
        return self.speaker.accepted_routes(peer_id), self.speaker.advertised_routes(peer_id)

    # -- diagnostics ------------------------------------------------------------------------
    def session(self, key: str) -> dict[str, Any]:
        spec = next((s for s in self.specs.get(self.owner.get(key, ""), []) if s.key == key), None)
        out: dict[str, Any] = {"bgpPeerId": key, "virtualInterfaceId": self.owner.get(key)}
        out["bgpStatus"] = self.speaker.status(key)
        out.update(self.speaker.info(key))
        if spec is not None:
            out.update(enabled=spec.enabled, maxPrefixes=spec.max_prefixes,
                       local=f"{spec.local_address}:{spec.local_port}",
                       remote=f"{spec.remote_address}:{spec.remote_port}", netns=spec.netns)  # fmt: skip
        return out
