"""Every state of one BGP session (RFC 4271 §8) on an in-memory transport and a manual clock.

No sockets, no daemon, no real waiting: timers are expired by moving a ``ManualClock``, the
peer is a script (``fakepeer.py``) that sends bytes through the session's real framing and
codec. Malformed input from each class of RFC 4271 §6.1-6.3 (plus FSM errors, RFC 6608, and
ROUTE-REFRESH, RFC 7313 §5) must end the session with that NOTIFICATION on the wire. dxlocal
does not apply RFC 7606's treat-as-withdraw: every malformed UPDATE resets the session
(docs/behavior.md#live-bgp).
"""

from __future__ import annotations

import ipaddress
import struct

import pytest
from fakepeer import (
    LOCAL_ADDR,
    LOCAL_ASN,
    PEER_ID_HIGH,
    PEER_ID_LOW,
    FakePeer,
    announce,
    drive,
    rig,
)

from dxlocal.bgp.fsm import State
from dxlocal.bgp.wire import (
    Capability,
    Keepalive,
    Notification,
    Open,
    RouteRefresh,
    Update,
)

MARKER = b"\xff" * 16
ORIGIN = bytes.fromhex("40010100")
AS_PATH = bytes.fromhex("40020602010000fde8")  # AS_SEQUENCE 65000, 4-octet
NEXT_HOP = bytes.fromhex("400304a9fe0a02")  # 169.254.10.2
NLRI = bytes.fromhex("18c00002")  # 192.0.2.0/24


def msg(msg_type: int, body: bytes, length: int | None = None) -> bytes:
    size = length if length is not None else 19 + len(body)
    return MARKER + struct.pack("!HB", size, msg_type) + body


def update(attrs: bytes, nlri: bytes = b"") -> bytes:
    return msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri)


def open_msg(version: int = 4, my_as: int = 65000, hold: int = 90, ident: str = "c00002c8",
             params: bytes | None = None) -> bytes:  # fmt: skip
    if params is None:  # multiprotocol IPv4 unicast + 4-octet AS 65000
        params = bytes.fromhex("020c") + bytes.fromhex("010400010001" + "41040000fde8")
    body = struct.pack("!BHH", version, my_as, hold) + bytes.fromhex(ident)
    return msg(1, body + bytes([len(params)]) + params)


def history(session) -> list[str]:  # type: ignore[no-untyped-def]
    return [dst.value for _, _, dst in session.fsm.history]


# -- opening the session ------------------------------------------------------------------
def test_active_open_exchange_reaches_established() -> None:
    async def t() -> None:
        r = rig()
        r.session.start()
        await r.settle()
        assert r.dialer.attempts == 1 and r.state is State.OPENSENT
        peer = r.dialer.peer
        ours = peer.messages[0]
        assert isinstance(ours, Open)
        assert (ours.asn, ours.hold_time, ours.bgp_id) == (LOCAL_ASN, 90, LOCAL_ADDR)
        assert ours.four_octet_asn == LOCAL_ASN and (1, 1) in ours.families
        peer.send_open(hold=30)
        await r.settle()
        assert r.state is State.OPENCONFIRM
        assert isinstance(peer.messages[-1], Keepalive)
        assert r.changes == []
        peer.send(Keepalive())
        await r.settle()
        assert r.state is State.ESTABLISHED
        assert r.session.hold_time == 30  # the lower of 90 and 30 (§4.2)
        assert r.changes == [("up", "established")]
        updates = peer.sent(Update)
        assert updates[0].nlri == (ipaddress.ip_network("10.0.0.0/16"),)
        assert updates[-1].end_of_rib_family() == (1, 1)
        assert history(r.session) == ["Connect", "OpenSent", "OpenConfirm", "Established"]
        assert r.session.last_setup_seconds == 0.0  # no time passed on the manual clock

    drive(t)


def test_passive_open_waits_for_the_peer() -> None:
    async def t() -> None:
        r = rig(passive=True)
        r.session.start()
        await r.advance(60)
        assert r.state is State.ACTIVE and r.dialer.attempts == 0
        peer = FakePeer()
        assert r.session.offer(peer.connection())
        await r.settle()
        assert r.state is State.OPENSENT and isinstance(peer.messages[0], Open)
        peer.send_open()
        peer.send(Keepalive())
        await r.settle()
        assert r.state is State.ESTABLISHED

    drive(t)


