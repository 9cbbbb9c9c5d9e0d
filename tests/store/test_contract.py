"""The store contract (``dxlocal.store.base``), run unchanged against every backend."""

from __future__ import annotations

import math
import threading

import pytest

from dxlocal.core import events
from dxlocal.store import Conflict, IdTaken, StateInUse
from dxtest import wait_until

R = "us-east-1"


def _put(tx, kind, rid, data=None, account="111111111111", region=R, **cols):
    tx.insert(kind, rid, data if data is not None else {"id": rid}, account=account,
              region=region, **cols)  # fmt: skip


def test_a_record_reads_back_as_written(store):
    data = {
        "zeta": 1,
        "alpha": "two",
        "nested": {"b": [1, 2.5, None, True], "a": {"x": "é✓"}},
        "float": 1764612345.125,
        "big": 2**53,
        "flag": False,
        "_internal": {"z": 0, "a": 1},
    }
    with store.transaction() as tx:
        _put(tx, "connection", "dxcon-aaaaaaaa", data)
    with store.transaction() as tx:
        back = tx.get("connection", "dxcon-aaaaaaaa")
        assert tx.get("connection", "dxcon-missing") is None
        assert tx.get("lag", "dxcon-aaaaaaaa") is None  # ids are per kind
    assert back == data
    assert list(back) == list(data)
    assert list(back["_internal"]) == ["z", "a"]


def test_an_id_is_unique_per_kind_across_accounts(store):
    with store.transaction() as tx:
        _put(tx, "connection", "dxcon-1", {"v": 1}, account="111111111111")
        _put(tx, "lag", "dxcon-1", {"v": "lag"})  # another kind: no collision
    with pytest.raises(IdTaken), store.transaction() as tx:
        _put(tx, "connection", "dxcon-2", {"v": 2})
        _put(tx, "connection", "dxcon-1", {"v": 3}, account="222222222222")
    with store.transaction() as tx:
        assert tx.get("connection", "dxcon-1") == {"v": 1}
        assert tx.get("connection", "dxcon-2") is None  # the whole unit rolled back
        _put(tx, "connection", "dxcon-2", {"v": 2})  # and the store takes writes again
    with store.transaction() as tx:
        assert tx.get("connection", "dxcon-2") == {"v": 2}


def test_update_replaces_data_and_columns(store):
    with store.transaction() as tx:
        _put(tx, "virtualInterface", "dxvif-1", {"v": 1}, parent="dxcon-a")
    with store.transaction() as tx:
        tx.update("virtualInterface", "dxvif-1", {"v": 2}, parent="dxlag-b", peer_account="333")
    with store.transaction() as tx:
        assert tx.get("virtualInterface", "dxvif-1") == {"v": 2}
        assert tx.list("virtualInterface", parent="dxcon-a") == []
        assert tx.list("virtualInterface", parent="dxlag-b") == [{"v": 2}]
        assert tx.list("virtualInterface", account="333", region=R, include_peer=True) == [{"v": 2}]
        tx.update("virtualInterface", "dxvif-1", {"v": 3})  # columns kept when not given
        assert tx.list("virtualInterface", parent="dxlag-b") == [{"v": 3}]
        tx.update("virtualInterface", "dxvif-1", {"v": 4}, account="444444444444")
        assert tx.list("virtualInterface", account="444444444444") == [{"v": 4}]
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.update("virtualInterface", "dxvif-none", {"v": 1})


def test_delete_drops_the_record_and_its_timers(store):
    with store.transaction() as tx:
        _put(tx, "connection", "dxcon-1")
        _put(tx, "connection", "dxcon-2")
        tx.schedule(10.0, "connection", "dxcon-1", "step")
        tx.schedule(11.0, "connection", "dxcon-2", "step")
    with store.transaction() as tx:
        tx.delete("connection", "dxcon-1")
        tx.delete("connection", "dxcon-absent")  # nothing to do, no error
    with store.transaction() as tx:
        assert tx.get("connection", "dxcon-1") is None
        assert tx.due_timers(100.0) == [(11.0, "connection", "dxcon-2", "step")]


