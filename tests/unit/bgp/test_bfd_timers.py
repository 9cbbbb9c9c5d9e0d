"""The BFD timer wheel and the sessions' repeat-packet paths, on a manual clock (ms)."""

from __future__ import annotations

import dataclasses
import random

import pytest

from dxlocal.bgp import bfd
from dxlocal.bgp.bfd import Diag, Packet, State
from dxlocal.bgp.bfd_timers import Timers, Wheel


class Item:
    def __init__(self, name: str) -> None:
        self.name = name
        self.slot: int | None = None


def names(items: list) -> list[str]:
    return sorted(i.name for i in items)


def test_an_item_wakes_in_the_first_slot_ending_after_its_deadline() -> None:
    wheel, a, b = Wheel(0.005), Item("a"), Item("b")
    wheel.schedule(a, 1.0012)
    wheel.schedule(b, 1.0049)
    assert wheel.next_time() == pytest.approx(1.005)
    assert wheel.pop_due(1.0049) == []
    assert names(wheel.pop_due(1.005)) == ["a", "b"]
    assert a.slot is b.slot is None and wheel.next_time() is None


def test_a_later_deadline_keeps_the_earlier_entry_and_an_earlier_one_moves_it() -> None:
    wheel, a = Wheel(0.005), Item("a")
    wheel.schedule(a, 0.3)
    wheel.schedule(a, 0.9)  # pushed back (a packet received): the 300 ms entry stays
    assert wheel.pop_due(0.299) == [] and wheel.pop_due(0.3) == [a]
    wheel.schedule(a, 0.9)
    wheel.schedule(a, 0.6)  # brought forward: wakes at 600 ms, its 900 ms entry is void
    assert wheel.pop_due(0.6) == [a]
    assert wheel.pop_due(1.0) == []


def test_cancelled_items_and_duplicates_are_skipped() -> None:
    wheel, a, b = Wheel(0.005), Item("a"), Item("b")
    wheel.schedule(a, 0.1)
    wheel.schedule(b, 0.1)
    Wheel.cancel(a)
    assert wheel.pop_due(0.2) == [b]
    wheel.schedule(a, 0.3)
    assert wheel.pop_due(0.31) == [a]  # once, although an old entry was in an earlier slot


def test_a_late_wheel_hands_everything_due_and_never_schedules_into_the_past() -> None:
    wheel = Wheel(0.005)
    items = [Item(str(i)) for i in range(100)]
    for i, item in enumerate(items):
        wheel.schedule(item, i * 0.01)
    assert len(wheel.pop_due(0.5)) == 51  # 0 .. 500 ms
    assert wheel.pop_due(0.5) == []
    late = Item("late")
    wheel.schedule(late, 0.2)  # already past: goes into the next slot, not a handled one
    assert late.slot == wheel.done + 1
    assert wheel.pop_due(0.504) == [] and wheel.pop_due(0.505) == [late]


def up_pair() -> tuple[bfd.Session, bfd.Session]:
    ours = bfd.Session(7, rng=random.Random(1))
    theirs = bfd.Session(99, rng=random.Random(2))
    theirs.active, theirs.next_tx = True, 0.0
    for t in (0.0, 0.01, 0.02, 0.03, 0.04):
        ours.receive_bytes(theirs.packet_bytes(t), t)
        theirs.receive_bytes(ours.packet_bytes(t), t)
    assert ours.state is theirs.state is State.UP and not (ours.polling or theirs.polling)
    return ours, theirs


def test_a_repeated_packet_only_moves_the_detection_time_and_counts_the_gap() -> None:
    ours, theirs = up_pair()
    data = theirs.packet_bytes(1.0)
    ours.receive_bytes(data, 1.0)
    ours.max_rx_gap = 0.0
    ours.remote_min_tx = -1.0  # would show if the repeat were decoded again
    assert ours.receive_bytes(data, 1.25) is None
    assert ours.detect_deadline == pytest.approx(1.25 + 0.9)
    assert ours.receive_bytes(data, 1.85) is None
    assert ours.remote_min_tx == -1.0 and ours.max_rx_gap == pytest.approx(0.6)
    assert ours.info()["maxRxGapMs"] == 600


def test_a_repeat_after_a_change_is_handled_in_full() -> None:
    ours, theirs = up_pair()
    data = theirs.packet_bytes(1.0)
    ours.receive_bytes(data, 1.0)
    assert ours.expire(5.0) is not None and ours.state is State.DOWN
    # After the detection time the same Up packet is decoded again: it carries our old
    # discriminator, so it is processed as a fresh Up from the remote (we stay Down, §6.8.6)
    # and makes us speak again.
    assert ours.receive_bytes(data, 6.0) is None
    assert ours.active and ours.remote_discr == 99 and ours.state is State.DOWN
    # A Down from the remote is never a repeat of an Up packet.
    ours2, theirs2 = up_pair()
    up = theirs2.packet_bytes(1.0)
    ours2.receive_bytes(up, 1.0)
    down = dataclasses.replace(Packet.decode(up), state=State.DOWN).encode()
    change = ours2.receive_bytes(down, 1.2)
    assert change == bfd.Change(State.UP, State.DOWN, Diag.NEIGHBOR_DOWN)