def test_incoming_connection_while_dialing_is_taken_up() -> None:
    async def t() -> None:
        r = rig(mode="hang")
        r.session.start()
        await r.settle()
        assert r.state is State.CONNECT
        peer = FakePeer()
        r.session.offer(peer.connection())
        await r.settle()
        assert r.state is State.OPENSENT and isinstance(peer.messages[0], Open)
        peer.send_open()
        peer.send(Keepalive())
        await r.settle()
        assert r.state is State.ESTABLISHED
        assert history(r.session) == ["Connect", "OpenSent", "OpenConfirm", "Established"]

    drive(t)


def test_connection_lost_in_opensent_falls_back_to_active() -> None:
    async def t() -> None:
        r = rig()
        (await r.opensent()).hang_up()
        await r.settle()
        assert r.state is State.ACTIVE  # §8.2.2: TcpConnectionFails in OpenSent
        await r.advance(2.0)  # ConnectRetryTimer: dial again
        assert r.state is State.OPENSENT and r.dialer.attempts == 2

    drive(t)


def test_offer_to_a_stopped_session_is_refused() -> None:
    async def t() -> None:
        r = rig()
        assert not r.session.offer(FakePeer().connection())

    drive(t)


# -- timers ----------------------------------------------------------------------------------
def test_hold_timer_expiry_sends_notification_and_goes_down() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish(hold=9)
        assert r.session.hold_time == 9
        await r.advance(8)
        peer.send(Keepalive())  # restarts the hold timer
        await r.advance(8.5)
        assert r.state is State.ESTABLISHED
        await r.advance(1)  # 9 s of silence
        assert peer.notification == Notification(4, 0)
        assert peer.closed and r.state is State.IDLE
        assert r.changes[-1][0] == "down" and "4/0" in r.session.last_error

    drive(t)


def test_any_message_restarts_the_hold_timer() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish(hold=9)
        for _ in range(5):
            await r.advance(8)
            peer.send(announce(1)[0])
        assert r.state is State.ESTABLISHED

    drive(t)


def test_keepalives_every_third_of_the_hold_time() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish(hold=9)
        before = len(peer.sent(Keepalive))
        await r.advance(2.9)
        assert len(peer.sent(Keepalive)) == before
        await r.advance(0.2)
        assert len(peer.sent(Keepalive)) == before + 1
        peer.send(Keepalive())
        await r.advance(6)
        assert len(peer.sent(Keepalive)) == before + 3

    drive(t)


def test_peer_hold_time_zero_is_refused_as_direct_connect_does() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        peer.send_open(hold=0)
        await r.settle()
        assert peer.notification == Notification(2, 6) and r.state is State.IDLE

    drive(t)


def test_our_hold_time_zero_means_no_keepalives_and_no_hold_timer() -> None:
    async def t() -> None:
        r = rig(hold_time=0)
        peer = await r.establish(hold=90)
        assert r.session.hold_time == 0
        keepalives = len(peer.sent(Keepalive))
        await r.advance(3600)
        assert r.state is State.ESTABLISHED
        assert len(peer.sent(Keepalive)) == keepalives

    drive(t)


def test_opensent_waits_four_minutes_for_the_peer_open() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        await r.advance(239)
        assert r.state is State.OPENSENT
        await r.advance(2)
        assert peer.notification == Notification(4, 0) and r.state is State.IDLE

    drive(t)


def test_openconfirm_hold_timer_uses_the_negotiated_time() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        peer.send_open(hold=9)
        await r.advance(8.9)
        assert r.state is State.OPENCONFIRM
        await r.advance(0.2)
        assert peer.notification == Notification(4, 0) and r.state is State.IDLE

    drive(t)


def test_refused_connection_retries_after_connect_retry() -> None:
    async def t() -> None:
        r = rig(mode="refuse")
        r.session.start()
        await r.settle()
        assert r.dialer.attempts == 1 and r.state is State.ACTIVE
        assert "refused" in r.session.last_error
        await r.advance(1.9)
        assert r.dialer.attempts == 1
        await r.advance(0.2)
        assert r.dialer.attempts == 2
        r.dialer.mode = "accept"
        await r.advance(2.0)
        assert r.dialer.attempts == 3 and r.state is State.OPENSENT

    drive(t)


def test_connect_retry_timer_restarts_a_hanging_dial() -> None:
    async def t() -> None:
        r = rig(mode="hang")
        r.session.start()
        await r.settle()
        assert r.state is State.CONNECT and r.dialer.attempts == 1
        await r.advance(2.1)
        assert r.state is State.CONNECT and r.dialer.attempts == 2
        await r.advance(2.0)
        assert r.dialer.attempts == 3

    drive(t)


