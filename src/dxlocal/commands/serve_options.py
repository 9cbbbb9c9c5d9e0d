"""``dxlocal serve`` options for quotas, logs, a scenario file and an EC2 endpoint."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from dxlocal.commands import logs
from dxlocal.core.quotas import QUOTAS, QuotaError, parse


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="NAME=N",
        type=_quota,
        help=f"raise or lower a quota (repeat; also DXLOCAL_QUOTAS): {', '.join(QUOTAS)}",
    )
    serve.add_argument("--log-level", choices=logs.LEVELS, default="info")
    serve.add_argument(
        "--log-format", choices=logs.FORMATS, default="text", help="text (default) or json lines"
    )
    serve.add_argument(
        "--events-max-age",
        type=_not_negative(float),
        metavar="SECONDS",
        help="keep the event log's events of this many seconds of dxlocal's clock"
        " (default 604800, a week; 0: no limit)",
    )
    serve.add_argument(
        "--events-max",
        type=_not_negative(int),
        metavar="N",
        help="keep the newest N events of the event log (default 100000; 0: no limit)",
    )
    serve.add_argument(
        "--init",
        metavar="FILE",
        help="a scenario (JSON, or YAML when PyYAML is installed) applied through the API at start",
    )
    serve.add_argument(
        "--traffic-sample",
        metavar="SECONDS",
        type=float,
        default=None,
        help="seconds between readings of the lab's traffic counters (default 30; --bgp live)",
    )
    serve.add_argument(
        "--ec2-endpoint",
        metavar="URL",
        default=None,
        help="read VGWs, TGWs and VPC CIDRs from this EC2 endpoint (e.g. moto's server)",
    )


def _quota(item: str) -> dict[str, int]:
    try:
        return parse([item])
    except QuotaError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    quotas: dict[str, int] = {}
    for item in args.quota:
        quotas.update(item)
    found = {"quotas": quotas, "ec2_endpoint": args.ec2_endpoint,
             "traffic_sample": args.traffic_sample}  # fmt: skip
    for name in ("events_max_age", "events_max"):
        if getattr(args, name) is not None:
            found[name] = getattr(args, name)
    return found


def _not_negative(kind: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or value != value:
            raise argparse.ArgumentTypeError("must be 0 or more")
        return value

    return parse


def start(args: argparse.Namespace) -> None:
    """Configure logging: the one place it is done."""
    logs.configure(args.log_level, args.log_format)


def prepare(args: argparse.Namespace, service: Any) -> bool:
    """Before the port opens: apply ``--init FILE``. False (and a message) if it fails."""
    if not args.init:
        return True
    from dxlocal.commands import scenario

    try:
        service.trusted = True  # the operator's own calls (docs/security.md)
        try:
            steps = scenario.apply(service, scenario.read(args.init))
        finally:
            service.trusted = False
    except (scenario.ScenarioError, OSError) as exc:
        print(f"dxlocal serve --init: {exc}", file=sys.stderr)
        return False
    logging.getLogger("dxlocal").info("init: %s applied (%d steps)", args.init, steps)
    return True


def started(args: argparse.Namespace, service: Any) -> None:
    """The state is open: say how the server is set up."""
    settings = service.settings
    log = logging.getLogger("dxlocal")
    state = "memory (throwaway)" if settings.state == ":memory:" else settings.state
    log.info("state: %s (durability %s)", state, settings.durability)
    log.info(
        "modes: progress %s (%.3gs a step), bgp %s, ec2 %s",
        settings.progress,
        settings.delay,
        settings.bgp,
        settings.ec2_endpoint or "none (gateways known by use or the control API)",
    )
    changed = {name: n for name, n in settings.quotas.items() if n != QUOTAS[name].default}
    if changed:
        log.info("quotas: %s", ", ".join(f"{k}={v}" for k, v in sorted(changed.items())))
