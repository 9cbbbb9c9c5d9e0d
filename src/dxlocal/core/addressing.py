"""BGP peer addressing (CreateBGPPeer and Create*VirtualInterface docs, docs/behavior.md#bgp-peers).

- IPv4: both ``amazonAddress`` and ``customerAddress`` in CIDR form, or neither; when
  omitted AWS allocates a /30 from 169.254.0.0/16 with Amazon on .1 and the customer on .2.
  /31 is accepted on every VIF type (RFC 3021).
- IPv6: always assigned by AWS, a /125 from Amazon's pool; custom addresses are refused.
  The pool used here is inside 2001:db8::/32 (RFC 3849 documentation space), so nothing
  dxlocal hands out can collide with a real network.
- Public VIFs need public IPv4 addresses; AWS's own messages for the address checks are
  reused verbatim.
"""

from __future__ import annotations

import ipaddress
import secrets

from dxlocal.core import errors
from dxlocal.core.errors import ClientError
from dxlocal.store.base import Tx

_LINK_LOCAL_BLOCKS = 16384  # /30 blocks in 169.254.0.0/16
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "0.0.0.0/8",
    )
]
_V6_POOL = ipaddress.ip_network("2001:db8:1100::/40")


def parse_ipv4_pair(amazon: str, customer: str, *, public: bool) -> tuple[str, str]:
    """Validate a given IPv4 address pair; returns both in canonical CIDR form."""
    try:
        a = ipaddress.ip_interface(amazon)
        c = ipaddress.ip_interface(customer)
    except ValueError:
        raise ClientError(
            f"Invalid IPv4 address pair {amazon!r}, {customer!r}: use CIDR form such as "
            "169.254.10.1/30."
        ) from None
    if a.version != 4 or c.version != 4 or "/" not in amazon or "/" not in customer:
        raise ClientError("amazonAddress and customerAddress must be IPv4 addresses in CIDR form.")
    if public and any(a.ip in n for n in _NOT_PUBLIC):
        raise errors.amazon_address_private()
    if public and any(c.ip in n for n in _NOT_PUBLIC):
        raise ClientError("Customer Address is not allowed to contain a private IP")
    if a.network != c.network:
        raise errors.addresses_not_same_cidr()
    net = a.network
    if net.prefixlen < 31:
        if a.ip == net.network_address:
            raise errors.amazon_address_zero()
        if a.ip == net.broadcast_address:
            raise errors.amazon_address_broadcast()
        if c.ip in (net.network_address, net.broadcast_address):
            raise ClientError("Customer Address must be a host address on its subnet.")
    if net.prefixlen == 32:
        raise ClientError("amazonAddress and customerAddress need a prefix of /31 or shorter.")
    if a.ip == c.ip:
        raise ClientError("Amazon Address and Customer Address must differ.")
    return str(a), str(c)


def allocate_ipv4(tx: Tx, account: str, region: str) -> tuple[str, str]:
    """A free /30 from 169.254.0.0/16 for this account and region: (.1 Amazon, .2 customer)."""
    for _ in range(64):
        block = 64 + secrets.randbelow(_LINK_LOCAL_BLOCKS - 128)  # skip 169.254.0/24, .255/24
        base = int(ipaddress.IPv4Address("169.254.0.0")) + block * 4
        key = f"{account}:{region}:{ipaddress.IPv4Address(base)}"
        if tx.get("ipv4Block", key) is None:
            tx.insert("ipv4Block", key, {"block": key}, account=account, region=region)
            return (
                f"{ipaddress.IPv4Address(base + 1)}/30",
                f"{ipaddress.IPv4Address(base + 2)}/30",
            )
    raise ClientError("No free 169.254.0.0/16 /30 is left for automatic assignment.")


def release_ipv4(tx: Tx, account: str, region: str, amazon_address: str) -> None:
    try:
        net = ipaddress.ip_interface(amazon_address).network
    except ValueError:
        return
    if net.prefixlen == 30 and net.subnet_of(ipaddress.ip_network("169.254.0.0/16")):
        tx.delete("ipv4Block", f"{account}:{region}:{net.network_address}")


def allocate_ipv6() -> tuple[str, str]:
    """A /125 from the pool: Amazon on the first host, the customer on the sixth (as AWS's
    sample assigns ``…:4211/125`` and ``…:4216/125``)."""
    span = _V6_POOL.num_addresses // 8
    base = int(_V6_POOL.network_address) + secrets.randbelow(span) * 8
    return (f"{ipaddress.IPv6Address(base + 1)}/125", f"{ipaddress.IPv6Address(base + 6)}/125")


def same_address(a: str, b: str) -> bool:
    """Compare addresses given with or without a prefix length."""
    try:
        return ipaddress.ip_interface(a).ip == ipaddress.ip_interface(b).ip
    except ValueError:
        return a == b
