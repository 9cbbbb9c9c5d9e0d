"""What the PostgreSQL backend promises beyond the contract: each due timer fires once across
servers, the schema is dxlocal's and versioned, and a lease has one holder at a time."""

from __future__ import annotations

import json
import threading

import pytest

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")

from dxlocal.config import Settings  # noqa: E402
from dxlocal.store import Conflict, StateRefused, StoreError, open_store  # noqa: E402
from dxlocal.store.postgres import SCHEMA_VERSION  # noqa: E402
from dxtest import wait_until  # noqa: E402


def _open(url: str):
    return open_store(Settings(state=url))


def test_each_due_timer_fires_once_across_servers(pg_url):
    """Three stores (three servers) fire the same due timers at once, as Service.run_due
    does; every timer's record is stepped exactly once."""
    stores = [_open(pg_url) for _ in range(3)]
    with stores[0].transaction() as tx:
        for i in range(300):
            tx.insert("k", f"r{i:03}", {"fired": 0}, account="1", region="r")
            tx.schedule(1.0 + i / 1000, "k", f"r{i:03}", "step")
    conflicts = [0]

    def fire(store):
        while True:
            try:
                with store.transaction() as tx:
                    due = tx.due_timers(10.0, limit=20)
                    for _, kind, rid, event in due:
                        tx.cancel(kind, rid, event)
                        rec = tx.get(kind, rid)
                        tx.update(kind, rid, {"fired": rec["fired"] + 1})
                    left = tx.next_due()
            except Conflict:
                conflicts[0] += 1
                continue
            if not due and left is None:
                return

    threads = [threading.Thread(target=fire, args=(s,)) for s in stores for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with stores[1].transaction() as tx:
        fired = [r["fired"] for r in tx.list("k")]
        assert tx.next_due() is None
    assert fired == [1] * 300
    for s in stores:
        s.close()


def test_the_schema_is_stamped_and_a_newer_one_refused(pg_url):
    _open(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT value FROM dxlocal.meta WHERE key='schema_version'").fetchone()
        assert row == (str(SCHEMA_VERSION),)
        conn.execute("UPDATE dxlocal.meta SET value=%s", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StateRefused, match="newer dxlocal"):
        _open(pg_url)


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_schema_is_upgraded(pg_url, version):
    """Layout 1 kept events as records of kind ``event``; layout 2 (a development step) had
    them in a table with a ``read_only`` column; neither had the location column."""
    _open(pg_url).close()
    event = {"eventId": "ev-1", "time": 1.0, "type": "state", "resource": "dxcon-1"}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE dxlocal.events")
        if version == 2:
            conn.execute(
                "CREATE TABLE dxlocal.events (id text PRIMARY KEY, type text NOT NULL,"
                " resource text NOT NULL, read_only boolean NOT NULL, data text NOT NULL)"
            )
            conn.execute(
                "CREATE INDEX events_resource ON dxlocal.events (resource, id) WHERE NOT read_only"
            )
        conn.execute("ALTER TABLE dxlocal.records DROP COLUMN location")  # and its index
        conn.execute(
            "CREATE INDEX records_location"
            " ON dxlocal.records (kind, account, region, dxlocal.member(data, 'location'))"
        )
        conn.execute(
            "INSERT INTO dxlocal.records VALUES"
            " ('connection', 'dxcon-1', '1', 'r', NULL, NULL, '{\"location\": \"EqDC2\"}')"
        )
        conn.execute("UPDATE dxlocal.meta SET value=%s", (str(version),))
        if version == 2:
            conn.execute(
                "INSERT INTO dxlocal.events VALUES ('ev-1', 'state', 'dxcon-1', false, %s)",
                (json.dumps(event),),
            )
        else:
            conn.execute(
                "INSERT INTO dxlocal.records VALUES"
                " ('event', 'ev-1', '1', 'r', 'dxcon-1', NULL, %s)",
                (json.dumps(event),),
            )
    store = _open(pg_url)
    with store.transaction() as tx:
        assert tx.events(resource="dxcon-1", type="state") == [event]
        assert tx.list("event") == []
        where = {"location": "EqDC2"}
        assert tx.count("connection", account="1", region="r", where=where) == 1
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT value FROM dxlocal.meta WHERE key='schema_version'").fetchone()
    assert row == (str(SCHEMA_VERSION),)


def test_a_foreign_dxlocal_schema_is_refused_untouched(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA dxlocal")
        conn.execute("CREATE TABLE dxlocal.invoices (n int)")
    with pytest.raises(StateRefused, match="not dxlocal's"):
        _open(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='dxlocal'"
        ).fetchall()
    assert tables == [("invoices",)]


def test_servers_starting_together_create_the_schema_once(pg_url):
    opened, failed = [], []

    def start():
        try:
            opened.append(_open(pg_url))
        except Exception as exc:  # pragma: no cover - the assertion shows it
            failed.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failed and len(opened) == 4
    for s in opened:
        s.close()


def test_an_unreachable_database_is_one_line(pg_cluster):
    with pytest.raises(StoreError, match="cannot connect to postgresql://") as caught:
        _open("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "\n" not in str(caught.value) and "secret" not in str(caught.value)


def test_a_lease_has_one_holder_and_passes_on_when_it_expires(pg_url):
    a, b = _open(pg_url), _open(pg_url)
    assert a.hold_lease("bgp", "server-a", 60)
    assert not b.hold_lease("bgp", "server-b", 60)
    assert a.hold_lease("bgp", "server-a", 0.5)  # renewed, the last time (it dies)
    wait_until(lambda: b.hold_lease("bgp", "server-b", 5), timeout=10, what="the takeover")
    assert not a.hold_lease("bgp", "server-a", 0.5)
    b.release_lease("bgp", "server-b")
    assert a.hold_lease("bgp", "server-a", 5)
    a.close()
    b.close()


def test_dxlocal_serve_on_an_unreachable_database_is_one_line():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "dxlocal.cli", "serve", "--port", "0",
         "--state", "postgresql://dx:hunter2@127.0.0.1:1/lab"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dxlocal serve: cannot connect to"), out.stderr
    assert "hunter2" not in out.stderr + out.stdout
