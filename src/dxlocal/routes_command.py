"""``dxlocal routes GATEWAY_ID``: print the route table AWS would build for a virtual private
gateway, transit gateway or Direct Connect gateway, as a running server holds it
(``GET /_dxlocal/route-tables/{id}``, docs/routing.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from dxlocal import control_token


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("routes", help="print a gateway's route table (AWS's path selection)")
    cmd.add_argument("gateway", metavar="GATEWAY_ID", help="vgw-…, tgw-… or a DX gateway id")
    cmd.add_argument(
        "--endpoint",
        default=f"http://127.0.0.1:{os.environ.get('DXLOCAL_PORT', '4599')}",
        help="the dxlocal server (default http://127.0.0.1:$DXLOCAL_PORT or :4599)",
    )
    cmd.add_argument("--json", action="store_true", help="print the table as JSON")
    cmd.set_defaults(func=run)


def fetch(endpoint: str, gateway_id: str) -> dict[str, Any]:
    path = "/_dxlocal/route-tables/" + urllib.parse.quote(gateway_id, safe="")
    request = urllib.request.Request(
        endpoint.rstrip("/") + path, headers=control_token.client_headers()
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def render(table: dict[str, Any]) -> str:
    where = f", {table['region']}" if table.get("region") else ""
    lines = [f"{table['gatewayId']} ({table['gatewayType']}{where}): "
             f"{len(table['routes'])} prefixes"]  # fmt: skip
    rows = [("PREFIX", "VIA", "REASON")]
    for r in table["routes"]:
        rows.append((r["prefix"], ", ".join(r["virtualInterfaceIds"]), r["reason"]))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        table = fetch(args.endpoint, args.gateway)
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", str(exc))
        except ValueError:
            message = str(exc)
        print(f"dxlocal routes: {message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dxlocal routes: cannot reach {args.endpoint}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(table, indent=2) if args.json else render(table))
    return 0
