"""Deferred events of the SQLite store (store/sqlite.py): written with the next write, before
a read of the log, or when they have waited; never lost to a rolled-back savepoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dxlocal.store.sqlite import SqliteStore


def _on_disk(path: Path, kind: str = "event") -> list[str]:
    """Committed events (or records of ``kind``), read by a connection of its own."""
    db = sqlite3.connect(path)
    try:
        if kind == "event":
            return [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")]
        return [
            r[0] for r in db.execute("SELECT id FROM records WHERE kind=? ORDER BY id", (kind,))
        ]
    finally:
        db.close()


def _later(tx, rid: str) -> None:
    tx.log({"eventId": rid, "type": "api", "resource": "x"}, read_only=True)


@pytest.fixture
def store(tmp_path: Path):
    s = SqliteStore(str(tmp_path / "state.sqlite3"))
    yield s
    s.close()


def test_a_read_only_transaction_defers_and_commits_nothing(store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        tx.get("connection", "dxcon-1")
        _later(tx, "ev-1")
        assert tx.logged and not tx.changed
    assert not store._db.in_transaction and _on_disk(tmp_path / "state.sqlite3") == []
    with store.transaction() as tx:  # a read of the log writes them first
        assert [e["eventId"] for e in tx.events(resource="x")] == ["ev-1"]
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1"]


def test_the_next_write_carries_them(store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        _later(tx, "ev-1")
    with store.transaction() as tx:
        tx.insert("connection", "dxcon-1", {}, account="1", region="r")
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1"]
    assert store._later == []


def test_a_rolled_back_savepoint_does_not_lose_them(store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        _later(tx, "ev-1")
    with store.transaction():
        with pytest.raises(RuntimeError), store.transaction() as inner:
            inner.insert("connection", "dxcon-1", {}, account="1", region="r")
            assert len(inner.events()) == 1  # written inside the savepoint
            raise RuntimeError("the nested unit fails")
        with store.transaction() as other:
            other.get("connection", "dxcon-2")
    # The outer transaction had begun (the inner write), so its COMMIT carries them again.
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1"]
    assert _on_disk(tmp_path / "state.sqlite3", "connection") == []
    assert store._later == []


def test_a_rolled_back_transaction_keeps_them(store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        _later(tx, "ev-1")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert("connection", "dxcon-1", {}, account="1", region="r")
        tx.events()
        raise RuntimeError("the unit fails")
    store.flush_later(0)
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1"]


def test_flush_and_close_write_what_waits(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "state.sqlite3"))
    with store.transaction() as tx:
        _later(tx, "ev-1")
    store.flush_later(age=3600)  # not waited that long: kept
    assert _on_disk(tmp_path / "state.sqlite3") == []
    store.flush_later(0)
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1"]
    with store.transaction() as tx:
        _later(tx, "ev-2")
    store.close()
    assert _on_disk(tmp_path / "state.sqlite3") == ["ev-1", "ev-2"]


def test_reset_drops_them(store, tmp_path: Path) -> None:
    with store.transaction() as tx:
        _later(tx, "ev-1")
    store.reset()
    store.flush_later(0)
    assert _on_disk(tmp_path / "state.sqlite3") == []


@pytest.mark.parametrize("count", [1, 9, 10, 11, 99, 100, 101, 237])
def test_every_deferred_event_is_written_once_whatever_the_batch(
    store, tmp_path: Path, count: int
) -> None:
    """They go in by multi-row statements of 100, 10 and 1 rows: each row once, data kept."""
    ids = [f"ev-{i:04d}" for i in range(count)]
    with store.transaction() as tx:
        for rid in ids:
            _later(tx, rid)
        _later(tx, ids[0])  # the same id again: ignored, as an insert of a taken id is
    with store.transaction() as tx:
        assert [e["eventId"] for e in tx.events()] == ids
        assert tx.events(limit=1)[0] == {"eventId": ids[0], "type": "api", "resource": "x"}
    assert _on_disk(tmp_path / "state.sqlite3") == ids
