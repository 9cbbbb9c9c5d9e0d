"""Network plumbing for live BGP: the Amazon-side namespace and the lab's customer side.

    host namespace: nothing is added to it
    netns dxlocal-aws (created by dxlocal)           netns NAME (``dxlocal lab attach``)
      lo up
      dxa<id> ═════════ veth ════════ dxc<id> ─────▶ parked down in dxlocal-aws until a lab
        └ dxa<id>.<vlan>  Amazon addresses            attach moves it into NAME:
                                                       └ dxc<id>.<vlan>  customer addresses

One veth pair per VIF (``<id>`` = the last 7 characters of its id, so names stay within
IFNAMSIZ): the Amazon addresses of the VIF's peers sit on ``dxa<id>.<vlan>``, an 802.1Q
subinterface with the VIF's VLAN, from the moment the VIF exists, so the speaker can listen
on them; attaching moves the other end into the customer's namespace and gives it the
same VLAN and the customer addresses. Kernels built without 802.1Q (``CONFIG_VLAN_8021Q``
unset, where ``ip link add … type vlan`` answers "Unknown device type") get the addresses on
the veth ends themselves, untagged; ``vlan_mode`` says which one is in use.

Addresses are added ``nodad`` and both namespaces keep them when a link goes down
(``keep_addr_on_down=1``) and skip DAD for link-locals (``accept_dad=0``): docs/behavior.md#lab.
Every call here is blocking (``ip`` subprocesses); the live bridge runs them in a worker
thread, serialized by ``Plumbing.lock``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import subprocess
import threading
from dataclasses import dataclass, field

from .sockets import NETNS_DIR

log = logging.getLogger("dxlocal.bgp")

IP = os.environ.get("DXLOCAL_IP_COMMAND", "ip")
SYSCTLS = (
    "net.ipv6.conf.all.keep_addr_on_down=1",
    "net.ipv6.conf.default.keep_addr_on_down=1",
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
)


class PlumbingError(OSError):
    pass


def ip(*args: str, netns: str | None = None, data: str | None = None) -> str:
    argv = [IP, *(["-n", netns] if netns else []), *args]
    try:
        res = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PlumbingError(f"{' '.join(argv)}: {exc}") from None
    if res.returncode != 0:
        raise PlumbingError(f"{' '.join(argv)}: {res.stderr.strip() or res.returncode}")
    return res.stdout


def batch(lines: list[str], netns: str | None, quiet: bool = False) -> list[str]:
    """Run ``ip`` commands in one process (``-force``: all of them); the errors it printed."""
    if not lines:
        return []
    argv = [IP, *(["-n", netns] if netns else []), "-force", "-batch", "-"]
    res = subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    errors = [x for x in res.stderr.splitlines() if x and not x.startswith("Command failed")]
    for line in [] if quiet else errors:
        log.warning("ip -n %s: %s", netns, line)
    return errors


def netns_exists(name: str) -> bool:
    return os.path.exists(os.path.join(NETNS_DIR, name))


def add_netns(name: str) -> None:
    ip("netns", "add", name)
    try:
        argv = [IP, "netns", "exec", name, "sysctl", "-qw", *SYSCTLS]
        subprocess.run(argv, capture_output=True, timeout=30, check=True)
        ip("link", "set", "lo", "up", netns=name)
    except (OSError, subprocess.SubprocessError) as exc:
        del_netns(name)
        raise PlumbingError(f"setting up namespace {name}: {exc}") from None


def del_netns(name: str) -> None:
    if netns_exists(name):
        try:
            ip("netns", "del", name)
        except PlumbingError as exc:
            log.warning("%s", exc)


def links(netns: str | None) -> dict[str, set[str]]:
    """Interface name -> its global addresses ("addr/len"), read from the kernel."""
    out: dict[str, set[str]] = {}
    for item in json.loads(ip("-j", "addr", "show", netns=netns) or "[]"):
        addrs = {
            normal(f"{a['local']}/{a['prefixlen']}")
            for a in item.get("addr_info", [])
            if a.get("scope") == "global" and a.get("family") in ("inet", "inet6")
        }
        out[item["ifname"]] = addrs
    return out


def normal(address: str) -> str:
    """``169.254.10.1/30`` as the kernel reports it; a bare address gets a host prefix."""
    return str(ipaddress.ip_interface(address))


def _add(address: str, dev: str) -> str:
    nodad = " nodad" if ipaddress.ip_interface(address).version == 6 else ""
    return f"addr add {address} dev {dev}{nodad}"


@dataclass(frozen=True)
class Port:
    """The wiring of one VIF: its VLAN, both sides' addresses (``addr/len``) and its MTU."""

    vif_id: str
    vlan: int
    amazon: tuple[str, ...]
    customer: tuple[str, ...]
    mtu: int = 1500  # the VIF's mtu, on both ends and their VLAN subinterfaces (docs/bfd.md)
    link: bool = True  # False: the port is lost, the pair has no carrier (docs/failures.md#live)

    @property
    def tag(self) -> str:
        return self.vif_id[-7:]

    @property
    def dev_a(self) -> str:
        return f"dxa{self.tag}"

    @property
    def dev_c(self) -> str:
        return f"dxc{self.tag}"