def test_lists_filter_by_column_in_id_order(store):
    with store.transaction() as tx:
        for rid, account, region, parent in [
            ("b", "1", R, "p1"),
            ("a", "1", R, None),
            ("C", "1", "eu-west-1", "p1"),
            ("d", "2", R, "p2"),
            ("B", "2", R, None),
        ]:
            _put(tx, "k", rid, {"id": rid}, account=account, region=region, parent=parent)
        _put(tx, "k", "e", {"id": "e"}, account="2", peer_account="1")
        _put(tx, "other", "z", {"id": "z"}, account="1")

        def ids(**kw):
            return [r["id"] for r in tx.list("k", **kw)]

        assert ids() == ["B", "C", "a", "b", "d", "e"]  # byte order: capitals first
        assert ids(account="1") == ["C", "a", "b"]
        assert ids(account="1", region=R) == ["a", "b"]
        assert ids(region="eu-west-1") == ["C"]
        assert ids(parent="p1") == ["C", "b"]
        assert ids(parent="p1", account="1", region=R) == ["b"]
        assert ids(account="1", include_peer=True) == ["C", "a", "b", "e"]
        assert ids(account="1", region=R, include_peer=True) == ["a", "b", "e"]
        assert ids(account="2", region=R, include_peer=True) == ["B", "d", "e"]
        assert ids(account="9") == []


def test_count_tests_members_inside_the_data(store):
    rows = [
        ("1", {"location": "EqDC2", "connectionState": "available"}),
        ("2", {"location": "EqDC2", "connectionState": "deleted"}),
        ("3", {"location": "EqDC2", "connectionState": "available", "_hosted": True}),
        ("4", {"location": "EqSE2", "connectionState": "pending"}),
        ("5", {"location": "EqDC2"}),
        ("6", {"location": "EqDC2", "connectionState": "down", "_hosted": False, "n": 7}),
    ]
    with store.transaction() as tx:
        for rid, data in rows:
            _put(tx, "connection", rid, data, account="1")
        _put(tx, "connection", "7", {"location": "EqDC2"}, account="2")
        assert tx.count("connection") == 7
        assert tx.count("connection", account="1") == 6
        assert tx.count("connection", account="1", region=R, where={"location": "EqDC2"}) == 5
        assert tx.count("connection", where={"location": "EqDC2"}) == 6
        assert tx.count("connection", where={"n": 7}) == 1
        assert tx.count("connection", where={"_hosted": True}) == 1
        assert tx.count("connection", where={"_hosted": 1}) == 1
        assert tx.count("connection", where={"_hosted": 0}) == 1
        active = tx.count(
            "connection",
            account="1",
            region=R,
            where={"location": "EqDC2"},
            exclude={"connectionState": ["deleted", "deleting"], "_hosted": [1]},
        )
        assert active == 3  # 1, 5 (no state: ""), 6 (_hosted false)
        assert tx.count("connection", exclude={"connectionState": ""}) == 5
        assert tx.count("connection", exclude={"connectionState": "available"}) == 5


def test_timers_fire_in_due_order_and_move_when_scheduled_again(store):
    with store.transaction() as tx:
        assert tx.next_due() is None
        tx.schedule(30.0, "connection", "c1", "step")
        tx.schedule(10.0, "connection", "c2", "step")
        tx.schedule(20.0, "connection", "c2", "purge")
        tx.schedule(math.inf, "connection", "c3", "step")  # "never" (manual progression)
        assert tx.soonest == 10.0
    with store.transaction() as tx:
        assert tx.soonest == math.inf
        assert tx.next_due() == 10.0
        assert tx.due_timers(25.0) == [
            (10.0, "connection", "c2", "step"),
            (20.0, "connection", "c2", "purge"),
        ]
        assert tx.due_timers(100.0, limit=1) == [(10.0, "connection", "c2", "step")]
        tx.schedule(5.0, "connection", "c1", "step")  # moved, not added
        assert tx.due_timers(6.0) == [(5.0, "connection", "c1", "step")]
        tx.schedule(50.0, "connection", "c1", "step")  # never pushed out
        assert tx.due_timers(6.0) == [(5.0, "connection", "c1", "step")]
        tx.cancel("connection", "c2", "purge")
        assert [t[3] for t in tx.due_timers(100.0) if t[2] == "c2"] == ["step"]
        tx.cancel("connection", "c2")
        assert [t[2] for t in tx.due_timers(100.0)] == ["c1"]
        assert tx.due_timers(1e30)[-1] == (1e18, "connection", "c3", "step")


def test_changed_names_every_record_the_unit_touched(store):
    with store.transaction() as tx:
        _put(tx, "connection", "c1")
        _put(tx, "connection", "c2")
        assert tx.changed == {("connection", "c1"), ("connection", "c2")}
    with store.transaction() as tx:
        tx.get("connection", "c1")
        tx.list("connection")
        tx.schedule(1.0, "connection", "c1", "step")
        assert tx.changed == set()  # reads and timers are not changes
        tx.update("connection", "c1", {"v": 1})
        tx.delete("connection", "c2")
    assert tx.changed == {("connection", "c1"), ("connection", "c2")}


