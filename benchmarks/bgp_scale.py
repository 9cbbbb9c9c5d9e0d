"""Live BGP at scale: N concurrent established sessions against ``dxlocal serve --bgp live``.

    python benchmarks/bgp_scale.py [--sessions 1000] [--hold 9] [--duration 10] [--bfd]

1. ``dxlocal serve --bgp live --bgp-netns ""`` (loopback transport: one Amazon listener per
   peer on 127.1.x.y, docs/behavior.md#lab) on a fresh state file, pinned to CPU 0.
2. N private VIFs with one IPv4 peer each (MD5 on), created over HTTP.
3. API rate idle: ``wrk -t1 -c16`` DescribeVirtualInterfaces by id, cycling over the N VIFs
   with each owner's credentials, while every session is configured but none is up
   (``--rounds`` runs before the sessions come up and as many after they are gone; median).
4. The customers: a load tool of our own (``customers`` below, a separate process pinned to
   CPU 1) built on dxlocal's wire codec opens N sessions, one new TCP connection every
   ``--ramp-ms``, each with TCP-MD5 and its own source address; it measures first SYN
   (``connect()``) to Established (our KEEPALIVE answered by the peer's after the OPENs).
5. The API rate again with N sessions up (keepalives every hold/3 s both ways), then a check
   that every session is still up and that DescribeVirtualInterfaces says so.
6. Route tables on (unless ``--no-routes``): once established, customer i announces its own
   10.x.y.0/24 and the shared 192.168.0.0/16, every other one tagged 7224:7300 (its VIF wins
   the shared prefix, as multipath with the other tagged ones); the API phases above run
   with those routes held, then ``GET /_dxlocal/route-tables/{vgw}`` is timed for every
   account's VGW (500 VIFs each) and its shared entry checked (docs/routing.md).

7. With ``--bfd`` every customer also runs BFD at 300 ms x 3 towards its Amazon address
   (docs/bfd.md; UDP 3784, TTL 255) once every session is Established and the server's CPU
   has been read without it; the figures are taken once the speaker reports every BFD session
   Up, so CPU and API rate include BFD's packets. BFD downs and lateness (the longest wait for
   a packet, the latest packet sent; the speaker's and the customers' own) are read at the end
   of the API runs, and the downs again after the route-table views, which keep the server's
   event loop busy. The load tool runs at nice -5 so that wrk, beside it on CPU 1, does not
   make its BFD packets late; ``--profile DIR`` samples the server with py-spy. The server's
   BFD process inherits the server's CPU (0); ``--bfd-cpu N`` moves it to CPU N once the
   sessions are configured (on two cores: beside wrk and the load tool, which it then slows).

Prints the figures; the exit status is 1 if a target is missed (N sessions up, loaded rate
>= half the idle rate, p99 SYN -> Established < 1 s; with ``--bfd`` every BFD session Up,
loaded rate >= 80% of idle and no BFD down on either side up to the end of the API runs) or
wrk saw a non-2xx answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import ipaddress
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
AMAZON_ASN = 64512
CUSTOMER_ASN = 65000
KEY = "bench-md5-key"
LUA = r"""
local reqs, i, bad = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local account, id = line:match("^(%S+)%s+(%S+)$")
    if account then
      reqs[#reqs + 1] = wrk.format("POST", "/", {
        ["Content-Type"] = "application/x-amz-json-1.1",
        ["X-Amz-Target"] = "OvertureService.DescribeVirtualInterfaces",
        ["Authorization"] = "AWS4-HMAC-SHA256 Credential=" .. account ..
          "/20260101/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0",
      }, '{"virtualInterfaceId":"' .. id .. '"}')
    end
  end
  i = math.random(#reqs) - 1
end
function request() i = i % #reqs + 1; return reqs[i] end
"""


def _limits() -> None:
    hard = max(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 65536)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _pinned(cpu: int):  # type: ignore[no-untyped-def]
    def pre() -> None:
        _limits()
        if os.cpu_count() and os.cpu_count() > cpu:  # type: ignore[operator]
            os.sched_setaffinity(0, {cpu})

    return pre


class Api:
    """awsJson1_1 over one keep-alive connection (no boto3: seeding 1,000 VIFs stays fast)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def _send(self, method: str, path: str, body: str, headers: dict) -> http.client.HTTPResponse:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body, headers)
                return self.conn.getresponse()
            except (ConnectionError, http.client.HTTPException):
                if attempt == 2:
                    raise
                self.conn.close()  # the server closed an idle keep-alive connection
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        raise AssertionError

    def call(self, account: str, op: str, body: dict) -> dict:
        auth = (f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/directconnect/"
                "aws4_request, SignedHeaders=host, Signature=0")  # fmt: skip
        headers = {"content-type": "application/x-amz-json-1.1", "authorization": auth,
                   "x-amz-target": f"OvertureService.{op}"}  # fmt: skip
        resp = self._send("POST", "/", json.dumps(body), headers)
        data = json.loads(resp.read() or b"{}")
        if resp.status != 200:
            raise RuntimeError(f"{op}: {resp.status} {data}")
        return data

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        resp = self._send(method, "/_dxlocal" + path, json.dumps(body or {}),
                          {"content-type": "application/json"})  # fmt: skip
        data = json.loads(resp.read())
        if resp.status != 200:
            raise RuntimeError(f"{path}: {resp.status} {data}")
        return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(api: Api, n: int) -> list[tuple[str, str]]:
    """N private VIFs, 50 per connection, 10 connections per account (the quotas)."""
    out: list[tuple[str, str]] = []
    acct_no = 0
    while len(out) < n:
        account = f"{210000000000 + acct_no:012d}"
        vgw = f"vgw-{acct_no:08x}"
        api.control("POST", "/virtual-gateways", {"virtualGatewayId": vgw, "account": account,
                                                  "vpcCidrs": ["10.100.0.0/16"]})  # fmt: skip
        for c in range(10):
            if len(out) >= n:
                break
            con = api.call(account, "CreateConnection",
                           {"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": f"c{c}"})  # fmt: skip
            for v in range(min(50, n - len(out))):
                spec = {"virtualInterfaceName": f"v{v}", "vlan": 100 + v, "asn": CUSTOMER_ASN,
                        "authKey": KEY, "addressFamily": "ipv4", "virtualGatewayId": vgw}  # fmt: skip
                vif = api.call(account, "CreatePrivateVirtualInterface",
                               {"connectionId": con["connectionId"],
                                "newPrivateVirtualInterface": spec})  # fmt: skip
                out.append((account, vif["virtualInterfaceId"]))
        acct_no += 1
    return out