@dataclass
class Attachment:
    netns: str
    created: bool  # we made the namespace, so detach deletes it
    vlan: int = 0
    info: dict = field(default_factory=dict)


class Plumbing:
    def __init__(self, netns: str) -> None:
        self.netns = netns
        self.vlan_ok = False
        self.attached: dict[str, Attachment] = {}
        self.lock = threading.RLock()

    @property
    def vlan_mode(self) -> str:
        return "802.1Q" if self.vlan_ok else "untagged"

    def holder(self, port: Port, side: str) -> str:
        dev = port.dev_a if side == "a" else port.dev_c
        return f"{dev}.{port.vlan}" if self.vlan_ok else dev

    # -- the Amazon namespace ---------------------------------------------------------------
    def start(self) -> None:
        """(Re)create the Amazon-side namespace; a stale one from a crash is replaced."""
        with self.lock:
            del_netns(self.netns)
            add_netns(self.netns)
            probe = ["link add dxprobe type veth peer name dxprobe1",
                     "link add link dxprobe name dxprobe.7 type vlan id 7"]  # fmt: skip
            self.vlan_ok = not batch(probe, self.netns, quiet=True)
            batch(["link del dxprobe"], self.netns, quiet=True)
            log.info("live BGP: namespace %s ready (%s)", self.netns, self.vlan_mode)

    def stop(self) -> None:
        with self.lock:
            for vif_id in list(self.attached):
                self.detach(vif_id)
            del_netns(self.netns)

    def sync(self, ports: dict[str, Port], prune: bool = True) -> None:
        """Make the kernel match ``ports``: pairs, subinterfaces and addresses, on both sides."""
        with self.lock:
            have = links(self.netns)
            cmds: list[str] = []
            wanted = {p.dev_a for p in ports.values()}
            if prune:
                for name in have:
                    if name.startswith("dxa") and "." not in name and name not in wanted:
                        cmds.append(f"link del {name}")  # the pair, its subinterfaces too
                        self._forget(name[3:])
            for port in ports.values():
                cmds += self._port_cmds(port, have)
            batch(cmds, self.netns)
            for vif_id, att in list(self.attached.items()):
                port = ports.get(vif_id)
                if port is not None:
                    self._sync_customer(port, att)

    def _port_cmds(self, port: Port, have: dict[str, set[str]]) -> list[str]:
        a, c, hold = port.dev_a, port.dev_c, self.holder(port, "a")
        cmds = []
        if a not in have:
            cmds.append(f"link add {a} type veth peer name {c}")
            have[a] = set()
        if self.vlan_ok and hold not in have:
            stale = [n for n in have if n.startswith(f"{a}.")]
            cmds += [f"link del {n}" for n in stale]  # the VIF's VLAN changed
            cmds.append(f"link add link {a} name {hold} type vlan id {port.vlan}")
            have[hold] = set()
        current = have.get(hold, set())
        wanted = {normal(x) for x in port.amazon}
        cmds += [_add(x, hold) for x in sorted(wanted - current)]
        cmds += [f"addr del {x} dev {hold}" for x in sorted(current - wanted)]
        cmds += [f"link set {a} mtu {port.mtu}"]
        if hold != a:
            cmds.append(f"link set {hold} mtu {port.mtu}")
        cmds.append(f"link set {a} {'up' if port.link else 'down'}")
        if hold != a:
            cmds.append(f"link set {hold} up")
        return cmds

    # -- the lab: a customer namespace --------------------------------------------------------
    def attach(self, port: Port, netns: str) -> Attachment:
        with self.lock:
            current = self.attached.get(port.vif_id)
            if current is not None:
                if current.netns == netns:
                    self._sync_customer(port, current)
                    return current
                self.detach(port.vif_id)
            have = links(self.netns)
            batch(self._port_cmds(port, have), self.netns)
            created = not netns_exists(netns)
            if created:
                add_netns(netns)
            else:
                argv = [IP, "netns", "exec", netns, "sysctl", "-qw", *SYSCTLS]
                subprocess.run(argv, capture_output=True, timeout=30)
            try:
                ip("link", "set", port.dev_c, "netns", netns, netns=self.netns)
            except PlumbingError:
                if created:
                    del_netns(netns)
                raise
            att = Attachment(netns, created, port.vlan)
            self.attached[port.vif_id] = att
            self._sync_customer(port, att)
            return att

    def _sync_customer(self, port: Port, att: Attachment) -> None:
        if not netns_exists(att.netns):
            log.warning("lab namespace %s of %s is gone", att.netns, port.vif_id)
            self.attached.pop(port.vif_id, None)
            return
        have = links(att.netns)
        c, hold = port.dev_c, self.holder(port, "c")
        if c not in have:
            log.warning("%s: %s is no longer in namespace %s", port.vif_id, c, att.netns)
            return
        cmds = ["link set lo up"]
        if self.vlan_ok and hold not in have:
            cmds.append(f"link add link {c} name {hold} type vlan id {port.vlan}")
        current = have.get(hold, set())
        wanted = {normal(x) for x in port.customer}
        cmds += [_add(x, hold) for x in sorted(wanted - current)]
        cmds += [f"addr del {x} dev {hold}" for x in sorted(current - wanted)]
        cmds += [f"link set {c} mtu {port.mtu}"]
        if hold != c:
            cmds.append(f"link set {hold} mtu {port.mtu}")
        cmds += [f"link set {c} up", f"link set {hold} up"]
        batch(cmds, att.netns)

    def detach(self, vif_id: str) -> Attachment | None:
        """Bring the customer end home (parked, down) and drop a namespace we created."""
        with self.lock:
            att = self.attached.pop(vif_id, None)
            if att is None:
                return None
            tag = vif_id[-7:]
            if netns_exists(att.netns):
                cmds = [f"link del dxc{tag}.{att.vlan}"] if self.vlan_ok else []
                cmds += [f"addr flush dev dxc{tag}", f"link set dxc{tag} netns {self.netns}"]
                batch(cmds, att.netns)
                batch([f"link set dxc{tag} down"], self.netns)
                in_use = any(a.netns == att.netns for a in self.attached.values())
                if att.created and not in_use:
                    del_netns(att.netns)
            return att

    def _forget(self, tag: str) -> None:
        for vif_id in [v for v in self.attached if v[-7:] == tag]:
            att = self.attached.pop(vif_id)
            if att.created and not any(a.netns == att.netns for a in self.attached.values()):
                del_netns(att.netns)


def counters(netns: str) -> dict[str, tuple[int, int, int, int, int]]:
    """Interface name -> (ifindex, rx bytes, tx bytes, rx packets, tx packets) in ``netns``,
    the kernel's 64-bit counters (``ip -s -j link show``), one process for every interface."""
    out: dict[str, tuple[int, int, int, int, int]] = {}
    for item in json.loads(ip("-s", "-j", "link", "show", netns=netns) or "[]"):
        stats = item.get("stats64") or item.get("stats") or {}
        rx, tx = stats.get("rx", {}), stats.get("tx", {})
        out[item["ifname"]] = (
            int(item.get("ifindex", 0)),
            int(rx.get("bytes", 0)),
            int(tx.get("bytes", 0)),
            int(rx.get("packets", 0)),
            int(tx.get("packets", 0)),
        )
    return out
