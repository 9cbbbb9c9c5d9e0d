"""The long fuzz runs (the quick ones are in tests/fuzz, run by ``make test``):

    .venv/bin/python benchmarks/fuzz_long.py [--api 50000] [--http 5000] [--bgp 1000] [--seed N]

``--api``: model-driven requests in-process (awsJson and RPC v2 CBOR, every operation);
``--http``: connections of hostile HTTP framing to a ``dxlocal serve`` on a free port;
``--bgp``: malformed messages per BGP message type. Prints the counts; exit status 1 on
any 5xx, hang, record changed by a refused request, or message not answered by a
NOTIFICATION.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "fuzz"), str(ROOT / "tests")]

from bgp_cases import TYPES  # noqa: E402
from runners import Counts, run_api, run_bgp, run_http  # noqa: E402

from dxtest import LiveServer  # noqa: E402


def report(name: str, counts: Counts, seconds: float) -> bool:
    print(
        f"{name:<24} {counts.requests:>7,} sent  {counts.served:>7,} 2xx  {counts.refused:>7,} "
        f"refused  {counts.server_errors} 5xx  {counts.hangs} hangs  "
        f"{counts.changed_by_refused} changed-by-refused  ({seconds:.0f} s)",
        flush=True,
    )
    for line in counts.failures[:5]:
        print("   ", line)
    return not counts.failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=int, default=50_000)
    parser.add_argument("--http", type=int, default=5_000)
    parser.add_argument("--bgp", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ok = True
    started = time.monotonic()
    ok &= report("api (json + cbor)", run_api(args.api, args.seed), time.monotonic() - started)
    with tempfile.TemporaryDirectory() as work:
        server = LiveServer(Path(work) / "s.sqlite3", "--header-timeout", "0.2",
                            "--idle-timeout", "0.2").start()  # fmt: skip
        try:
            started = time.monotonic()
            ok &= report("http framing", run_http(server.port, args.http, args.seed),
                         time.monotonic() - started)  # fmt: skip
        finally:
            server.stop()
    for msg_type in TYPES:
        started = time.monotonic()
        ok &= report(f"bgp {msg_type}", run_bgp(msg_type, args.bgp, args.seed),
                     time.monotonic() - started)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
