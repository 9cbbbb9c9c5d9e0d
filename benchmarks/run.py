"""dxlocal vs moto_server, side by side, in one run (see benchmarks/README.md).

Each server is started on loopback on a free port, loaded with wrk, and stopped; for the
DescribeConnections figure (dxlocal and moto) and the DescribeVirtualInterfaces one (100,000
VIFs and 100) both run at once and are measured in interleaved rounds. The
results go to stdout as a table and to benchmarks/results/ as JSON and Markdown. The exit
status is non-zero if any measured request was answered with a non-2xx status.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
WORK = RESULTS / "work"
LUA = BENCH / "lua"
DXLOCAL = ROOT / ".venv" / "bin" / "dxlocal"
MOTO = BENCH / ".venv-moto" / "bin" / "moto_server"
MIB = 1024 * 1024


@dataclass
class Options:
    threads: int
    connections: int
    duration: int
    warmup: int
    rounds: int
    pin: bool
    server_cpu: str
    load_cpu: str
    connections_seed: int
    vifs_large: int
    memory_vifs: int
    cold_runs: int


class Failure(Exception):
    pass


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cmd: list[str], cpu: str, opts: Options) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if opts.pin else cmd


def post(
    port: int,
    account: str,
    operation: str,
    body: dict[str, Any],
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, Any]]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", json.dumps(body), seed.headers(account, operation))
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        if own:
            conn.close()
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        data = {"raw": payload[:300].decode("latin-1")}
    return resp.status, data


class Server:
    def __init__(self, name: str, cmd: list[str], opts: Options) -> None:
        self.name = name
        self.port = free_port()
        self.log = WORK / f"{name}-{self.port}.log"
        full = [c.replace("{port}", str(self.port)) for c in cmd]
        self.started = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                pinned(full, opts.server_cpu, opts), stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds from process start to the first answered API request (polled flat out)."""
        body = json.dumps({}).encode()
        hdrs = seed.headers("999999999999", "DescribeConnections")
        request = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
            + "Connection: close\r\n\r\n"
        ).encode() + body
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(request)
                    head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200"):
                    return time.perf_counter() - self.started
                raise Failure(f"{self.name} answered {head!r}")
            except (ConnectionRefusedError, ConnectionResetError):
                time.sleep(0.001)
        raise Failure(f"{self.name} did not answer within {timeout} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (and its threads) so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> dict[str, float]:
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) * 1024 / MIB
        return fields

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dxlocal(state: str, opts: Options) -> Server:
    return Server(
        "dxlocal",
        [str(DXLOCAL), "serve", "--host", "127.0.0.1", "--port", "{port}", "--state", state],
        opts,
    )


def moto(opts: Options) -> Server:
    return Server("moto", [str(MOTO), "-H", "127.0.0.1", "-p", "{port}"], opts)


# --- load ----------------------------------------------------------------------------------


def wrk(port: int, script: str, args: list[str], seconds: int, opts: Options) -> dict[str, Any]:
    cmd = [
        "wrk",
        f"-t{opts.threads}",
        f"-c{opts.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        f"http://127.0.0.1:{port}/",
        "--",
        *args,
    ]
    out = subprocess.run(
        pinned(cmd, opts.load_cpu, opts), capture_output=True, text=True, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            raw = json.loads(line[len("WRK_JSON ") :])
            break
    else:
        raise Failure(f"wrk gave no summary:\n{out.stdout}\n{out.stderr}")
    secs = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / secs, 1),
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
    }


def measure(
    server: Server,
    script: str,
    args: list[str],
    opts: Options,
    *,
    warm_args: list[str] | None = None,
) -> dict[str, Any]:
    wrk(server.port, script, warm_args if warm_args is not None else args, opts.warmup, opts)
    return measure_once(server, script, args, opts)


