"""The backends the store contract suite runs against. Each entry opens a fresh, empty
store and can open it again (a second process, or a restart) on the same state."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest

from dxlocal.config import Settings
from dxlocal.store import Store, open_store

BACKENDS = ["sqlite-file", "sqlite-memory"]


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


def _backend(name: str, tmp_path: os.PathLike[str]) -> Backend:
    if name == "sqlite-file":
        return Backend(name, os.path.join(tmp_path, "state.sqlite3"), reopen=True)
    if name == "sqlite-memory":
        return Backend(name, ":memory:", reopen=False)
    raise AssertionError(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[Backend]:
    b = _backend(request.param, tmp_path)
    yield b
    b.close_all()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


OpenStore = Callable[..., Store]
