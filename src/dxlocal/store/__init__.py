"""Where records live. ``open_store(settings)`` picks the backend from ``settings.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dxlocal.store.base import (
    Conflict,
    IdTaken,
    StateInUse,
    StateRefused,
    Store,
    StoreError,
    Tx,
)
from dxlocal.store.locations import is_database_url, shown

if TYPE_CHECKING:
    from dxlocal.config import Settings


def open_store(settings: Settings | str) -> Store:
    """``:memory:`` or a file path -> SQLite; ``postgresql://…`` -> PostgreSQL. A bare
    location opens with the default durability."""
    if isinstance(settings, str):
        location, durability = settings, "normal"
    else:
        location, durability = settings.state, settings.durability
    if is_database_url(location):
        try:
            from dxlocal.store.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "the PostgreSQL backend needs psycopg: pip install 'dxlocal[postgres]'"
            ) from None
        return PostgresStore(location, durability)
    from dxlocal.store.sqlite import SqliteStore

    return SqliteStore(location, durability)


__all__ = [
    "Conflict",
    "IdTaken",
    "StateInUse",
    "StateRefused",
    "Store",
    "StoreError",
    "Tx",
    "is_database_url",
    "open_store",
    "shown",
]
