"""``dxlocal export | import | status``: the state of a running server, through its control
API (server/snapshot.py), or of a state file no server holds (``--state``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dxlocal.commands import tree
from dxlocal.control_client import call as _call
from dxlocal.control_client import endpoint_parser

CHUNK = 512 * 1024  # bytes of records per import request (the server takes 1 MiB bodies)


def _offline(path: str) -> Any:
    """A Service over a state file that no server holds (the file lock says so)."""
    from dxlocal.config import from_env
    from dxlocal.server.service import Service

    return Service(from_env(state=path, progress="manual"))


def _document(args: argparse.Namespace) -> dict[str, Any]:
    if args.state:
        from dxlocal.server import snapshot

        service = _offline(args.state)
        try:
            return snapshot.export(service.control.ctx)
        finally:
            service.close()
    return _call(args.endpoint, "GET", "/export")


def _export(args: argparse.Namespace) -> int:
    json.dump(_document(args), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


def _chunks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document cut into pieces small enough for one request each (timers go last)."""
    pieces: list[dict[str, Any]] = []
    current: list[Any] = []
    size = 0
    for record in document.get("records", []):
        length = len(json.dumps(record))
        if current and size + length > CHUNK:
            pieces.append({**document, "records": current, "timers": []})
            current, size = [], 0
        current.append(record)
        size += length
    pieces.append({**document, "records": current})
    return pieces


def _import(args: argparse.Namespace) -> int:
    with open(args.file, encoding="utf-8") as handle:
        document = json.load(handle)
    if args.state:
        from dxlocal.server import snapshot

        service = _offline(args.state)
        try:
            counts = snapshot.load(service.control.ctx, document, replace=not args.merge)
        finally:
            service.close()
    else:
        counts = {"records": 0, "timers": 0}
        for i, piece in enumerate(_chunks(document)):
            body = {"document": json.dumps(piece), "replace": not args.merge and i == 0}
            done = _call(args.endpoint, "POST", "/import", body)
            counts = {k: counts[k] + done[k] for k in counts}
    print(f"imported {counts['records']} records and {counts['timers']} timers")
    return 0


def _status(args: argparse.Namespace) -> int:
    if args.state:
        from dxlocal.core import lifecycle

        service = _offline(args.state)
        try:
            with service.store.transaction() as tx:
                reader = lifecycle.reader(tx, service.clock.now(), service.settings.delay)
                records = {kind: reader.list(kind) for kind in tree.KINDS}
        finally:
            service.close()
    else:
        records = {k: _call(args.endpoint, "GET", f"/records/{k}")["records"] for k in tree.KINDS}
    print(tree.render(records), end="")
    return 0


def add_commands(sub: Any) -> None:
    endpoint = endpoint_parser()
    endpoint.add_argument(
        "--state", help="read or write this state file instead (no server may hold it)"
    )
    export = sub.add_parser(
        "export", parents=[endpoint], help="print the whole state as JSON (dxlocal import reads it)"
    )
    export.set_defaults(func=_guard(_export))
    load = sub.add_parser("import", parents=[endpoint], help="replace the state with an export")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--merge", action="store_true", help="add to the state instead")
    load.set_defaults(func=_guard(_import))
    status = sub.add_parser("status", parents=[endpoint], help="print what exists, as a tree")
    status.set_defaults(func=_guard(_status))


def _guard(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from dxlocal.core.errors import ApiError
        from dxlocal.store import StoreError

        try:
            return command(args)
        except (RuntimeError, OSError, ValueError, ApiError, StoreError) as exc:
            print(f"dxlocal {args.command}: {exc}", file=sys.stderr)
            return 1

    return run
