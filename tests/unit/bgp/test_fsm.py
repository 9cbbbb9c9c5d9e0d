"""FSM transition table, timers and collision resolution (RFC 4271 §6.8, §8)."""

from __future__ import annotations

import itertools

import pytest

from dxlocal.bgp.fsm import (
    TRANSITIONS,
    Fsm,
    IllegalTransition,
    State,
    keep_locally_initiated,
    keepalive_interval,
    negotiate_hold_time,
)

S = State
LEGAL = {
    (S.IDLE, S.CONNECT),
    (S.IDLE, S.ACTIVE),
    (S.CONNECT, S.OPENSENT),
    (S.CONNECT, S.ACTIVE),
    (S.CONNECT, S.IDLE),
    (S.ACTIVE, S.OPENSENT),
    (S.ACTIVE, S.CONNECT),
    (S.ACTIVE, S.IDLE),
    (S.OPENSENT, S.OPENCONFIRM),
    (S.OPENSENT, S.ACTIVE),
    (S.OPENSENT, S.IDLE),
    (S.OPENCONFIRM, S.ESTABLISHED),
    (S.OPENCONFIRM, S.IDLE),
    (S.ESTABLISHED, S.IDLE),
}


def test_table_is_exactly_the_rfc_transitions() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(State, State)))
def test_every_pair_is_enforced(src: State, dst: State) -> None:
    fsm = Fsm()
    fsm.state = src
    if (src, dst) in LEGAL:
        assert fsm.transition(dst) is src
        assert fsm.state is dst
    else:
        with pytest.raises(IllegalTransition):
            fsm.transition(dst)
        assert fsm.state is src


def test_happy_path_and_history() -> None:
    fsm = Fsm()
    for state in (S.CONNECT, S.OPENSENT, S.OPENCONFIRM, S.ESTABLISHED, S.IDLE):
        fsm.transition(state)
    assert [dst for _, _, dst in fsm.history][-1] is S.IDLE
    assert len(fsm.history) == 5


def test_cannot_skip_to_established() -> None:
    fsm = Fsm()
    fsm.transition(S.ACTIVE)
    fsm.transition(S.OPENSENT)
    with pytest.raises(IllegalTransition):
        fsm.transition(S.ESTABLISHED)


@pytest.mark.parametrize(
    ("local", "remote", "hold", "keepalive"),
    [(90, 9, 9, 3.0), (9, 90, 9, 3.0), (90, 0, 0, 0.0), (0, 90, 0, 0.0), (180, 240, 180, 60.0)],
)
def test_hold_time_negotiation(local: int, remote: int, hold: int, keepalive: float) -> None:
    assert negotiate_hold_time(local, remote) == hold
    assert keepalive_interval(hold) == keepalive


def test_collision_higher_identifier_keeps_its_connection() -> None:
    # Local 169.254.10.1 < remote 169.254.10.2: keep the connection the remote opened.
    assert not keep_locally_initiated("169.254.10.1", "169.254.10.2", 64512, 65000)
    assert keep_locally_initiated("169.254.10.2", "169.254.10.1", 64512, 65000)
    # Identifiers compare as unsigned 32-bit numbers, not strings.
    assert keep_locally_initiated("10.0.0.10", "10.0.0.9", 1, 2)


def test_collision_equal_identifiers_larger_asn_wins() -> None:
    assert keep_locally_initiated("192.0.2.1", "192.0.2.1", 4200000001, 4200000000)
    assert not keep_locally_initiated("192.0.2.1", "192.0.2.1", 64512, 4200000000)


def test_both_sides_agree() -> None:
    for a, b in [("1.1.1.1", "2.2.2.2"), ("9.9.9.9", "1.0.0.0")]:
        assert keep_locally_initiated(a, b, 1, 2) != keep_locally_initiated(b, a, 2, 1)
