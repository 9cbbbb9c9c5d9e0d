"""AWS STS on the same port: who the caller is, and temporary credentials for a role.

    GetCallerIdentity   the account of the access key: a 12-digit key id is the account
                        (its root: ``arn:aws:iam::<account>:root``), any other long-term key
                        the default account; temporary credentials answer their role session
                        (``arn:aws:sts::<account>:assumed-role/<role>/<session>``)
    AssumeRole          temporary credentials (``ASIA…`` key id, secret, session token,
                        expiration) whose key id acts as the account in the RoleArn
    GetAccessKeyInfo    the account an access key id belongs to

dxlocal has no IAM: every well-formed role ARN can be assumed, by any caller. Temporary
credentials are records in the store (kind ``temporaryCredentials``), so they survive
restarts and are shared by servers on one database; they are purged a day after they expire
and answer ``ExpiredTokenException`` until then. ``lookup`` gives request authentication
(SigV4 with ``X-Amz-Security-Token``) what it needs to verify them.

Sources: AWS STS API Reference (AssumeRole, GetCallerIdentity, GetAccessKeyInfo, Common
Errors); IAM User Guide, "IAM identifiers" (ARN forms, unique id prefixes AROA and ASIA) and
"Role chaining" (sessions assumed with role credentials last at most one hour).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from dxlocal import spec
from dxlocal.core import ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ApiError, ValidationError
from dxlocal.provider._registry import operation

SERVICE = "sts"
KIND = "temporaryCredentials"
PURGE_AFTER = 86_400.0  # seconds past expiration
DEFAULT_DURATION = 3600
CHAINED_MAX = 3600
_ROLE_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\x21-\x7e]+/)?([\w+=,.@-]{1,64})$"
)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class ExpiredToken(ApiError):
    code = "ExpiredTokenException"
    status = 400  # as the STS model declares it


class MalformedPolicyDocument(ApiError):
    code = "MalformedPolicyDocument"


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float  # epoch seconds
    account: str
    arn: str  # the assumed-role session


def lookup(tx: Any, access_key_id: str) -> TemporaryCredentials | None:
    """Temporary credentials issued by AssumeRole (expired ones included, until purged)."""
    if not access_key_id.startswith("ASIA"):
        return None
    record = tx.get(KIND, access_key_id)
    if record is None:
        return None
    return TemporaryCredentials(
        record["accessKeyId"],
        record["secretAccessKey"],
        record["sessionToken"],
        record["expiration"],
        record["account"],
        record["arn"],
    )


def account_of(tx: Any, access_key_id: str, now: float) -> str | None:
    """The account temporary credentials act as; None for keys AssumeRole did not issue.
    Expired credentials are refused, as AWS refuses them."""
    found = lookup(tx, access_key_id)
    if found is None:
        return None
    if found.expiration <= now:
        raise ExpiredToken("The security token included in the request is expired")
    return found.account


@operation("GetCallerIdentity", service=SERVICE)
def get_caller_identity(ctx: RequestContext) -> dict[str, Any]:
    record = ctx.tx.get(KIND, ctx.access_key) if ctx.access_key.startswith("ASIA") else None
    if record is not None:
        return {"UserId": record["userId"], "Account": record["account"], "Arn": record["arn"]}
    return {
        "UserId": ctx.account,
        "Account": ctx.account,
        "Arn": f"arn:aws:iam::{ctx.account}:root",
    }


@operation("GetAccessKeyInfo", service=SERVICE)
def get_access_key_info(ctx: RequestContext, access_key_id: str) -> dict[str, Any]:
    if ids.is_account(access_key_id):
        return {"Account": access_key_id}
    found = lookup(ctx.tx, access_key_id)
    return {"Account": found.account if found else ctx.settings.default_account}


@operation("AssumeRole", service=SERVICE)
def assume_role(
    ctx: RequestContext,
    role_arn: str,
    role_session_name: str,
    duration_seconds: int | None = None,
    policy: str | None = None,
    source_identity: str | None = None,
    external_id: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    policy_arns: list[dict[str, Any]] | None = None,
    tags: list[dict[str, Any]] | None = None,
    transitive_tag_keys: list[str] | None = None,
    provided_contexts: list[dict[str, Any]] | None = None,
    minimum_session_token_size: int | None = None,
) -> dict[str, Any]:
    for member, value in (
        ("RoleSessionName", role_session_name),
        ("SourceIdentity", source_identity),
        ("ExternalId", external_id),
        ("SerialNumber", serial_number),
        ("TokenCode", token_code),
    ):
        _check_string(member, value)
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        raise ValidationError(f"{role_arn} is invalid")
    account, role_name = match.groups()
    duration = DEFAULT_DURATION if duration_seconds is None else duration_seconds
    if lookup(ctx.tx, ctx.access_key) is not None and duration > CHAINED_MAX:
        raise ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles "
            "assumed by role chaining."
        )
    if policy is not None:
        try:
            if not isinstance(orjson.loads(policy), dict):
                raise ValueError
        except ValueError:
            raise MalformedPolicyDocument("The policy is not in the valid JSON format.") from None
    role_id = "AROA" + _base32(hashlib.sha256(role_arn.encode()).digest(), 17)
    key_id = "ASIA" + _base32(secrets.token_bytes(10), 16)
    expiration = float(int(ctx.now) + duration)
    user = {
        "AssumedRoleId": f"{role_id}:{role_session_name}",
        "Arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{role_session_name}",
    }
    record = {
        "accessKeyId": key_id,
        "secretAccessKey": base64.b64encode(secrets.token_bytes(30)).decode(),
        "sessionToken": base64.b64encode(
            secrets.token_bytes(max(300, minimum_session_token_size or 0))
        ).decode(),
        "expiration": expiration,
        "account": account,
        "arn": user["Arn"],
        "userId": user["AssumedRoleId"],
        "roleArn": role_arn,
        "issuedTo": ctx.account,
    }
    ctx.tx.insert(KIND, key_id, record, account=account, region="")
    ctx.tx.schedule(expiration + PURGE_AFTER, KIND, key_id, "purge")
    out: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": key_id,
            "SecretAccessKey": record["secretAccessKey"],
            "SessionToken": record["sessionToken"],
            "Expiration": expiration,
        },
        "AssumedRoleUser": user,
    }
    if source_identity is not None:
        out["SourceIdentity"] = source_identity
    return out


@lifecycle.on_timer(KIND, "purge")
def _purge(ctx: RequestContext, record: dict[str, Any]) -> None:
    ctx.tx.delete(KIND, record["accessKeyId"])


def _check_string(member: str, value: str | None) -> None:
    """The model's length and pattern constraints, in AWS's validation wording."""
    if value is None:
        return
    shape = spec.service_model(SERVICE).operation_model("AssumeRole").input_shape.members[member]
    meta = shape.metadata
    where = member[0].lower() + member[1:]
    rule = ""
    if "min" in meta and len(value) < meta["min"]:
        rule = f"Member must have length greater than or equal to {meta['min']}"
    elif "max" in meta and len(value) > meta["max"]:
        rule = f"Member must have length less than or equal to {meta['max']}"
    elif "pattern" in meta and not re.fullmatch(meta["pattern"], value):
        rule = f"Member must satisfy regular expression pattern: {meta['pattern']}"
    if rule:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
            f"constraint: {rule}"
        )


def _base32(raw: bytes, length: int) -> str:
    number = int.from_bytes(raw, "big")
    return "".join(_BASE32[(number >> (5 * i)) & 31] for i in range(length))
