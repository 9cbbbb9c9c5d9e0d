"""DescribeLocations: the Direct Connect locations of the caller's region."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider._registry import operation


@cache
def catalogue() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("dxlocal.data").joinpath("locations.json").read_text()
    return json.loads(text)


def find(region: str, code: str) -> dict[str, Any]:
    for loc in catalogue().get(region, []):
        if loc["locationCode"] == code:
            return loc
    raise ClientError(f"Location {code} is not a valid Direct Connect location in {region}.")


@operation("DescribeLocations")
def describe_locations(ctx: RequestContext) -> dict[str, Any]:
    return {"locations": catalogue().get(ctx.region, [])}
