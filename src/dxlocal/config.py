"""One frozen settings object, built from flags and ``DXLOCAL_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_STATE = os.path.join(
    os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"),
    "dxlocal",
    "dxlocal.sqlite3",
)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4599
    # Where records live: a file path (durable), ":memory:" (throwaway) or a postgresql:// URL.
    state: str = DEFAULT_STATE
    # "normal": nothing acknowledged is lost if the process dies; "full": fsync each commit.
    durability: str = "normal"
    default_account: str = "123456789012"
    default_region: str = "us-east-1"
    # Lifecycle progression: "auto" advances transitional states after `delay` seconds each;
    # "manual" waits for POST /_dxlocal/advance.
    progress: str = "auto"
    delay: float = 0.2
    # The customer's side of BGP: "sim" = a healthy simulated router (peers come up),
    # "absent" = nobody answers (peers stay down), "live" = real BGP sessions.
    bgp: str = "sim"
    # Live BGP (bgp == "live"): the network namespace dxlocal creates for the Amazon side of
    # every VIF ("" = no namespaces: loopback transport, docs/behavior.md#lab), the timers it offers
    # (RFC 4271 §4.2, §10: hold 90 s as Direct Connect uses, connect retry), and the first
    # port of the loopback transports (Amazon side even, customer side odd).
    bgp_netns: str = "dxlocal-aws"
    bgp_hold_time: int = 90
    bgp_connect_retry: float = 2.0
    bgp_loopback_port: int = 11790
    # Seconds between two readings of the lab's traffic counters (bgp/traffic.py).
    traffic_sample: float = 30.0
    # Deleted VIFs stay visible this long (DescribeVirtualInterfaces doc: 15 minutes).
    deleted_retention: float = 900.0
    # The event log keeps the events of this many seconds of dxlocal's clock and this many
    # events at most (0: no limit); docs/failures.md#events.
    events_max_age: float = 7 * 86400.0
    events_max: int = 100_000
    max_body: int = 1024 * 1024
    # HTTP limits (server/limits.py, docs/security.md); max_connections 0 = from ulimit -n.
    max_request_line: int = 64 * 1024
    max_header_bytes: int = 64 * 1024
    header_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_connections: int = 0
    # Host names besides IP literals and localhost that requests may name (server/origin.py).
    allowed_hosts: str = ""
    # "none": signatures unchecked; "sigv4": verified against these keys (server/auth.py):
    # ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT entries inline or in a file.
    auth: str = "none"
    credentials: str = ""
    credentials_file: str = ""
    # Serve beyond loopback with auth "none" (server/access.py): off unless asked for.
    allow_unauthenticated: bool = False
    # The control API's token (control_token.py); "" = kept beside the state when needed.
    control_token: str = ""
    quotas: dict[str, int] = field(default_factory=dict)  # core/quotas.py: names, defaults
    # An EC2 endpoint (e.g. moto's server) that VGWs, TGWs and VPC CIDRs are read from.
    ec2_endpoint: str = ""

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_ENV = {
    "host": str,
    "port": int,
    "state": str,
    "durability": str,
    "default_account": str,
    "default_region": str,
    "progress": str,
    "delay": float,
    "bgp": str,
    "bgp_netns": str,
    "bgp_hold_time": int,
    "bgp_connect_retry": float,
    "bgp_loopback_port": int,
    "traffic_sample": float,
    "deleted_retention": float,
    "events_max_age": float,
    "events_max": int,
    "max_body": int,
    "ec2_endpoint": str,
    "max_request_line": int,
    "max_header_bytes": int,
    "header_timeout": float,
    "idle_timeout": float,
    "max_connections": int,
    "allowed_hosts": str,
    "auth": str,
    "credentials": str,
    "credentials_file": str,
    "control_token": str,
    "allow_unauthenticated": lambda v: v.strip().lower() in ("1", "true", "yes"),
}


def from_env(**overrides: Any) -> Settings:
    """Settings from ``DXLOCAL_<NAME>`` variables, then explicit overrides (flags)."""
    values: dict[str, Any] = {}
    for name, kind in _ENV.items():
        raw = os.environ.get(f"DXLOCAL_{name.upper()}")
        if raw is not None:
            values[name] = kind(raw)
    from dxlocal.core.quotas import parse  # DXLOCAL_QUOTAS=name=N,name=N, then --quota flags

    quotas = {
        **parse(os.environ.get("DXLOCAL_QUOTAS", "").split(",")),
        **(overrides.pop("quotas", None) or {}),
    }
    values.update({k: v for k, v in overrides.items() if v is not None}, quotas=quotas)
    return Settings(**values)
