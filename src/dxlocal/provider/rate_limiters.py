"""VIF rate limiters: ``rateLimit`` on a virtual interface, ``rateLimiterStatus`` on its
dedicated connection or LAG.

Rules (VirtualInterface.rateLimit model doc; user guide "Virtual interface Rate Limiters";
the June 2026 launch note):

- the value is one of the model's listed bandwidths (``50Mbps`` … ``1.6Tbps``) and not more
  than the parent's bandwidth (a LAG's: its ports together);
- dedicated connections and LAGs only: hosted connections are already limited to their
  capacity;
- at most 10 rate-limited VIFs per connection or LAG; one more is
  ``LimitExceededException`` with AWS's wording, on the calls that model it (VIF create and
  allocate, AssociateConnectionWithLag), a client error elsewhere;
- ``rateLimit: ""`` on UpdateVirtualInterfaceAttributes removes the limiter [infer].

The parent's ``rateLimiterStatus`` (maxAllowed, inUse, remaining, totalBandwidth) is kept on
its record and recomputed whenever a VIF's limiter, or the set of VIFs on it, changes.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError, LimitExceededException
from dxlocal.provider import ports

MAX_PER_PARENT = 10
# The model's list of supported values, in Mbps.
SUPPORTED = {
    f"{v}{unit}": round(float(v) * scale)
    for unit, scale, values in (
        ("Mbps", 1, "50 100 200 300 400 500 600 700 800 900"),
        ("Gbps", 1000, "1 1.2 1.5 1.8 2 2.1 2.4 2.7 3 3.2 3.6 4 5 6 7 8 9 10 12 15 18 20 21 24 "
                       "27 30 32 36 40 50 60 70 80 100 120 150 180 200 210 240 270 300 320 360 "
                       "400 450 480 500 540 600 700 800 900"),
        ("Tbps", 1_000_000, "1 1.1 1.2 1.3 1.4 1.5 1.6"),
    )
    for v in values.split()
}  # fmt: skip
LIMIT_MESSAGE = (
    "The rate limiter limit has been exceeded for the connection. You cannot add more rate "
    "limiters to virtual interfaces on this connection."
)
_GONE = {"deleting", "deleted", "rejected"}


def _kind(parent_id: str) -> str:
    return ports.LAG if parent_id.startswith("dxlag-") else ports.CONNECTION


def capacity(ctx: RequestContext, parent: dict[str, Any]) -> int:
    """Mbps of a dedicated connection, or of a LAG's member ports together."""
    if parent.get("lagId") and "connectionsBandwidth" in parent:
        return ports.capacity(ctx, ports.LAG, parent)
    return ports.capacity(ctx, ports.CONNECTION, parent)


def limited(ctx: RequestContext, parent_id: str, *, exclude: str = "") -> list[dict[str, Any]]:
    """The parent's live VIFs that carry a rate limiter."""
    return [
        v
        for v in ctx.tx.list("virtualInterface", parent=parent_id)
        if v.get("rateLimit")
        and v["virtualInterfaceState"] not in _GONE
        and v["virtualInterfaceId"] != exclude
    ]


def check(
    ctx: RequestContext,
    parent: dict[str, Any],
    rate: str,
    *,
    vif_id: str = "",
    modelled: bool = True,
) -> None:
    """May a VIF (``vif_id``, if it exists already) on ``parent`` carry ``rate``?"""
    if rate not in SUPPORTED:
        raise ClientError(
            f"Rate limit {rate!r} is not supported: use one of {', '.join(SUPPORTED)}."
        )
    parent_id = parent.get("lagId") or parent.get("connectionId", "")
    if parent.get("_hosted"):
        raise ClientError(
            f"Rate limiters are available on dedicated connections and LAGs only; hosted "
            f"connection {parent_id} is already limited to its capacity."
        )
    if SUPPORTED[rate] > capacity(ctx, parent):
        raise ClientError(f"Rate limit {rate} exceeds the bandwidth of {parent_id}.")
    if len(limited(ctx, parent_id, exclude=vif_id)) >= MAX_PER_PARENT:
        raise (LimitExceededException if modelled else ClientError)(LIMIT_MESSAGE)


def check_move(
    ctx: RequestContext, vifs: list[dict[str, Any]], target: dict[str, Any], *, modelled: bool
) -> None:
    """VIFs moving onto ``target`` (AssociateVirtualInterface, AssociateConnectionWithLag)."""
    moving = [v for v in vifs if v.get("rateLimit") and v["virtualInterfaceState"] not in _GONE]
    if not moving:
        return
    target_id = target.get("lagId") or target.get("connectionId", "")
    if target.get("_hosted"):
        raise ClientError(
            f"Rate limiters are available on dedicated connections and LAGs only; hosted "
            f"connection {target_id} cannot take a rate-limited virtual interface."
        )
    for vif in moving:
        if SUPPORTED.get(vif["rateLimit"], 0) > capacity(ctx, target):
            raise ClientError(
                f"Rate limit {vif['rateLimit']} of {vif['virtualInterfaceId']} exceeds the "
                f"bandwidth of {target_id}."
            )
    ids = {v["virtualInterfaceId"] for v in moving}
    staying = [v for v in limited(ctx, target_id) if v["virtualInterfaceId"] not in ids]
    if len(staying) + len(moving) > MAX_PER_PARENT:
        raise (LimitExceededException if modelled else ClientError)(LIMIT_MESSAGE)


def _format(mbps: int) -> str:
    for unit, scale in (("Tbps", 1_000_000), ("Gbps", 1000)):
        if mbps >= scale:
            return f"{mbps / scale:g}{unit}"
    return f"{mbps}Mbps"


def refresh(ctx: RequestContext, parent_id: str, record: dict[str, Any] | None = None) -> None:
    """Recompute ``rateLimiterStatus`` on a dedicated connection or LAG (on ``record`` in
    place when the caller holds it, so what it answers is current)."""
    kind = _kind(parent_id)
    parent = record if record is not None else ctx.tx.get(kind, parent_id)
    if parent is None or parent.get("_hosted"):
        return
    in_use = limited(ctx, parent_id)
    status = {
        "maxAllowed": MAX_PER_PARENT,
        "inUse": len(in_use),
        "remaining": MAX_PER_PARENT - len(in_use),
        "totalBandwidth": _format(sum(SUPPORTED.get(v["rateLimit"], 0) for v in in_use)),
    }
    if parent.get("rateLimiterStatus") != status:
        parent["rateLimiterStatus"] = status
        ctx.tx.update(kind, parent_id, parent)


def initial_status() -> dict[str, Any]:
    """What a new dedicated connection or LAG shows."""
    return {"maxAllowed": MAX_PER_PARENT, "inUse": 0, "remaining": MAX_PER_PARENT,
            "totalBandwidth": "0Mbps"}  # fmt: skip
