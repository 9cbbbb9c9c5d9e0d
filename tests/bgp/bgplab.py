"""Helpers for the interop tests: lab layout, routers (BIRD 2, ExaBGP), async waits.

See conftest.py for the fixture that builds a lab (namespaces or loopback).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

AWS_ASN = 4200000000
CUST_ASN = 4200000001
KEY = "s3cret-key"
TIMINGS: list[str] = []
COUNTER = itertools.count()


def record(line: str) -> None:
    TIMINGS.append(line)


def sh(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20)


def free_port() -> int:
    for _ in range(200):
        port = random.randint(20000, 60000)
        ok = True
        for fam, addr in (
            (socket.AF_INET, "127.0.0.1"),
            (socket.AF_INET, "127.0.0.2"),
            (socket.AF_INET6, "::1"),
        ):
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                try:
                    s.bind((addr, port))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free port")


@dataclass
class Lab:
    workdir: Path
    aws_ns: str | None = None
    cust_ns: str | None = None
    aws_v4: str = "169.254.10.1"
    cust_v4: str = "169.254.10.2"
    aws_v6: str = "2001:db8::1"
    cust_v6: str = "2001:db8::2"
    speaker_port: int = 179
    router_port: int = 179
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def loopback(self) -> bool:
        return self.aws_ns is None

    def next_hop(self, family: str) -> str | None:
        """Next hop the speaker announces (loopback: a fake one peers accept)."""
        if not self.loopback:
            return None
        return "169.254.10.1" if family == "ipv4" else "2001:db8::1"

    def cust(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.cust_ns, *argv] if self.cust_ns else argv

    def spawn(self, argv: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        out = open(log, "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            self.cust(argv), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        out.close()
        self.procs.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGCONT)
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.procs.clear()


def make_namespaces(lab: Lab, base: str) -> bool:
    aws, cust = f"{base}-aws", f"{base}-cust"
    if sh("ip", "netns", "add", aws).returncode != 0:
        return False
    lab.aws_ns = aws
    if sh("ip", "netns", "add", cust).returncode != 0:
        return False
    lab.cust_ns = cust
    va, vc = f"{base[-8:]}a", f"{base[-8:]}c"  # interface names stay under 15 chars
    steps = [
        ["ip", "link", "add", va, "type", "veth", "peer", "name", vc],
        ["ip", "link", "set", va, "netns", aws],
        ["ip", "link", "set", vc, "netns", cust],
    ]
    for ns, dev, v4, v6 in (
        (aws, va, lab.aws_v4, lab.aws_v6),
        (cust, vc, lab.cust_v4, lab.cust_v6),
    ):
        steps += [
            ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.keep_addr_on_down=1"],
            [
                "ip",
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                f"net.ipv6.conf.{dev}.keep_addr_on_down=1",
            ],
            ["ip", "-n", ns, "link", "set", "lo", "up"],
            ["ip", "-n", ns, "addr", "add", f"{v4}/30", "dev", dev],
            ["ip", "-n", ns, "-6", "addr", "add", f"{v6}/125", "dev", dev, "nodad"],
            ["ip", "-n", ns, "link", "set", dev, "up"],
        ]
    for argv in steps:
        res = sh(*argv)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {res.stderr.strip()}")
    return True


# -- routers --------------------------------------------------------------------------------
def need(binary: str) -> str:
    path = shutil.which(binary) or (
        str(Path(sys.executable).parent / binary)
        if (Path(sys.executable).parent / binary).exists()
        else None
    )
    if path is None:
        pytest.skip(
            f"{binary} is not installed (apt-get install bird2 / pip install exabgp==5.0.15)"
        )
    return path


class Bird:
    """BIRD 2 as the customer router: one session per family, static prefixes exported."""

    def __init__(
        self,
        lab: Lab,
        v4_prefixes: list[str],
        v6_prefixes: list[str],
        password: str | None = KEY,
        families: tuple[str, ...] = ("ipv4", "ipv6"),
    ) -> None:
        self.bird, self.birdc = need("bird"), need("birdc")
        self.lab = lab
        self.dir = lab.workdir / "bird"
        self.dir.mkdir(exist_ok=True)
        self.ctl = self.dir / "bird.ctl"
        self.conf = self.dir / "bird.conf"
        self.proc: subprocess.Popen | None = None
        pw = f'password "{password}";' if password else ""
        lo = lab.loopback
        lines = [
            f'log "{self.dir}/bird.log" all;',
            f"router id {'127.0.0.2' if lo else lab.cust_v4};",
            "protocol device {}",
            "protocol static s4 { ipv4; "
            + "".join(f"route {p} unreachable; " for p in v4_prefixes)
            + "}",
            "protocol static s6 { ipv6; "
            + "".join(f"route {p} unreachable; " for p in v6_prefixes)
            + "}",
            "template bgp dx {",
            f"  local as {CUST_ASN}; {pw}",
            "  hold time 9; keepalive time 3;",
            "  connect delay time 1; connect retry time 2; error wait time 1, 5;",
            "  multihop 2;" if lo else "",
            "}",
        ]
        for fam, local, remote, hop in (
            ("ipv4", lab.cust_v4, lab.aws_v4, "169.254.10.2"),
            ("ipv6", lab.cust_v6, lab.aws_v6, "2001:db8::2"),
        ):
            if fam not in families:
                continue
            nh = f"next hop address {hop};" if lo else ""
            lines.append(
                f"protocol bgp aws_{fam[-2:]} from dx {{ local {local} port {lab.router_port}; "
                f"neighbor {remote} port {lab.speaker_port} as {AWS_ASN}; "
                f"{fam} {{ import all; export all; {nh} }}; }}"
            )
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        argv = [
            self.bird,
            "-f",
            "-c",
            str(self.conf),
            "-s",
            str(self.ctl),
            "-P",
            str(self.dir / "pid"),
        ]
        self.proc = self.lab.spawn(argv, self.dir / "stdout.log")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        if sig == signal.SIGKILL:
            self.proc.wait(timeout=10)

    def cmd(self, *args: str) -> str:
        res = sh(self.birdc, "-s", str(self.ctl), *args)
        return res.stdout

    def routes(self, protocol: str) -> str:
        return self.cmd("show", "route", "protocol", protocol)

    def log(self) -> str:
        path = self.dir / "bird.log"
        return path.read_text() if path.exists() else ""


class ExaBGP:
    """ExaBGP as the customer router; received UPDATEs are logged as JSON lines."""

    def __init__(
        self,
        lab: Lab,
        v4_routes: list[str],
        v6_routes: list[str],
        password: str | None = KEY,
    ) -> None:
        self.exabgp = need("exabgp")
        self.lab = lab
        self.dir = lab.workdir / "exa"
        self.dir.mkdir(exist_ok=True)
        self.received_file = self.dir / "received.jsonl"
        logger = self.dir / "logger.py"
        logger.write_text(
            "import sys\n"
            f"with open({str(self.received_file)!r}, 'a') as out:\n"
            "    for line in sys.stdin:\n"
            "        out.write(line); out.flush()\n"
        )
        md5 = f"md5-password {password};" if password else ""
        port = f"connect {lab.speaker_port};" if lab.loopback else ""
        rid = "127.0.0.2" if lab.loopback else lab.cust_v4
        self.conf = self.dir / "exabgp.conf"
        blocks = [
            f"process logger {{ run {sys.executable} {logger}; encoder json; }}",
            "template { neighbor dx {",
            f"  local-as {CUST_ASN}; peer-as {AWS_ASN}; router-id {rid}; {md5} hold-time 9; {port}",
            "  api { processes [ logger ]; receive { parsed; update; } neighbor-changes; }",
            "} }",
        ]
        for remote, local, fam, routes, hop in (
            (lab.aws_v4, lab.cust_v4, "ipv4", v4_routes, "169.254.10.2"),
            (lab.aws_v6, lab.cust_v6, "ipv6", v6_routes, "2001:db8::2"),
        ):
            nh = hop if lab.loopback else "self"
            statics = "".join(
                f"route {r} next-hop {nh}; "
                if " " not in r
                else f"route {r.split()[0]} next-hop {nh} {r.split(' ', 1)[1]}; "
                for r in routes
            )
            blocks.append(
                f"neighbor {remote} {{ inherit dx; local-address {local}; "
                f"family {{ {fam} unicast; }} static {{ {statics} }} }}"
            )
        self.conf.write_text("\n".join(blocks) + "\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            exabgp_daemon_user="root",
            exabgp_daemon_drop="false",
            exabgp_log_destination=str(self.dir / "exabgp.log"),
            exabgp_log_level="INFO",
            exabgp_api_ack="false",
        )
        self.proc = self.lab.spawn([self.exabgp, str(self.conf)], self.dir / "stdout.log", env)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        if sig == signal.SIGKILL:
            self.proc.wait(timeout=10)

    def received_prefixes(self) -> set[str]:
        out: set[str] = set()
        if not self.received_file.exists():
            return out
        for line in self.received_file.read_text().splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            announce = (
                msg.get("neighbor", {}).get("message", {}).get("update", {}).get("announce", {})
            )
            for family in announce.values():
                for entries in family.values():
                    out.update(e["nlri"] if isinstance(e, dict) else str(e) for e in entries)
        return out

    def log(self) -> str:
        text = ""
        for name in ("exabgp.log", "stdout.log"):
            path = self.dir / name
            if path.exists():
                text += path.read_text()[-4000:]
        return text


# -- async helpers -------------------------------------------------------------------------
async def wait_until(cond: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    """Poll ``cond``; return the seconds it took, or fail after ``timeout``."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(step)
    return time.monotonic() - start


def run(coro, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    """Run a test coroutine with a hard upper bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def peer_specs(lab: Lab, **overrides: object) -> list:
    """One IPv4 and one IPv6 PeerSpec as the API would build them for this lab."""
    from dxlocal.bgp.speaker import PeerSpec

    out = []
    for fam, local, remote, adv in (
        ("ipv4", lab.aws_v4, lab.cust_v4, ("10.100.0.0/16", "10.101.0.0/16")),
        ("ipv6", lab.aws_v6, lab.cust_v6, ("2600:1f00::/40",)),
    ):
        fields: dict = dict(
            key=f"dxpeer-{fam}",
            family=fam,
            local_address=local,
            remote_address=remote,
            local_asn=AWS_ASN,
            remote_asn=CUST_ASN,
            md5_key=KEY,
            advertise=adv,
            next_hop=lab.next_hop(fam),
            local_port=lab.speaker_port,
            remote_port=lab.router_port,
            hold_time=9,
            connect_retry=1.0,
        )
        fields.update(overrides)
        out.append(PeerSpec(**fields))
    return out
