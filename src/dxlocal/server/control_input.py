"""Type checks for ``/_dxlocal`` request bodies, before a route sees them.

Every member name the control routes read has one rule here, applied wherever the name
appears in the body (at the top or inside a list of prefixes), so a dict where an id
belongs, ``{"cidr": 5}``, ``"asPath": [-1]`` or ``"account": 5`` is a 400 and the store is
never reached. Names without a rule are left to their route (PATCH is checked against the
record's model shape, ``control_patch.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dxlocal.core import ids
from dxlocal.core.errors import SerializationException

Rule = Callable[[str, Any], None]
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
MAX_DEPTH = 16


def _fail(name: str, what: str, value: Any) -> SerializationException:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SerializationException(f"Control member {name!r} must be {what}, not {shown}.")


def _string(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise _fail(name, "a non-empty string", value)


def _account(name: str, value: Any) -> None:
    if not isinstance(value, str) or not ids.is_account(value):
        raise _fail(name, "a 12-digit account id string", value)


def _region(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _REGION.match(value):
        raise _fail(name, "a Region name such as us-east-1", value)


def _number(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _fail(name, "a number", value)


def _asn(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4294967295:
        raise _fail(name, "an ASN from 1 to 4294967295", value)


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(name, "true or false", value)


def _list_of(rule: Rule) -> Rule:
    def check(name: str, value: Any) -> None:
        if not isinstance(value, list):
            raise _fail(name, "a list", value)
        for item in value:
            rule(name, item)

    return check


def _prefix(name: str, value: Any) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, dict):
        raise _fail(name, 'a CIDR or {"cidr", "asPath", "communities"}', value)
    if "cidr" not in value:
        raise _fail(name, 'an object with a "cidr"', value)


RULES: dict[str, Rule] = {
    "account": _account,
    "region": _region,
    "virtualInterfaceId": _string,
    "virtualGatewayId": _string,
    "transitGatewayId": _string,
    "netns": _string,
    "state": _string,
    "bgpStatus": _string,
    "cidr": _string,
    "seconds": _number,
    "amazonSideAsn": _asn,
    "asPath": _list_of(_asn),
    "communities": _list_of(_string),
    "vpcCidrs": _list_of(_string),
    "prefixes": _list_of(_prefix),
    "loopback": _boolean,
}


def check(body: Any, depth: int = 0) -> None:
    """Raise ``SerializationException`` (400) for a member of the wrong type, anywhere."""
    if depth > MAX_DEPTH:
        raise SerializationException("The control request nests too deeply.")
    if isinstance(body, dict):
        for key, value in body.items():
            rule = RULES.get(key)
            if rule is not None and value is not None:
                rule(key, value)
            check(value, depth + 1)
    elif isinstance(body, list):
        for item in body:
            check(item, depth + 1)
