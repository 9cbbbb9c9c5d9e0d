"""``dxlocal serve`` processes sharing one database, and boto3 clients spread over them."""

from __future__ import annotations

import itertools
from typing import Any

from dxtest import LiveServer

# Races send many calls at once, and a call may wait on a serialization retry.
_RACE_CLIENT = {"max_pool_connections": 64, "read_timeout": 30}


class Fleet:
    """``n`` servers on one database; ``clients(account)`` cycles over them."""

    def __init__(self, url: str, n: int, *extra: str) -> None:
        self.servers = [LiveServer(url, *extra) for _ in range(n)]

    def __enter__(self) -> Fleet:
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self.servers:
            s.stop()

    def clients(self, account: str = "123456789012") -> itertools.cycle[Any]:
        return itertools.cycle([s.client(account, **_RACE_CLIENT) for s in self.servers])
