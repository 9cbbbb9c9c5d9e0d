"""BFD control packets and one session's state machine (RFC 5880) on a manual clock.

The "remote" here is a second ``bfd.Session`` in the active role, so the two sides exchange
real encoded packets; time is a number both are handed.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from dxlocal.bgp import bfd
from dxlocal.bgp.bfd import BadPacket, Diag, Packet, State

Session = bfd.Session


def new(discr: int = 7) -> Session:
    return Session(discr, rng=random.Random(1))


def customer(discr: int = 99, interval: float = 0.3, mult: int = 3) -> Session:
    """A router that speaks first (active role)."""
    s = Session(discr, min_interval=interval, multiplier=mult, rng=random.Random(2))
    s.active = True
    s.next_tx = 0.0
    return s


def wire(pkt: Packet) -> Packet:
    return Packet.decode(pkt.encode())


def exchange(a: Session, b: Session, now: float) -> None:
    """One packet each way, through the codec."""
    b.receive(wire(a.packet(now)), now)
    a.receive(wire(b.packet(now)), now)


# -- codec --------------------------------------------------------------------------------
def test_packet_round_trip_and_layout() -> None:
    pkt = Packet(State.UP, 0x01020304, 0x0A0B0C0D, Diag.DETECTION_EXPIRED, 3, 300_000,
                 300_000, poll=True)  # fmt: skip
    data = pkt.encode()
    assert len(data) == 24
    assert data[0] == (1 << 5) | 1  # version 1, diag 1
    assert data[1] == (3 << 6) | 0x20  # Up, Poll
    assert data[2:4] == bytes([3, 24])
    assert data[4:8] == bytes.fromhex("01020304")
    assert Packet.decode(data) == pkt


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"version": 0}, "version"),
        ({"detect_mult": 0}, "multiplier"),
        ({"my_discriminator": 0}, "my discriminator"),
        ({"multipoint": True}, "multipoint"),
        ({"authentication": True}, "authentication"),
    ],
)
def test_packets_the_rfc_discards(change: dict, why: str) -> None:
    data = dataclasses.replace(Packet(State.DOWN, 5), **change).encode()
    with pytest.raises(BadPacket, match=why):
        Packet.decode(data)


def test_short_or_lying_length_is_discarded() -> None:
    data = Packet(State.DOWN, 5).encode()
    with pytest.raises(BadPacket):
        Packet.decode(data[:20])
    with pytest.raises(BadPacket):
        Packet.decode(data[:3] + bytes([40]) + data[4:])


# -- state machine --------------------------------------------------------------------------
def test_passive_until_the_customer_speaks() -> None:
    ours = new()
    assert not ours.active and ours.next_deadline() is None and ours.state is State.DOWN


def test_three_way_handshake_to_up_then_fast_timers_by_poll() -> None:
    ours, theirs = new(), customer()
    # Customer Down -> ours goes Init and answers at once; customer goes Up; then ours Up.
    change = ours.receive(wire(theirs.packet(0.0)), 0.0)
    assert change == bfd.Change(State.DOWN, State.INIT, Diag.NONE)
    assert ours.active and ours.next_tx == 0.0
    theirs.receive(wire(ours.packet(0.0)), 0.0)
    assert theirs.state is State.UP
    change = ours.receive(wire(theirs.packet(0.01)), 0.01)
    assert change is not None and change.new is State.UP and ours.up_count == 1
    # Up: 300 ms desired, announced by a Poll that the customer answers with Final.
    assert ours.desired_min_tx == 0.3 and ours.polling
    # The customer polled for its own new rate: answered first, Final and never Poll with it.
    first = ours.packet(0.015)
    assert first.final and not first.poll
    pkt = ours.packet(0.02)
    assert pkt.poll and pkt.desired_min_tx == 300_000 and pkt.your_discriminator == 99
    theirs.receive(wire(pkt), 0.02)
    answer = theirs.packet(0.02)
    assert answer.final and not answer.poll
    ours.receive(wire(answer), 0.02)
    assert not ours.polling and not ours.packet(0.03).poll
    assert ours.tx_interval == pytest.approx(0.3)
    assert ours.detection_time == pytest.approx(0.9)  # 3 x max(300 ms, 300 ms)


def test_detection_time_uses_the_slower_side() -> None:
    ours, theirs = new(), customer(interval=0.5, mult=5)
    for t in (0.0, 0.01, 0.02):
        exchange(theirs, ours, t)
    assert ours.state is State.UP
    # remote multiplier 5 x max(our 300 ms RX, their 500 ms TX); we send at their 500 ms RX.
    assert ours.detection_time == pytest.approx(2.5)
    assert ours.tx_interval == pytest.approx(0.5)
    assert ours.info()["detectionTimeMs"] == 2500


def test_jitter_stays_within_75_to_100_percent() -> None:
    ours, theirs = new(), customer()
    for t in (0.0, 0.01, 0.02):
        exchange(theirs, ours, t)
    gaps = []
    for _ in range(200):
        ours.packet(10.0)
        assert ours.next_tx is not None
        gaps.append(ours.next_tx - 10.0)
    assert min(gaps) >= 0.225 and max(gaps) <= 0.3 and max(gaps) - min(gaps) > 0.03


def up_pair() -> tuple[Session, Session]:
    ours, theirs = new(), customer()
    for t in (0.0, 0.01, 0.02, 0.03, 0.04):  # up, then both Poll Sequences finished
        exchange(theirs, ours, t)
    assert ours.state is theirs.state is State.UP
    assert not (ours.polling or theirs.polling or ours.send_final or theirs.send_final)
    return ours, theirs


def test_silence_for_the_detection_time_takes_the_session_down() -> None:
    ours, theirs = up_pair()
    last = 0.02
    ours.receive(wire(theirs.packet(last)), last)
    assert ours.detect_deadline == pytest.approx(last + 0.9)
    assert ours.expire(last + 0.89) is None and ours.state is State.UP
    change = ours.expire(last + 0.9)
    assert change == bfd.Change(State.UP, State.DOWN, Diag.DETECTION_EXPIRED)
    # Back to the passive role, the remote forgotten, 1 s pace when it comes back.
    assert ours.remote_discr == 0 and not ours.active and ours.next_tx is None
    assert ours.desired_min_tx == 1.0 and ours.info()["lastDownReason"] == "Detection expired"


def test_recovers_after_a_freeze() -> None:
    ours, theirs = up_pair()
    ours.expire(5.0)
    # The customer, unfrozen, still believes it is Up: its packets carry our old
    # discriminator. Up while we are Down keeps us Down; our Down packet brings it down too.
    assert ours.receive(wire(theirs.packet(6.0)), 6.0) is None and ours.state is State.DOWN
    theirs.receive(wire(ours.packet(6.0)), 6.0)
    assert theirs.state is State.DOWN
    for t in (6.1, 6.2):
        exchange(theirs, ours, t)
    assert ours.state is State.UP and ours.up_count == 2


def test_remote_down_or_admin_down_takes_us_down_with_diag_3() -> None:
    ours, theirs = up_pair()
    pkt = dataclasses.replace(theirs.packet(1.0), state=State.ADMIN_DOWN)
    change = ours.receive(wire(pkt), 1.0)
    assert change == bfd.Change(State.UP, State.DOWN, Diag.NEIGHBOR_DOWN)
    ours2, theirs2 = up_pair()
    pkt = dataclasses.replace(theirs2.packet(1.0), state=State.DOWN)
    assert ours2.receive(wire(pkt), 1.0) == bfd.Change(State.UP, State.DOWN,
                                                       Diag.NEIGHBOR_DOWN)  # fmt: skip


def test_wrong_or_missing_your_discriminator_is_ignored_once_up() -> None:
    ours, theirs = up_pair()
    deadline = ours.detect_deadline
    stray = dataclasses.replace(theirs.packet(0.5), your_discriminator=12345)
    assert ours.receive(wire(stray), 0.5) is None and ours.detect_deadline == deadline
    zero = dataclasses.replace(theirs.packet(0.5), your_discriminator=0)
    assert ours.receive(wire(zero), 0.5) is None and ours.detect_deadline == deadline


def test_a_restarted_peer_s_down_with_no_discriminator_takes_us_down_then_up() -> None:
    """§6.8.6 discards Your Discriminator 0 only when the packet's State is not Down: a peer
    that restarted its session (a new discriminator, Down) is heard at once."""
    ours, _ = up_pair()
    fresh = customer(discr=555)
    change = ours.receive(wire(fresh.packet(1.0)), 1.0)
    assert change == bfd.Change(State.UP, State.DOWN, Diag.NEIGHBOR_DOWN)
    assert ours.remote_discr == 555
    for t in (1.1, 1.2, 1.3):
        exchange(fresh, ours, t)
    assert ours.state is fresh.state is State.UP


def test_poll_from_the_customer_is_answered_with_final() -> None:
    ours, theirs = up_pair()
    theirs.polling = True
    pkt = theirs.packet(1.0)
    assert pkt.poll
    ours.receive(wire(pkt), 1.0)
    assert ours.send_final
    reply = ours.packet(1.0)
    assert reply.final and not reply.poll and not ours.send_final


def test_admin_down_is_sent_and_undone() -> None:
    ours, theirs = up_pair()
    change = ours.admin(True)
    assert change is not None and change.new is State.ADMIN_DOWN
    pkt = ours.packet(1.0)
    assert pkt.state is State.ADMIN_DOWN and pkt.diag is Diag.ADMIN_DOWN
    theirs.receive(wire(pkt), 1.0)
    assert theirs.state is State.DOWN and theirs.local_diag is Diag.NEIGHBOR_DOWN
    # AdminDown ignores the customer's packets and has no detection timer.
    assert ours.receive(wire(theirs.packet(1.1)), 1.1) is None and ours.detect_deadline is None
    assert ours.admin(False) == bfd.Change(State.ADMIN_DOWN, State.DOWN, Diag.NONE)
    for t in (2.0, 2.1, 2.2):
        exchange(theirs, ours, t)
    assert ours.state is State.UP
