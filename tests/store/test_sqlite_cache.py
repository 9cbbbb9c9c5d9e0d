"""The SQLite store's record cache (store/sqlite.py, ``RecordCache``): a record read by id
comes from memory once cached, and never shows a write that was rolled back or hides one
that was made."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dxlocal.store.sqlite import RecordCache, SqliteStore

KIND = "connection"


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    where = str(tmp_path / "state.sqlite3") if request.param == "file" else ":memory:"
    s = SqliteStore(where)
    with s.transaction() as tx:
        tx.insert(KIND, "dxcon-1", {"n": 1}, account="1", region="r")
    yield s
    s.close()


def _read(store: SqliteStore, rid: str = "dxcon-1") -> dict | None:
    with store.transaction() as tx:
        return tx.get(KIND, rid)


def _selects(store: SqliteStore) -> list[str]:
    seen: list[str] = []
    store._db.set_trace_callback(lambda sql: seen.append(sql) if "SELECT" in sql else None)
    return seen


def test_a_cached_record_is_read_without_a_query(store: SqliteStore) -> None:
    assert _read(store) == {"n": 1}
    seen = _selects(store)
    assert _read(store) == {"n": 1} and _read(store) == {"n": 1}
    assert seen == []
    first = _read(store)
    first["n"] = 99  # each read is a fresh copy: changing it changes nothing stored
    assert _read(store) == {"n": 1}


def test_a_committed_update_or_delete_is_read_back(store: SqliteStore) -> None:
    assert _read(store) == {"n": 1}
    with store.transaction() as tx:
        tx.update(KIND, "dxcon-1", {"n": 2})
    assert _read(store) == {"n": 2}
    with store.transaction() as tx:
        tx.delete(KIND, "dxcon-1")
    assert _read(store) is None
    with store.transaction() as tx:
        tx.insert(KIND, "dxcon-1", {"n": 3}, account="1", region="r")
    assert _read(store) == {"n": 3}


def test_a_rolled_back_write_is_never_cached(store: SqliteStore) -> None:
    assert _read(store) == {"n": 1}
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update(KIND, "dxcon-1", {"n": 2})
        assert tx.get(KIND, "dxcon-1") == {"n": 2}  # the transaction sees its own write
        assert tx.get(KIND, "dxcon-1") == {"n": 2}
        raise RuntimeError
    assert _read(store) == {"n": 1}
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert(KIND, "dxcon-2", {"n": 5}, account="1", region="r")
        assert tx.get(KIND, "dxcon-2") == {"n": 5}
        raise RuntimeError
    assert _read(store, "dxcon-2") is None


def test_a_rolled_back_savepoint_is_never_cached(store: SqliteStore) -> None:
    with store.transaction() as outer:
        with pytest.raises(RuntimeError), store.transaction() as inner:
            inner.update(KIND, "dxcon-1", {"n": 2})
            assert inner.get(KIND, "dxcon-1") == {"n": 2}
            raise RuntimeError
        assert outer.get(KIND, "dxcon-1") == {"n": 1}
        with store.transaction() as inner:
            inner.update(KIND, "dxcon-1", {"n": 3})
        assert outer.get(KIND, "dxcon-1") == {"n": 3}
    assert _read(store) == {"n": 3}


def _file_and_link(tmp_path: Path) -> tuple[Path, SqliteStore, SqliteStore]:
    """A state file, a store on it and a store on a link to it (which escapes the lock)."""
    real = tmp_path / "real.sqlite3"
    first = SqliteStore(str(real))
    (tmp_path / "link.sqlite3").symlink_to(real)
    return real, first, SqliteStore(str(tmp_path / "link.sqlite3"))


def test_a_commit_by_another_connection_empties_the_cache(tmp_path: Path) -> None:
    """The same file under another name (a link) escapes the lock: ``data_version`` tells."""
    _, first, second = _file_and_link(tmp_path)
    try:
        with first.transaction() as tx:
            tx.insert(KIND, "dxcon-1", {"n": 1}, account="1", region="r")
        assert _read(first) == {"n": 1}
        with second.transaction() as tx:
            tx.update(KIND, "dxcon-1", {"n": 2})
        assert _read(first) == {"n": 2}
    finally:
        second.close()
        first.close()


def test_a_checkpoint_keeps_the_cache(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "state.sqlite3"))
    try:
        with store.transaction() as tx:
            tx.insert(KIND, "dxcon-1", {"n": 1}, account="1", region="r")
        assert _read(store) == {"n": 1}
        other = sqlite3.connect(tmp_path / "state.sqlite3")
        other.execute("PRAGMA wal_checkpoint(PASSIVE)")  # what the background thread does
        other.close()
        seen = _selects(store)
        assert _read(store) == {"n": 1} and seen == []
    finally:
        store.close()


def test_reset_forgets_every_record(store: SqliteStore) -> None:
    assert _read(store) == {"n": 1}
    store.reset()
    assert _read(store) is None


def test_the_cache_keeps_to_its_cap() -> None:
    cache = RecordCache(cap=100)
    for i in range(50):
        cache.keep((KIND, f"dxcon-{i}"), "x" * 30)
        assert cache.size <= 100
    assert list(cache.rows) == [(KIND, f"dxcon-{i}") for i in (47, 48, 49)]  # the newest
    cache.write((KIND, "dxcon-48"))
    cache.keep((KIND, "dxcon-48"), "y" * 30)  # written in the open transaction: not kept
    assert (KIND, "dxcon-48") not in cache.rows and cache.size == 60


def test_the_commit_check_asks_sqlite_only_after_a_commit(tmp_path: Path) -> None:
    """Between commits the WAL-index header in the -shm file reads the same, so a group of
    cached reads runs no statement at all; after a commit, ours or another's, SQLite is
    asked again (``PRAGMA data_version``)."""
    store = SqliteStore(str(tmp_path / "state.sqlite3"))
    asked: list[str] = []
    store._db.set_trace_callback(lambda sql: asked.append(sql) if "data_version" in sql else None)
    try:
        with store.transaction() as tx:
            tx.insert(KIND, "dxcon-1", {"n": 1}, account="1", region="r")
        assert _read(store) == {"n": 1}  # asks: a commit came before
        asked.clear()
        for _ in range(3):
            assert _read(store) == {"n": 1}
        assert asked == []
        other = sqlite3.connect(tmp_path / "state.sqlite3")
        other.execute("UPDATE records SET data='{\"n\": 2}' WHERE id='dxcon-1'")
        other.commit()
        other.close()
        assert _read(store) == {"n": 2} and len(asked) == 1
    finally:
        store.close()


def test_a_store_opened_through_a_link_watches_the_index_sqlite_uses(tmp_path: Path) -> None:
    """SQLite names the -shm after the file the link leads to: a stale file under the
    link's own name must not stand in for it."""
    real = tmp_path / "real.sqlite3"
    link = tmp_path / "link.sqlite3"
    link.symlink_to(real)
    (tmp_path / "link.sqlite3-shm").write_bytes(b"\x07" * 4096)  # left over, never written
    store = SqliteStore(str(link))
    try:
        with store.transaction() as tx:
            tx.insert(KIND, "dxcon-1", {"n": 1}, account="1", region="r")
        assert _read(store) == {"n": 1}
        other = sqlite3.connect(real)
        other.execute("UPDATE records SET data='{\"n\": 2}' WHERE id='dxcon-1'")
        other.commit()
        other.close()
        assert _read(store) == {"n": 2}
    finally:
        store.close()


def test_stores_sharing_a_file_share_its_index_map_until_the_last_closes(tmp_path: Path) -> None:
    real, first, second = _file_and_link(tmp_path)
    try:
        for store in (first, second):
            with store.transaction() as tx:
                tx.get(KIND, "dxcon-1")
        assert first._shm is not None and first._shm is second._shm
        shared = first._shm
        first.close()
        assert shared.users == 1 and not shared.map.closed  # the descriptor stays open
        other = sqlite3.connect(real)
        other.execute("INSERT INTO records (kind, id, account, region, data) "
                      "VALUES ('connection', 'dxcon-9', '1', 'r', '{\"n\": 9}')")  # fmt: skip
        other.commit()
        other.close()
        with second.transaction() as tx:
            assert tx.get(KIND, "dxcon-9") == {"n": 9}
    finally:
        second.close()
    assert shared.map.closed