SHARED = "192.168.0.0/16"


def route_tables(api: Api, pairs: list[tuple[str, str]], plan: list[dict]) -> list[tuple]:
    """(vgw, ms, prefixes, shared entry right) for every account's VGW."""
    high = {p["vif"] for p in plan if p["high"]}
    out = []
    for account in sorted({a for a, _ in pairs}):
        vgw = f"vgw-{int(account) - 210000000000:08x}"
        mine = {v for a, v in pairs if a == account}
        t0 = time.perf_counter()
        table = api.control("GET", f"/route-tables/{vgw}")
        ms = (time.perf_counter() - t0) * 1000
        shared = next((r for r in table["routes"] if r["prefix"] == SHARED), None)
        right = shared is not None and set(shared["virtualInterfaceIds"]) == mine & high
        out.append((vgw, ms, len(table["routes"]), right))
        print(f"route table {vgw}: {len(table['routes'])} prefixes in {ms:.0f} ms", flush=True)
    return out


def wrk(port: int, ids_file: Path, lua: Path, duration: int) -> tuple[float, int]:
    argv = ["wrk", "-t1", "-c16", f"-d{duration}s", "-s", str(lua),
            f"http://127.0.0.1:{port}/", "--", str(ids_file)]  # fmt: skip
    res = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60,
                         preexec_fn=_pinned(1))  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", res.stdout).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", res.stdout)
    return rate, int(bad.group(1)) if bad else 0


def python_load(port: int, pairs: list[tuple[str, str]], duration: int) -> tuple[float, int]:
    """Fallback without wrk: one keep-alive connection, sequential requests."""
    api, done, end = Api(port), 0, time.monotonic() + duration
    while time.monotonic() < end:
        account, vif_id = pairs[done % len(pairs)]
        api.call(account, "DescribeVirtualInterfaces", {"virtualInterfaceId": vif_id})
        done += 1
    return done / duration, 0


