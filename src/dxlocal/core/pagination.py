"""``maxResults``/``nextToken`` for the Describe/List calls that take them.

Tokens are opaque base64 JSON like AWS's; ``maxResults`` above 100 is read as 100 (member
docs). Without ``maxResults`` everything is returned, as AWS does for these calls.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from dxlocal.core.errors import ClientError

MAX_PAGE = 100


def page(
    items: list[dict[str, Any]], key: str, max_results: int | None, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    items = sorted(items, key=lambda r: r.get(key, ""))
    start = 0
    if next_token:
        try:
            after = json.loads(base64.b64decode(next_token))["after"]
            if not isinstance(after, str):
                raise TypeError(after)
        except (ValueError, KeyError, TypeError, RecursionError):
            # RecursionError: a forged token nesting JSON thousands of levels deep.
            raise ClientError("The nextToken is not valid.") from None
        start = next((i for i, r in enumerate(items) if r.get(key, "") > after), len(items))
    if max_results is None:
        return items[start:], None
    if max_results < 1:
        raise ClientError("maxResults must be at least 1.")
    size = min(max_results, MAX_PAGE)
    chunk = items[start : start + size]
    if start + size >= len(items):
        return chunk, None
    token = base64.b64encode(json.dumps({"v": 1, "after": chunk[-1][key]}).encode()).decode()
    return chunk, token