def test_after_a_drop_idle_refuses_connections_until_connect_retry() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        peer.hang_up()
        await r.settle()
        assert r.state is State.IDLE and r.changes[-1][0] == "down"
        assert "closed" in r.session.last_error
        early = FakePeer()
        assert r.session.offer(early.connection())
        await r.advance(1.9)
        assert early.closed and early.messages == [] and r.dialer.attempts == 1
        await r.advance(0.2)
        assert r.dialer.attempts == 2 and r.state is State.OPENSENT

    drive(t)


@pytest.mark.parametrize("stage", ["openconfirm", "establish"])
def test_peer_notification_ends_the_session_without_an_answer(stage: str) -> None:
    async def t() -> None:
        r = rig()
        peer = await getattr(r, stage)()
        peer.send(Notification(6, 2))
        await r.settle()
        assert r.state is State.IDLE and peer.notification is None
        assert "6/2" in r.session.last_error
        assert r.changes == (
            []
            if stage == "openconfirm"
            else [("up", "established"), ("down", r.session.last_error)]
        )

    drive(t)


async def _stop(r, peer) -> None:  # type: ignore[no-untyped-def]
    await r.session.stop(Notification(6, 2), "administratively down")
    assert peer.notification == Notification(6, 2) and peer.closed
    assert r.state is State.IDLE and not r.session.running


def test_stop_sends_cease_administrative_shutdown() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        await _stop(r, peer)
        assert r.changes[-1] == ("down", "administratively down")

    drive(t)


# -- collisions (§6.8) -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("peer_id", "survivor"),
    [(PEER_ID_HIGH, "incoming"), (PEER_ID_LOW, "dialed")],
    ids=["peer-id-higher", "peer-id-lower"],
)
def test_collision_keeps_the_connection_of_the_higher_identifier(
    peer_id: str, survivor: str
) -> None:
    async def t() -> None:
        r = rig()
        dialed, incoming = await r.opensent(), FakePeer()
        assert r.session.offer(incoming.connection())
        await r.settle()
        assert isinstance(incoming.messages[0], Open)  # a candidate gets our OPEN too
        for peer in (dialed, incoming):
            peer.send_open(bgp_id=peer_id)
        await r.settle()
        keep, lose = (incoming, dialed) if survivor == "incoming" else (dialed, incoming)
        assert lose.notification == Notification(6, 7) and lose.closed
        assert not keep.closed and r.state is State.OPENCONFIRM
        keep.send(Keepalive())
        await r.settle()
        assert r.state is State.ESTABLISHED
        assert r.session.established_count == 1

    drive(t)


def test_connection_while_established_is_refused_with_collision_cease() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        late = FakePeer()
        r.session.offer(late.connection())
        await r.settle()
        assert late.notification == Notification(6, 7) and late.closed
        assert r.state is State.ESTABLISHED and not peer.closed

    drive(t)


# -- routes -----------------------------------------------------------------------------------
def test_max_prefixes_ceases_and_holds_off_for_connect_retry() -> None:
    async def t() -> None:
        r = rig(max_prefixes=3)
        peer = await r.establish()
        for u in announce(3):
            peer.send(u)
        await r.settle()
        assert len(r.session.rib_in) == 3 and r.state is State.ESTABLISHED
        peer.send(announce(1, base="172.31.0.0")[0])
        await r.settle()
        # RFC 4486 §4: AFI, SAFI and the limit as data.
        assert peer.notification == Notification(6, 1, struct.pack("!HBI", 1, 1, 3))
        assert r.state is State.IDLE and len(r.session.rib_in) == 0
        assert r.changes[-1][0] == "down"
        await r.advance(1.9)
        assert r.dialer.attempts == 1
        await r.advance(0.2)
        assert r.dialer.attempts == 2

    drive(t)


def test_paths_through_our_own_asn_are_dropped() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        # AS_SEQUENCE 65000 64512: our own ASN in the path (RFC 4271 §9.1.2).
        looped = bytes.fromhex("40020a02020000fde8") + struct.pack("!I", LOCAL_ASN)
        peer.send(update(ORIGIN + looped + NEXT_HOP, NLRI))
        peer.send(announce(1)[0])
        await r.settle()
        assert [r_["prefix"] for r_ in r.session.rib_in.to_dicts()] == ["172.16.0.0/24"]

    drive(t)