def test_wrote_is_false_only_while_nothing_is_written(backend, store):
    """``Tx.wrote`` may say True of a backend that cannot tell; once a unit (or one nested
    in it) wrote, every backend says True until the outermost unit ends."""
    with store.transaction() as tx:
        _put(tx, "connection", "c1")
    with store.transaction() as outer:
        outer.get("connection", "c1")
        outer.list("connection")
        if backend.name.startswith("sqlite"):
            assert not outer.wrote  # reads write nothing: the COMMIT has nothing to keep
        with store.transaction() as inner:
            inner.update("connection", "c1", {"v": 1})
            assert inner.wrote
        assert outer.wrote
    with store.transaction() as tx:
        assert tx.wrote == (not backend.name.startswith("sqlite"))


def test_a_failed_unit_changes_nothing(store):
    with store.transaction() as tx:
        _put(tx, "connection", "c1", {"v": 1})
        tx.schedule(5.0, "connection", "c1", "step")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update("connection", "c1", {"v": 2})
        _put(tx, "connection", "c2")
        tx.cancel("connection", "c1")
        tx.schedule(1.0, "connection", "c2", "step")
        raise RuntimeError("a provider rule failed")
    with store.transaction() as tx:
        assert tx.get("connection", "c1") == {"v": 1}
        assert tx.get("connection", "c2") is None
        assert tx.due_timers(100.0) == [(5.0, "connection", "c1", "step")]


def test_a_nested_unit_fails_alone_and_commits_with_the_outermost(backend, store):
    with store.transaction() as outer:
        _put(outer, "connection", "c1")
        with pytest.raises(RuntimeError), store.transaction() as inner:
            _put(inner, "connection", "c2")
            raise RuntimeError("this request fails")
        with store.transaction() as inner:
            _put(inner, "connection", "c3")
        with pytest.raises(IdTaken), store.transaction() as inner:
            _put(inner, "connection", "c4")
            _put(inner, "connection", "c1")
        with pytest.raises(ValueError), outer.savepoint():
            outer.update("connection", "c1", {"v": "lost"})
            raise ValueError
        with outer.savepoint():
            outer.update("connection", "c3", {"v": "kept"})
        assert outer.list("connection") == [{"id": "c1"}, {"v": "kept"}]
    with store.transaction() as tx:
        assert tx.get("connection", "c1") == {"id": "c1"}
        assert tx.get("connection", "c3") == {"v": "kept"}
        assert tx.get("connection", "c2") is None and tx.get("connection", "c4") is None
    # An outer failure undoes the nested units it held, committed or not.
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction() as inner:
            _put(inner, "connection", "c5")
        raise RuntimeError
    with store.transaction() as tx:
        assert tx.get("connection", "c5") is None


def test_a_nested_unit_that_reads_first_still_undoes_only_its_own_writes(store):
    with store.transaction() as outer:
        _put(outer, "connection", "c1")
        with pytest.raises(RuntimeError), store.transaction() as middle:
            assert middle.get("connection", "c1") == {"id": "c1"}  # reads, writes nothing
            with store.transaction() as inner:
                _put(inner, "connection", "c2")  # its first write: inside the middle unit
            raise RuntimeError("the middle unit fails after the inner one committed")
        with store.transaction() as middle:
            _put(middle, "connection", "c3")
            with pytest.raises(RuntimeError), store.transaction() as inner:
                assert inner.get("connection", "c3") == {"id": "c3"}
                raise RuntimeError("a unit that only read fails")
        with pytest.raises(RuntimeError), store.transaction() as middle:
            middle.get("connection", "c1")
            raise RuntimeError("nothing written, nothing to undo")
    with store.transaction() as tx:
        assert [r["id"] for r in tx.list("connection")] == ["c1", "c3"]


def test_reset_empties_and_kinds_are_listed(store):
    with store.transaction() as tx:
        _put(tx, "connection", "c1")
        _put(tx, "lag", "l1")
        tx.schedule(1.0, "lag", "l1", "step")
    assert sorted(store.iter_kinds()) == ["connection", "lag"]
    store.reset()
    assert list(store.iter_kinds()) == []
    with store.transaction() as tx:
        assert tx.get("connection", "c1") is None
        assert tx.next_due() is None
        _put(tx, "connection", "c1")  # usable after a reset


