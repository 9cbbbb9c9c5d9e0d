"""BFD, the Amazon side: RFC 5880 asynchronous mode, no I/O (the sockets are in bfd_endpoint.py).

Direct Connect runs BFD on every VIF's BGP session, asynchronous mode, minimum interval
300 ms, multiplier 3 (user guide, "BGP-specific settings"); it comes up when the customer's
router runs it too. This module holds the control packet codec (RFC 5880 §4.1) and one
session's state machine (§6.2, §6.8.6) with its timers (§6.8.2-§6.8.4, §6.8.7) computed from
a ``now`` given by the caller, so tests drive it on a manual clock.

Choices where the RFC leaves room (docs/bfd.md):

* Passive role (§6.1): nothing is sent until the customer's first packet arrives. Once the
  detection time expires the session forgets the remote discriminator (§6.8.1) and goes
  quiet again until the customer speaks.
* No authentication (AWS does not offer it for BFD) and no demand mode or echo function: a
  packet with the A, D or M bit set is discarded, Required Min Echo RX Interval is 0.
* While not Up the desired transmit interval is 1 s (§6.8.3); on Up it drops to 300 ms and a
  Poll Sequence announces the change.

Steady state is cheap (docs/bfd.md#cost): an Up session keeps the bytes of the last packet it
processed without a change and, when the next one is identical (the usual case: a periodic
packet's fields, §6.8.7, come from state that rarely changes), only moves its detection
deadline; it also keeps its own encoded packet until a field of it changes (``repeated``,
``receive_bytes`` and ``packet_bytes``).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from enum import IntEnum

PORT = 3784  # RFC 5881 §4: single-hop control packets
SOURCE_PORTS = (49152, 65535)  # RFC 5881 §4: source port range
TTL = 255  # RFC 5881 §5: sent with TTL/hop limit 255, received packets must carry 255
MIN_INTERVAL = 0.3  # Direct Connect: 300 ms
MULTIPLIER = 3  # Direct Connect: detection multiplier 3
SLOW_INTERVAL = 1.0  # RFC 5880 §6.8.3: at least 1 s while not Up
LENGTH = 24  # control packet without authentication


class State(IntEnum):
    ADMIN_DOWN = 0
    DOWN = 1
    INIT = 2
    UP = 3

    @property
    def label(self) -> str:
        return {0: "AdminDown", 1: "Down", 2: "Init", 3: "Up"}[self.value]


class Diag(IntEnum):  # RFC 5880 §4.1
    NONE = 0
    DETECTION_EXPIRED = 1
    ECHO_FAILED = 2
    NEIGHBOR_DOWN = 3
    FORWARDING_RESET = 4
    PATH_DOWN = 5
    CONCATENATED_PATH_DOWN = 6
    ADMIN_DOWN = 7
    REVERSE_CONCATENATED_PATH_DOWN = 8


class BadPacket(ValueError):
    """A control packet §6.8.6 says to discard."""


@dataclass(frozen=True)
class Packet:
    """A BFD Control packet (RFC 5880 §4.1); intervals in microseconds, as on the wire."""

    state: State
    my_discriminator: int
    your_discriminator: int = 0
    diag: Diag = Diag.NONE
    detect_mult: int = MULTIPLIER
    desired_min_tx: int = 1_000_000
    required_min_rx: int = 300_000
    required_min_echo_rx: int = 0
    poll: bool = False
    final: bool = False
    version: int = 1
    control_plane_independent: bool = False
    authentication: bool = False
    demand: bool = False
    multipoint: bool = False

    def encode(self) -> bytes:
        flags = (
            (self.state << 6)
            | self.poll << 5
            | self.final << 4
            | self.control_plane_independent << 3
            | self.authentication << 2
            | self.demand << 1
            | self.multipoint
        )
        return struct.pack(
            "!BBBBIIIII",
            (self.version << 5) | self.diag,
            flags,
            self.detect_mult,
            LENGTH,
            self.my_discriminator,
            self.your_discriminator,
            self.desired_min_tx,
            self.required_min_rx,
            self.required_min_echo_rx,
        )

    @classmethod
    def decode(cls, data: bytes) -> Packet:
        """Parse and apply the checks of §6.8.6 that need no session."""
        if len(data) < LENGTH:
            raise BadPacket(f"{len(data)} octets, shorter than a control packet")
        vd, flags, mult, length, mine, yours, tx, rx, echo = struct.unpack_from("!BBBBIIIII", data)
        if vd >> 5 != 1:
            raise BadPacket(f"version {vd >> 5}")
        if length < LENGTH or length > len(data):
            raise BadPacket(f"length field {length} with {len(data)} octets received")
        if flags & 0x04:
            raise BadPacket("authentication is not configured")
        if length != LENGTH:
            raise BadPacket(f"length field {length} without authentication")
        if mult == 0:
            raise BadPacket("detect multiplier 0")
        if flags & 0x01:
            raise BadPacket("multipoint bit set")
        if mine == 0:
            raise BadPacket("my discriminator 0")
        try:
            diag = Diag(vd & 0x1F)
        except ValueError:
            diag = Diag.NONE  # a diagnostic we do not know: only informational
        return cls(
            state=State(flags >> 6),
            my_discriminator=mine,
            your_discriminator=yours,
            diag=diag,
            detect_mult=mult,
            desired_min_tx=tx,
            required_min_rx=rx,
            required_min_echo_rx=echo,
            poll=bool(flags & 0x20),
            final=bool(flags & 0x10),
            control_plane_independent=bool(flags & 0x08),
            demand=bool(flags & 0x02),
        )


@dataclass(frozen=True)
class Change:
    """A state transition the owner must act on (``new`` Down after Up: the path is gone)."""

    old: State
    new: State
    diag: Diag


class Session:
    """One BFD session (§6.8.1 state variables); every method takes the current time."""

    def __init__(
        self,
        local_discriminator: int,
        *,
        min_interval: float = MIN_INTERVAL,
        multiplier: int = MULTIPLIER,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < local_discriminator <= 0xFFFFFFFF:
            raise ValueError("a local discriminator is a non-zero 32-bit value")
        self.state = State.DOWN
        self.remote_state = State.DOWN
        self.local_discr = local_discriminator
        self.remote_discr = 0
        self.local_diag = Diag.NONE
        self.remote_diag = Diag.NONE
        self.min_interval = min_interval
        self.detect_mult = multiplier
        self.desired_min_tx = SLOW_INTERVAL  # §6.8.3: not less than 1 s until Up
        self.required_min_rx = min_interval
        self.remote_min_rx = 1e-6  # §6.8.1: initial value 1 µs
        self.remote_min_tx = 0.0  # the remote's Desired Min TX, once heard
        self.remote_mult = 0
        self.polling = False  # a Poll Sequence of ours is running (§6.5)
        self.send_final = False  # the next packet answers a Poll with Final
        self.active = False  # passive role: silent until the remote speaks (§6.1)
        self.detect_deadline: float | None = None
        self.next_tx: float | None = None
        self.up_count = 0
        self.last_down_reason = ""
        self.last_rx: float | None = None
        self.max_rx_gap = 0.0  # longest wait between two identical packets while Up
        self.max_tx_late = 0.0  # worst delay of a periodic packet past its time
        self._rng = rng or random.Random()
        self._rx_same: bytes | None = None  # the last packet received that changed nothing
        self._detect = 0.0  # detection_time, as of that packet
        self._tx_key: tuple | None = None  # the fields _tx_bytes was encoded from
        self._tx_bytes = b""

    # -- timers ---------------------------------------------------------------------------
    @property
    def tx_interval(self) -> float:
        """§6.8.2: the larger of our Desired Min TX and the remote's Required Min RX."""
        return max(self.desired_min_tx, self.remote_min_rx)

    @property
    def detection_time(self) -> float:
        """§6.8.4 (asynchronous mode): the remote's multiplier times the larger of our
        Required Min RX and the remote's Desired Min TX."""
        return self.remote_mult * max(self.required_min_rx, self.remote_min_tx)

    def _jittered(self) -> float:
        """§6.8.7: 75-100 % of the interval (75-90 % with a multiplier of 1)."""
        span = 0.15 if self.detect_mult == 1 else 0.25
        interval = max(self.desired_min_tx, self.remote_min_rx)  # tx_interval
        return interval * (0.75 + span * self._rng.random())

    def _schedule_tx(self, now: float) -> None:
        self.next_tx = now + self._jittered() if self.active else None

    # -- events ---------------------------------------------------------------------------
    def repeated(self, data: bytes, now: float) -> bool:
        """True, with the detection timer restarted and nothing else to do, when ``data``
        repeats the last packet that changed nothing while Up (the steady state)."""
        if data != self._rx_same:
            return False
        gap = now - self.last_rx  # type: ignore[operator]
        if gap > self.max_rx_gap:
            self.max_rx_gap = gap
        self.last_rx = now
        self.detect_deadline = now + self._detect
        return True

    def receive_bytes(self, data: bytes, now: float) -> Change | None:
        """A control packet as received (``BadPacket`` if §6.8.6 discards it)."""
        if self.repeated(data, now):
            return None
        pkt = Packet.decode(data)
        if self._discards(pkt):
            return None  # never kept as the repeat: it must not restart the detection time
        state = self.state
        change = self.receive(pkt, now)
        if change is None and state is self.state is State.UP and not (pkt.poll or pkt.final):
            self._rx_same = data
            self._detect = self.detection_time
        return change

    def receive(self, pkt: Packet, now: float) -> Change | None:
        """A control packet for this session (§6.8.6 from "If the Your Discriminator field
        is zero"); the caller sends ``packet()`` at once when ``reply_now`` is set after."""
        if self._discards(pkt):
            return None
        self.last_rx = now
        self.remote_discr = pkt.my_discriminator
        self.remote_state = pkt.state
        self.remote_diag = pkt.diag
        self.remote_min_rx = max(pkt.required_min_rx, 1) / 1e6
        self.remote_min_tx = pkt.desired_min_tx / 1e6
        self.remote_mult = pkt.detect_mult
        if pkt.final and self.polling:
            self.polling = False
        if pkt.poll:
            self.send_final = True
        if not self.active:  # first packet: the passive side starts speaking (§6.1)
            self.active = True
            self.next_tx = now
        change = None
        if self.state is not State.ADMIN_DOWN:
            change = self._transition(pkt.state)
        if self.state is not State.ADMIN_DOWN:
            self.detect_deadline = now + self.detection_time
        if self.next_tx is not None and self.next_tx > now + self.tx_interval:
            self.next_tx = now + self._jittered()  # a faster rate applies at once (§6.8.3)
        return change

    def _discards(self, pkt: Packet) -> bool:
        """§6.8.6 once the session is found: Your Discriminator 0 is discarded only when the
        packet's own State is not Down (a restarted peer's Down must reach an Up session),
        another session's discriminator always; demand mode is not ours, so ignored."""
        yours = pkt.your_discriminator
        if yours == 0:
            return pkt.state not in (State.DOWN, State.ADMIN_DOWN) or pkt.demand
        return yours != self.local_discr or pkt.demand

    def _transition(self, remote: State) -> Change | None:
        old = self.state
        if remote is State.ADMIN_DOWN:
            if old is not State.DOWN:
                return self._set(State.DOWN, Diag.NEIGHBOR_DOWN)
        elif old is State.DOWN:
            if remote is State.DOWN:
                return self._set(State.INIT, Diag.NONE)
            if remote is State.INIT:
                return self._set(State.UP, Diag.NONE)
        elif old is State.INIT:
            if remote in (State.INIT, State.UP):
                return self._set(State.UP, Diag.NONE)
        elif remote is State.DOWN:  # Up
            return self._set(State.DOWN, Diag.NEIGHBOR_DOWN)
        return None

    def _set(self, state: State, diag: Diag) -> Change:
        self._rx_same = None
        old, self.state = self.state, state
        if state is not State.UP or old is not State.UP:
            self.local_diag = diag
        if state is State.UP:
            self.up_count += 1
            self._set_desired_tx(self.min_interval)
        elif old is State.UP:
            self._set_desired_tx(SLOW_INTERVAL)
            self.last_down_reason = diag_text(diag)
        return Change(old, state, diag)

    def _set_desired_tx(self, seconds: float) -> None:
        if seconds != self.desired_min_tx:
            self.desired_min_tx = seconds
            if self.state is State.UP:
                self.polling = True  # §6.8.3: a change while Up is announced by a Poll

    def expire(self, now: float) -> Change | None:
        """The detection timer, if it is due (§6.8.4): Init/Up go Down with diag 1."""
        if self.detect_deadline is None or now < self.detect_deadline:
            return None
        self.detect_deadline = None
        self._rx_same = None
        change = None
        if self.state in (State.INIT, State.UP):
            change = self._set(State.DOWN, Diag.DETECTION_EXPIRED)
        # §6.8.1: the remote discriminator is forgotten; we go back to the passive role.
        self.remote_discr = 0
        self.remote_state = State.DOWN
        self.remote_mult = 0
        self.remote_min_rx = 1e-6
        self.polling = self.send_final = False
        self.active = False
        self.next_tx = None
        return change

    def admin(self, down: bool) -> Change | None:
        """Administratively down (the BGP peer is held down) or back to Down (§6.8.16)."""
        if down and self.state is not State.ADMIN_DOWN:
            self.detect_deadline = None
            return self._set(State.ADMIN_DOWN, Diag.ADMIN_DOWN)
        if not down and self.state is State.ADMIN_DOWN:
            return self._set(State.DOWN, Diag.NONE)
        return None

    def due(self, now: float) -> bool:
        return self.next_tx is not None and now >= self.next_tx

    def packet(self, now: float) -> Packet:
        """The next packet to send (§6.8.7), and the periodic timer re-armed."""
        final, self.send_final = self.send_final, False
        self._schedule_tx(now)
        return Packet(
            state=self.state,
            my_discriminator=self.local_discr,
            your_discriminator=self.remote_discr,
            diag=self.local_diag,
            detect_mult=self.detect_mult,
            desired_min_tx=round(self.desired_min_tx * 1e6),
            required_min_rx=round(self.required_min_rx * 1e6),
            poll=self.polling and not final,  # §6.8.7: never both P and F
            final=final,
        )

    def packet_bytes(self, now: float) -> bytes:
        """``packet(now).encode()``, from the bytes of the last packet when no field changed."""
        if self.send_final:
            return self.packet(now).encode()
        key = (self.state, self.remote_discr, self.local_diag, self.desired_min_tx,
               self.polling)  # fmt: skip
        if key != self._tx_key:
            self._tx_bytes = self.packet(now).encode()
            self._tx_key = key
            return self._tx_bytes
        if self.next_tx is not None and now - self.next_tx > self.max_tx_late:
            self.max_tx_late = now - self.next_tx
        self._schedule_tx(now)
        return self._tx_bytes

    def next_deadline(self) -> float | None:
        tx, detect = self.next_tx, self.detect_deadline
        if tx is None or (detect is not None and detect < tx):
            return detect
        return tx

    def info(self) -> dict:
        return {
            "state": self.state.label,
            "remoteState": self.remote_state.label,
            "localDiscriminator": self.local_discr,
            "remoteDiscriminator": self.remote_discr,
            "diagnostic": diag_text(self.local_diag),
            "minIntervalMs": round(self.min_interval * 1000),
            "multiplier": self.detect_mult,
            "txIntervalMs": round(self.tx_interval * 1000) if self.active else None,
            "detectionTimeMs": round(self.detection_time * 1000) if self.remote_mult else None,
            "upCount": self.up_count,
            "lastDownReason": self.last_down_reason,
            "maxRxGapMs": round(self.max_rx_gap * 1000),
            "maxTxLateMs": round(self.max_tx_late * 1000),
        }


def diag_text(diag: Diag) -> str:
    return diag.name.replace("_", " ").capitalize() if diag else ""