def measure_once(server: Server, script: str, args: list[str], opts: Options) -> dict[str, Any]:
    """One wrk run of opts.duration seconds, no warm-up."""
    before = server.cpu_seconds()
    result = wrk(server.port, script, args, opts.duration, opts)
    # The server's own CPU time per answered request: unlike req/s, it hardly moves when
    # other processes share the machine.
    result["cpu_us"] = round((server.cpu_seconds() - before) / max(result["requests"], 1) * 1e6)
    if result["non2xx"]:
        raise Failure(f"{server.name}: {result['non2xx']} non-2xx answers under load ({script})")
    return result


def replay_file(name: str, operation: str, items: list[tuple[str, dict[str, Any]]]) -> str:
    path = WORK / f"{name}.tsv"
    with open(path, "w") as f:
        for account, body in items:
            f.write(f"{account}\t{operation}\t{json.dumps(body, separators=(',', ':'))}\n")
    return str(path)


def check(server: Server, account: str, operation: str, body: dict[str, Any], expect: str) -> None:
    """One real answer before measuring: 200 and the expected id in it."""
    status, data = post(server.port, account, operation, body)
    if status != 200 or expect not in json.dumps(data):
        raise Failure(f"{server.name} {operation}: {status} {json.dumps(data)[:300]}")


# --- scenarios -----------------------------------------------------------------------------