def test_route_refresh_reannounces_and_spec_change_readvertises() -> None:
    async def t() -> None:
        import dataclasses

        r = rig()
        peer = await r.establish()
        first = len(peer.sent(Update))
        peer.send(RouteRefresh(1, 1))
        await r.settle()
        again = peer.sent(Update)[first:]
        assert [u.nlri for u in again] == [(ipaddress.ip_network("10.0.0.0/16"),)]
        r.session.update_spec(dataclasses.replace(r.session.spec, advertise=("10.9.0.0/16",)))
        await r.settle()
        last = peer.sent(Update)[-2:]
        assert {p for u in last for p in u.withdrawn} == {ipaddress.ip_network("10.0.0.0/16")}
        assert {p for u in last for p in u.nlri} == {ipaddress.ip_network("10.9.0.0/16")}
        assert r.session.established_count == 1

    drive(t)


# -- malformed input: one NOTIFICATION per class ------------------------------------------
ESTABLISHED_INPUTS = [
    # §6.1 message header
    pytest.param(b"\x00" + msg(4, b"")[1:], (1, 1), id="header-marker"),
    pytest.param(MARKER + struct.pack("!HB", 18, 4), (1, 2), id="header-length-short"),
    pytest.param(MARKER + struct.pack("!HB", 4097, 2), (1, 2), id="header-length-long"),
    pytest.param(msg(4, b"\x00"), (1, 2), id="header-keepalive-with-body"),
    pytest.param(msg(9, b""), (1, 3), id="header-type"),
    # §6.3 UPDATE
    pytest.param(msg(2, b"\x00\x10\x00\x00"), (3, 1), id="update-withdrawn-overrun"),
    pytest.param(update(ORIGIN + ORIGIN + AS_PATH + NEXT_HOP, NLRI), (3, 1), id="update-dup"),
    # RFC 7606 §3(g): MP_UNREACH_NLRI twice is still a session reset (Malformed Attribute List)
    pytest.param(update(bytes.fromhex("800f03000201" * 2)), (3, 1), id="update-mp-unreach-twice"),
    pytest.param(update(bytes.fromhex("406301ff")), (3, 2), id="update-unknown-well-known"),
    pytest.param(update(AS_PATH + NEXT_HOP, NLRI), (3, 3), id="update-missing-origin"),
    pytest.param(update(ORIGIN + AS_PATH, NLRI), (3, 3), id="update-missing-next-hop"),
    pytest.param(
        update(bytes.fromhex("c0010100") + AS_PATH + NEXT_HOP, NLRI), (3, 4), id="update-flags"
    ),
    pytest.param(
        update(bytes.fromhex("4001020000") + AS_PATH + NEXT_HOP, NLRI), (3, 5), id="update-length"
    ),
    pytest.param(
        update(bytes.fromhex("40010103") + AS_PATH + NEXT_HOP, NLRI), (3, 6), id="update-origin"
    ),
    pytest.param(
        update(ORIGIN + AS_PATH + bytes.fromhex("400304e0000005"), NLRI),
        (3, 8),
        id="update-next-hop",
    ),
    pytest.param(
        update(ORIGIN + AS_PATH + bytes.fromhex("800e0d0002010820010db8000000000000")),
        (3, 9),
        id="update-optional-attribute",
    ),
    pytest.param(
        update(ORIGIN + AS_PATH + NEXT_HOP, bytes.fromhex("21c0000200")),
        (3, 10),
        id="update-network-field",
    ),
    pytest.param(
        update(ORIGIN + bytes.fromhex("4002060501fa56ea01") + NEXT_HOP, NLRI),
        (3, 11),
        id="update-as-path",
    ),
    # RFC 6608: an OPEN once Established; RFC 7313 §5: a short ROUTE-REFRESH
    pytest.param(open_msg(), (5, 3), id="fsm-open-in-established"),
    pytest.param(msg(5, b"\x00\x01\x00\x01\x00"), (7, 1), id="route-refresh-length"),
]


@pytest.mark.parametrize(("data", "expected"), ESTABLISHED_INPUTS)
def test_malformed_input_when_established(data: bytes, expected: tuple[int, int]) -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        peer.send(data)
        await r.settle()
        note = peer.notification
        assert note is not None and (note.code, note.subcode) == expected
        assert peer.closed and r.state is State.IDLE
        assert r.changes[-1][0] == "down"
        assert f"{expected[0]}/{expected[1]}" in r.session.last_error

    drive(t)


