"""CPU cost of the per-call log line of ``dxlocal serve`` (server/calllog.py), per format.

    .venv/bin/python benchmarks/call_log.py [N]

Measures process CPU time (not wall time, so other load on the machine matters less) of N
``calllog.record`` calls for a CreateConnection, with the handler writing to memory, and of
the check made on every call when INFO is off.
"""

from __future__ import annotations

import io
import sys
import time

from dxlocal.commands import logs
from dxlocal.server import calllog

HEADERS = {
    "x-amz-target": "OvertureService.CreateConnection",
    "authorization": "AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/"
    "directconnect/aws4_request, SignedHeaders=host, Signature=0",
}
BODY = b'{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"x"}'
ANSWER = (
    b'{"ownerAccount":"111122223333","connectionId":"dxcon-fabcdefg","connectionName":"x",'
    b'"connectionState":"requested","region":"us-east-1","location":"EqDC2","bandwidth":"1Gbps"}'
)


def main(n: int) -> None:
    for fmt in ("text", "json"):
        logs.configure("info", fmt, stream=io.StringIO())
        start = time.process_time()
        for _ in range(n):
            calllog.record(
                "123456789012", "us-east-1", "POST", "/", HEADERS, BODY, 200, ANSWER, 0.0
            )
        print(f"{fmt:>5}: {(time.process_time() - start) / n * 1e6:6.1f} us CPU per call line")
    logs.configure("warning", "text", stream=io.StringIO())
    start = time.process_time()
    for _ in range(n * 10):
        calllog.enabled()
    print(f"  off: {(time.process_time() - start) / n / 10 * 1e6:6.2f} us CPU per call")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
