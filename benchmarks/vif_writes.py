"""SQLite statements and writes per CreatePrivateVirtualInterface, in-process on a state file.

    .venv/bin/python benchmarks/vif_writes.py [N]

On a manual clock (``--progress manual``): creates a connection, then N private VIFs on
it through ``Service.handle`` (one unit of work each, as a server does for a lone request),
counting the statements SQLite runs (``sqlite3.Connection.set_trace_callback``) and those
that write (INSERT, UPDATE, DELETE) during the creates; then moves the clock until every
VIF is ``available`` and reads them all, counting again. The second figure is what the
VIFs' steps cost after their create: the timers that fire and the rewrites they make.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from dxlocal.config import Settings
from dxlocal.server.service import Service

ACCOUNT = "111122223333"
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def headers(op: str) -> dict[str, str]:
    return {
        "x-amz-target": f"OvertureService.{op}",
        "content-type": "application/x-amz-json-1.1",
        "authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/us-east-1/"
        "directconnect/aws4_request, SignedHeaders=host, Signature=0",
    }


def call(service: Service, op: str, body: dict) -> dict:
    status, _, answer = service.handle("POST", "/", headers(op), json.dumps(body).encode())
    assert status == 200, answer
    return json.loads(answer)


class Counter:
    def __init__(self) -> None:
        self.statements = self.writes = 0

    def __call__(self, sql: str) -> None:
        self.statements += 1
        if sql.lstrip().upper().startswith(WRITES):
            self.writes += 1


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(state=str(Path(folder) / "state.sqlite3"), progress="manual")
        service = Service(settings)
        db = service.store._db  # type: ignore[attr-defined]
        conn = call(service, "CreateConnection",
                    {"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "b"})  # fmt: skip
        service.clock.advance(10 * settings.delay)
        service.work.fire_due()
        creates = Counter()
        db.set_trace_callback(creates)
        vifs = []
        for i in range(n):
            spec = {"virtualInterfaceName": f"v{i}", "vlan": 100 + i, "asn": 65000,
                    "virtualGatewayId": "vgw-0123abcd"}  # fmt: skip
            vifs.append(call(service, "CreatePrivateVirtualInterface",
                             {"connectionId": conn["connectionId"],
                              "newPrivateVirtualInterface": spec}))  # fmt: skip
        db.set_trace_callback(None)
        steps = Counter()
        db.set_trace_callback(steps)
        service.clock.advance(10 * settings.delay)
        service.work.fire_due()
        states = {
            call(service, "DescribeVirtualInterfaces",
                 {"virtualInterfaceId": v["virtualInterfaceId"]})["virtualInterfaces"][0][
                "virtualInterfaceState"]
            for v in vifs
        }  # fmt: skip
        db.set_trace_callback(None)
        assert states == {"available"}, states
        service.close()
    reads = n  # the DescribeVirtualInterfaces calls counted with the steps
    print(f"per CreatePrivateVirtualInterface: {creates.statements / n:.1f} statements, "
          f"{creates.writes / n:.1f} writes")  # fmt: skip
    print(f"per VIF, its steps to available (+1 describe): {steps.statements / n:.1f} "
          f"statements, {steps.writes / n:.1f} writes ({reads} describes)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
