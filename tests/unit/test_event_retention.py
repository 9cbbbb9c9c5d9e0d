"""The event log's retention (core/events.py ``Retention``, docs/failures.md#events): the
oldest events beyond the age and the count are dropped in batches, from the timer task."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from dxlocal.commands import serve_options
from dxlocal.config import Settings
from dxlocal.core import events
from dxlocal.core.clock import Clock
from dxlocal.core.work import Work
from dxlocal.store.sqlite import SqliteStore, SqliteTx


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Ids follow the times given here, whatever events other tests made in this process.
    monkeypatch.setattr(events, "_last", 0)
    store = SqliteStore(str(tmp_path / "state.sqlite3"))
    yield Work(store, Settings(), Clock(manual=True))
    store.close()


def _log(work: Work, times: list[float], later: bool = False) -> None:
    with work.unit("test") as unit:
        for t in times:
            events.write(unit.tx, t, "api", resource="dxcon-x", operation="Op", read_only=later)


def _kept(work: Work) -> list[float]:
    with work.unit("test") as unit:
        return [e["time"] for e in unit.tx.events()]


def _drain(work: Work, retention: events.Retention, now: float) -> list[int]:
    passes = []
    while True:
        limit = retention.batch
        with work.unit("retention") as unit:
            passes.append(retention.run(unit.tx, now))
        if passes[-1] < limit:
            return passes


def test_events_older_than_the_age_go(work: Work) -> None:
    _log(work, [100.0, 200.0, 300.0, 400.0])
    retention = events.Retention(max_age=150.0, max_count=0)
    assert _drain(work, retention, now=420.0) == [2]
    assert _kept(work) == [300.0, 400.0]
    assert _drain(work, retention, now=420.0) == [0]


def test_only_the_newest_count_stay_in_batches(work: Work) -> None:
    times = [float(t) for t in range(1, 7_501)]
    _log(work, times[:7_000])
    _log(work, times[7_000:], later=True)  # deferred ones count once written
    retention = events.Retention(max_age=0, max_count=300)
    # Passes grow while a full one leaves more behind, and start small again after.
    assert _drain(work, retention, now=8_000.0) == [1_000, 2_000, 4_000, 200]
    assert _kept(work) == times[-300:] and retention.batch == retention.BATCH


def test_a_log_far_over_its_cap_is_counted_once_a_second(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log(work, [float(t) for t in range(1, 5_001)])
    retention = events.Retention(max_age=0, max_count=100)
    counts = []
    real = SqliteTx.event_beyond

    def counted(tx: SqliteTx, keep: int) -> str | None:
        counts.append(keep)
        return real(tx, keep)

    monkeypatch.setattr(SqliteTx, "event_beyond", counted)
    assert _drain(work, retention, now=9_000.0) == [1_000, 2_000, 1_900]
    assert counts == [100]  # the passes after the first drop up to the same bound
    assert _kept(work) == [float(t) for t in range(4_901, 5_001)]
    _log(work, [9_001.0, 9_002.0])
    assert _drain(work, retention, now=9_003.0) == [0]  # not counted again yet
    monkeypatch.setattr(retention, "_next_count", 0.0)  # a second on
    assert _drain(work, retention, now=9_003.0) == [2] and counts == [100, 100]


def test_no_limits_keep_everything(work: Work) -> None:
    _log(work, [1.0, 2.0])
    retention = events.Retention(max_age=0, max_count=0)
    assert not retention.due()
    assert _drain(work, retention, now=1e9) == [0]
    assert _kept(work) == [1.0, 2.0]


def test_a_pass_with_nothing_to_drop_writes_nothing(work: Work) -> None:
    _log(work, [10.0])
    retention = events.Retention(max_age=100.0, max_count=10)
    with work.unit("retention") as unit:
        assert retention.run(unit.tx, 20.0) == 0
        assert not work.store._begun  # no write transaction opened


def test_serve_options_set_the_limits() -> None:
    parser = argparse.ArgumentParser()
    serve_options.add_arguments(parser)
    args = parser.parse_args(["--events-max-age", "3600", "--events-max", "500"])
    found = serve_options.overrides(args)
    assert found["events_max_age"] == 3600.0 and found["events_max"] == 500
    assert "events_max" not in serve_options.overrides(parser.parse_args([]))
    with pytest.raises(SystemExit):
        parser.parse_args(["--events-max", "-1"])


def test_the_timer_task_trims_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_last", 0)
    store = SqliteStore(str(tmp_path / "state.sqlite3"))
    work = Work(store, Settings(events_max=5, events_max_age=0), Clock(manual=True))
    try:
        _log(work, [float(t) for t in range(1, 21)])
        _log(work, [21.0], later=True)

        async def tick_until_trimmed() -> list[float]:
            task = asyncio.create_task(work.tick(interval=0.01))
            try:
                for _ in range(500):  # bounded: the first pass comes at the first tick
                    await asyncio.sleep(0.01)
                    if len(kept := _kept(work)) <= 5:
                        return kept
                return _kept(work)
            finally:
                task.cancel()

        assert asyncio.run(tick_until_trimmed()) == [17.0, 18.0, 19.0, 20.0, 21.0]
    finally:
        store.close()


def test_event_ids_are_the_microsecond_then_16_random_bits_in_hex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "_last", 0)
    made = [events.next_id(t) for t in (1764660316.123456, 1764660316.123456, 0.0, 5.0)]
    micros = [1764660316123456, 1764660316123457, 1764660316123458, 1764660316123459]
    for eid, at in zip(made, micros, strict=True):
        assert len(eid) == 22 and eid[:18] == "ev-%015x" % at  # noqa: UP031
        int(eid[18:], 16)
    assert made == sorted(made)  # write order, whatever the clock said
    assert events.id_at(1764660316.123456) < made[0] < events.id_at(1764660316.12346)
    # Beyond 15 digits of microseconds the ids grow longer, as the format writes them.
    monkeypatch.setattr(events, "_last", (1 << 60) - 2)
    assert events.next_id(0.0)[:18] == "ev-%015x" % ((1 << 60) - 1)  # noqa: UP031
    assert events.next_id(0.0).startswith("ev-1000000000000000")
