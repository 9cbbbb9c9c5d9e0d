"""``dxlocal serve`` flags for who may call the server (docs/security.md); each has a
``DXLOCAL_<NAME>`` variable too (config.py)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("access (docs/security.md)")
    group.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name clients may use besides IP addresses and localhost (repeat)",
    )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"allowed_hosts": ",".join(args.allowed_host) if args.allowed_host else None}
