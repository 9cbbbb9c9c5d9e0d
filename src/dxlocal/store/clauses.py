"""What the two SQL backends (sqlite.py, postgres.py) write alike: a record's JSON text and
the column parts of an UPDATE, a listing and a count. ``mark`` is the driver's placeholder
(``?`` for sqlite3, ``%s`` for psycopg); column names never come from a request."""

from __future__ import annotations

from typing import Any

import orjson

from dxlocal.store.base import Record

#: The columns ``Tx.update`` may change beside the data.
UPDATABLE = ("parent", "peer_account", "account")


def dumps(data: Record) -> str:
    """A record as the JSON text kept in ``records.data`` (compact; keys that are not
    strings written as strings, as the standard library did)."""
    try:
        return orjson.dumps(data).decode()  # without the option: 40% faster
    except TypeError:  # orjson.JSONEncodeError: a key that is not a string, perhaps
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()


def location_of(data: Record) -> str | None:
    """What a record's ``location`` column holds: its top-level ``location`` member, a
    string (connections, LAGs, interconnects, VIFs), or nothing. The per-location quotas
    count by it through an index, with no JSON to parse on any write or count."""
    value = data.get("location")
    return value if isinstance(value, str) else None


def update_set(data: Record, columns: dict[str, Any], mark: str) -> tuple[str, list[Any]]:
    """``SET`` of ``Tx.update``: the data (and its location) and the columns given, with
    their arguments."""
    sets = [f"data={mark}", f"location={mark}"]
    args: list[Any] = [dumps(data), location_of(data)]
    for name in UPDATABLE:
        if name in columns:
            sets.append(f"{name}={mark}")
            args.append(columns[name])
    return ", ".join(sets), args


def event_filters(
    mark: str, after: str, resource: str | None, type: str | None
) -> tuple[list[str], list[Any], bool]:
    """The ``WHERE`` tests of ``Tx.events``, their arguments, and whether the resource index
    (``events_resource``, events of a type other than ``api``) can answer them."""
    where, args = [f"id>{mark}"], [after]
    if resource is not None:
        where.append(f"resource={mark}")
        args.append(resource)
    indexed = type not in (None, "api")
    if type is not None:
        where.append(f"type={mark}")
        args.append(type)
    if indexed:
        where.append("type<>'api'")  # spelled as the index's condition, so the planner uses it
    return where, args, indexed


def filters(
    kind: str,
    mark: str,
    *,
    account: str | None = None,
    region: str | None = None,
    parent: str | None = None,
    include_peer: bool = False,
) -> tuple[list[str], list[Any]]:
    """The ``WHERE`` tests of ``Tx.list`` and ``Tx.count`` on the record's columns, with
    their arguments; ``include_peer``: the account owns the record or is its peer."""
    where = [f"kind={mark}"]
    args: list[Any] = [kind]
    if parent is not None:
        where.append(f"parent={mark}")
        args.append(parent)
    if account is not None:
        if include_peer:
            where.append(f"(account={mark} OR peer_account={mark})")
            args += [account, account]
        else:
            where.append(f"account={mark}")
            args.append(account)
    if region is not None:
        where.append(f"region={mark}")
        args.append(region)
    return where, args