def describe_connections(opts: Options, out: dict[str, Any]) -> str:
    n = opts.connections_seed
    state = str(WORK / "connections.sqlite3")
    made, report = seed.seed_connections(state, n)
    account, cid = made[n // 2]
    row: dict[str, Any] = {
        "store": f"{n} connections",
        "dxlocal_seed_per_s": round(n / report.seconds, 1),
    }
    # Both servers up at once, so that each round measures them back to back: on a shared
    # machine the speed drifts far more over the minute between two runs than within one.
    with dxlocal(state, opts) as dx, moto(opts) as mo:
        dx.wait_ready()
        mo.wait_ready(60)
        check(dx, account, "DescribeConnections", {"connectionId": cid}, cid)
        start = time.perf_counter()
        ids = moto_seed_connections(mo.port, n)
        row["moto_seed_per_s"] = round(n / (time.perf_counter() - start), 1)
        mid = ids[n // 2]
        check(mo, account, "DescribeConnections", {"connectionId": mid}, mid)
        replays = {
            name: replay_file(f"dc-{name}", "DescribeConnections", [(account, {"connectionId": i})])
            for name, i in (("dxlocal", cid), ("moto", mid))
        }
        targets = {"dxlocal": (dx, replays["dxlocal"]), "moto": (mo, replays["moto"])}
        for server, replay in targets.values():
            wrk(server.port, "replay.lua", [replay], opts.warmup, opts)
        rounds = interleaved(targets, opts)
        post(mo.port, account, "DescribeConnections", {"connectionId": mid})
        row["moto_rss_mib"] = round(mo.rss()["VmRSS"], 1)
    ratios = [r["ratio"] for r in rounds]
    row["rounds"] = rounds
    row["dxlocal"] = median_of([r["dxlocal"] for r in rounds])
    row["moto"] = median_of([r["moto"] for r in rounds])
    row["ratio_median"] = round(statistics.median(ratios), 2)
    row["ratio_min"] = min(ratios)
    row["ratio_max"] = max(ratios)
    out["describe_connections"] = row
    return state


def interleaved(targets: dict[str, tuple[Server, str]], opts: Options) -> list[dict[str, Any]]:
    """opts.rounds rounds of one run per server, in ABBA order so that a steady drift in the
    machine's speed weighs on both alike; each round's ratio compares two adjacent runs."""
    names = list(targets)
    rounds = []
    for i in range(opts.rounds):
        order = names[:] if i % 2 == 0 else names[::-1]
        result: dict[str, Any] = {"round": i + 1, "order": order}
        for name in order:
            server, replay = targets[name]
            idle = [s for n, (s, _) in targets.items() if n != name]
            idle_before = sum(s.cpu_seconds() for s in idle)
            result[name] = measure_once(server, "replay.lua", [replay], opts)
            # CPU the waiting server used meanwhile, on the measured server's core.
            result[name]["other_server_cpu_ms"] = round(
                (sum(s.cpu_seconds() for s in idle) - idle_before) * 1000
            )
        result["ratio"] = round(result[names[0]]["rps"] / result[names[1]]["rps"], 2)
        print(
            f"   round {i + 1}: "
            + ", ".join(f"{n} {result[n]['rps']:,.0f} req/s" for n in order)
            + f", {result['ratio']:.1f}x",
            flush=True,
        )
        rounds.append(result)
    return rounds


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field median of several wrk results; request and error counts are summed."""
    summed = ("requests", "non2xx", "socket_errors")
    return {
        k: sum(r[k] for r in runs)
        if k in summed
        else round(statistics.median(r[k] for r in runs), 2)
        for k in runs[0]
    }


def moto_seed_connections(port: int, n: int) -> list[str]:
    def batch(part: int) -> list[str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ids = []
        for i in range(part, n, 4):
            body = {
                "location": seed.LOCATIONS[i % 6],
                "bandwidth": "1Gbps",
                "connectionName": f"seed-{i}",
            }
            status, data = post(
                port, seed.account_for(i, 100_000_000_000), "CreateConnection", body, conn
            )
            if status != 200:
                raise Failure(f"moto CreateConnection: {status} {data}")
            ids.append((i, data["connectionId"]))
        conn.close()
        return ids  # type: ignore[return-value]

    with ThreadPoolExecutor(4) as pool:
        pairs = [p for part in pool.map(batch, range(4)) for p in part]
    ids = [cid for _, cid in sorted(pairs)]  # type: ignore[misc]
    if len(set(ids)) != n:
        raise Failure(f"moto made {len(set(ids))} distinct connections out of {n}")
    return ids


def create_connection(opts: Options, out: dict[str, Any]) -> None:
    row: dict[str, Any] = {"store": "empty file (default durability)"}
    state = str(WORK / "create.sqlite3")
    seed.remove_state(state)
    probe = "199999999999"
    for name in ("dxlocal", "moto"):
        with dxlocal(state, opts) if name == "dxlocal" else moto(opts) as server:
            server.wait_ready()
            check(
                server,
                probe,
                "CreateConnection",
                {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "probe"},
                "requested" if name == "dxlocal" else "probe",
            )
            row[name] = measure(
                server, "create_connection.lua", ["500000000000"], opts, warm_args=["400000000000"]
            )
    out["create_connection"] = row
    row["dxlocal_store_after"] = count_records(state, "connection")


def count_records(state: str, kind: str) -> int:
    import sqlite3

    db = sqlite3.connect(state)
    try:
        return int(db.execute("SELECT count(*) FROM records WHERE kind=?", (kind,)).fetchone()[0])
    finally:
        db.close()


def describe_vifs(opts: Options, out: dict[str, Any]) -> None:
    rows: dict[str, Any] = {}
    replays: dict[str, tuple[str, str, dict[str, str]]] = {}
    for n in (opts.vifs_large, 100):
        state = str(WORK / f"vifs-{n}.sqlite3")
        made, report = seed.seed_vifs(state, n, analyze_after=2000 if n > 2000 else None)
        sample = made if len(made) <= 1000 else random.Random(7).sample(made, 1000)
        items = [(account, {"virtualInterfaceId": vif}) for account, vif in sample]
        rows[str(n)] = {
            "store": f"{n} VIFs",
            "distinct_ids": len(items),
            "seed": {
                "vifs": report.vifs,
                "connections": report.connections,
                "seconds": round(report.seconds, 1),
                "phases": report.phases,
                "retried_500": report.retried_500,
            },
        }
        replays[str(n)] = (
            state,
            replay_file(f"dvif-{n}", "DescribeVirtualInterfaces", items),
            {"account": items[0][0], **items[0][1]},
        )
    # Both servers up at once and measured in interleaved rounds, as for DescribeConnections:
    # the figure is the ratio of two rates, which the machine's drift would otherwise set.
    large, small = (str(opts.vifs_large), "100")
    with dxlocal(replays[large][0], opts) as big, dxlocal(replays[small][0], opts) as few:
        targets = {}
        for name, server in ((large, big), (small, few)):
            server.wait_ready()
            first = dict(replays[name][2])
            account = first.pop("account")
            check(server, account, "DescribeVirtualInterfaces", first, first["virtualInterfaceId"])
            wrk(server.port, "replay.lua", [replays[name][1]], opts.warmup, opts)
            targets[name] = (server, replays[name][1])
        rounds = interleaved(targets, opts)
    for name in (small, large):
        rows[name]["dxlocal"] = median_of([r[name] for r in rounds])
    out["describe_vifs"] = {
        small: rows[small],
        large: rows[large],
        "rounds": rounds,
        "ratio_median": round(statistics.median(r["ratio"] for r in rounds), 2),
    }


def cold_start(opts: Options, out: dict[str, Any], existing: str) -> None:
    runs: dict[str, list[float]] = {"dxlocal_memory": [], "dxlocal_file": [], "moto": []}
    for _ in range(opts.cold_runs):
        for key in ("dxlocal_memory", "dxlocal_file"):
            with dxlocal(":memory:" if key == "dxlocal_memory" else existing, opts) as server:
                runs[key].append(server.wait_ready())
    for _ in range(max(1, opts.cold_runs // 2)):
        with moto(opts) as server:
            runs["moto"].append(server.wait_ready(60))
    out["cold_start"] = {
        k: {"median_s": round(statistics.median(v), 3), "runs_s": [round(x, 3) for x in v]}
        for k, v in runs.items()
    }
    out["cold_start"]["dxlocal_file"]["state"] = (
        f"{count_records(existing, 'connection')} connections"
    )


def memory(opts: Options, out: dict[str, Any]) -> None:
    n = opts.memory_vifs
    state = str(WORK / "memory.sqlite3")
    made, report = seed.seed_vifs(
        state, n, ipv6_share=0.8, analyze_after=2000 if n > 2000 else None
    )
    row: dict[str, Any] = {
        "store": f"{n} VIFs, {n} IPv4 + {report.ipv6_peers} IPv6 peers",
        "seed": {
            "seconds": round(report.seconds, 1),
            "phases": report.phases,
            "retried_500": report.retried_500,
        },
    }
    with dxlocal(state, opts) as server:
        server.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for account, vif in random.Random(3).sample(made, 200):
            status, _ = post(
                server.port, account, "DescribeVirtualInterfaces", {"virtualInterfaceId": vif}, conn
            )
            if status != 200:
                raise Failure(f"DescribeVirtualInterfaces: {status}")
        account = made[0][0]
        status, data = post(server.port, account, "DescribeVirtualInterfaces", {}, conn)
        row["listed_by_one_account"] = len(data.get("virtualInterfaces", []))
        conn.close()
        row["dxlocal"] = {k: round(v, 1) for k, v in server.rss().items()}
    out["memory"] = row


# --- report --------------------------------------------------------------------------------


def table(out: dict[str, Any], opts: Options) -> str:
    lines = [
        "| benchmark | dxlocal | moto | ratio / figure | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def load(r: dict[str, Any]) -> str:
        cpu = f", CPU {r['cpu_us']} us/req" if "cpu_us" in r else ""
        return f"{r['rps']:,.0f} req/s (p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms{cpu})"

    def cpu_ratio(r: dict[str, Any]) -> str:
        mine, theirs = r["dxlocal"].get("cpu_us"), r["moto"].get("cpu_us")
        return f" (CPU per request: {theirs / mine:.1f}x)" if mine and theirs else ""

    if "describe_connections" in out:
        r = out["describe_connections"]
        ratio = r["ratio_median"]
        lines.append(
            f"| DescribeConnections by id, {r['store']} | {load(r['dxlocal'])} | {load(r['moto'])} "
            f"| {ratio:.1f}x median of {len(r['rounds'])} interleaved rounds "
            f"({r['ratio_min']:.1f}-{r['ratio_max']:.1f}x){cpu_ratio(r)} "
            f"| >= 40x | {'yes' if ratio >= 40 else 'NO'} |"
        )
    if "create_connection" in out:
        r = out["create_connection"]
        ratio = r["dxlocal"]["rps"] / r["moto"]["rps"]
        lines.append(
            f"| CreateConnection, durable SQLite file | {load(r['dxlocal'])} | {load(r['moto'])} "
            f"| {ratio:.1f}x{cpu_ratio(r)} | >= 10x | {'yes' if ratio >= 10 else 'NO'} |"
        )
    if "describe_vifs" in out:
        vifs = out["describe_vifs"]
        small, large = (vifs[k] for k in list(vifs)[:2])
        ratio = vifs["ratio_median"]
        lines.append(
            f"| DescribeVirtualInterfaces by id, {small['store']} | {load(small['dxlocal'])} | n/a | | | |"
        )
        lines.append(
            f"| DescribeVirtualInterfaces by id, {large['store']} | {load(large['dxlocal'])} | n/a "
            f"| {ratio:.2f} of the 100-VIF rate, median of {len(vifs['rounds'])} interleaved rounds "
            f"| within 20% | {'yes' if abs(1 - ratio) <= 0.2 else 'NO'} |"
        )
        seeded = large["seed"]
        lines.append(
            f"| seeding {large['store']} in-process | {seeded['vifs'] / seeded['seconds']:,.0f} VIFs/s "
            f"({seeded['seconds']} s) | n/a | "
            + "; ".join(f"{p['phase']}: {p['calls_per_s']:,.0f} calls/s" for p in seeded["phases"])
            + (
                f"; {seeded['retried_500']} InternalFailure retried"
                if seeded["retried_500"]
                else ""
            )
            + " | a few minutes | "
            + ("yes" if seeded["seconds"] < 300 else "NO")
            + " |"
        )
    if "cold_start" in out:
        c = out["cold_start"]
        worst = max(c["dxlocal_memory"]["median_s"], c["dxlocal_file"]["median_s"])
        lines.append(
            f"| cold start to first answer (median) | :memory: {c['dxlocal_memory']['median_s']} s; "
            f"file with {c['dxlocal_file']['state']} {c['dxlocal_file']['median_s']} s "
            f"| {c['moto']['median_s']} s | | < 0.5 s | {'yes' if worst < 0.5 else 'NO'} |"
        )
    if "memory" in out:
        m = out["memory"]
        rss = m["dxlocal"]["VmRSS"]
        dc = out.get("describe_connections", {})
        moto_rss = dc.get("moto_rss_mib")
        moto_mem = f"{moto_rss} MiB holding {dc.get('store')}" if moto_rss else "n/a"
        lines.append(
            f"| resident memory, {m['store']} | {rss} MiB (peak {m['dxlocal']['VmHWM']} MiB) "
            f"| {moto_mem} | | < 100 MiB "
            f"| {'yes' if rss < 100 else 'NO'} |"
        )
    return "\n".join(lines)


def machine(opts: Options) -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:1]
    moto_version = subprocess.run(
        [str(MOTO.parent / "python"), "-c", "import moto; print(moto.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dx_version = subprocess.run(
        [str(DXLOCAL), "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "dxlocal": dx_version,
        "moto": moto_version,
        "wrk": wrk_version[0] if wrk_version else "",
        "wrk_settings": f"-t{opts.threads} -c{opts.connections} -d{opts.duration}s after a {opts.warmup} s warm-up, keep-alive; DescribeConnections and DescribeVirtualInterfaces: {opts.rounds} interleaved rounds",
        "pinning": f"server on CPU {opts.server_cpu}, wrk on CPU {opts.load_cpu} (taskset)"
        if opts.pin
        else "none",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument(
        "--connections", type=int, default=16, help="wrk keep-alive connections (default 16)"
    )
    p.add_argument(
        "--duration", type=int, default=10, help="seconds measured per figure (default 10)"
    )
    p.add_argument(
        "--warmup", type=int, default=3, help="seconds of warm-up before each (default 3)"
    )
    p.add_argument(
        "--rounds",
        type=int,
        help="interleaved rounds of the DescribeConnections and DescribeVirtualInterfaces figures"
        " (default 5, 2 with --quick)",
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin the server and wrk to CPUs")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--load-cpu", default="1")
    p.add_argument(
        "--quick", action="store_true", help="small stores and short runs, to try the scripts"
    )
    p.add_argument(
        "--only",
        default="dc,cc,vif,cold,mem",
        help="comma list of dc,cc,vif,cold,mem (default: all)",
    )
    a = p.parse_args(argv)
    opts = Options(
        threads=a.threads,
        connections=a.connections,
        duration=2 if a.quick else a.duration,
        warmup=1 if a.quick else a.warmup,
        rounds=a.rounds or (2 if a.quick else 5),
        pin=not a.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2,
        server_cpu=a.server_cpu,
        load_cpu=a.load_cpu,
        connections_seed=1000 if a.quick else 10_000,
        vifs_large=5000 if a.quick else 100_000,
        memory_vifs=1000 if a.quick else 10_000,
        cold_runs=3 if a.quick else 7,
    )
    for tool, path in (("wrk", shutil.which("wrk")), ("dxlocal", DXLOCAL), ("moto_server", MOTO)):
        if not path or not Path(path).exists():
            print(f"missing {tool}: run benchmarks/run.sh, which installs it", file=sys.stderr)
            return 2
    WORK.mkdir(parents=True, exist_ok=True)
    only = set(a.only.split(","))
    out: dict[str, Any] = {"machine": machine(opts), "quick": a.quick}
    started = time.perf_counter()
    status = 0
    existing = str(WORK / "connections.sqlite3")
    steps = [
        ("dc", "DescribeConnections", lambda: describe_connections(opts, out)),
        ("cc", "CreateConnection", lambda: create_connection(opts, out)),
        ("vif", "DescribeVirtualInterfaces", lambda: describe_vifs(opts, out)),
        ("cold", "cold start", lambda: cold_start(opts, out, existing)),
        ("mem", "resident memory", lambda: memory(opts, out)),
    ]
    for key, title, step in steps:
        if key not in only:
            continue
        if key == "cold" and not Path(existing).exists():
            seed.seed_connections(existing, opts.connections_seed)
        t = time.perf_counter()
        print(f"== {title} ...", flush=True)
        try:
            step()
        except Exception as exc:  # one failed figure must not lose the others
            traceback.print_exc()
            print(f"FAILED: {exc}", file=sys.stderr, flush=True)
            out.setdefault("failures", []).append(f"{title}: {exc}")
            status = 1
        print(f"   {time.perf_counter() - t:.0f} s", flush=True)
    out["seconds"] = round(time.perf_counter() - started, 1)
    md = (
        f"# dxlocal vs moto_server\n\n{table(out, opts)}\n\n"
        f"- machine: {out['machine']['cpus']} CPUs ({out['machine']['cpu']}), load average at start "
        f"{', '.join(f'{x:.2f}' for x in out['machine']['load_average_at_start'])}\n"
        f"- versions: {out['machine']['dxlocal']}, moto {out['machine']['moto']}, {out['machine']['wrk']}, "
        f"Python {out['machine']['python']}\n"
        f"- wrk: {out['machine']['wrk_settings']}; pinning: {out['machine']['pinning']}\n"
        f"- whole run: {out['seconds']} s\n"
    )
    if out.get("failures"):
        md += "\nFAILED:\n" + "".join(f"- {f}\n" for f in out["failures"])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    for name in (stamp, "latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text(md)
    print("\n" + md)
    print(f"written to {RESULTS}/{stamp}.json and .md")
    return status


if __name__ == "__main__":
    sys.exit(main())
