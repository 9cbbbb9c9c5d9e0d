"""AWS's path selection over Direct Connect and the route table it feeds (docs/routing.md).

Pure: no store, no sockets, no clock. The provider layer hands in, per VIF, the routes AWS
accepted from the customer's router (``Candidate``); this module answers, per prefix, which
VIF(s) AWS sends traffic over and why. The order is the user guide's ("Routing policies and
BGP communities", private and transit virtual interfaces; "Private virtual interface
routing example"):

1. longest prefix match (a forwarding lookup: ``RouteTable.lookup``);
2. local preference, from the customer's communities 7224:7300 (high) > 7224:7200
   (medium, also untagged) > 7224:7100 (low);
3. local preference from where the route was learned: a Direct Connect location associated
   with the gateway's Region beats one associated with another Region (so AS_PATH
   prepending only steers between VIFs of the same Region);
4. the shorter AS_PATH;
5. what is still equal is used as equal-cost multipath across those VIFs.

``RouteTable`` keeps candidates per VIF and per prefix, and recomputes only the prefixes a
VIF's change touches (benchmarks/route_tables.py measures it).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

# 7224:7100/7200/7300 (user guide, "BGP local preference communities").
LOCAL_PREF_COMMUNITIES = {"7224:7100": 1, "7224:7200": 2, "7224:7300": 3}
PREF_NAMES = {1: "low", 2: "medium", 3: "high"}
MEDIUM = 2
# 7224:9100/9200/9300 on public VIFs: how far AWS propagates a customer prefix.
SCOPE_COMMUNITIES = {"7224:9100": "local Region", "7224:9200": "continent", "7224:9300": "global"}
NO_EXPORT = "65535:65281"  # RFC 1997 well-known community 0xFFFFFF01


def local_preference(communities: tuple[str, ...] | list[str]) -> int:
    """1 (low), 2 (medium) or 3 (high). Untagged is medium; when a route carries several of
    the (mutually exclusive) tags, the lowest is taken (docs/routing.md)."""
    tagged = [LOCAL_PREF_COMMUNITIES[c] for c in communities if c in LOCAL_PREF_COMMUNITIES]
    return min(tagged) if tagged else MEDIUM


def accepted_communities(vif_type: str, communities: tuple[str, ...] | list[str]) -> list[str]:
    """What AWS keeps of a customer's communities: the range 7224:1-65535 is AWS's own, so of
    it only the communities that mean something on this VIF type survive (local preference
    on private/transit, scope on public); every other community is kept as sent."""
    keep = SCOPE_COMMUNITIES if vif_type == "public" else LOCAL_PREF_COMMUNITIES
    return [c for c in communities if not c.startswith("7224:") or c in keep]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One VIF's accepted route to a prefix."""

    vif_id: str
    as_path: tuple[int, ...]
    communities: tuple[str, ...] = ()
    same_region: bool = True  # learned at a location associated with the gateway's Region
    location: str = ""
    # (local preference, same Region, -AS_PATH length): higher is better; computed once
    rank: tuple[int, int, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        rank = (local_preference(self.communities), int(self.same_region), -len(self.as_path))
        object.__setattr__(self, "rank", rank)

    @property
    def local_pref(self) -> int:
        return self.rank[0]

    def to_dict(self) -> dict:
        return {
            "virtualInterfaceId": self.vif_id,
            "asPath": list(self.as_path),
            "communities": list(self.communities),
            "localPreference": PREF_NAMES[self.local_pref],
            "sameRegion": self.same_region,
            "location": self.location,
        }


@dataclass(frozen=True, slots=True, eq=False)
class Entry:
    prefix: str
    chosen: tuple[Candidate, ...]
    candidates: tuple[Candidate, ...]  # every VIF's route to the prefix, chosen ones included
    reason: str

    @property
    def others(self) -> tuple[Candidate, ...]:
        chosen = {id(c) for c in self.chosen}
        return tuple(c for c in self.candidates if id(c) not in chosen)

    def to_dict(self) -> dict:
        return {
            "prefix": self.prefix,
            "virtualInterfaceIds": [c.vif_id for c in self.chosen],
            "multipath": len(self.chosen) > 1,
            "reason": self.reason,
            "candidates": [c.to_dict() for c in (*self.chosen, *_ordered(self.others))],
        }


def _why(best: Candidate, runner_up: Candidate) -> str:
    """Which step of the order set ``best`` above ``runner_up``."""
    if best.local_pref != runner_up.local_pref:
        return (
            f"local preference {PREF_NAMES[best.local_pref]} over "
            f"{PREF_NAMES[runner_up.local_pref]} (communities)"
        )
    if best.same_region != runner_up.same_region:
        return "learned at a location associated with the gateway's Region"
    return f"shorter AS_PATH ({len(best.as_path)} vs {len(runner_up.as_path)})"


def _ordered(candidates: tuple[Candidate, ...]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (tuple(-x for x in c.rank), c.vif_id))


def select(prefix: str, candidates: list[Candidate]) -> Entry:
    """Best path(s) for one prefix among the VIFs that announce it (linear in the number of
    candidates; ``others`` keep their input order, ``to_dict`` sorts them)."""
    if len(candidates) == 1:
        return Entry(prefix, (candidates[0],), (candidates[0],), "only route")
    ranks = [c.rank for c in candidates]
    top = max(ranks)
    best = [c for c, r in zip(candidates, ranks, strict=True) if r == top]
    chosen = tuple(sorted(best, key=lambda c: c.vif_id)) if len(best) > 1 else (best[0],)
    if len(best) < len(candidates):
        second = max(r for r in ranks if r != top)
        runner_up = candidates[ranks.index(second)]
        reason = _why(chosen[0], runner_up)
        if len(chosen) > 1:
            reason += f"; equal-cost multipath across {len(chosen)} VIFs"
    else:
        reason = f"equal-cost multipath across {len(chosen)} VIFs (equal attributes)"
    return Entry(prefix, chosen, tuple(candidates), reason)


class RouteTable:
    """The routes of one gateway, from every VIF that feeds it."""

    def __init__(self) -> None:
        self._by_vif: dict[str, dict[str, Candidate]] = {}
        self._by_prefix: dict[str, dict[str, Candidate]] = {}
        self._entries: dict[str, Entry] = {}
        self._order: list[str] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def routes(self) -> int:
        return sum(len(v) for v in self._by_vif.values())

    def set_vif(self, vif_id: str, routes: dict[str, Candidate]) -> set[str]:
        """Replace what one VIF contributes; answer the prefixes whose entry changed."""
        old = self._by_vif.get(vif_id, {})
        touched = {p for p, c in routes.items() if old.get(p) != c}
        touched.update(p for p in old if p not in routes)
        if routes:
            self._by_vif[vif_id] = dict(routes)
        else:
            self._by_vif.pop(vif_id, None)
        for prefix in touched:
            held = self._by_prefix.setdefault(prefix, {})
            if prefix in routes:
                held[vif_id] = routes[prefix]
            else:
                held.pop(vif_id, None)
        return self._recompute(touched)

    def remove_vif(self, vif_id: str) -> set[str]:
        return self.set_vif(vif_id, {})

    def _recompute(self, prefixes: set[str]) -> set[str]:
        changed = set()
        for prefix in prefixes:
            held = self._by_prefix.get(prefix)
            if not held:
                self._by_prefix.pop(prefix, None)
                if self._entries.pop(prefix, None) is not None:
                    changed.add(prefix)
                    self._order = None
                continue
            # Every prefix recomputed here had a candidate change, so its entry changed.
            if prefix not in self._entries:
                self._order = None
            self._entries[prefix] = select(prefix, list(held.values()))
            changed.add(prefix)
        return changed

    def entries(self) -> list[Entry]:
        if self._order is None:
            self._order = sorted(self._entries, key=_prefix_key)
        return [self._entries[p] for p in self._order]

    def get(self, prefix: str) -> Entry | None:
        return self._entries.get(prefix)

    def lookup(self, address: str) -> Entry | None:
        """Longest prefix match for one destination address."""
        ip = ipaddress.ip_address(address)
        best: tuple[int, Entry] | None = None
        for prefix, entry in self._entries.items():
            net = ipaddress.ip_network(prefix)
            if (
                net.version == ip.version
                and ip in net
                and (best is None or net.prefixlen > best[0])
            ):
                best = (net.prefixlen, entry)
        return best[1] if best else None


def _prefix_key(prefix: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(prefix)
    return (net.version, int(net.network_address), net.prefixlen)
