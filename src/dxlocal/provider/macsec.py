"""MACsec keys: AssociateMacSecKey, DisassociateMacSecKey (docs/behavior.md#macsec).

A key is given either as a Secrets Manager ``secretARN`` or as a CKN/CAK pair (64 hex
characters each), never both. A CKN/CAK pair is kept as a secret of dxlocal's own, whose ARN
the answer returns (AWS stores the pair in Secrets Manager the same way), so the pair can
later be referred to by that ARN. Keys live in the ``macSecKeys`` of the MACsec-capable
connection, interconnect or LAG; their states move ``associating`` -> ``associated`` and
``disassociating`` -> gone, one progression delay per step, worked out when the port is
read (core/lifecycle.py ``nested``). ``portEncryptionStatus`` is ``Encryption Up`` while an
associated key is on an available port.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from dxlocal.core import errors, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider import ports
from dxlocal.provider._registry import operation

KEY = "macSecKey"
SECRET = "macSecSecret"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$"
)


def _target(ctx: RequestContext, resource_id: str) -> tuple[str, dict[str, Any]]:
    """The MACsec-capable dedicated port or LAG the caller owns."""
    if resource_id.startswith("dxlag-"):
        kind, record = ports.LAG, ports.get_lag(ctx, resource_id)
    else:
        kind, record = ports.get_port(ctx, resource_id)
    if ports.port_state(kind, record) in ("deleting", "deleted", "rejected"):
        raise (
            errors.lag_not_found(resource_id)
            if kind == ports.LAG
            else errors.connection_not_found(resource_id)
        )
    if record.get("_hosted") or not record.get("macSecCapable"):
        raise ClientError(f"{resource_id} does not support MAC Security (MACsec).")
    return kind, record


def _secret_for_pair(ctx: RequestContext, ckn: str, cak: str) -> str:
    """The ARN of the secret holding a CKN/CAK pair (one per pair and account)."""
    for secret in ctx.tx.list(SECRET, account=ctx.account, region=ctx.region):
        if secret["ckn"] == ckn.lower():
            if secret["_cak"] != cak.lower():
                raise ClientError(f"CKN {ckn} is already stored with a different CAK.")
            return secret["secretARN"]
    suffix = secrets.token_hex(3)
    arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:directconnect!{ckn.lower()[:16]}-{suffix}"
    record = {"secretARN": arn, "ckn": ckn.lower(), "_cak": cak.lower()}
    ctx.tx.insert(SECRET, arn, record, account=ctx.account, region=ctx.region)
    return arn


def _check_key_input(
    ctx: RequestContext, secret_arn: str | None, ckn: str | None, cak: str | None
) -> tuple[str, str | None]:
    """(secretARN, ckn) from either form of the request."""
    if secret_arn and (ckn or cak):
        raise ClientError("Specify either secretARN, or ckn and cak, not both.")
    if secret_arn:
        if not _SECRET_ARN.match(secret_arn):
            raise ClientError(f"secretARN {secret_arn} is not a valid Secrets Manager secret ARN.")
        known = ctx.tx.get(SECRET, secret_arn)
        return secret_arn, known["ckn"] if known else None
    if not (ckn and cak):
        raise ClientError("Specify either secretARN, or both ckn and cak.")
    for name, value in (("ckn", ckn), ("cak", cak)):
        if not _HEX64.match(value):
            raise ClientError(f"{name} must be 64 hexadecimal characters.")
    return _secret_for_pair(ctx, ckn, cak), ckn.lower()


def encryption_status(kind: str, record: dict[str, Any]) -> str:
    up = ports.port_state(kind, record) == "available" and any(
        k["state"] == "associated" for k in record.get("macSecKeys", [])
    )
    return "Encryption Up" if up else "Encryption Down"


def _save(ctx: RequestContext, kind: str, record: dict[str, Any]) -> None:
    if kind != ports.LAG:
        record["portEncryptionStatus"] = encryption_status(kind, record)
    ctx.tx.update(kind, ports.port_id(record), record)


@operation("AssociateMacSecKey")
def associate_mac_sec_key(
    ctx: RequestContext,
    *,
    connection_id: str,
    secret_arn: str | None = None,
    ckn: str | None = None,
    cak: str | None = None,
) -> dict[str, Any]:
    kind, record = _target(ctx, connection_id)
    arn, key_name = _check_key_input(ctx, secret_arn, ckn, cak)
    keys = record.setdefault("macSecKeys", [])
    if any(k["secretARN"] == arn and k["state"] in ("associating", "associated") for k in keys):
        raise ClientError(f"The MACsec key {arn} is already associated with {connection_id}.")
    key: dict[str, Any] = {
        "secretARN": arn,
        "state": "associating",
        lifecycle.ENTERED: ctx.now,
        "startOn": dt.datetime.fromtimestamp(ctx.now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    if key_name:
        key["ckn"] = key_name
    record["macSecKeys"] = [k for k in keys if k["secretARN"] != arn] + [key]
    _save(ctx, kind, record)
    return {"connectionId": connection_id, "macSecKeys": record["macSecKeys"]}


@operation("DisassociateMacSecKey")
def disassociate_mac_sec_key(
    ctx: RequestContext, *, connection_id: str, secret_arn: str
) -> dict[str, Any]:
    kind, record = _target(ctx, connection_id)
    key = next(
        (
            k
            for k in record.get("macSecKeys", [])
            if k["secretARN"] == secret_arn and k["state"] != "disassociating"
        ),
        None,
    )
    if key is None:
        raise ClientError(f"The MACsec key {secret_arn} is not associated with {connection_id}.")
    lifecycle.advance(KEY, key, "disassociating", ctx.now)
    _save(ctx, kind, record)
    return {"connectionId": connection_id, "macSecKeys": [key]}


@lifecycle.on_nested_step(ports.CONNECTION, ports.INTERCONNECT)
def _keys_stepped(kind: str, record: dict[str, Any]) -> None:
    """A key that became associated (or left) turns the port's encryption up (or down)."""
    record["portEncryptionStatus"] = encryption_status(kind, record)
