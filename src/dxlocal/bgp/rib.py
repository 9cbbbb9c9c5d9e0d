"""Per-session routing information bases (RFC 4271 §3.2).

``AdjRibIn`` holds the routes this speaker *accepted* from the peer (after dropping paths
that carry our own ASN, §9.1.2 loop detection); ``AdjRibOut`` the prefixes it advertises.
Both report routes in the shape the API serves (``prefix``, ``nextHop``, ``asPath``,
``origin``, ``communities``).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .wire import Attributes, Origin, Update
from .wire.prefix import Network

_ORIGIN_NAMES = {Origin.IGP: "igp", Origin.EGP: "egp", Origin.INCOMPLETE: "incomplete"}


def format_community(value: int) -> str:
    return f"{value >> 16}:{value & 0xFFFF}"


def parse_community(text: str) -> int:
    """``"7224:8100"`` -> the 32-bit value (RFC 1997: high 16 bits AS, low 16 bits value)."""
    high, low = (int(x) for x in text.split(":"))
    if not (0 <= high <= 0xFFFF and 0 <= low <= 0xFFFF):
        raise ValueError(f"community {text!r} out of range")
    return high << 16 | low


@dataclass(frozen=True)
class Route:
    prefix: Network
    next_hop: str
    as_path: tuple[int, ...]
    origin: int
    communities: tuple[int, ...] = ()
    med: int | None = None
    installed: float = field(default=0.0, compare=False)  # clock seconds, when learned

    def to_dict(self) -> dict:
        out = {
            "prefix": str(self.prefix),
            "nextHop": self.next_hop,
            "asPath": list(self.as_path),
            "origin": _ORIGIN_NAMES.get(self.origin, str(self.origin)),
            "communities": [format_community(c) for c in self.communities],
        }
        if self.med is not None:
            out["med"] = self.med
        if self.installed:
            out["installedAt"] = self.installed
        return out


class AdjRibIn:
    def __init__(self, local_asn: int, now: Callable[[], float] | None = None) -> None:
        self.local_asn = local_asn
        # What stamps a route's install time: dxlocal's clock under ``serve --bgp live``.
        self.now = now or time.time
        self.routes: dict[Network, Route] = {}
        self.dropped_own_as = 0  # paths refused because they carry our ASN
        self.end_of_rib: set[tuple[int, int]] = set()
        self.stale: set[Network] = set()  # kept across the peer's restart (RFC 4724 §4.2)

    def __len__(self) -> int:
        return len(self.routes)

    def apply(self, update: Update) -> None:
        """Apply one UPDATE: withdrawals first, then announcements (§9)."""
        a = update.attributes
        for net in update.withdrawn:
            self.routes.pop(net, None)
            self.stale.discard(net)
        if a.mp_unreach is not None:
            for net in a.mp_unreach.withdrawn:
                self.routes.pop(net, None)
                self.stale.discard(net)
        eor = update.end_of_rib_family()
        if eor is not None:
            self.end_of_rib.add(eor)
        if update.nlri and a.next_hop is not None:
            self._announce(update.nlri, a.next_hop, a)
        if a.mp_reach is not None and a.mp_reach.nlri and a.mp_reach.next_hops:
            self._announce(a.mp_reach.nlri, a.mp_reach.next_hops[0], a)

    def _announce(self, nets: tuple[Network, ...], next_hop: str, a: Attributes) -> None:
        path = tuple(a.flat_as_path())
        if self.local_asn in path:
            # §9.1.2: a route whose AS_PATH holds our own AS is unusable; it replaces (and
            # so removes) whatever the peer sent before for the prefix.
            for net in nets:
                self.routes.pop(net, None)
            self.dropped_own_as += len(nets)
            return
        origin = a.origin if a.origin is not None else Origin.INCOMPLETE
        now = self.now()
        for net in nets:
            self.stale.discard(net)
            old = self.routes.get(net)
            new = Route(net, next_hop, path, origin, a.communities, a.med, now)
            # An unchanged re-announcement keeps its original install time.
            self.routes[net] = old if old == new else new

    def clear(self) -> None:
        self.routes.clear()
        self.end_of_rib.clear()
        self.stale.clear()

    def mark_stale(self) -> None:
        """The peer restarts: every route it sent is kept, marked stale (RFC 4724 §4.2)."""
        self.stale = set(self.routes)
        self.end_of_rib.clear()

    def purge_stale(self) -> int:
        """Drop the routes still stale (End-of-RIB came, or the restart timer ran out)."""
        for net in self.stale:
            self.routes.pop(net, None)
        count, self.stale = len(self.stale), set()
        return count

    def to_dicts(self) -> list[dict]:
        return [r.to_dict() for r in sorted(self.routes.values(), key=_route_key)]


class AdjRibOut:
    def __init__(self) -> None:
        self.routes: dict[Network, Route] = {}

    def __len__(self) -> int:
        return len(self.routes)

    def set(self, routes: list[Route]) -> None:
        self.routes = {r.prefix: r for r in routes}

    def clear(self) -> None:
        self.routes.clear()

    def to_dicts(self) -> list[dict]:
        return [r.to_dict() for r in sorted(self.routes.values(), key=_route_key)]


def _route_key(route: Route) -> tuple[int, int, int]:
    p = route.prefix
    return (p.version, int(p.network_address), p.prefixlen)


def parse_prefixes(prefixes: tuple[str, ...] | list[str], version: int) -> list[Network]:
    """Advertised prefixes of one family, normalized; other families are skipped."""
    out = []
    for text in prefixes:
        net = ipaddress.ip_network(text, strict=False)
        if net.version == version and net not in out:
            out.append(net)
    return out
