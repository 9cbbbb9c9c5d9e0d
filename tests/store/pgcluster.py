"""A throwaway PostgreSQL cluster for the test run, or the one ``DXLOCAL_TEST_PG`` names.

``scripts/bootstrap.sh test`` installs Debian's ``postgresql`` package; this starts a
cluster of its own (``initdb`` in a temporary folder, as the ``postgres`` user when run as
root, listening on 127.0.0.1 and a free port) and stops it at the end of the run. Each test
gets a database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from urllib.parse import urlsplit, urlunsplit


class Unavailable(Exception):
    """No PostgreSQL here; the message says why (the tests skip with it)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise Unavailable(
        f"PostgreSQL's {name} is not installed (scripts/bootstrap.sh test installs Debian's"
        " postgresql package; or set DXLOCAL_TEST_PG to a server's URL)"
    )


class Cluster:
    """``durable``: PostgreSQL's own defaults (fsync on), as benchmarks want; tests turn
    fsync off, which only matters if the machine itself crashes."""

    def __init__(self, durable: bool = False) -> None:
        self.url = os.environ.get("DXLOCAL_TEST_PG", "")
        self.durable = durable
        self.data: str | None = None
        self._dir: str | None = None
        self._as: list[str] = []
        self._serial = itertools.count(1)
        self._made: list[str] = []
        if not self.url:
            self._start()

    def _start(self) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise Unavailable("psycopg is not installed (pip install -e '.[postgres]')") from None
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        self._dir = tempfile.mkdtemp(prefix="dxlocal-pg-")
        if os.getuid() == 0:  # initdb refuses root: run the cluster as postgres
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("no postgres user to run a test cluster as") from None
            os.chown(self._dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        data = self.data = os.path.join(self._dir, "data")
        port = _free_port()
        self._pg_ctl = [*self._as, pg_ctl, "-D", data]
        run = dict(capture_output=True, text=True, timeout=120)
        out = subprocess.run(
            [*self._as, initdb, "-D", data, "-A", "trust", "-U", "postgres"], **run
        )
        if out.returncode:
            raise Unavailable(f"initdb failed: {out.stderr.strip()[-300:]}")
        opts = f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off"
        log = os.path.join(self._dir, "log")
        out = subprocess.run([*self._pg_ctl, "-o", opts, "-l", log, "-w", "start"], **run)
        if out.returncode:
            raise Unavailable(f"PostgreSQL did not start: {out.stderr.strip()[-300:]}")
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"dxlocal_test_{os.getpid()}_{next(self._serial)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._made.append(name)
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/" + name))

    def pids(self) -> list[int]:
        """The cluster's processes (the postmaster and its children), when it is ours."""
        if self.data is None:
            return []
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            root = int(f.readline())
        found = [root]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == root:
                            found.append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
        return found

    def stop(self) -> None:
        if self._dir is None:  # a server of the user's: drop the databases made on it
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                for name in self._made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        subprocess.run([*self._pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
