"""Instructions (or CPU time) per API call through the native server's request path, in-process.

    .venv/bin/python benchmarks/instructions.py dc|cc N [--log-level info|warning]
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/instructions.py dc N          # "Collected : <Ir>"

``HttpServer`` (server/http.py) is fed raw HTTP requests on 16 keep-alive connections, one
request on each per round, as ``wrk -t1 -c16`` would send them, and runs its group commit on
an asyncio loop; the transports are in memory, so no socket or client costs are counted. The
store is a new SQLite state file (default durability) holding 200 connections (``--connections``
for more; ``dc``:
DescribeConnections of one of them by id; ``cc``: CreateConnection, a new account every 60).
Logging is configured as ``dxlocal serve`` does (INFO by default), written to /dev/null.

Instructions per call = (Ir of a run of N calls - Ir of a run of M calls) / (N - M): the
start-up cancels out and the machine's load does not move the figure. Without valgrind the
script prints the process CPU time per call of the measured loop (noisier).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from dxlocal.commands import logs
from dxlocal.config import Settings
from dxlocal.server.http import HttpServer, _Connection
from dxlocal.server.service import Service

LOCATIONS = ("EqDC2", "CSVA1", "EqNY5", "EqAT1", "CSNY1", "DRAT1")
CLIENTS = 16


class _Transport:
    def __init__(self) -> None:
        self.answers = 0

    def write(self, data: bytes) -> None:
        self.answers += 1

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass


def _request(op: str, account: str, body: dict[str, str]) -> bytes:
    payload = json.dumps(body).encode()
    return (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
        f"X-Amz-Target: OvertureService.{op}\r\nAuthorization: AWS4-HMAC-SHA256 "
        f"Credential={account}/20260101/us-east-1/directconnect/aws4_request, "
        f"SignedHeaders=host, Signature=0\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


def _seed(service: Service, count: int) -> list[tuple[str, str]]:
    made = []
    for i in range(count):
        account = f"{200000000000 + i // 60:012d}"
        body = {"location": LOCATIONS[i % 6], "bandwidth": "1Gbps", "connectionName": "s"}
        status, _, answer = service.handle(
            "POST", "/", _headers("CreateConnection", account), json.dumps(body).encode()
        )
        assert status == 200, answer
        made.append((account, json.loads(answer)["connectionId"]))
    return made


def _headers(op: str, account: str) -> dict[str, str]:
    return {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": f"OvertureService.{op}",
        "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/"
        "directconnect/aws4_request, SignedHeaders=host, Signature=0",
    }


async def _drive(service: Service, requests: list[bytes]) -> float:
    server = HttpServer(service)
    server._loop = asyncio.get_running_loop()
    conns = []
    for _ in range(CLIENTS):
        conn = _Connection(server)
        conn.connection_made(_Transport())  # type: ignore[arg-type]
        conns.append(conn)
    start = time.process_time()
    sent = 0
    for first in range(0, len(requests), CLIENTS):
        for conn, raw in zip(conns, requests[first : first + CLIENTS], strict=False):
            conn.data_received(raw)
            sent += 1
        while sum(c.transport.answers for c in conns) < sent:  # type: ignore[union-attr]
            await asyncio.sleep(0)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("dc", "cc"))
    parser.add_argument("n", type=int)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--connections", type=int, default=200, help="seeded before the run")
    args = parser.parse_args()
    logs.configure(args.log_level, "text", stream=open(os.devnull, "w"))  # noqa: SIM115
    with tempfile.TemporaryDirectory() as folder:
        service = Service(Settings(state=str(Path(folder) / "state.sqlite3"), delay=3600))
        seeded = args.connections
        made = _seed(service, seeded)
        if args.what == "dc":
            # Each id in turn, in an order spread over the file (7919 is prime).
            picks = [made[i * 7919 % seeded] for i in range(args.n)]
            requests = [
                _request("DescribeConnections", account, {"connectionId": cid})
                for account, cid in picks
            ]
        else:
            requests = [
                _request(
                    "CreateConnection",
                    f"{300000000000 + i // 60:012d}",
                    {"location": LOCATIONS[i % 6], "bandwidth": "1Gbps", "connectionName": "b"},
                )
                for i in range(args.n)
            ]
        service.store.start_background()  # as dxlocal serve: checkpoints off the COMMIT
        seconds = asyncio.run(_drive(service, requests))
        service.close()
    print(f"{args.what} {args.n} calls: {seconds / args.n * 1e6:.1f} us CPU per call")


if __name__ == "__main__":
    main()
