"""Malformed BGP messages, 100 seeded cases per message type: each is answered by a
NOTIFICATION, the connection closes, and the session dials again after its connect retry
(the speaker keeps serving). Runs on the in-memory transport (tests/unit/bgp/fakepeer.py);
the long run is benchmarks/fuzz_long.py."""

from __future__ import annotations

import pytest
from bgp_cases import TYPES
from runners import run_bgp

SEED = 11
PER_TYPE = 100


@pytest.mark.parametrize("msg_type", TYPES)
def test_malformed_messages_are_answered_and_the_speaker_keeps_serving(msg_type):
    counts = run_bgp(msg_type, PER_TYPE, SEED)
    assert counts.failures == [], "\n".join(counts.failures[:10])
    assert counts.refused == PER_TYPE