def statistics_of(values) -> str:  # type: ignore[no-untyped-def]
    """ "reason: count, ..." of the non-empty values."""
    counts: dict[str, int] = {}
    for v in values:
        if v:
            counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "-"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile(pid: int, out: str | None, name: str, seconds: int) -> subprocess.Popen | None:
    """py-spy sampling the server (``--profile DIR``), raw stacks folded per line."""
    spy = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which("py-spy")
    if out is None or spy is None:
        return None
    Path(out).mkdir(parents=True, exist_ok=True)
    argv = [spy, "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "-f", "raw",
            "--nonblocking", "-o", str(Path(out) / f"{name}.txt")]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def children(pid: int) -> list[int]:
    """The process's children (the server's BFD process, docs/bfd.md#process)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def server_cpu(pid: int, seconds: float) -> tuple[float, float]:
    """CPU over ``seconds`` in % of a core: the server with its children, and the children."""
    kids = children(pid)

    def now() -> tuple[float, float]:
        spent = [cpu_seconds(k) for k in kids if Path(f"/proc/{k}").exists()]
        return cpu_seconds(pid) + sum(spent), sum(spent)

    (c0, k0), w0 = now(), time.monotonic()
    time.sleep(seconds)
    (c1, k1), wall = now(), time.monotonic() - w0
    return (c1 - c0) / wall * 100, (k1 - k0) / wall * 100


def main(args: argparse.Namespace) -> int:
    load0 = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="dxlocal-bgp-scale-"))
    port, base = free_port(), 30000
    argv = [PYTHON, "-m", "dxlocal.cli", "serve", "--port", str(port), "--state",
            str(work / "state.sqlite3"), "--delay", "0.01", "--bgp", "live", "--bgp-netns", "",
            "--bgp-hold-time", str(args.hold), "--bgp-connect-retry", "30",
            "--bgp-loopback-port", str(base)]  # fmt: skip
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_pinned(0))
    customers: subprocess.Popen | None = None
    final: dict = {}
    during: dict = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                api = Api(port)
                api.control("GET", "/health")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((work / "server.log").read_text()) from None
                time.sleep(0.1)
        t0 = time.monotonic()
        pairs = seed(api, args.sessions)
        print(f"seeded {len(pairs)} VIFs in {time.monotonic() - t0:.1f} s", flush=True)
        while len(api.control("GET", "/bgp/sessions")["sessions"]) < args.sessions:
            time.sleep(0.5)
        if args.bfd_cpu is not None:
            for kid in children(server.pid):  # the BFD process, started with the sessions
                os.sched_setaffinity(kid, {args.bfd_cpu})
        plan = [
            {"amazon": p["transport"]["amazon"]["address"], "port": p["transport"]["amazon"]["port"],
             "customer": p["transport"]["customer"]["address"], "key": KEY,
             "nextHop": p["customerAddress"].split("/")[0], "vif": lab["virtualInterfaceId"]}
            for lab in api.control("GET", "/lab")["labs"] for p in lab["peers"]
        ]  # fmt: skip
        for i, p in enumerate(plan):
            p["routes"] = [] if args.no_routes else [f"10.{i // 256}.{i % 256}.0/24", SHARED]
            p["high"] = i % 2 == 0
            p["bfd"] = args.bfd
        ids_file, lua = work / "ids.txt", work / "describe.lua"
        ids_file.write_text("".join(f"{a} {v}\n" for a, v in pairs))
        lua.write_text(LUA)
        run = (lambda: wrk(port, ids_file, lua, args.duration)) if shutil.which("wrk") else (
            lambda: python_load(port, pairs, args.duration))  # fmt: skip
        busy: list[float] = []  # the server's own process, % of a core, per API run

        def load() -> tuple[float, int]:
            # The API runs' rate is the server's only while the server is what is busy: a
            # run in which it idles part of the time measured the load generator's share of
            # CPU 1 (which the customers, at nice -5, take first).
            c0, w0 = cpu_seconds(server.pid), time.monotonic()
            out = run()
            busy.append((cpu_seconds(server.pid) - c0) / (time.monotonic() - w0) * 100)
            return out

        idle_runs = [load() for _ in range(args.rounds)]
        print(f"API idle: {[round(r) for r, _ in idle_runs]} req/s"
              f" (server busy {[round(b) for b in busy]} %)", flush=True)  # fmt: skip

        (work / "plan.json").write_text(json.dumps(plan))
        customers = subprocess.Popen(
            [PYTHON, __file__, "customers", str(work / "plan.json"), "--hold", str(args.hold),
             "--ramp-ms", str(args.ramp_ms)],
            stdout=subprocess.PIPE, text=True, preexec_fn=_pinned(1), cwd=ROOT,
        )  # fmt: skip
        assert customers.stdout is not None
        report = json.loads(customers.stdout.readline() or "{}")
        up = api.control("GET", "/bgp/sessions")["up"]
        print(f"sessions established: customers {report.get('established')}, server {up}"
              f" (ramp {args.ramp_ms} ms, {report.get('retries', 0)} retries)", flush=True)  # fmt: skip
        want = sum(len(p["routes"]) for p in plan)
        deadline = time.monotonic() + 60
        while (held := sum(s.get("acceptedPrefixes", 0) for s in
                           api.control("GET", "/bgp/sessions")["sessions"])) < want:  # fmt: skip
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"accepted routes held by the speaker: {held} of {want}", flush=True)
        bgp_cpu, _ = server_cpu(server.pid, 5)
        bfd_up = 0
        if args.bfd:
            customers.send_signal(signal.SIGUSR1)  # BFD on: every customer starts it
            deadline = time.monotonic() + 60
            while (bfd_up := sum(s["bfd"]["state"] == "Up" for s in
                                 api.control("GET", "/bgp/sessions")["sessions"])) < len(plan):  # fmt: skip
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            print(f"BFD sessions Up on the speaker: {bfd_up} of {len(plan)}", flush=True)
            time.sleep(2)  # past the Poll Sequences of the last ones
        spy = profile(server.pid, args.profile, "quiet", 5)
        quiet_cpu, quiet_child = server_cpu(server.pid, 5)
        if spy is not None:
            spy.wait(30)
        spy = profile(server.pid, args.profile, "loaded", args.duration)
        loaded_runs = [load() for _ in range(args.rounds)]
        if spy is not None:
            spy.wait(30)
        print(f"API with sessions up: {[round(r) for r, _ in loaded_runs]} req/s"
              f" (server busy {[round(b) for b in busy[args.rounds:]]} %)", flush=True)  # fmt: skip
        # BFD's figures up to here (the route-table views below each keep the event loop
        # busy for a while, which is counted apart).
        sessions = api.control("GET", "/bgp/sessions")
        bfd_ended = sum("6/10" in (s.get("lastError") or "") for s in sessions["sessions"])
        why = statistics_of(s["bfd"].get("lastDownReason") for s in sessions["sessions"])
        gap = max((s["bfd"].get("maxRxGapMs", 0) for s in sessions["sessions"]), default=0)
        late = max((s["bfd"].get("maxTxLateMs", 0) for s in sessions["sessions"]), default=0)
        customers.send_signal(signal.SIGUSR2)
        during = json.loads(customers.stdout.readline() or "{}")
        tables = [] if args.no_routes else route_tables(api, pairs, plan)
        sessions = api.control("GET", "/bgp/sessions")
        still_up = sessions["up"]
        ended_after = sum("6/10" in (s.get("lastError") or "") for s in sessions["sessions"])
        ended_after -= bfd_ended
        api_up = sum(
            p["bgpStatus"] == "up"
            for account in sorted({a for a, _ in pairs})
            for v in api.call(account, "DescribeVirtualInterfaces", {})["virtualInterfaces"]
            for p in v["bgpPeers"]
        )
        # Idle again once the customers are gone: neighbours on a shared machine make single
        # runs noisy, so idle is the median of runs before and after the loaded ones.
        customers.send_signal(signal.SIGTERM)
        final = json.loads(customers.stdout.readline() or "{}")
        customers.wait(30)
        while api.control("GET", "/bgp/sessions")["up"]:
            time.sleep(0.2)
        idle_runs += [load() for _ in range(args.rounds)]
        print(f"API idle again: {[round(r) for r, _ in idle_runs[args.rounds :]]} req/s"
              f" (server busy {[round(b) for b in busy[2 * args.rounds:]]} %)")  # fmt: skip
        idle_rate = statistics.median(r for r, _ in idle_runs)
        loaded_rate = statistics.median(r for r, _ in loaded_runs)
        idle_bad = sum(b for _, b in idle_runs)
        loaded_bad = sum(b for _, b in loaded_runs)
        setup = report.get("setup_ms", [0.0])
        p50 = statistics.median(setup)
        p99 = statistics.quantiles(setup, n=100)[98] if len(setup) > 1 else setup[0]
        ratio = loaded_rate / idle_rate if idle_rate else 0.0
        lines = [
            "",
            f"| live BGP scale ({os.cpu_count()} cores, hold {args.hold} s) | figure |",
            "| --- | --- |",
            f"| sessions established (server / API bgpStatus up) | {still_up} / {api_up} |",
            f"| first SYN -> Established p50 / p99 / max | {p50:.1f} / {p99:.1f} / "
            f"{max(setup):.1f} ms |",
            f"| API idle (sessions configured, none up; median of {len(idle_runs)} runs) | "
            f"{idle_rate:.0f} req/s |",
            f"| API with {still_up} sessions up (median of {len(loaded_runs)} runs) | "
            f"{loaded_rate:.0f} req/s ({ratio:.0%} of idle) |",
            "| the server's own process busy during the API runs, idle / loaded (median) | "
            f"{statistics.median(busy[: args.rounds] + busy[2 * args.rounds :]):.0f} / "
            f"{statistics.median(busy[args.rounds : 2 * args.rounds]):.0f} % of a core |",
            f"| server CPU with {still_up} sessions up, no API load (server + BFD process / "
            f"BFD process) | {quiet_cpu:.1f} / {quiet_child:.1f} % of a core |",
            f"| load average at the start / end | {load0[0]:.1f} / {os.getloadavg()[0]:.1f} |",
        ]
        if args.bfd:
            where = "the server's" if args.bfd_cpu is None else str(args.bfd_cpu)
            lines.insert(4, f"| BFD sessions Up (300 ms x 3, speaker's view; BFD process on CPU "
                            f"{where}) | {bfd_up} |")  # fmt: skip
            lines.insert(
                5,
                f"| sessions ended by BFD Down up to the end of the API runs (why: {why}) | "
                f"{bfd_ended} |",
            )
            lines[-1:-1] = [
                f"| server CPU, the same sessions before BFD started | {bgp_cpu:.1f} % of a core |",
                f"| BFD downs seen by the customers up to the end of the API runs | "
                f"{during.get('bfd_down')} |",
                f"| longest wait for a packet while Up: speaker / customers | {gap} / "
                f"{during.get('bfd_max_rx_gap_ms')} ms |",
                f"| latest periodic packet past its time: speaker / customers | {late} / "
                f"{during.get('bfd_max_tx_late_ms')} ms |",
                f"| sessions ended by BFD Down during the route-table views / customers' BFD "
                f"downs | {ended_after} / {(final.get('bfd_down') or 0) - (during.get('bfd_down') or 0)} |",
            ]
        for vgw, ms, size, ok_entry in tables:
            lines.append(f"| GET /_dxlocal/route-tables/{vgw} ({size} prefixes, shared entry "
                         f"{'right' if ok_entry else 'WRONG'}) | {ms:.0f} ms |")  # fmt: skip
        print("\n".join(lines), flush=True)
        ok = (still_up >= args.sessions and api_up >= args.sessions and ratio >= 0.5
              and p99 < 1000 and idle_bad == loaded_bad == 0
              and all(t[3] for t in tables) and (args.no_routes or held >= want)
              and (not args.bfd or (bfd_up >= args.sessions and ratio >= 0.8 and bfd_ended == 0
                                    and during.get("bfd_down") == 0)))  # fmt: skip
        print("targets met" if ok else "TARGET MISSED", flush=True)
        return 0 if ok else 1
    finally:
        for proc in (customers, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        log.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work files kept in {work}")


# -- the load tool: N customer routers in one asyncio process -----------------------------------
class _BfdCustomers:
    """Every customer's BFD (RFC 5880/5881), active role, 300 ms x 3, as lean as the speaker's:
    one socket per customer address (the speaker sends to its port 3784), packets handed to
    ``bfd.Session`` as bytes (a repeat is a comparison), one timer wheel for all sessions."""

    def __init__(self, stats: dict) -> None:
        from dxlocal.bgp.bfd_timers import Timers

        self.loop = asyncio.get_running_loop()
        self.timers = Timers(self.loop, self._fire)  # type: ignore[arg-type]
        self.stats = stats
        self.all: list = []

    def add(self, p: dict, discr: int) -> None:
        from dxlocal.bgp import bfd

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, bfd.TTL)
        sock.setblocking(False)
        sock.bind((p["customer"], bfd.PORT))
        c = _BfdCustomer(sock, (p["amazon"], bfd.PORT), bfd.Session(discr))
        c.session.active, c.session.next_tx = True, self.loop.time()
        self.all.append(c)
        self.loop.add_reader(sock.fileno(), self._readable, c)
        self.timers.schedule(c, self.loop.time())

    def _readable(self, c: _BfdCustomer) -> bool:
        try:
            data = c.sock.recv(128)
        except BlockingIOError:
            return False
        now = self.loop.time()
        session = c.session
        self._count(session.receive_bytes(data, now))
        if session.send_final:
            c.sock.sendto(session.packet_bytes(now), c.dest)
        self.timers.schedule(c, session.next_deadline())
        return True

    def _fire(self, c: _BfdCustomer, now: float) -> None:
        session = c.session
        if session.detect_deadline is not None and now >= session.detect_deadline:
            while self._readable(c):  # queued packets first, as the speaker does
                pass
        self._count(session.expire(now))
        if not session.active:  # keep speaking after a detection timeout
            session.active, session.next_tx = True, now
        if now >= session.next_tx:  # type: ignore[operator]
            c.sock.sendto(session.packet_bytes(now), c.dest)
        self.timers.schedule(c, session.next_deadline())

    def _count(self, change) -> None:  # type: ignore[no-untyped-def]
        if change is None:
            return
        from dxlocal.bgp import bfd

        self.stats["bfd_up"] += (change.new is bfd.State.UP) - (change.old is bfd.State.UP)
        if change.old is bfd.State.UP:
            self.stats["bfd_down"] += 1

    def report(self) -> dict:
        late = max((c.session.max_tx_late for c in self.all), default=0)
        gap = max((c.session.max_rx_gap for c in self.all), default=0)
        return {"bfd_max_tx_late_ms": round(late * 1000), "bfd_max_rx_gap_ms": round(gap * 1000)}


class _BfdCustomer:
    def __init__(self, sock: socket.socket, dest: tuple[str, int], session) -> None:  # type: ignore[no-untyped-def]
        self.sock, self.dest, self.session = sock, dest, session
        self.slot: int | None = None


async def _customer(p: dict, hold: int, setup: list[float], stats: dict) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from dxlocal.bgp.sockets import set_md5
    from dxlocal.bgp.wire import (
        AFI_IPV4,
        HEADER_LEN,
        SAFI_UNICAST,
        Capability,
        Keepalive,
        Notification,
        Open,
        decode_body,
        parse_header,
    )

    loop = asyncio.get_running_loop()
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((p["customer"], 0))
        set_md5(sock, p["amazon"], p["key"])
        t0 = time.perf_counter()  # the first SYN leaves in connect()
        try:
            await loop.sock_connect(sock, (p["amazon"], p["port"]))
            break
        except OSError:
            sock.close()
            stats["retries"] += 1
            await asyncio.sleep(0.5)
    reader, writer = await asyncio.open_connection(sock=sock)
    caps = (
        Capability.multiprotocol(AFI_IPV4, SAFI_UNICAST),
        Capability.four_octet_as(CUSTOMER_ASN),
    )
    writer.write(Open(asn=CUSTOMER_ASN, hold_time=hold, bgp_id=p["customer"],
                      capabilities=caps).encode())  # fmt: skip

    async def read():  # type: ignore[no-untyped-def]
        head = await reader.readexactly(HEADER_LEN)
        length, kind = parse_header(head)
        return decode_body(kind, await reader.readexactly(length - HEADER_LEN))

    opened = False
    while True:
        msg = await read()
        if isinstance(msg, Notification):
            raise RuntimeError(f"{p['amazon']}: {msg.describe()}")
        if isinstance(msg, Open):
            writer.write(Keepalive().encode())
            opened = True
        elif isinstance(msg, Keepalive) and opened:
            break
    setup.append((time.perf_counter() - t0) * 1000)

    async def keepalives() -> None:
        while True:
            await asyncio.sleep(hold / 3)
            writer.write(Keepalive().encode())

    if p["routes"]:
        from dxlocal.bgp.wire import AS_SEQUENCE, Attributes, Origin, build_announcements

        communities = ((7224 << 16) | 7300,) if p["high"] else ()
        attrs = Attributes(origin=Origin.IGP, as_path=((AS_SEQUENCE, (CUSTOMER_ASN,)),),
                           communities=communities)  # fmt: skip
        nets = [ipaddress.ip_network(r) for r in p["routes"]]  # one family: IPv4
        for update in build_announcements(nets, attrs, [p["nextHop"]]):
            writer.write(update.encode())
    task = loop.create_task(keepalives())
    try:
        while True:
            await read()  # UPDATEs, keepalives
    finally:
        task.cancel()


async def _customers(plan: list[dict], hold: int, ramp_ms: float) -> None:
    setup: list[float] = []
    stats = {"retries": 0, "bfd_up": 0, "bfd_down": 0}
    tasks = []
    for p in plan:
        tasks.append(asyncio.get_running_loop().create_task(_customer(p, hold, setup, stats)))
        await asyncio.sleep(ramp_ms / 1000)
    deadline = time.monotonic() + 120
    while len(setup) < len(plan) and time.monotonic() < deadline:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            print(json.dumps({"error": repr(failed[0].exception())}), flush=True)
            return
        await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    stop, go = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, go.set)
    bfd: _BfdCustomers | None = None
    loop.add_signal_handler(signal.SIGUSR2, lambda: print(json.dumps(
        {**stats, **(bfd.report() if bfd else {})}), flush=True))  # fmt: skip
    print(json.dumps({"established": len(setup), "setup_ms": setup, **stats}), flush=True)
    if any(p.get("bfd") for p in plan):
        # BFD starts on SIGUSR1 (the server's CPU is measured first without it), one customer
        # every ramp_ms (a router brings BFD up with its session; 1,000 at once would measure
        # the ramp, not the steady state).
        await asyncio.wait([loop.create_task(go.wait()), loop.create_task(stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        bfd = _BfdCustomers(stats)
        for i, p in enumerate(plan):
            if stop.is_set():
                break
            bfd.add(p, i + 1)
            await asyncio.sleep(ramp_ms / 1000)
    await stop.wait()
    print(json.dumps({**stats, **(bfd.report() if bfd else {})}), flush=True)


def customers_main(args: argparse.Namespace) -> int:
    _limits()
    with contextlib.suppress(OSError):  # above wrk on CPU 1: the load tool must not be late
        os.setpriority(os.PRIO_PROCESS, 0, -5)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_customers(json.loads(Path(args.plan).read_text()), args.hold, args.ramp_ms))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "customers"))
    parser.add_argument("plan", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--hold", type=int, default=9, help="hold time both sides offer (s)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per API rate run")
    parser.add_argument("--rounds", type=int, default=3, help="API rate runs per phase (median)")
    parser.add_argument("--ramp-ms", type=float, default=2.0, help="ms between new customers")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--no-routes", action="store_true", help="customers announce nothing")
    parser.add_argument("--bfd", action="store_true", help="customers run BFD, 300 ms x 3")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the server into DIR")
    parser.add_argument("--bfd-cpu", type=int, metavar="N",
                        help="pin the server's BFD process to CPU N (default: the server's)")  # fmt: skip
    ns = parser.parse_args()
    sys.exit(customers_main(ns) if ns.mode == "customers" else main(ns))
