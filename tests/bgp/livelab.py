"""Helpers for the live-BGP tests: a ``dxlocal serve --bgp live`` subprocess, VIFs made
through boto3, customer routers (BIRD, FRR, ExaBGP) configured only from the API's answers.

Every namespace and process is recorded on the server object and removed by its
``cleanup()`` (the fixtures call it in a finalizer, whatever the outcome).
"""

from __future__ import annotations

import grp
import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bgplab import free_port, need, sh

from dxtest import dx_client

ACCOUNT = "111122223333"
HOLD = 9
COUNTER = itertools.count()
REPO = Path(__file__).resolve().parents[2]


def without_netns(bindir: Path) -> dict[str, str]:
    """An environment whose ``ip netns add`` fails, as on a host without namespaces."""
    bindir.mkdir(exist_ok=True)
    wrapper = bindir / "ip"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = netns ] && [ "$2" = add ]; then\n'
        '  echo "mount --make-shared /run/netns failed: Operation not permitted" >&2; exit 1\n'
        "fi\n"
        'exec /usr/sbin/ip "$@"\n'
    )
    wrapper.chmod(0o755)
    return {"PATH": f"{bindir}:{os.environ['PATH']}"}


@contextmanager
def serving(workdir: Path, *, loopback: bool = False) -> Iterator[LiveBgpServer]:
    """A started ``dxlocal serve --bgp live``, cleaned up whatever happens; ``loopback`` runs
    it where ``ip netns add`` fails."""
    srv = LiveBgpServer(workdir, env=without_netns(workdir / "bin") if loopback else None)
    try:
        yield srv.start()
    finally:
        srv.cleanup()


