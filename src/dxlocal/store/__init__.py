"""Where records live. ``open_store(url)`` picks the backend from the URL."""

from __future__ import annotations

from dxlocal.store.base import Store, Tx


def open_store(location: str) -> Store:
    """``:memory:`` or a file path -> SQLite; ``postgresql://…`` -> PostgreSQL."""
    if location.startswith(("postgres://", "postgresql://")):
        raise ValueError("the PostgreSQL backend is not available in this build")
    from dxlocal.store.sqlite import SqliteStore

    return SqliteStore(location)


__all__ = ["Store", "Tx", "open_store"]
