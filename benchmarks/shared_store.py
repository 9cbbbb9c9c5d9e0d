"""The shared store: CreateConnection and DescribeConnections by id on PostgreSQL with one and
with two ``dxlocal serve``, beside the SQLite file and moto_server, in one run; and where the
time goes (CPU seconds per process group while each figure is measured, and a profile of the
request path on PostgreSQL).

    flock /work/bench.lock .venv/bin/python benchmarks/shared_store.py [--quick]

Needs what benchmarks/run.sh installs (wrk, moto's venv) and PostgreSQL's server binaries
(scripts/bootstrap.sh test installs them); a throwaway cluster with PostgreSQL's default
durability (fsync on, synchronous_commit on) is started for the run, or DXLOCAL_TEST_PG used.
Nothing is pinned to a CPU: two servers, PostgreSQL and wrk share both cores, as they would.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests" / "store"))

import psycopg  # noqa: E402
import run  # noqa: E402
import seed  # noqa: E402
from pgcluster import Cluster  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            continue
    return total / TICK


class Meter:
    """CPU seconds used by each group of processes between start() and stop()."""

    def __init__(self, groups: dict[str, Any]) -> None:
        self.groups = groups  # name -> callable giving the pids now

    def __enter__(self) -> Meter:
        self.before = {k: cpu_seconds(f()) for k, f in self.groups.items()}
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.t
        self.result = {
            k: round((cpu_seconds(f()) - self.before[k]) / wall, 2) for k, f in self.groups.items()
        }


def wrk_many(
    ports: list[int], script: str, args: list[list[str]], opts: run.Options
) -> dict[str, Any]:
    """wrk against each port at once (connections split between them); rates summed."""
    per = run.Options(**{**opts.__dict__, "connections": max(1, opts.connections // len(ports))})
    for port, a in zip(ports, args, strict=True):  # warm-up, one after the other
        run.wrk(port, script, _warm(a), opts.warmup, per)
    results: list[dict[str, Any]] = [{} for _ in ports]

    def one(i: int) -> None:
        results[i] = run.wrk(ports[i], script, args[i], opts.duration, per)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(ports))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(r["non2xx"] for r in results):
        raise run.Failure(f"non-2xx answers under load: {[r['non2xx'] for r in results]}")
    return {
        "rps": round(sum(r["rps"] for r in results), 1),
        "requests": sum(r["requests"] for r in results),
        "p50_ms": max(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
        "per_server_rps": [r["rps"] for r in results],
    }


def _warm(args: list[str]) -> list[str]:
    """Warm-up arguments: CreateConnection's first account moved 10^11 down, so the measured
    run starts on fresh accounts (no per-location quota reached)."""
    if args and args[0].isdigit():
        return [f"{int(args[0]) - 100_000_000_000:012d}", *args[1:]]
    return args


def servers(state: str, n: int, opts: run.Options) -> list[run.Server]:
    started = [run.dxlocal(state, opts) for _ in range(n)]
    for s in started:
        s.wait_ready()
    return started


def measured(
    name: str,
    state: str,
    n: int,
    script: str,
    args: list[list[str]],
    opts: run.Options,
    cluster: Cluster | None,
) -> dict[str, Any]:
    fleet = servers(state, n, opts)
    try:
        groups: dict[str, Any] = {"dxlocal": lambda: [s.proc.pid for s in fleet]}
        if cluster is not None and cluster.data:
            groups["postgres"] = cluster.pids
        with Meter(groups) as meter:
            row = wrk_many([s.port for s in fleet], script, args[:n], opts)
        row["cpu_cores_busy"] = meter.result
        return row
    finally:
        for s in fleet:
            s.stop()


def profile_calls(url: str, n: int) -> dict[str, Any]:
    """Where one CreateConnection's time goes on PostgreSQL: the request path in-process,
    split into waiting for the database (psycopg's execute) and everything else."""
    seeder = seed.Seeder(url)
    for i in range(50):  # warm: prepared statements, caches
        seeder.call(seed.account_for(i, 700_000_000_000), "CreateConnection", _body(i))
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    for i in range(n):
        seeder.call(seed.account_for(i, 710_000_000_000), "CreateConnection", _body(i))
    prof.disable()
    wall = time.perf_counter() - start
    seeder.close()
    stats = pstats.Stats(prof)
    db = sum(
        v[3]
        for k, v in stats.stats.items()  # type: ignore[attr-defined]
        if k[2] == "execute" and "psycopg" in k[0] and k[0].endswith("connection.py")
    )
    statements = sum(
        v[1]
        for k, v in stats.stats.items()  # type: ignore[attr-defined]
        if k[2] == "execute" and "psycopg" in k[0] and k[0].endswith("connection.py")
    )
    return {
        "calls": n,
        "ms_per_call": round(wall / n * 1000, 3),
        "database_share": round(db / wall, 2),
        "statements_per_call": round(statements / n, 1),
    }


def _body(i: int) -> dict[str, Any]:
    return {
        "location": seed.LOCATIONS[i % len(seed.LOCATIONS)],
        "bandwidth": "1Gbps",
        "connectionName": f"p{i}",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    a = p.parse_args(argv)
    opts = run.Options(
        threads=1,
        connections=a.connections,
        duration=2 if a.quick else a.duration,
        warmup=1 if a.quick else 3,
        pin=False,
        server_cpu="0",
        load_cpu="1",
        connections_seed=1000 if a.quick else 10_000,
        vifs_large=0,
        memory_vifs=0,
        cold_runs=0,
    )
    run.WORK.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(durable=True)
    out: dict[str, Any] = {"quick": a.quick, "machine": run.machine(opts)}
    try:
        # --- CreateConnection ------------------------------------------------------------
        cc: dict[str, Any] = {}
        accounts = [["500000000000"], ["700000000000"]]
        file_state = str(run.WORK / "shared-create.sqlite3")
        seed.remove_state(file_state)
        print("== CreateConnection", flush=True)
        cc["sqlite file, 1 server"] = measured(
            "sqlite", file_state, 1, "create_connection.lua", accounts, opts, None
        )
        cc["postgresql, 1 server"] = measured(
            "pg1", cluster.database(), 1, "create_connection.lua", accounts, opts, cluster
        )
        cc["postgresql, 2 servers"] = measured(
            "pg2", cluster.database(), 2, "create_connection.lua", accounts, opts, cluster
        )
        # The same with COMMIT not waiting for PostgreSQL's WAL flush (fsync): not a setting
        # to run with, a measurement of how much of a create's time that flush is.
        relaxed = cluster.database()
        with psycopg.connect(relaxed, autocommit=True) as conn:
            name = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        cc["postgresql, 1 server, no WAL flush wait"] = measured(
            "pg1-async", relaxed, 1, "create_connection.lua", accounts, opts, cluster
        )
        with run.moto(opts) as m:
            m.wait_ready()
            cc["moto"] = wrk_many([m.port], "create_connection.lua", accounts[:1], opts)
        out["create_connection"] = cc

        # --- DescribeConnections by id among N -------------------------------------------
        n = opts.connections_seed
        dc: dict[str, Any] = {}
        print(f"== DescribeConnections by id among {n}", flush=True)
        file_state = str(run.WORK / "shared-describe.sqlite3")
        made, report = seed.seed_connections(file_state, n)
        out["seed_per_s_sqlite"] = round(n / report.seconds, 1)
        pg_state = cluster.database()
        made_pg, report = seed.seed_connections(pg_state, n)
        out["seed_per_s_postgresql"] = round(n / report.seconds, 1)

        def replay(tag: str, pairs: list[tuple[str, str]]) -> list[list[str]]:
            account, cid = pairs[n // 2]
            items = [(account, {"connectionId": cid})]
            return [[run.replay_file(f"shared-dc-{tag}", "DescribeConnections", items)]] * 2

        dc["sqlite file, 1 server"] = measured(
            "sqlite", file_state, 1, "replay.lua", replay("file", made), opts, None
        )
        dc["postgresql, 1 server"] = measured(
            "pg1", pg_state, 1, "replay.lua", replay("pg", made_pg), opts, cluster
        )
        dc["postgresql, 2 servers"] = measured(
            "pg2", pg_state, 2, "replay.lua", replay("pg", made_pg), opts, cluster
        )
        with run.moto(opts) as m:
            m.wait_ready()
            ids = run.moto_seed_connections(m.port, n)
            account = made[n // 2][0]
            item = [(account, {"connectionId": ids[n // 2]})]
            dc["moto"] = wrk_many(
                [m.port], "replay.lua", [[run.replay_file("shared-dc-moto", "DescribeConnections",
                                                            item)]], opts)  # fmt: skip
        out["describe_connections"] = dc

        # --- where the time goes ---------------------------------------------------------
        print("== profile", flush=True)
        out["profile_create_connection_postgresql"] = profile_calls(
            cluster.database(), 300 if a.quick else 2000
        )
    finally:
        cluster.stop()

    lines = [
        "| figure | setup | req/s | p50 ms | p99 ms | CPU cores busy |",
        "|---|---|---|---|---|---|",
    ]
    for key, title in (("create_connection", "CreateConnection"),
                       ("describe_connections", f"DescribeConnections by id among {n}")):  # fmt: skip
        for setup, r in out[key].items():
            busy = ", ".join(f"{k} {v}" for k, v in r.get("cpu_cores_busy", {}).items())
            lines.append(
                f"| {title} | {setup} | {r['rps']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {busy} |"
            )
    md = "\n".join(lines) + "\n\n" + json.dumps(out["profile_create_connection_postgresql"]) + "\n"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run.RESULTS.mkdir(exist_ok=True)
    (run.RESULTS / f"shared-{stamp}.json").write_text(json.dumps(out, indent=2) + "\n")
    (run.RESULTS / f"shared-{stamp}.md").write_text(md)
    print("\n" + md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