OPEN_INPUTS = [
    # §6.2 OPEN
    pytest.param(open_msg(version=3), (2, 1), id="open-version"),
    pytest.param(
        open_msg(my_as=65001, params=bytes.fromhex("02064104" + "0000fde9")), (2, 2), id="open-as"
    ),
    pytest.param(open_msg(ident="00000000"), (2, 3), id="open-identifier-zero"),
    pytest.param(open_msg(ident="e0000001"), (2, 3), id="open-identifier-multicast"),
    pytest.param(open_msg(params=b"\x01\x02ab"), (2, 4), id="open-optional-parameter"),
    pytest.param(open_msg(hold=2), (2, 6), id="open-hold-time"),
    pytest.param(
        open_msg(params=bytes.fromhex("02060104" + "00010001")), (2, 7), id="open-no-4-octet-as"
    ),
    pytest.param(open_msg(params=b"\x02"), (2, 0), id="open-truncated-parameters"),
    # RFC 6608: anything but OPEN (or NOTIFICATION) in OpenSent
    pytest.param(Keepalive().encode(), (5, 1), id="fsm-keepalive-in-opensent"),
    pytest.param(update(ORIGIN + AS_PATH + NEXT_HOP, NLRI), (5, 1), id="fsm-update-in-opensent"),
]


@pytest.mark.parametrize(("data", "expected"), OPEN_INPUTS)
def test_malformed_input_in_opensent(data: bytes, expected: tuple[int, int]) -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        peer.send(data)
        await r.settle()
        note = peer.notification
        assert note is not None and (note.code, note.subcode) == expected
        assert peer.closed and r.state is State.IDLE
        assert r.changes == []  # never came up

    drive(t)


def test_update_in_openconfirm_is_an_fsm_error() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.openconfirm()
        peer.send(update(ORIGIN + AS_PATH + NEXT_HOP, NLRI))
        await r.settle()
        assert peer.notification == Notification(5, 2) and r.state is State.IDLE

    drive(t)


def test_open_without_four_octet_as_carries_our_capability_as_data() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        peer.send_open(caps=(Capability.multiprotocol(1, 1),))
        await r.settle()
        assert peer.notification == Notification(2, 7, Capability.four_octet_as(LOCAL_ASN).encode())

    drive(t)


def test_session_recovers_after_a_malformed_message() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish()
        peer.send(msg(9, b""))
        await r.settle()
        assert r.state is State.IDLE
        await r.advance(2.0)
        again = r.dialer.peer
        assert again is not peer and r.state is State.OPENSENT
        again.send_open()
        again.send(Keepalive())
        await r.settle()
        assert r.state is State.ESTABLISHED and r.session.established_count == 2

    drive(t)


def test_up_seconds_count_from_established_on_the_session_clock() -> None:
    async def t() -> None:
        r = rig()
        assert r.session.up_seconds is None
        peer = await r.establish()
        await r.advance(10.0)
        assert r.session.up_seconds == 10.0
        peer.send(msg(9, b""))
        await r.settle()
        assert r.session.up_seconds is None

    drive(t)


def test_bfd_down_ends_an_established_session_with_cease_bfd_down() -> None:
    async def t() -> None:
        r = rig()
        peer = await r.establish(hold=90)
        r.session.path_down("BFD down (Detection expired)")
        await r.settle()
        assert peer.notification == Notification(6, 10)  # RFC 9384
        assert peer.closed and r.state is State.IDLE
        assert r.changes[-1][0] == "down" and "6/10" in r.session.last_error

    drive(t)


@pytest.mark.parametrize(("offered", "negotiated"), [(240, 90), (90, 90), (30, 30), (3, 3)])
def test_hold_time_90_offered_and_negotiated_down_to_the_customers(
    offered: int, negotiated: int
) -> None:
    """Direct Connect offers 90 s and takes the customer's lower value, down to 3 s (user
    guide "BGP-specific settings"); 1 and 2 (RFC 4271 §6.2) and 0 are refused with 2/6."""

    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        assert peer.messages[0].hold_time == 90
        peer.send_open(hold=offered)
        await r.settle()
        assert r.session.hold_time == negotiated and r.state is State.OPENCONFIRM

    drive(t)


@pytest.mark.parametrize("offered", [0, 1, 2])
def test_hold_time_below_3_is_refused(offered: int) -> None:
    async def t() -> None:
        r = rig()
        peer = await r.opensent()
        peer.send_open(hold=offered)
        await r.settle()
        assert peer.notification == Notification(2, 6) and r.state is not State.ESTABLISHED

    drive(t)
