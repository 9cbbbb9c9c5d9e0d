"""Where a store lives, said safely: a path, ``:memory:`` or a PostgreSQL URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def is_database_url(location: str) -> bool:
    return location.startswith(("postgres://", "postgresql://"))


def shown(location: str) -> str:
    """A location fit for a log line: a database URL loses its password."""
    if not is_database_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
