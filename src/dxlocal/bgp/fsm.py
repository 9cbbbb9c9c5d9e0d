"""BGP finite state machine bookkeeping (RFC 4271 §8): states, the legal transitions between
them, timer negotiation and connection collision resolution (§6.8, RFC 6286 §2.3).

    Idle ──► Connect ◄──► Active
      ▲         │           │
      │         └──► OpenSent ◄┘
      │                 │
      │             OpenConfirm
      │                 │
      └──────────── Established          (every state may fall back to Idle)

The coroutines that *drive* the machine (one per state, each returning the next state) live
in ``session.py``; this module holds no I/O and is tested on its own. A state that "remains"
in itself per the RFC (Connect retrying its TCP connection, OpenConfirm adopting the winner
of a collision) loops inside its coroutine rather than transitioning to itself, so the table
contains no self-loops and any transition not listed raises ``IllegalTransition``.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from enum import Enum


class State(Enum):
    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPENSENT = "OpenSent"
    OPENCONFIRM = "OpenConfirm"
    ESTABLISHED = "Established"


S = State
TRANSITIONS: dict[State, frozenset[State]] = {
    # ManualStart/AutomaticStart: Connect (active) or Active (passive), §8.2.2.
    S.IDLE: frozenset({S.CONNECT, S.ACTIVE}),
    # TCP up → OpenSent; TCP connection fails → Active; errors/stop → Idle.
    S.CONNECT: frozenset({S.OPENSENT, S.ACTIVE, S.IDLE}),
    # TCP up → OpenSent; ConnectRetryTimer expires → Connect.
    S.ACTIVE: frozenset({S.OPENSENT, S.CONNECT, S.IDLE}),
    # OPEN ok → OpenConfirm; TcpConnectionFails → Active.
    S.OPENSENT: frozenset({S.OPENCONFIRM, S.ACTIVE, S.IDLE}),
    S.OPENCONFIRM: frozenset({S.ESTABLISHED, S.IDLE}),
    S.ESTABLISHED: frozenset({S.IDLE}),
}

# §8.2.2 suggests a "large" hold timer (4 minutes) while waiting for the peer's OPEN.
OPENSENT_HOLD_TIME = 240.0


class IllegalTransition(RuntimeError):
    def __init__(self, src: State, dst: State) -> None:
        super().__init__(f"illegal BGP FSM transition {src.value} -> {dst.value}")
        self.src, self.dst = src, dst


class Fsm:
    """The current state plus a short history; ``transition`` enforces ``TRANSITIONS``."""

    def __init__(self, history: int = 32, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self.state = State.IDLE
        self.since = now()
        self.history: list[tuple[float, State, State]] = []
        self._keep = history

    def transition(self, dst: State) -> State:
        src = self.state
        if dst not in TRANSITIONS[src]:
            raise IllegalTransition(src, dst)
        self.state = dst
        self.since = self._now()
        self.history.append((self.since, src, dst))
        del self.history[: -self._keep]
        return src

    def can(self, dst: State) -> bool:
        return dst in TRANSITIONS[self.state]


def negotiate_hold_time(local: int, remote: int) -> int:
    """§4.2: the smaller of the two; 0 (no keepalives, no hold timer) is allowed.

    Direct Connect does not accept a peer's 0 (the session refuses that OPEN), but a
    speaker configured with 0 itself still negotiates it, as the RFC allows.
    """
    if local < 0 or remote < 0:
        raise ValueError("hold time cannot be negative")
    return min(local, remote)


def keepalive_interval(hold_time: int) -> float:
    """§10: one third of the hold time; no KEEPALIVEs when the hold time is 0."""
    return hold_time / 3 if hold_time else 0.0


def keep_locally_initiated(local_id: str, remote_id: str, local_asn: int, remote_asn: int) -> bool:
    """Collision resolution (§6.8): True if the connection *we* initiated survives.

    The connection initiated by the speaker with the higher BGP Identifier is kept (both
    sides reach the same verdict). With equal identifiers, allowed between ASes by RFC 6286
    §2.3, the speaker with the larger AS number wins.
    """
    lid = int(ipaddress.IPv4Address(local_id))
    rid = int(ipaddress.IPv4Address(remote_id))
    if lid != rid:
        return lid > rid
    return local_asn > remote_asn