def test_polls_are_never_taken_as_repeats() -> None:
    ours, theirs = up_pair()
    theirs.polling = True
    poll = theirs.packet_bytes(1.0)
    for t in (1.0, 1.1):
        ours.receive_bytes(poll, t)
        assert ours.send_final  # each Poll is answered with a Final (§6.5)
        assert Packet.decode(ours.packet_bytes(t)).final


def test_packet_bytes_follows_every_field_and_keeps_the_jitter() -> None:
    ours, theirs = up_pair()
    first = ours.packet_bytes(1.0)
    assert first == ours.packet(1.0).encode()
    gaps = []
    for i in range(100):
        now = 2.0 + i
        assert ours.packet_bytes(now) == first
        gaps.append(ours.next_tx - now)  # type: ignore[operator]
    assert 0.225 <= min(gaps) < max(gaps) <= 0.3  # §6.8.7 jitter on every packet
    ours.admin(True)
    assert Packet.decode(ours.packet_bytes(200.0)).state is State.ADMIN_DOWN
    ours.admin(False)
    assert Packet.decode(ours.packet_bytes(201.0)).state is State.DOWN


def test_lateness_of_a_periodic_packet_is_recorded() -> None:
    ours, _ = up_pair()
    ours.packet_bytes(1.0)
    ours.max_tx_late = 0.0
    due = ours.next_tx
    assert due is not None
    ours.packet_bytes(due + 0.040)
    assert ours.max_tx_late == pytest.approx(0.040)
    assert ours.info()["maxTxLateMs"] == 40


class FakeLoop:
    """``time`` and ``call_at`` on a manual clock: the handles armed are recorded."""

    def __init__(self) -> None:
        self.now = 100.0
        self.armed: list[FakeHandle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback) -> FakeHandle:  # type: ignore[no-untyped-def]
        handle = FakeHandle(when, callback)
        self.armed.append(handle)
        return handle

    def live(self) -> list[FakeHandle]:
        return [h for h in self.armed if not h.cancelled]


class FakeHandle:
    def __init__(self, when: float, callback) -> None:  # type: ignore[no-untyped-def]
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> None:
        self.cancelled = True  # spent
        self.callback()


def test_one_loop_timer_for_all_items_armed_at_the_earliest_slot() -> None:
    loop, fired = FakeLoop(), []
    timers = Timers(loop, lambda item, now: fired.append((item.name, now)))  # type: ignore[arg-type]
    a, b, c = Item("a"), Item("b"), Item("c")
    timers.schedule(a, 100.300)
    timers.schedule(b, 100.250)  # earlier: the timer moves
    timers.schedule(c, 100.900)  # later: the timer stays
    live = loop.live()
    assert len(live) == 1 and live[0].when == pytest.approx(100.250)
    assert len(loop.armed) == 2  # one re-arm, none for the later item
    # A millisecond clock may wake the loop a little early: the slot is still handled.
    loop.now = 100.2496
    live[0].run()
    assert fired == [("b", pytest.approx(100.250))]
    assert [h.when for h in loop.live()] == [pytest.approx(100.300)]
    timers.schedule(c, None)  # cancelled
    loop.now = 100.300
    loop.live()[0].run()
    assert [name for name, _ in fired] == ["b", "a"]
    # The cancelled item's entry still wakes the loop once, and hands nothing.
    (last,) = loop.live()
    assert last.when == pytest.approx(100.900)
    loop.now = 100.900
    last.run()
    assert len(fired) == 2 and loop.live() == []


def test_an_item_scheduled_again_from_its_own_callback_waits_for_a_later_turn() -> None:
    loop, fired = FakeLoop(), []

    def fire(item: Item, now: float) -> None:
        fired.append(now)
        if len(fired) < 3:
            timers.schedule(item, now)  # due at once: still the next slot, not this turn

    timers = Timers(loop, fire)  # type: ignore[arg-type]
    timers.schedule(Item("a"), 100.010)
    for _ in range(3):
        handle = loop.live()[0]
        loop.now = handle.when
        handle.run()
    assert fired == [pytest.approx(100.010), pytest.approx(100.015), pytest.approx(100.020)]
    assert loop.live() == []


def test_a_discarded_packet_never_becomes_the_repeat_that_keeps_a_session_up() -> None:
    """A packet §6.8.6 discards (not our discriminator, or 0 with State Up) must not restart
    the detection time, however often it comes: the session still expires."""
    ours, theirs = up_pair()
    deadline = ours.detect_deadline
    for yours in (12345, 0):
        stray = dataclasses.replace(
            Packet.decode(theirs.packet_bytes(1.0)), your_discriminator=yours
        )
        data = stray.encode()
        for t in (1.0, 1.2, 1.4):
            assert ours.receive_bytes(data, t) is None
            assert ours.detect_deadline == deadline
    assert ours.expire(deadline) is not None and ours.state is State.DOWN
