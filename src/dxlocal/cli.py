"""``dxlocal serve | reset | version``."""

from __future__ import annotations

import argparse
import os
import sys

from dxlocal import __version__
from dxlocal.config import DEFAULT_STATE, from_env


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dxlocal.server.asgi import create_app

    settings = from_env(
        host=args.host,
        port=args.port,
        state=args.state,
        bgp=args.bgp,
        progress=args.progress,
        delay=args.delay,
        durability=args.durability,
    )
    app = create_app(settings)
    where = "memory (throwaway)" if settings.state == ":memory:" else settings.state
    print(
        f"dxlocal {__version__} serving AWS Direct Connect on http://{settings.host}:{settings.port}/"
        f" (state: {where}; bgp: {settings.bgp})",
        flush=True,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        lifespan="on",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run()
    return 0


def _reset(args: argparse.Namespace) -> int:
    path = args.state
    removed = False
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
            removed = True
    print(f"removed {path}" if removed else f"nothing to remove at {path}")
    return 0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dxlocal", description="AWS Direct Connect on one machine.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the Direct Connect API")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 4599)")
    serve.add_argument("--state", default=None, help=f"SQLite file or :memory: (default {DEFAULT_STATE})")
    serve.add_argument("--bgp", choices=("sim", "absent", "live"), default=None,
                       help="customer router: simulated healthy (default), absent, or live BGP")
    serve.add_argument("--progress", choices=("auto", "manual"), default=None,
                       help="advance transitional states on their own (default) or via /_dxlocal/advance")
    serve.add_argument("--delay", type=float, default=None, help="seconds per lifecycle step (default 0.2)")
    serve.add_argument("--durability", choices=("normal", "full"), default=None,
                       help="normal: survives kill -9 (default); full: fsync every call")
    serve.set_defaults(func=_serve)

    reset = sub.add_parser("reset", help="delete the state file")
    reset.add_argument("--state", default=from_env().state)
    reset.set_defaults(func=_reset)

    version = sub.add_parser("version", help="print versions")
    version.set_defaults(func=lambda a: print(f"dxlocal {__version__}") or 0)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
