"""Graceful restart, receiving speaker (RFC 4724 §4.2), on the in-memory transport and a
manual clock: the customer's routes outlive its restart for the restart time."""

from __future__ import annotations

from fakepeer import PEER_ID_HIGH, Rig, announce, drive, rig

from dxlocal.bgp.fsm import State
from dxlocal.bgp.wire import Capability, Keepalive, Open, Update

GR_CAP = 64


def caps(restart: int | None = 120, forwarding: bool = True) -> tuple[Capability, ...]:
    base = (Capability.multiprotocol(1, 1), Capability.four_octet_as(65000))
    if restart is None:
        return base
    return (*base, Capability.graceful_restart(restart, ((1, 1, forwarding),)))


async def up_with_routes(r: Rig, restart: int | None = 120, count: int = 2) -> None:
    peer = await r.opensent()
    peer.send_open(caps=caps(restart))
    peer.send(Keepalive())
    await r.settle()
    assert r.state is State.ESTABLISHED
    for u in announce(count):
        peer.send(u)
    peer.send(Update.end_of_rib())
    await r.settle()
    assert len(r.session.rib_in) == count


async def come_back(r: Rig, forwarding: bool = True) -> None:
    """The router is back: our retry connects, OPEN + KEEPALIVE, Established."""
    await r.advance(2.0)  # connect retry
    peer = r.dialer.peer
    peer.send_open(caps=caps(120, forwarding), bgp_id=PEER_ID_HIGH)
    peer.send(Keepalive())
    await r.settle()
    assert r.state is State.ESTABLISHED, r.session.last_error


def prefixes(r: Rig) -> set[str]:
    return {str(p) for p in r.session.rib_in.routes}


def test_our_open_advertises_graceful_restart_120s_for_our_family() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        gr = peer.messages[0].graceful_restart
        assert isinstance(peer.messages[0], Open) and gr is not None
        assert (gr.restart_time, gr.restarting, gr.families) == (120, False, {(1, 1): False})

    drive(t)


def test_routes_kept_while_the_customer_restarts_then_refreshed_at_end_of_rib() -> None:
    async def t() -> None:
        r = rig()
        await up_with_routes(r)
        r.dialer.peer.hang_up()  # TCP closed, no NOTIFICATION: the router restarts
        await r.settle()
        assert r.state is not State.ESTABLISHED and r.changes[-1][0] == "down"
        assert len(r.session.rib_in) == 2 and r.session.retained_until is not None
        assert r.session.graceful_restart_info()["staleRoutes"] == 2
        await come_back(r)
        assert len(r.session.rib_in) == 2  # still stale, until End-of-RIB
        peer = r.dialer.peer
        peer.send(announce(1)[0])  # only the first prefix again
        await r.settle()
        assert len(r.session.rib_in.stale) == 1
        peer.send(Update.end_of_rib())
        await r.settle()
        assert prefixes(r) == {"172.16.0.0/24"} and r.session.retained_until is None

    drive(t)


def test_routes_dropped_when_the_restart_time_runs_out() -> None:
    async def t() -> None:
        r = rig()
        await up_with_routes(r, restart=30)
        r.dialer.mode = "refuse"
        r.dialer.peer.hang_up()
        await r.settle()
        await r.advance(29)
        assert len(r.session.rib_in) == 2  # the peer's own restart time: 30 s
        await r.advance(1.5)
        assert len(r.session.rib_in) == 0 and r.session.retained_until is None

    drive(t)


def test_back_without_forwarding_state_drops_the_stale_routes_at_once() -> None:
    async def t() -> None:
        r = rig()
        await up_with_routes(r)
        r.dialer.peer.hang_up()
        await r.settle()
        await come_back(r, forwarding=False)
        assert len(r.session.rib_in) == 0

    drive(t)


def test_no_retention_without_the_capability_or_after_a_notification() -> None:
    async def t() -> None:
        r = rig()
        await up_with_routes(r, restart=None)
        r.dialer.peer.hang_up()
        await r.settle()
        assert len(r.session.rib_in) == 0 and r.session.retained_until is None
        r2 = rig()
        await up_with_routes(r2)
        r2.session.path_down("BFD down")  # our NOTIFICATION: not a restart (RFC 4724 §4.2)
        await r2.settle()
        assert len(r2.session.rib_in) == 0

    drive(t)
