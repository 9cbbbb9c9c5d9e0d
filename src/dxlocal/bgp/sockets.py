"""Socket plumbing for BGP sessions: TCP-MD5 (RFC 2385) and sockets inside a network namespace.

TCP-MD5: Linux takes ``setsockopt(IPPROTO_TCP, TCP_MD5SIG=14, struct tcp_md5sig)``::

    struct tcp_md5sig {
        struct sockaddr_storage tcpm_addr;   /* 128 octets: the peer address       */
        __u8  tcpm_flags;                    /* 0: no prefix/ifindex matching      */
        __u8  tcpm_prefixlen;
        __u16 tcpm_keylen;                   /* 0 deletes the key for tcpm_addr    */
        int   tcpm_ifindex;
        __u8  tcpm_key[80];
    };                                        /* 216 octets */

A key is tied to the peer address (not the port). On a listening socket it is set once per
expected peer and inherited by accepted connections; a connecting socket sets it before
``connect``. A key mismatch drops the SYN silently, so the session just stays down.

Namespaces: a socket belongs for life to the network namespace of the thread that created
it. ``NetnsSockets`` keeps one worker thread per namespace that has entered it with
``setns(2)`` (through ctypes; ``os.setns`` only exists from Python 3.12) and creates sockets
there; the event loop then uses them like any other socket. ``setns(CLONE_NEWNET)`` changes
only the calling thread, so the rest of the process stays in its own namespace.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import os
import socket
import struct
from concurrent.futures import ThreadPoolExecutor

TCP_MD5SIG = 14
TCP_MD5SIG_MAXKEYLEN = 80
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"


def md5sig(peer: str, key: bytes) -> bytes:
    ip = ipaddress.ip_address(peer)
    if ip.version == 6:
        sa = struct.pack("=H", socket.AF_INET6) + b"\0" * 6 + ip.packed  # port, flowinfo
    else:
        sa = struct.pack("=H", socket.AF_INET) + b"\0\0" + ip.packed  # port
    return sa.ljust(128, b"\0") + struct.pack("=BBHi", 0, 0, len(key), 0) + key.ljust(80, b"\0")


def set_md5(sock: socket.socket, peer: str, key: str | None) -> None:
    """Install (or, with ``None``/empty, remove) the TCP-MD5 key for ``peer`` on ``sock``."""
    raw = (key or "").encode()
    if len(raw) > TCP_MD5SIG_MAXKEYLEN:
        raise ValueError("TCP-MD5 keys are at most 80 octets")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(peer, raw))
    except OSError:
        if raw:
            raise  # deleting a key that was never set fails with ENOENT: harmless


def family_of(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET


def _enter_netns(name: str) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _new_socket(family: socket.AddressFamily, kind: int = socket.SOCK_STREAM) -> socket.socket:
    sock = socket.socket(family, kind)
    sock.setblocking(False)
    return sock


class NetnsSockets:
    """Creates TCP sockets in one network namespace (``None``: the process's own)."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._pool: ThreadPoolExecutor | None = None
        if netns is not None:
            if not os.path.exists(os.path.join(NETNS_DIR, netns)):
                raise FileNotFoundError(f"network namespace {netns!r} does not exist")
            self._pool = ThreadPoolExecutor(
                1, thread_name_prefix=f"netns-{netns}", initializer=_enter_netns, initargs=(netns,)
            )

    def socket(self, family: socket.AddressFamily, kind: int = socket.SOCK_STREAM) -> socket.socket:
        if self._pool is None:
            return _new_socket(family, kind)
        return self._pool.submit(_new_socket, family, kind).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


def single_hop(sock: socket.socket) -> None:
    """TTL/hop limit 1 on the session's packets: Direct Connect's BGP is single-hop eBGP, the
    peer on the VIF's own subnet (RFC 4271 §5.1.3 directly connected peers; docs/bfd.md).
    An accepted connection inherits it from its listener."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)


def listening_socket(
    factory: NetnsSockets, address: str, port: int, backlog: int = 128
) -> socket.socket:
    family = family_of(address)
    sock = factory.socket(family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        single_hop(sock)
        sock.bind((address, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def connecting_socket(
    factory: NetnsSockets, local: str, remote: str, key: str | None
) -> socket.socket:
    """A non-blocking socket bound to ``local`` (any port) with the MD5 key for ``remote``."""
    sock = factory.socket(family_of(remote))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((local, 0))
        if key:
            set_md5(sock, remote, key)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        single_hop(sock)
    except BaseException:
        sock.close()
        raise
    return sock
