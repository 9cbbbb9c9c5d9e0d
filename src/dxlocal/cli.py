"""``dxlocal serve | reset | lab | version``."""

from __future__ import annotations

import argparse
import os
import sys

from dxlocal import __version__
from dxlocal.commands import failures, serve_options, state
from dxlocal.config import DEFAULT_STATE, from_env
from dxlocal.server import access, limits
from dxlocal.server.auth import CredentialsError
from dxlocal.store import StateInUse, StoreError, is_database_url, open_store, shown
from dxlocal.store.sqlite import lock_state


def _serve(args: argparse.Namespace) -> int:
    from dxlocal import compose
    from dxlocal.server import http

    settings = from_env(
        host=args.host,
        port=args.port,
        state=args.state,
        bgp=args.bgp,
        progress=args.progress,
        delay=args.delay,
        durability=args.durability,
        bgp_netns=args.bgp_netns,
        bgp_hold_time=args.bgp_hold_time,
        bgp_connect_retry=args.bgp_connect_retry,
        bgp_loopback_port=args.bgp_loopback_port,
        **limits.overrides(args),
        **access.overrides(args),
        **serve_options.overrides(args),
    )
    if (why := access.refusal(settings)) is not None:
        print(f"dxlocal serve: {why}", file=sys.stderr)
        return 1
    serve_options.start(args)  # logging, configured once, here
    try:
        service, companions = compose.build(settings)
    except CredentialsError as exc:
        print(f"dxlocal serve: {exc}", file=sys.stderr)
        return 1
    except StateInUse as exc:
        print(f"dxlocal serve: {exc}; give another --state or stop it", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"dxlocal serve: {exc}", file=sys.stderr)
        return 1
    if not serve_options.prepare(args, service):  # --init FILE, before the port opens
        service.close()
        return 1
    where = "memory (throwaway)" if settings.state == ":memory:" else shown(settings.state)

    def listening(port: int) -> None:  # printed once the port is bound
        print(
            f"dxlocal {__version__} serving AWS Direct Connect on http://{settings.host}:{port}/"
            f" (state: {where}; bgp: {settings.bgp})",
        )
        print(*access.startup_lines(settings), sep="\n", flush=True)
        serve_options.started(args, service)

    try:
        http.run(service, settings.host, settings.port, companions, on_listening=listening)
    except http.CannotListen as exc:
        print(f"dxlocal serve: {exc}", file=sys.stderr)
        return 1
    return 0


