"""CPU cost of the event log (core/events.py) per API call, in-process on a state file.

    .venv/bin/python benchmarks/event_log.py [N]

Runs N CreateConnection and N DescribeConnections calls through ``Service.handle`` (one unit
of work each, as a server does for a lone request) on a new SQLite state file with default
durability, and prints the process CPU time per call. Run it on two checkouts (the event log
and the commit before it, e.g. with ``PYTHONPATH=<other checkout>/src``) to read its cost.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from dxlocal.config import Settings
from dxlocal.server.service import Service

LOCATIONS = ("EqDC2", "CSVA1", "EqNY5", "EqAT1", "CSNY1", "DRAT1")


def headers(op: str, account: str) -> dict[str, str]:
    return {
        "x-amz-target": f"OvertureService.{op}",
        "content-type": "application/x-amz-json-1.1",
        "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/"
        "directconnect/aws4_request, SignedHeaders=host, Signature=0",
    }


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        service = Service(Settings(state=str(Path(folder) / "state.sqlite3")))
        ids = []
        start = time.process_time()
        for i in range(n):
            account = f"{100000000000 + i // 60:012d}"  # 60 per account: no quota is hit
            body = {"location": LOCATIONS[i % 6], "bandwidth": "1Gbps", "connectionName": "b"}
            status, _, answer = service.handle(
                "POST", "/", headers("CreateConnection", account), json.dumps(body).encode()
            )
            assert status == 200, answer
            ids.append((account, json.loads(answer)["connectionId"]))
        create = (time.process_time() - start) / n
        start = time.process_time()
        for account, cid in ids:
            body = json.dumps({"connectionId": cid}).encode()
            status, _, _ = service.handle(
                "POST", "/", headers("DescribeConnections", account), body
            )
            assert status == 200
        describe = (time.process_time() - start) / n
        service.close()
    print(f"CreateConnection    {create * 1e6:7.1f} us CPU per call")
    print(f"DescribeConnections {describe * 1e6:7.1f} us CPU per call")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
