"""What the SQLite file backend promises beyond the contract: ``--durability`` reaches
``PRAGMA synchronous``, a state file names its owner and schema and anything else is refused
untouched, and the WAL stays under its cap."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from dxlocal.config import Settings
from dxlocal.store import IdTaken, StateRefused, open_store
from dxlocal.store.sqlite import APPLICATION_ID, SCHEMA_VERSION, WAL_CAP, SqliteStore


@pytest.mark.parametrize(("durability", "level"), [("normal", 1), ("full", 2)])
def test_durability_sets_pragma_synchronous(tmp_path, durability, level):
    store = open_store(Settings(state=str(tmp_path / "s.sqlite3"), durability=durability))
    try:
        with store._lock:
            assert store._db.execute("PRAGMA synchronous").fetchone()[0] == level
    finally:
        store.close()


def test_a_new_file_carries_dxlocals_id_and_schema_version(tmp_path):
    path = str(tmp_path / "s.sqlite3")
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


# Layout 1, as releases before layout 2 wrote it.
LAYOUT_1 = """
CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, account TEXT NOT NULL,
    region TEXT NOT NULL, parent TEXT, peer_account TEXT, data TEXT NOT NULL,
    PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE INDEX records_owner ON records (kind, account, region);
CREATE INDEX records_parent ON records (kind, parent) WHERE parent IS NOT NULL;
CREATE INDEX records_peer ON records (kind, peer_account, region) WHERE peer_account IS NOT NULL;
CREATE INDEX records_location ON records (kind, account, region, json_extract(data, '$.location'))
    WHERE json_extract(data, '$.location') IS NOT NULL;
CREATE TABLE timers (kind TEXT NOT NULL, id TEXT NOT NULL, event TEXT NOT NULL,
    due REAL NOT NULL, PRIMARY KEY (kind, id, event)) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (due);
