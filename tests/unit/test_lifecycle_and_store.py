"""Declared lifecycles refuse undeclared moves; the store rolls back failed calls."""

from __future__ import annotations

import pytest

from dxlocal.core import lifecycle
from dxlocal.store.sqlite import SqliteStore


def test_transitions_are_enforced():
    conn = {"connectionState": "requested"}
    lifecycle.advance("connection", conn, "pending")
    lifecycle.advance("connection", conn, "available")
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.advance("connection", conn, "ordering")
    peer = {"bgpPeerState": "deleted"}
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.advance("bgpPeer", peer, "available")


def test_failed_transaction_changes_nothing(tmp_path):
    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    with store.transaction() as tx:
        tx.insert("connection", "dxcon-f0000001", {"a": 1}, account="1", region="r")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update("connection", "dxcon-f0000001", {"a": 2})
        tx.insert("connection", "dxcon-f0000002", {"b": 1}, account="1", region="r")
        raise RuntimeError("provider rule failed")
    with store.transaction() as tx:
        assert tx.get("connection", "dxcon-f0000001") == {"a": 1}
        assert tx.get("connection", "dxcon-f0000002") is None
    store.close()
    reopened = SqliteStore(str(tmp_path / "s.sqlite3"))
    with reopened.transaction() as tx:
        assert tx.list("connection", account="1", region="r") == [{"a": 1}]


def test_peer_account_listing(tmp_path):
    store = SqliteStore(":memory:")
    with store.transaction() as tx:
        tx.insert("virtualInterface", "a", {"id": "a"}, account="1", region="r")
        tx.insert("virtualInterface", "b", {"id": "b"}, account="2", region="r", peer_account="1")
        tx.insert("virtualInterface", "c", {"id": "c"}, account="2", region="r")
        mine = tx.list("virtualInterface", account="1", region="r", include_peer=True)
    assert sorted(r["id"] for r in mine) == ["a", "b"]


def test_one_process_owns_a_state_file(tmp_path):
    from dxlocal.store.sqlite import StateInUse

    path = str(tmp_path / "owned.sqlite3")
    first = SqliteStore(path)
    with pytest.raises(StateInUse, match="in use"):
        SqliteStore(path)
    first.close()
    SqliteStore(path).close()  # released on close (and by the kernel if the owner dies)