def _lab(args: argparse.Namespace) -> int:
    """``dxlocal lab``: talks to the running server, which owns the speaker and namespaces."""
    import json

    from dxlocal.bgp import lab_client as lab
    from dxlocal.bgp.lab_config import render

    try:
        if args.lab_command == "attach":
            if bool(args.netns) == bool(args.loopback):
                raise RuntimeError("give exactly one of --netns NAME and --loopback")
            body = {"virtualInterfaceId": args.vif, "netns": args.netns, "loopback": args.loopback}
            print(json.dumps(lab.call(args.endpoint, "POST", "/lab/attach", body), indent=2))
        elif args.lab_command == "detach":
            if not (args.vif or args.netns):
                raise RuntimeError("give VIF_ID or --netns NAME")
            body = {"virtualInterfaceId": args.vif, "netns": args.netns}
            print(json.dumps(lab.call(args.endpoint, "POST", "/lab/detach", body), indent=2))
        elif args.lab_command == "show":
            path = f"/lab/{args.vif}" if args.vif else "/lab"
            print(json.dumps(lab.call(args.endpoint, "GET", path), indent=2))
        else:  # config
            info = lab.call(args.endpoint, "GET", f"/lab/{args.vif}")
            account = args.account or info["ownerAccount"]
            region = args.region or info["region"]
            vif = lab.describe_vif(args.endpoint, account, region, args.vif)
            text = render(args.format, vif, info, args.peer, args.announce, args.bfd, args.gr)
            print(text, end="")
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"dxlocal lab {args.lab_command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _reset(args: argparse.Namespace) -> int:
    path = args.state
    if is_database_url(path):  # a shared database: empty dxlocal's tables, as servers run
        try:
            store = open_store(path)
        except StoreError as exc:
            print(f"dxlocal reset: {exc}", file=sys.stderr)
            return 1
        store.reset()
        store.close()
        print(f"emptied {shown(path)}")
        return 0
    if not os.path.exists(path):
        print(f"nothing to remove at {path}")
        return 0
    try:
        fd = lock_state(path)  # never pull the file from under a running server
    except StateInUse as exc:
        print(f"dxlocal reset: {exc}; stop it first", file=sys.stderr)
        return 1
    removed = False
    try:  # the lock is held (and its file kept) until the state is gone
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
                removed = True
    finally:
        os.close(fd)
    print(f"removed {path}" if removed else f"nothing to remove at {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dxlocal", description="AWS Direct Connect on one machine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the Direct Connect API")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 4599)")
    serve.add_argument(
        "--state",
        default=None,
        help=f"SQLite file, :memory: or postgresql://… URL (default {DEFAULT_STATE})",
    )
    serve.add_argument(
        "--bgp",
        choices=("sim", "absent", "live"),
        default=None,
        help="customer router: simulated healthy (default), absent, or live BGP",
    )
    serve.add_argument(
        "--progress",
        choices=("auto", "manual"),
        default=None,
        help="advance transitional states on their own (default) or via /_dxlocal/advance",
    )
    serve.add_argument(
        "--delay", type=float, default=None, help="seconds per lifecycle step (default 0.2)"
    )
    serve.add_argument(
        "--durability",
        choices=("normal", "full"),
        default=None,
        help="normal: survives kill -9 (default); full: fsync every call",
    )
    serve.add_argument(
        "--bgp-netns",
        default=None,
        help='live BGP: namespace for the Amazon side (default dxlocal-aws; "" = loopback)',
    )
    serve.add_argument(
        "--bgp-hold-time",
        type=int,
        default=None,
        help="live BGP: hold time offered, seconds (default 90; 9 for fast tests)",
    )
    serve.add_argument(
        "--bgp-connect-retry",
        type=float,
        default=None,
        help="live BGP: connect retry, seconds (default 2)",
    )
    serve.add_argument(
        "--bgp-loopback-port",
        type=int,
        default=None,
        help="live BGP: first port of the loopback transports (default 11790)",
    )
    limits.add_arguments(serve)
    access.add_arguments(serve)
    serve_options.add_arguments(serve)
    serve.set_defaults(func=_serve)

    lab = sub.add_parser("lab", help="wire a customer router to a VIF of a running live-BGP server")
    lab.set_defaults(func=_lab)
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    endpoint = argparse.ArgumentParser(add_help=False)
    endpoint.add_argument(
        "--endpoint",
        default=f"http://127.0.0.1:{os.environ.get('DXLOCAL_PORT', '4599')}",
        help="the dxlocal server (default http://127.0.0.1:$DXLOCAL_PORT or :4599)",
    )
    attach = lab_sub.add_parser(
        "attach",
        parents=[endpoint],
        help="create namespace NAME holding the customer side of VIF_ID",
    )
    attach.add_argument("vif", metavar="VIF_ID")
    attach.add_argument("--netns", help="namespace for the customer side (created if missing)")
    attach.add_argument(
        "--loopback",
        action="store_true",
        help="no namespaces: loopback transport addresses and ports (see lab show)",
    )
    detach = lab_sub.add_parser("detach", parents=[endpoint], help="undo lab attach")
    detach.add_argument("vif", metavar="VIF_ID", nargs="?")
    detach.add_argument("--netns", help="detach every VIF attached in this namespace")
    show = lab_sub.add_parser(
        "show", parents=[endpoint], help="how VIFs are wired, with transports"
    )
    show.add_argument("vif", metavar="VIF_ID", nargs="?")
    config = lab_sub.add_parser(
        "config", parents=[endpoint], help="print a customer-side router configuration for VIF_ID"
    )
    config.add_argument("vif", metavar="VIF_ID")
    config.add_argument(
        "--peer", action="append", metavar="PEER_ID", help="only these peers (default all)"
    )
    config.add_argument("--format", choices=("bird", "frr"), default="bird")
    config.add_argument("--no-bfd", dest="bfd", action="store_false", help="leave BFD out")
    config.add_argument(
        "--no-graceful-restart", dest="gr", action="store_false", help="leave graceful restart out"
    )
    config.add_argument(
        "--announce",
        action="append",
        metavar="CIDR",
        default=[],
        help="a prefix the customer router announces (repeat)",
    )
    config.add_argument("--account", help="the VIF owner's account (default: from the server)")
    config.add_argument("--region", help="the VIF's Region (default: from the server)")

    from dxlocal import routes_command

    routes_command.add_parser(sub)

    state.add_commands(sub)  # export, import, status
    failures.add_commands(sub)  # fault, maintenance, events

    reset = sub.add_parser("reset", help="delete the state file")
    reset.add_argument("--state", default=from_env().state)
    reset.set_defaults(func=_reset)

    version = sub.add_parser("version", help="print versions")
    version.set_defaults(func=lambda a: print(f"dxlocal {__version__}") or 0)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
