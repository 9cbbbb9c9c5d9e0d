"""The quotas dxlocal enforces that ``--quota NAME=N`` and ``DXLOCAL_QUOTAS`` can change.

Each default is AWS's, from the Direct Connect User Guide, "Direct Connect quotas"
(https://docs.aws.amazon.com/directconnect/latest/UserGuide/limits.html), unless noted; the
README lists them with the fixed limits beside them. Providers read a quota as
``ctx.settings.quotas.get(NAME, DEFAULT)``; tests/unit/test_quotas.py keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Quota(NamedTuple):
    default: int
    what: str


QUOTAS: dict[str, Quota] = {
    "connections_per_location": Quota(
        10, "active dedicated connections per location per Region per account (LAG ports count)"
    ),
    "lags_per_region": Quota(10, "LAGs per Region per account"),
    "dx_gateways": Quota(200, "Direct Connect gateways per account"),
    "vifs_per_dx_gateway": Quota(30, "private and transit VIFs attached to one DX gateway"),
    "vgws_per_dx_gateway": Quota(20, "virtual private gateways associated with one DX gateway"),
    "tgws_per_dx_gateway": Quota(6, "transit gateways associated with one DX gateway"),
    "dx_gateways_per_tgw": Quota(20, "DX gateways associated with one transit gateway"),
    "tgw_allowed_prefixes": Quota(200, "allowed prefixes per transit gateway association"),
    # AWS publishes no figure; dxlocal's choice (docs/behavior.md).
    "resiliency_groups_per_region": Quota(10, "resiliency groups per Region per account"),
}


class QuotaError(ValueError):
    pass


def parse(items: Iterable[str]) -> dict[str, int]:
    """``["NAME=N", ...]`` (flags, or DXLOCAL_QUOTAS split on commas) -> ``{NAME: N}``."""
    out: dict[str, int] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in QUOTAS:
            known = ", ".join(QUOTAS)
            raise QuotaError(f"unknown quota {item!r}: give NAME=N, NAME one of {known}")
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            raise QuotaError(f"quota {name} must be a whole number >= 0, not {value!r}")
        out[name] = number
    return out
