"""The store contract.

A record is wire-shaped JSON (what a Describe call returns) plus internal members whose
names start with ``_``; the serializer drops those because they are not in the model.

Every record is filed under (account, region, kind, id). Ids are unique per kind across
accounts, so a record can also be found by (kind, id) alone, which cross-account calls need
(a partner's hosted connection, a proposal for someone else's gateway). Two more columns
make the common lists indexed rather than scanned:

- ``parent``: the record this one hangs off (a VIF's connection, a connection's LAG);
- ``peer_account``: a second account that may see the record (the partner of a hosted
  connection, the connection owner of a hosted VIF).

Global resources (Direct Connect gateways) use region ``""``.

Timers drive the lifecycle: ``(due, kind, id, event)``; the lifecycle engine fires the
due ones, each in a transaction of its own.

One transaction at a time writes: a provider call is one ``with store.transaction() as tx``
block, committed on success and rolled back on any exception, so a failed call changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

Record = dict[str, Any]


class Tx(Protocol):
    def get(self, kind: str, id: str) -> Record | None: ...

    def insert(
        self,
        kind: str,
        id: str,
        data: Record,
        *,
        account: str,
        region: str,
        parent: str | None = None,
        peer_account: str | None = None,
    ) -> None: ...

    def update(
        self,
        kind: str,
        id: str,
        data: Record,
        *,
        parent: str | None = ...,
        peer_account: str | None = ...,
    ) -> None: ...

    def delete(self, kind: str, id: str) -> None: ...

    def list(
        self,
        kind: str,
        *,
        account: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        include_peer: bool = False,
    ) -> list[Record]: ...

    def count(
        self,
        kind: str,
        *,
        account: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        where: dict[str, Any] | None = None,
        exclude: dict[str, Any] | None = None,
    ) -> int: ...

    def schedule(self, due: float, kind: str, id: str, event: str) -> None: ...

    def cancel(self, kind: str, id: str, event: str | None = None) -> None: ...

    def due_timers(self, now: float, limit: int = 500) -> list[tuple[float, str, str, str]]: ...

    def next_due(self) -> float | None: ...

    def savepoint(self) -> AbstractContextManager[None]: ...


class Store(Protocol):
    location: str

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...

    def iter_kinds(self) -> Iterator[str]: ...