"""


# Layout 2, a development step: layout 1's records, events in a table with ``read_only``.
LAYOUT_2_EVENTS = """
CREATE TABLE events (id TEXT PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL,
    read_only INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX events_resource ON events (resource, id) WHERE read_only=0;
"""


@pytest.mark.parametrize("version", [0, 1, 2])
def test_an_older_layout_is_upgraded_in_place(tmp_path, version):
    """Layout 1 (and the unstamped 0): events among the records, the location inside the
    JSON, records ordered by id. Layout 2: the same records, events in a table of theirs."""
    path = str(tmp_path / "old.sqlite3")
    db = sqlite3.connect(path)
    db.executescript(LAYOUT_1 + (LAYOUT_2_EVENTS if version == 2 else ""))
    if version:
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        db.execute(f"PRAGMA user_version={version}")
    event = {"eventId": "ev-1", "time": 1.0, "type": "state", "resource": "dxcon-1"}
    if version == 2:
        db.execute(
            "INSERT INTO events VALUES ('ev-1', 'state', 'dxcon-1', 0, ?)", (json.dumps(event),)
        )
    else:
        db.execute(
            "INSERT INTO records VALUES ('event', 'ev-1', '1', 'r', 'dxcon-1', NULL, ?)",
            (json.dumps(event),),
        )
    db.execute(
        "INSERT INTO records VALUES ('connection', 'dxcon-1', '1', 'r', NULL, NULL,"
        ' \'{"location": "EqDC2"}\')'
    )
    db.execute(
        "INSERT INTO records VALUES ('virtualInterface', 'dxvif-1', '1', 'r', 'dxcon-1', '2', '{}')"
    )
    db.execute("INSERT INTO timers VALUES ('connection', 'dxcon-1', 'purge', 9.0)")
    db.commit()
    db.close()
    store = SqliteStore(path)
    with store.transaction() as tx:
        assert tx.events(resource="dxcon-1", type="state") == [event]
        assert tx.list("event") == [] and tx.get("connection", "dxcon-1") == {"location": "EqDC2"}
        where = {"location": "EqDC2"}
        assert tx.count("connection", account="1", region="r", where=where) == 1
        assert tx.list("virtualInterface", parent="dxcon-1") == [{}]
        assert tx.list("virtualInterface", account="2", region="r", include_peer=True) == [{}]
        assert tx.timers() == [(9.0, "connection", "dxcon-1", "purge")]
        with pytest.raises(IdTaken):
            tx.insert("connection", "dxcon-1", {}, account="1", region="r")
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert not names & {"records_1", "events_1"}
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _newer(path):
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()


def _foreign(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (n INTEGER)")
    db.execute("INSERT INTO invoices VALUES (1)")
    db.commit()
    db.close()


def _foreign_with_our_table_names(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id=1234")
    db.execute("CREATE TABLE records (n)")
    db.execute("CREATE TABLE timers (n)")
    db.commit()
    db.close()


def _garbage(path):
    with open(path, "wb") as f:
        f.write(os.urandom(3 * 8192))


def _corrupt(path):
    store = SqliteStore(path)
    with store.transaction() as tx:
        for i in range(400):
            tx.insert("k", f"id-{i:04}", {"pad": "x" * 500}, account="1", region="r")
    store.close()  # checkpointed: the WAL is gone, everything is in the file
    with open(path, "r+b") as f:  # scribble over a B-tree page in the middle
        f.seek(8192 * 5)
        f.write(b"\xff" * 8192)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_newer, "newer dxlocal"),
        (_foreign, "another program"),
        (_foreign_with_our_table_names, "another program"),
        (_garbage, "not a dxlocal state file"),
        (_corrupt, "corrupt"),
    ],
)
def test_a_file_that_is_not_ours_is_refused_and_left_as_it_was(tmp_path, make, words):
    path = str(tmp_path / "state.sqlite3")
    make(path)
    before = _digest(path), os.stat(path).st_mtime_ns
    with pytest.raises(StateRefused, match=words) as caught:
        SqliteStore(path)
    assert "\n" not in str(caught.value)
    after = _digest(path), os.stat(path).st_mtime_ns
    assert after == before
    assert not os.path.exists(path + "-wal")
    # The refusal released the file's lock: a fixed file opens.
    os.remove(path)
    SqliteStore(path).close()


def test_dxlocal_serve_refuses_a_newer_file_in_one_line(tmp_path):
    path = str(tmp_path / "state.sqlite3")
    _newer(path)
    before = _digest(path)
    out = subprocess.run(
        [sys.executable, "-m", "dxlocal.cli", "serve", "--state", path, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "newer dxlocal" in lines[0], out.stderr
    assert _digest(path) == before


def test_the_wal_stays_under_its_cap_under_write_load(tmp_path):
    """Writes outrun the background checkpoints (which here never get to run: one every
    hour); the COMMITs themselves keep the WAL under the cap."""
    cap = 4 * 1024 * 1024
    store = SqliteStore(str(tmp_path / "s.sqlite3"), wal_cap=cap)
    store.start_background(interval=3600)
    biggest = 0
    written = 0
    stop = threading.Event()

    def watch():  # sample from outside too, as an operator's `ls -l` would
        nonlocal biggest
        while not stop.is_set():
            biggest = max(biggest, store.wal_size())
            stop.wait(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for batch in range(300):
            with store.transaction() as tx:
                for i in range(20):
                    rid = f"dxcon-{batch:04}{i:02}"
                    tx.insert("connection", rid, {"pad": "x" * 2000}, account="1", region="r")
                    written += 2000
            biggest = max(biggest, store.wal_size())
    finally:
        stop.set()
        watcher.join()
    assert written > 2 * cap  # enough writes to grow it well past the cap
    assert 0 < biggest <= cap
    with store.transaction() as tx:
        assert tx.count("connection") == 6000
    store.close()


def test_the_default_wal_cap_is_documented():
    import dxlocal.store.sqlite as mod

    assert WAL_CAP == 128 * 1024 * 1024
    assert "128 MiB" in mod.__doc__