class LiveBgpServer:
    """``dxlocal serve --bgp live`` with small timers and unique namespace names."""

    def __init__(self, workdir: Path, *, netns: bool = True, env: dict[str, str] | None = None):
        n = next(COUNTER)
        self.workdir = workdir
        self.tag = f"{os.getpid() % 100000}-{n}"
        self.aws_ns = f"dxlaws-{self.tag}" if netns else ""
        self.port = free_port()
        self.loopback_port = random.randrange(20000, 40000, 2)  # slots use base + 2n, + 1
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"server-{self.tag}.log"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.namespaces: list[str] = [self.aws_ns] if netns else []
        self.procs: list[subprocess.Popen] = []

    def start(self, timeout: float = 20.0) -> LiveBgpServer:
        argv = [sys.executable, "-m", "dxlocal.cli", "serve", "--port", str(self.port),
                "--state", str(self.workdir / f"state-{self.tag}.sqlite3"), "--delay", "0.05",
                "--bgp", "live", "--bgp-netns", self.aws_ns, "--bgp-hold-time", str(HOLD),
                "--bgp-connect-retry", "1", "--bgp-loopback-port", str(self.loopback_port)]  # fmt: skip
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dxlocal serve exited: {self.log.read_text()}")
            try:
                if self.control("GET", "/health")["status"] == "ok":
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dxlocal serve did not become ready")

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        from dxlocal.bgp import lab_client as lab

        return lab.call(self.url, method, path, body)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, "-m", "dxlocal.cli", "lab", *args, "--endpoint",
                              self.url], capture_output=True, text=True, timeout=60, env=self.env)  # fmt: skip
        if check and res.returncode != 0:
            raise AssertionError(f"dxlocal lab {' '.join(args)}: {res.stderr}")
        return res

    def client(self, account: str = ACCOUNT) -> Any:
        return dx_client(self.url, account)

    def new_netns(self, label: str) -> str:
        name = f"dxlc{label}-{self.tag}"
        self.namespaces.append(name)
        return name

    def spawn(self, argv: list[str], log: Path, netns: str | None = None,
              env: dict | None = None) -> subprocess.Popen:  # fmt: skip
        full = ["ip", "netns", "exec", netns, *argv] if netns else argv
        with open(log, "ab") as out:
            proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        return proc

    def cleanup(self) -> None:
        for proc in self.procs:
            stop(proc)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for ns in self.namespaces:
            if ns and os.path.exists(f"/var/run/netns/{ns}"):
                sh("ip", "netns", "del", ns)

    # -- API helpers ------------------------------------------------------------------------
    def make_vif(self, families: tuple[str, ...] = ("ipv4", "ipv6"), *, key: str = "s3cret-key",
                 asn: int = 4200000001, vlan: int = 101,
                 cidrs: tuple[str, ...] = ("10.100.0.0/16", "2600:1f14:abc::/56")) -> dict:  # fmt: skip
        """A connection, a private VIF on a registered VGW and one peer per family."""
        vgw = "vgw-" + secrets.token_hex(4)
        self.control("POST", "/virtual-gateways",
                     {"virtualGatewayId": vgw, "account": ACCOUNT, "vpcCidrs": list(cidrs)})  # fmt: skip
        dx = self.client()
        con = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="lab")
        vif = dx.create_private_virtual_interface(
            connectionId=con["connectionId"],
            newPrivateVirtualInterface={"virtualInterfaceName": "lab", "vlan": vlan,
                                        "asnLong": asn, "authKey": key,
                                        "addressFamily": families[0], "virtualGatewayId": vgw},
        )  # fmt: skip
        vif_id = vif["virtualInterfaceId"]
        for fam in families[1:]:
            dx.create_bgp_peer(virtualInterfaceId=vif_id,
                               newBGPPeer={"asnLong": asn, "addressFamily": fam, "authKey": key})  # fmt: skip
        return self.wait_vif(vif_id, lambda v: all(
            p["bgpPeerState"] == "available" for p in v["bgpPeers"]) and len(v["bgpPeers"]) == len(families))  # fmt: skip

    def describe(self, vif_id: str) -> dict:
        return self.client().describe_virtual_interfaces(virtualInterfaceId=vif_id)[
            "virtualInterfaces"
        ][0]

    def wait_vif(self, vif_id: str, until: Any, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            vif = self.describe(vif_id)
            if until(vif):
                return vif
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; last: {json.dumps(vif, default=str)[:1500]}")
            time.sleep(0.1)

    def sessions(self) -> dict[str, dict]:
        return {s["bgpPeerId"]: s for s in self.control("GET", "/bgp/sessions")["sessions"]}


def statuses(vif: dict) -> dict[str, str]:
    return {p["addressFamily"]: p["bgpStatus"] for p in vif["bgpPeers"]}


def stop(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# -- customer routers --------------------------------------------------------------------------
def start_bird(server: LiveBgpServer, vif_id: str, announce: list[str], netns: str | None,
               name: str = "bird") -> tuple[subprocess.Popen, Path]:  # fmt: skip
    """BIRD with the configuration ``dxlocal lab config --format bird`` prints."""
    bird = need("bird")
    args = ["config", vif_id, "--format", "bird"]
    for prefix in announce:
        args += ["--announce", prefix]
    conf = server.workdir / f"{name}.conf"
    conf.write_text(server.cli(*args).stdout)
    ctl = server.workdir / f"{name}.ctl"
    argv = [bird, "-f", "-c", str(conf), "-s", str(ctl), "-P", str(server.workdir / f"{name}.pid")]
    return server.spawn(argv, server.workdir / f"{name}.log", netns), ctl


def birdc(ctl: Path, *args: str) -> str:
    return sh(need("birdc"), "-s", str(ctl), *args).stdout


FRR_LIBEXEC = Path("/usr/lib/frr")  # where Debian's frr package keeps zebra and bgpd


@dataclass
class Frr:
    """zebra + bgpd in one namespace (or bgpd alone on loopback), with their own config,
    socket and pid directory."""

    rundir: Path
    netns: str | None  # None: loopback transport, bgpd alone in the host's namespace
    zebra: subprocess.Popen | None
    bgpd: subprocess.Popen

    def vtysh(self, *commands: str) -> str:
        argv = [need("vtysh"), "--vty_socket", str(self.rundir)]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        for command in commands:
            argv += ["-c", command]
        return sh(*argv).stdout

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop(self.bgpd, sig)
        if self.zebra is not None:
            stop(self.zebra, sig)


def frr_daemons() -> tuple[str, str]:
    """zebra and bgpd, or a skip saying what is missing."""
    zebra, bgpd = FRR_LIBEXEC / "zebra", FRR_LIBEXEC / "bgpd"
    if not (zebra.exists() and bgpd.exists()):
        pytest.skip(f"FRR is not installed ({bgpd} missing; apt-get install frr)")
    need("vtysh")
    if os.geteuid() != 0:
        pytest.skip("the FRR tests run zebra/bgpd as root (ip netns exec, -u root -g frrvty)")
    try:
        grp.getgrnam("frrvty")
    except KeyError:
        pytest.skip("FRR's vty group frrvty does not exist (a broken frr install)")
    return str(zebra), str(bgpd)


def start_frr(server: LiveBgpServer, vif_id: str, announce: list[str], netns: str | None,
              name: str = "frr") -> Frr:  # fmt: skip
    """FRR with the bgpd.conf ``dxlocal lab config --format frr`` prints, run as its header says.

    In a namespace zebra runs too: without it bgpd knows no interfaces and rejects IPv6
    updates whose next hop carries a link-local address. Without one (loopback) only
    ``bgpd -Z -p 0``: no zebra in the host's namespace, no listener. The daemons stay in the
    foreground (killed through their process group) as root with group frrvty: dropping to
    user frr would lose access to pytest's 0700 tmp_path, and vtysh needs the vty group.
    """
    zebra, bgpd = frr_daemons()
    args = ["config", vif_id, "--format", "frr"]
    for prefix in announce:
        args += ["--announce", prefix]
    rundir = server.workdir / name
    rundir.mkdir()
    (rundir / "bgpd.conf").write_text(server.cli(*args).stdout)
    common = ["-u", "root", "-g", "frrvty", "-P", "0", "--vty_socket", str(rundir),
              "--log", "stdout"]  # fmt: skip
    zproc = None
    if netns:
        zserv = ["-z", str(rundir / "zserv.api")]
        (rundir / "zebra.conf").write_text("")
        zproc = server.spawn([zebra, *common, *zserv, "-f", str(rundir / "zebra.conf"),
                              "-i", str(rundir / "zebra.pid")], rundir / "zebra.log", netns)  # fmt: skip
        # bgpd retries zebra's socket anyway; waiting for it saves that retry.
        deadline = time.monotonic() + 5
        while not (rundir / "zserv.api").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    else:
        zserv = ["-Z", "-p", "0"]
    bproc = server.spawn([bgpd, *common, *zserv, "-f", str(rundir / "bgpd.conf"),
                          "-i", str(rundir / "bgpd.pid")], rundir / "bgpd.log", netns)  # fmt: skip
    return Frr(rundir, netns, zproc, bproc)


def start_exabgp(server: LiveBgpServer, vif: dict, netns: str | None, routes: dict[str, list[str]],
                 key: str | None = None, name: str = "exa") -> subprocess.Popen:  # fmt: skip
    """ExaBGP as the customer, configured from DescribeVirtualInterfaces and /_dxlocal/lab;
    ``key`` overrides the peers' authKey (a wrong key)."""
    exabgp = need("exabgp")
    info = server.control("GET", f"/lab/{vif['virtualInterfaceId']}")
    transports = {p["bgpPeerId"]: p["transport"] for p in info["peers"]}
    v4 = [p for p in vif["bgpPeers"] if p["addressFamily"] == "ipv4"]
    rid = (v4[0]["customerAddress"] if v4 else "10.255.255.254").split("/")[0]
    blocks = []
    for peer in vif["bgpPeers"]:
        t, fam = transports[peer["bgpPeerId"]], peer["addressFamily"]
        loop = t["mode"] == "loopback"
        hop = peer["customerAddress"].split("/")[0] if loop else "self"
        md5 = key if key is not None else peer["authKey"]
        statics = "".join(f"route {r} next-hop {hop}; " for r in routes.get(fam, []))
        port = f"connect {t['amazon']['port']};" if loop else ""
        blocks.append(
            f"neighbor {t['amazon']['address']} {{ local-address {t['customer']['address']}; "
            f"local-as {peer['asnLong']}; peer-as {vif['amazonSideAsn']}; router-id {rid}; "
            f"md5-password {md5}; hold-time {HOLD}; {port} family {{ {fam} unicast; }} "
            f"static {{ {statics} }} }}"
        )
    conf = server.workdir / f"{name}.conf"
    conf.write_text("\n".join(blocks) + "\n")
    env = dict(os.environ, exabgp_daemon_user="root", exabgp_daemon_drop="false",
               exabgp_log_destination=str(server.workdir / f"{name}.exabgp.log"),
               exabgp_log_level="INFO", exabgp_api_ack="false")  # fmt: skip
    return server.spawn([exabgp, str(conf)], server.workdir / f"{name}.log", netns, env)
