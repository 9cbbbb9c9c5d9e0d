"""Inbound prefix pools (user guide "Inbound prefix controls"; model doc strings of the
``prefixPool*`` members).

- A dedicated connection's pool holds, per address family, 5,000 prefixes at 1 and 10 Gbps,
  30,000 at 100 Gbps and 50,000 at 400 Gbps. A LAG's pool is that of its member speed (the
  guide is silent on LAGs; docs/routing.md). Hosted connections, interconnects and LAGs
  that support hosted connections have no pool: they report none of the fields.
- A private or transit VIF is allocated ``prefixPoolAllocatedCountIpv4/Ipv6`` from its
  parent's pool: 100 per family unless given, at most 1,000 per family. Public VIFs keep
  their fixed limit of 1,000 and report no allocation.
- A Direct Connect gateway's attached VIFs hold at most 10,000 allocations together, both
  families counted (``totalPrefixPoolAllocations``).
- A session whose accepted prefixes exceed its family's allocation goes idle and DOWN
  (live: NOTIFICATION Cease/Maximum Number of Prefixes Reached, RFC 4486).

Every count is derived from the VIF records, so the parent's unallocated figure can never
drift: it is recomputed whenever a VIF on it is created, moved, changed or deleted.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError

FAMILIES = ("Ipv4", "Ipv6")
ALLOCATED = {f: f"prefixPoolAllocatedCount{f}" for f in FAMILIES}
POOL_BY_SPEED = {"1Gbps": 5000, "10Gbps": 5000, "100Gbps": 30000, "400Gbps": 50000}
DEFAULT_ALLOCATION = 100
MAX_ALLOCATION = 1000
MAX_PER_GATEWAY = 10000
PUBLIC_LIMIT = 1000
_GONE = {"deleting", "deleted", "rejected"}
VIF = "virtualInterface"
ATTACHMENT = "directConnectGatewayAttachment"


def pool_size(parent: dict[str, Any]) -> int | None:
    """Prefixes per family in the parent's pool; None where no pool applies."""
    if parent.get("_hosted") or parent.get("allowsHostedConnections"):
        return None
    if "connectionsBandwidth" in parent:  # a LAG
        return POOL_BY_SPEED.get(parent["connectionsBandwidth"])
    return POOL_BY_SPEED.get(parent.get("bandwidth", ""))


def _kind(parent_id: str) -> str:
    return "lag" if parent_id.startswith("dxlag-") else "connection"


def draws(vif: dict[str, Any]) -> bool:
    """Does the VIF hold an allocation (private/transit and not on its way out)?"""
    return (
        vif.get("virtualInterfaceType") in ("private", "transit")
        and vif.get("virtualInterfaceState") not in _GONE
    )


def allocation(vif: dict[str, Any], family: str) -> int:
    """The session limit of the VIF's ``family`` ("ipv4"/"ipv6") sessions."""
    if vif.get("virtualInterfaceType") == "public":
        return PUBLIC_LIMIT
    return int(vif.get(ALLOCATED[family.capitalize()], DEFAULT_ALLOCATION))


def allocated(ctx: RequestContext, parent_id: str, *, exclude: str = "") -> dict[str, int]:
    out = dict.fromkeys(FAMILIES, 0)
    for v in ctx.tx.list(VIF, parent=parent_id):
        if draws(v) and v["virtualInterfaceId"] != exclude:
            for f in FAMILIES:
                out[f] += int(v.get(ALLOCATED[f], DEFAULT_ALLOCATION))
    return out


def initial(record: dict[str, Any]) -> None:
    """The fields of a new connection or LAG (a full pool), where a pool applies."""
    size = pool_size(record)
    if size is None:
        return
    for f in FAMILIES:
        record[f"prefixPoolSize{f}"] = size
        record[f"prefixPoolUnallocatedCount{f}"] = size


def refresh(ctx: RequestContext, parent_id: str, record: dict[str, Any] | None = None) -> None:
    """Recompute the parent's unallocated counts (on ``record`` in place when given)."""
    kind = _kind(parent_id)
    parent = record if record is not None else ctx.tx.get(kind, parent_id)
    if parent is None:
        return
    size = pool_size(parent)
    if size is None:
        return
    used = allocated(ctx, parent_id)
    fields = {}
    for f in FAMILIES:
        fields[f"prefixPoolSize{f}"] = size
        fields[f"prefixPoolUnallocatedCount{f}"] = max(size - used[f], 0)
    if any(parent.get(k) != v for k, v in fields.items()):
        parent.update(fields)
        ctx.tx.update(kind, parent_id, parent)


def gateway_total(ctx: RequestContext, gateway_id: str, *, exclude: str = "") -> int:
    """Allocations of the VIFs attached to a Direct Connect gateway, both families."""
    total = 0
    for att in ctx.tx.list(ATTACHMENT, parent=gateway_id):
        vif = (
            ctx.tx.get(VIF, att["virtualInterfaceId"])
            if att["virtualInterfaceId"] != exclude
            else None
        )
        if vif is not None and vif.get("directConnectGatewayId") == gateway_id and draws(vif):
            total += sum(int(vif.get(ALLOCATED[f], DEFAULT_ALLOCATION)) for f in FAMILIES)
    return total


def apply(
    ctx: RequestContext,
    vif: dict[str, Any],
    values: dict[str, int | None],
    parent: dict[str, Any] | None,
) -> None:
    """Set the VIF's allocations (create: defaults for what is not given; update: only what
    is given), refusing what its parent's pool or its gateway cannot hold."""
    given = {k: v for k, v in values.items() if v is not None}
    if vif["virtualInterfaceType"] == "public":
        if given:
            raise ClientError("Prefix pool allocations do not apply to public virtual interfaces.")
        return
    want = {}
    for f in FAMILIES:
        value = given.get(ALLOCATED[f], vif.get(ALLOCATED[f], DEFAULT_ALLOCATION))
        if not 0 <= value <= MAX_ALLOCATION:
            raise ClientError(
                f"{ALLOCATED[f]} must be between 0 and {MAX_ALLOCATION}; {value} was requested."
            )
        want[f] = value
    vif_id = vif["virtualInterfaceId"]
    if parent is not None:
        size = pool_size(parent)
        parent_id = parent.get("lagId") or parent.get("connectionId", "")
        if size is not None and draws(vif):
            used = allocated(ctx, parent_id, exclude=vif_id)
            for f in FAMILIES:
                left = size - used[f]
                if want[f] > left:
                    raise ClientError(
                        f"Cannot allocate {want[f]} {f} prefixes to {vif_id}: the prefix pool "
                        f"of {parent_id} has {max(left, 0)} of {size} unallocated."
                    )
    gw_id = vif.get("directConnectGatewayId")
    if gw_id and draws(vif):
        total = gateway_total(ctx, gw_id, exclude=vif_id) + sum(want.values())
        if total > MAX_PER_GATEWAY:
            raise ClientError(
                f"Cannot allocate {sum(want.values())} prefixes to {vif_id}: Direct Connect "
                f"gateway {gw_id} would hold {total} prefix allocations, more than its limit "
                f"of {MAX_PER_GATEWAY}."
            )
    for f in FAMILIES:
        vif[ALLOCATED[f]] = want[f]


def enforce(vif: dict[str, Any]) -> None:
    """Simulated sessions announcing more prefixes than their family's allocation are idle
    and DOWN (``_overLimit``); the others lose that mark."""
    for peer in vif.get("bgpPeers", []):
        over = len(peer.get("_announced", [])) > allocation(vif, peer["addressFamily"])
        peer["_overLimit"] = over
        if over:
            peer["bgpStatus"] = "down"
