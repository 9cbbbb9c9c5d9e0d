"""``dxlocal serve --init FILE``: a scenario applied at start through the API path.

A scenario (JSON; YAML too when PyYAML is installed, ``dxlocal[yaml]``) is a list of steps,
each one Direct Connect call or one control call, run in order through ``Service.handle``
exactly as a client's request would be:

    {"account": "111122223333", "region": "us-east-1",          # defaults for the steps
     "steps": [
       {"control": "POST /_dxlocal/virtual-gateways",
        "body": {"virtualGatewayId": "vgw-0a1b2c3d", "vpcCidrs": ["10.0.0.0/16"]}},
       {"call": "CreateConnection", "as": "conn",
        "input": {"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "lab"}},
       {"call": "CreatePrivateVirtualInterface", "as": "vif", "account": "444455556666",
        "input": {"connectionId": "${conn.connectionId}", ...}},
       {"advance": true},                                        # every pending step, once
       {"control": "POST /_dxlocal/bgp-peers/${vif.bgpPeers[0].bgpPeerId}/routes",
        "body": {"prefixes": ["192.0.2.0/24"]}}]}

``as`` names a step's answer; ``${name.member[0].member}`` in any string refers to it (a
string that is only a reference takes the referred value's type). A step that fails stops
the server from starting, with the step's number and the error.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from dxlocal import spec

_REF = re.compile(r"\$\{([A-Za-z_][\w-]*)((?:\.[A-Za-z_]\w*|\[\d+\])*)\}")
_PART = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")


class ScenarioError(Exception):
    pass


def read(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise ScenarioError(
                f"{path}: YAML needs PyYAML (pip install 'dxlocal[yaml]'); or write it as JSON"
            ) from None
        document = yaml.safe_load(text)
    else:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ScenarioError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
        raise ScenarioError(f'{path}: a scenario is an object with a "steps" list')
    return document


def _lookup(names: dict[str, Any], name: str, path: str) -> Any:
    if name not in names:
        raise ScenarioError(f"${{{name}{path}}}: no earlier step is named {name!r}")
    value = names[name]
    for member, index in _PART.findall(path):
        try:
            value = value[member] if member else value[int(index)]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(f"${{{name}{path}}}: the answer has no such member") from None
    return value


def _resolve(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(names, whole.group(1), whole.group(2))
        return _REF.sub(lambda m: str(_lookup(names, m.group(1), m.group(2))), value)
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, names) for k, v in value.items()}
    return value


def _headers(account: str, region: str) -> dict[str, str]:
    return {
        "host": "127.0.0.1",
        "content-type": "application/x-amz-json-1.1",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/directconnect/"
            "aws4_request, SignedHeaders=host, Signature=0"
        ),
    }


def _send(service: Any, method: str, path: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    answer = service.handle(method, path, headers, body)
    if not isinstance(answer, tuple):
        answer = asyncio.run(answer)  # a control route that waits (no loop runs yet)
    status, _, payload = answer
    return status, payload


def apply(service: Any, document: dict[str, Any]) -> int:
    """Run every step; returns how many ran. ``ScenarioError`` names the failing step."""
    account = str(document.get("account") or service.settings.default_account)
    region = str(document.get("region") or service.settings.default_region)
    names: dict[str, Any] = {}
    for number, step in enumerate(document["steps"], 1):
        if not isinstance(step, dict):
            raise ScenarioError(f"step {number}: a step is an object")
        try:
            step = _resolve(step, names)
            if "call" in step:
                headers = _headers(
                    str(step.get("account", account)), str(step.get("region", region))
                )
                headers["x-amz-target"] = f"{spec.TARGET_PREFIX}.{step['call']}"
                body = json.dumps(step.get("input") or {}).encode()
                status, payload = _send(service, "POST", "/", headers, body)
            elif "control" in step:
                method, _, path = str(step["control"]).partition(" ")
                body = json.dumps(step.get("body") or {}).encode()
                headers = {"host": "127.0.0.1", "content-type": "application/json"}
                status, payload = _send(service, method, path, headers, body)
            elif step.get("advance"):
                headers = {"host": "127.0.0.1", "content-type": "application/json"}
                status, payload = _send(service, "POST", "/_dxlocal/advance", headers, b"{}")
            else:
                raise ScenarioError('a step has "call", "control" or "advance"')
        except ScenarioError as exc:
            raise ScenarioError(f"step {number}: {exc}") from None
        answer = json.loads(payload) if payload else {}
        if status >= 300:
            what = step.get("call") or step.get("control") or "advance"
            raise ScenarioError(
                f"step {number} ({what}): {status} {answer.get('__type', '')}: "
                f"{answer.get('message', '')}"
            )
        if "as" in step:
            names[str(step["as"])] = answer
    return len(document["steps"])
