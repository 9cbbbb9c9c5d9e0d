"""What one client may hold of the server: request head size, time to send it, idle
keep-alive time, and connections at once (docs/security.md, "Limits").

    request line  > max_request_line bytes        ─▶ 414, connection closed
    header fields > max_header_bytes bytes         ─▶ 431, connection closed
    head not complete within header_timeout        ─▶ 408, connection closed
    no byte for idle_timeout (kept alive or body)  ─▶ closed (408 if a request was begun)
    max_connections open and a new one arrives     ─▶ the longest-idle connection is closed;
                                                      none idle: the new one gets 503

The connection cap defaults to the descriptor limit less a reserve (state file, WAL,
sockets of the live BGP speaker), so a crowd of idle sockets cannot lock new clients out.
"""

from __future__ import annotations

import argparse
import resource
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_REQUEST_LINE = 64 * 1024
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 60.0
FD_RESERVE = 128  # descriptors kept for everything that is not a client connection
MAX_AUTO_CONNECTIONS = 4096


@dataclass(frozen=True)
class Limits:
    max_request_line: int = DEFAULT_MAX_REQUEST_LINE
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = 0  # 0: from the descriptor limit

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_request_line=settings.max_request_line,
            max_header_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout,
            idle_timeout=settings.idle_timeout,
            max_connections=settings.max_connections or auto_max_connections(),
        )

    @property
    def sweep_interval(self) -> float:
        """How often timeouts are checked: a quarter of the shortest, 50 ms to 1 s."""
        return min(1.0, max(0.05, min(self.header_timeout, self.idle_timeout) / 4))


def auto_max_connections() -> int:
    """The soft descriptor limit less the reserve (at least 16, at most 4,096)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_AUTO_CONNECTIONS
    return max(16, min(MAX_AUTO_CONNECTIONS, soft - FD_RESERVE))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``dxlocal serve`` flags (each also ``DXLOCAL_<NAME>``, config.py)."""
    group = parser.add_argument_group("limits (docs/security.md)")
    group.add_argument(
        "--max-request-line",
        type=int,
        default=None,
        help=f"bytes of request line, else 414 (default {DEFAULT_MAX_REQUEST_LINE})",
    )
    group.add_argument(
        "--max-header-bytes",
        type=int,
        default=None,
        help=f"bytes of header fields, else 431 (default {DEFAULT_MAX_HEADER_BYTES})",
    )
    group.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        help=f"seconds to send a request's head, else 408 (default {DEFAULT_HEADER_TIMEOUT:g})",
    )
    group.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help=f"seconds a connection may stay silent (default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    group.add_argument(
        "--max-connections",
        type=int,
        default=None,
        help="client connections at once (default: descriptor limit - 128, at most 4096)",
    )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("max_request_line", "max_header_bytes", "header_timeout", "idle_timeout")
    return {n: getattr(args, n) for n in (*names, "max_connections")}
