"""The backends the store contract suite runs against. Each entry opens a fresh, empty
store and can open it again (a second process, or a restart) on the same state."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
from pgcluster import Cluster, Unavailable

from dxlocal.config import Settings
from dxlocal.store import Store, open_store

BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql"]


class Backend:
    """Opens stores on one state; ``reopen`` is False where a state dies with its store."""

    def __init__(self, name: str, location: str, reopen: bool) -> None:
        self.name = name
        self.location = location
        self.reopen = reopen
        self.opened: list[Store] = []

    def open(self, **settings: object) -> Store:
        store = open_store(Settings(state=self.location).with_(**settings))
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            with contextlib.suppress(Exception):
                store.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The PostgreSQL server of this test run (skips where there is none)."""
    try:
        cluster = Cluster()
    except Unavailable as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty database."""
    return pg_cluster.database()


def _backend(name: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Backend:
    if name == "postgresql":
        return Backend(name, request.getfixturevalue("pg_url"), reopen=True)
    if name == "sqlite-file":
        return Backend(name, os.path.join(tmp_path, "state.sqlite3"), reopen=True)
    if name == "sqlite-memory":
        return Backend(name, ":memory:", reopen=False)
    raise AssertionError(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[Backend]:
    b = _backend(request.param, request, tmp_path)
    yield b
    b.close_all()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


OpenStore = Callable[..., Store]
