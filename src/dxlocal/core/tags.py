"""Tag rules (TagResource doc, model TagKey/TagValue): at most 50 per resource, keys unique,
1-128 and 0-256 characters of letters, spaces, digits and ``_.:/=+-@``; ``aws:`` is reserved."""

from __future__ import annotations

import re
from typing import Any

from dxlocal.core.errors import ClientError, DuplicateTagKeysException, TooManyTagsException

MAX_TAGS = 50
_ALLOWED = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)


def check(tags: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Validate a request's tag list and return it normalised (value defaults to "")."""
    if not tags:
        return []
    seen: set[str] = set()
    out = []
    for tag in tags:
        key = tag.get("key", "")
        value = tag.get("value", "")
        if not 1 <= len(key) <= 128 or not _ALLOWED.match(key):
            raise ClientError(f"Tag key {key!r} is not valid.")
        if len(value) > 256 or not _ALLOWED.match(value):
            raise ClientError(f"Tag value {value!r} is not valid.")
        if key.lower().startswith("aws:"):
            raise ClientError("Tag keys starting with 'aws:' are reserved.")
        if key in seen:
            raise DuplicateTagKeysException(f"Duplicate tag key {key!r}.")
        seen.add(key)
        out.append({"key": key, "value": value})
    if len(out) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have at most {MAX_TAGS} tags.")
    return out


def merge(existing: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """TagResource: new values overwrite existing keys; the 50-tag cap applies to the result."""
    merged = {t["key"]: t.get("value", "") for t in existing}
    for tag in new:
        merged[tag["key"]] = tag.get("value", "")
    if len(merged) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have at most {MAX_TAGS} tags.")
    return [{"key": k, "value": v} for k, v in merged.items()]
