"""``dxlocal serve`` flags for who may call the server (docs/security.md); each has a
``DXLOCAL_<NAME>`` variable too (config.py)."""

from __future__ import annotations

import argparse
import hmac
import ipaddress
from typing import Any

from dxlocal import control_token


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("access (docs/security.md)")
    group.add_argument(
        "--auth",
        choices=("none", "sigv4"),
        default=None,
        help="none: signatures unchecked (default); sigv4: every call verified",
    )
    group.add_argument(
        "--credentials",
        default=None,
        metavar="FILE",
        dest="credentials_file",
        help="ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT lines (or DXLOCAL_CREDENTIALS)",
    )
    group.add_argument(
        "--control-token",
        default=None,
        metavar="TOKEN",
        help="the /_dxlocal token (default: made once, kept in <state>.control-token)",
    )
    group.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        default=None,
        help="let --host beyond loopback serve with --auth none (prints a warning)",
    )
    group.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name clients may use besides IP addresses and localhost (repeat)",
    )


def beyond_loopback(host: str) -> bool:
    """True when ``host`` is reachable from other machines (not a loopback address)."""
    if host in ("localhost", ""):
        return host == ""  # "" binds every interface
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: assume it resolves beyond this machine


def refusal(settings: Any) -> str | None:
    """Why the server must not start with these settings, if it must not."""
    if (
        beyond_loopback(settings.host)
        and settings.auth != "sigv4"
        and not settings.allow_unauthenticated
    ):
        return (
            f"--host {settings.host} is reachable from other machines and --auth is none: "
            "add --auth sigv4 with credentials, or --allow-unauthenticated to serve anyone"
        )
    return None


def control_token_needed(settings: Any) -> bool:
    """The control API is closed whenever others could reach it or calls are signed."""
    return beyond_loopback(settings.host) or settings.auth == "sigv4"


def control_allowed(path: str, headers: Any, token: str | None) -> bool:
    """True when ``token`` is None (open) or the request carries it; health stays open."""
    if token is None or path.rstrip("/") == "/_dxlocal/health":
        return True
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def startup_lines(settings: Any) -> list[str]:
    if settings.auth == "sigv4":
        lines = ["auth: sigv4 (every API call must be signed with a key from the credentials)"]
    else:
        lines = [
            "auth: none (signatures are not checked: a caller acts as the account its access "
            "key id names; see README, Security)"
        ]
    if control_token_needed(settings):
        where = (
            "--control-token"
            if settings.control_token
            else "kept in " + (control_token.path_for(settings.state))
        )
        lines.append(f"control API: token required ({where})")
    if beyond_loopback(settings.host) and settings.auth != "sigv4":
        lines.append(
            f"WARNING: serving {settings.host} without authentication: anyone who reaches "
            "this port can act as any account"
        )
    return lines


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "allowed_hosts": ",".join(args.allowed_host) if args.allowed_host else None,
        "auth": args.auth,
        "credentials_file": args.credentials_file,
        "allow_unauthenticated": args.allow_unauthenticated,
        "control_token": args.control_token,
    }