def test_a_commit_survives_close_and_reopen(backend, store):
    if not backend.reopen:
        pytest.skip(f"{backend.name}: the state ends with its store")
    with store.transaction() as tx:
        _put(tx, "connection", "c1", {"v": 1})
        tx.schedule(7.0, "connection", "c1", "step")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        _put(tx, "connection", "c2", {"v": 2})
        raise RuntimeError
    store.close()
    again = backend.open()
    with again.transaction() as tx:
        assert tx.list("connection") == [{"v": 1}]
        assert tx.due_timers(10.0) == [(7.0, "connection", "c1", "step")]


def test_durability_is_reported_and_checked(backend):
    assert backend.open(durability="full").durability == "full"
    with pytest.raises(ValueError):
        backend.open(durability="sometimes")


def test_concurrent_writers_lose_no_update(backend, store):
    """Threads (and, on a shared backend, separate stores: separate servers) increment one
    counter; every increment that committed is in the total."""
    with store.transaction() as tx:
        _put(tx, "counter", "n", {"n": 0})
    stores = [store]
    if store.shared:
        stores.append(backend.open())
    elif backend.reopen:
        with pytest.raises(StateInUse):
            backend.open()
    done: list[int] = []

    def work(s):
        for _ in range(40):
            for _attempt in range(100):
                try:
                    with s.transaction() as tx:
                        rec = tx.get("counter", "n")
                        tx.update("counter", "n", {"n": rec["n"] + 1})
                    done.append(1)
                    break
                except Conflict:
                    continue

    threads = [threading.Thread(target=work, args=(stores[i % len(stores)],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.transaction() as tx:
        assert tx.get("counter", "n") == {"n": len(done)} == {"n": 160}


def test_a_lease_has_one_holder_and_passes_on_when_it_expires(store):
    # Held for a minute: no pause of a loaded machine lets another take it meanwhile.
    assert store.hold_lease("bgp", "server-a", 60)
    assert not store.hold_lease("bgp", "server-b", 60)
    assert store.hold_lease("bgp", "server-a", 60)  # renewed
    assert store.hold_lease("other", "server-b", 60)  # another role: its own lease
    assert store.hold_lease("bgp", "server-a", 0.3)  # the last renewal; then it stops
    wait_until(lambda: store.hold_lease("bgp", "server-b", 5), timeout=10, what="the takeover")
    assert not store.hold_lease("bgp", "server-a", 0.3)
    store.release_lease("bgp", "server-a")  # not the holder: nothing happens
    assert not store.hold_lease("bgp", "server-a", 0.3)
    store.release_lease("bgp", "server-b")
    assert store.hold_lease("bgp", "server-a", 5)


def test_rows_and_timers_hold_everything_an_export_needs(store):
    with store.transaction() as tx:
        _put(tx, "lag", "l1", {"v": 1}, account="222222222222", region="eu-west-2")
        _put(tx, "connection", "c1", {"v": 2}, parent="l1", peer_account="333333333333")
        tx.schedule(9.0, "lag", "l1", "step")
        tx.schedule(3.0, "connection", "c1", "purge")
    with store.transaction() as tx:
        assert list(tx.rows()) == [
            ("connection", "c1", "111111111111", R, "l1", "333333333333", {"v": 2}),
            ("lag", "l1", "222222222222", "eu-west-2", None, None, {"v": 1}),
        ]
        assert tx.timers() == [(3.0, "connection", "c1", "purge"), (9.0, "lag", "l1", "step")]


def test_a_listing_with_the_peer_account_is_in_id_order(store):
    with store.transaction() as tx:
        _put(tx, "k", "b", account="1", region="r")
        _put(tx, "k", "a", account="2", region="r", peer_account="1")
        _put(tx, "k", "c", account="1", region="r")
    with store.transaction() as tx:
        got = tx.list("k", account="1", region="r", include_peer=True)
    assert [r["id"] for r in got] == ["a", "b", "c"]


def _event(rid, resource="", type_="api"):
    return {"eventId": rid, "type": type_, "resource": resource, "time": 1.0}


def test_the_event_log_reads_by_id_resource_and_type(store):
    """``log`` and ``events`` (store/base.py, "Events")."""
    with store.transaction() as tx:
        tx.log(_event("ev-1", "dxcon-a", "api"))  # a write call about dxcon-a
        tx.log(_event("ev-2", "dxcon-a", "api"), read_only=True)  # a read of it
        tx.log(_event("ev-3", "dxcon-b", "state"))
        tx.log(_event("ev-4", "dxcon-a", "state"))
        tx.log(_event("ev-5", "", "fault"))
        assert tx.logged and not tx.changed
    with store.transaction() as tx:
        assert not tx.logged
        ids = lambda **kw: [e["eventId"] for e in tx.events(**kw)]  # noqa: E731
        assert ids() == ["ev-1", "ev-2", "ev-3", "ev-4", "ev-5"]
        assert tx.events()[2] == _event("ev-3", "dxcon-b", "state")
        assert ids(after="ev-2") == ["ev-3", "ev-4", "ev-5"]
        assert ids(limit=2) == ["ev-1", "ev-2"]
        assert ids(resource="dxcon-a") == ["ev-1", "ev-2", "ev-4"]
        assert ids(resource="dxcon-a", type="state") == ["ev-4"]  # the indexed read
        assert ids(resource="dxcon-a", type="state", after="ev-4") == []
        assert ids(resource="dxcon-b", type="state", after="ev-1") == ["ev-3"]
        assert ids(type="state") == ["ev-3", "ev-4"]
        assert ids(resource="dxcon-a", type="api") == ["ev-1", "ev-2"]
        assert ids(type="fault", limit=1) == ["ev-5"]
        assert list(tx.rows()) == [] and tx.list("event") == []  # events are not records


def test_an_event_id_is_taken_once_and_a_failed_unit_logs_nothing(store):
    with store.transaction() as tx:
        tx.log(_event("ev-1"))
    with pytest.raises(IdTaken), store.transaction() as tx:
        tx.log(_event("ev-2"))
        tx.log(_event("ev-1"))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.log(_event("ev-3"))
        raise RuntimeError("the unit fails")
    with store.transaction() as tx:
        assert [e["eventId"] for e in tx.events()] == ["ev-1"]
    store.reset()
    with store.transaction() as tx:
        assert tx.events() == []


def test_trim_events_through_an_id_drops_it_and_those_before(store):
    ids = [f"ev-{i:015x}" for i in range(1, 6)]
    with store.transaction() as tx:
        for rid in ids:
            tx.log(_event(rid, "dxcon-aaaaaaaa"))
    with store.transaction() as tx:
        assert tx.trim_events(through=ids[2], limit=2) == 2  # ids[0], ids[1]
        assert tx.trim_events(through=ids[2]) == 1  # ids[2] itself
        assert tx.trim_events(through=tx.event_beyond(1)) == 1  # ids[3]: a count's bound
    with store.transaction() as tx:
        assert [e["eventId"] for e in tx.events()] == ids[4:]


def test_retention_keeps_the_newest_on_every_backend(store):
    """core/events.py ``Retention``: the count's bound, kept between passes, on this store."""
    ids = [f"ev-{i:015x}" for i in range(1, 11)]
    with store.transaction() as tx:
        for rid in ids:
            tx.log(_event(rid, "dxcon-aaaaaaaa"))
    retention = events.Retention(max_age=0, max_count=3)
    retention.batch = 4
    passes = []
    for _ in range(3):
        with store.transaction() as tx:
            passes.append(retention.run(tx, 1e9))
    assert passes == [4, 3, 0]  # the second pass drops up to the first one's bound
    with store.transaction() as tx:
        assert [e["eventId"] for e in tx.events()] == ids[7:]


def test_trim_events_drops_the_oldest_by_id_bound_and_count_in_batches(store):
    """``trim_events``, the event log's retention (docs/failures.md#events)."""
    ids = [f"ev-{i:015x}" for i in range(1, 11)]
    with store.transaction() as tx:
        for rid in ids:
            tx.log(_event(rid, "dxcon-aaaaaaaa", "state"))
        _put(tx, "connection", "dxcon-aaaaaaaa")
    with store.transaction() as tx:
        assert tx.event_beyond(10) is None and tx.event_beyond(9) == ids[0]
        assert tx.event_beyond(0) == ids[9]
        assert tx.trim_events() == 0  # no bound: nothing goes
        assert tx.trim_events(before=ids[0]) == 0
        assert tx.trim_events(through=tx.event_beyond(10)) == 0
        assert tx.trim_events(before=ids[3]) == 3  # ids[0..2]
        assert tx.trim_events(through=tx.event_beyond(5), limit=1) == 1  # ids[3], oldest first
        assert tx.trim_events(through=tx.event_beyond(5)) == 1  # ids[4]
        assert tx.trim_events(before=ids[9], through=tx.event_beyond(3), limit=2) == 2  # 5, 6
        assert tx.trim_events(through=ids[6]) == 0  # gone already
    with store.transaction() as tx:
        assert [e["eventId"] for e in tx.events()] == ids[7:]
        assert [e["eventId"] for e in tx.events(resource="dxcon-aaaaaaaa", type="state")] == ids[7:]
        assert tx.get("connection", "dxcon-aaaaaaaa") is not None  # records untouched
