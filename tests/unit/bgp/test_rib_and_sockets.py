"""Adj-RIB-In/Out behaviour and the TCP-MD5 socket option layout (no network)."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest

from dxlocal.bgp.rib import AdjRibIn, parse_prefixes
from dxlocal.bgp.session import router_id_for
from dxlocal.bgp.sockets import NetnsSockets, connecting_socket, listening_socket, md5sig
from dxlocal.bgp.speaker import PeerSpec
from dxlocal.bgp.wire import AS_SEQUENCE, Attributes, MpReach, MpUnreach, Update

net = ipaddress.ip_network
OWN = 4200000000


def ann(prefixes: list[str], path: tuple[int, ...], communities: tuple[int, ...] = ()) -> Update:
    attrs = Attributes(
        origin=0,
        as_path=((AS_SEQUENCE, path),),
        next_hop="169.254.10.2",
        communities=communities,
    )
    return Update(attributes=attrs, nlri=tuple(net(p) for p in prefixes))  # type: ignore[arg-type]


def test_accept_withdraw_and_shape() -> None:
    rib = AdjRibIn(OWN)
    rib.apply(ann(["192.0.2.0/24", "198.51.100.0/24"], (4200000001,), (0xFDE80064,)))
    first = rib.to_dicts()[0]
    assert first.pop("installedAt") > 0
    assert first == {
        "prefix": "192.0.2.0/24",
        "nextHop": "169.254.10.2",
        "asPath": [4200000001],
        "origin": "igp",
        "communities": ["65000:100"],
    }
    rib.apply(Update(withdrawn=(net("192.0.2.0/24"),)))  # type: ignore[arg-type]
    assert [r["prefix"] for r in rib.to_dicts()] == ["198.51.100.0/24"]


def test_own_asn_paths_are_dropped_and_replace_earlier_route() -> None:
    rib = AdjRibIn(OWN)
    rib.apply(ann(["192.0.2.0/24"], (4200000001,)))
    rib.apply(ann(["192.0.2.0/24", "10.100.0.0/16"], (4200000001, OWN)))
    assert len(rib) == 0
    assert rib.dropped_own_as == 2


def test_ipv6_mp_reach_and_unreach() -> None:
    rib = AdjRibIn(OWN)
    reach = MpReach(2, 1, ("2001:db8::2", "fe80::2"), (net("2001:db8:aaaa::/48"),))
    attrs = Attributes(origin=0, as_path=((AS_SEQUENCE, (4200000001,)),), mp_reach=reach)
    rib.apply(Update(attributes=attrs))
    assert rib.to_dicts()[0]["nextHop"] == "2001:db8::2"
    rib.apply(
        Update(attributes=Attributes(mp_unreach=MpUnreach(2, 1, (net("2001:db8:aaaa::/48"),))))
    )
    assert len(rib) == 0
    rib.apply(Update.end_of_rib(2, 1))
    assert rib.end_of_rib == {(2, 1)}


def test_parse_prefixes_filters_family() -> None:
    got = parse_prefixes(("10.0.0.1/8", "2001:db8::/32", "10.0.0.0/8"), 4)
    assert got == [net("10.0.0.0/8")]


def test_md5sig_struct_layout() -> None:
    raw = md5sig("169.254.10.2", b"s3cret")
    assert len(raw) == 216
    assert struct.unpack("=H", raw[:2])[0] == socket.AF_INET
    assert raw[4:8] == bytes([169, 254, 10, 2])
    assert struct.unpack("=BBHi", raw[128:136]) == (0, 0, 6, 0)
    assert raw[136:142] == b"s3cret"
    raw6 = md5sig("2001:db8::2", b"k")
    assert struct.unpack("=H", raw6[:2])[0] == socket.AF_INET6
    assert raw6[8:24] == ipaddress.ip_address("2001:db8::2").packed


def test_router_id_derivation() -> None:
    base = dict(key="k", local_asn=1, remote_asn=2, md5_key=None)
    v4 = PeerSpec(
        family="ipv4", local_address="169.254.10.1", remote_address="169.254.10.2", **base
    )
    v6 = PeerSpec(family="ipv6", local_address="2001:db8::1", remote_address="2001:db8::2", **base)
    assert router_id_for(v4) == "169.254.10.1"
    assert router_id_for(v6) == "0.0.0.1"
    v6_zero = PeerSpec(family="ipv6", local_address="2001:db8::", remote_address="::1", **base)
    assert router_id_for(v6_zero) not in ("0.0.0.0", "255.255.255.255")


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_session_sockets_send_with_ttl_1(address: str) -> None:
    """Single-hop eBGP: the listener, the connection it accepts and the one we dial all
    carry TTL / hop limit 1 (read back from the sockets)."""
    factory = NetnsSockets(None)
    lsock = listening_socket(factory, address, 0)
    dialed = connecting_socket(factory, address, address, None)
    v6 = ":" in address
    level, opt = (
        (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS)
        if v6
        else (socket.IPPROTO_IP, socket.IP_TTL)
    )
    try:
        dialed.setblocking(True)
        dialed.connect(lsock.getsockname()[:2])
        lsock.setblocking(True)
        accepted, _ = lsock.accept()
        with accepted:
            for sock in (lsock, dialed, accepted):
                assert sock.getsockopt(level, opt) == 1
    finally:
        dialed.close()
        lsock.close()
