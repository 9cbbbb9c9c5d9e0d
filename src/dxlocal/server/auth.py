"""Who is calling: ``--auth none`` (the default) or ``--auth sigv4`` (docs/security.md).

``none``: nothing is verified. The account is the access key id when it is 12 digits (or
a registered temporary key's account), else the default account; the Region is the
credential scope's.

``sigv4``: every API request must carry a Signature Version 4 ``Authorization`` header
made with a known key (AWS General Reference, "Signature Version 4 signing process"):

    canonical request  METHOD \\n URI \\n query \\n headers \\n signed header names \\n SHA256(body)
    string to sign     AWS4-HMAC-SHA256 \\n X-Amz-Date \\n date/region/service/aws4_request
                       \\n SHA256(canonical request)
    signing key        HMAC chain of "AWS4"+secret over date, region, service, "aws4_request"

Keys come from ``--credentials FILE`` or ``DXLOCAL_CREDENTIALS``: entries
``ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT``, one per line or comma-separated. Temporary
credentials (issued by STS AssumeRole, looked up through ``temporary``) must come with
their ``X-Amz-Security-Token``. A request dated more than 5 minutes from the server's clock
is refused ("Signature expired", as AWS words it).

Failures carry the codes AWS's JSON services answer (HTTP 400; botocore reads ``__type``);
``query_code``/``query_status`` hold the awsQuery names (InvalidClientTokenId,
SignatureDoesNotMatch, ...) for a protocol that answers in XML.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from dxlocal.core import ids
from dxlocal.core.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = 300.0  # seconds between X-Amz-Date and the server's clock
SERVICE = "directconnect"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/")
_DATE = "%Y%m%dT%H%M%SZ"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)


class CredentialsError(ValueError):
    """The credentials given to the server cannot be used (unreadable, malformed)."""


class AuthFailure(ApiError):
    status = 400
    query_code = ""
    query_status = 403


class MissingAuthenticationToken(AuthFailure):
    code = "MissingAuthenticationTokenException"
    query_code = "MissingAuthenticationToken"


class IncompleteSignature(AuthFailure):
    code = "IncompleteSignatureException"
    query_code = "IncompleteSignature"
    query_status = 400


class UnrecognizedClient(AuthFailure):
    code = "UnrecognizedClientException"
    query_code = "InvalidClientTokenId"


class InvalidSignature(AuthFailure):
    code = "InvalidSignatureException"
    query_code = "SignatureDoesNotMatch"


class ExpiredToken(AuthFailure):
    code = "ExpiredTokenException"
    query_code = "ExpiredToken"
    query_status = 400


@dataclass(frozen=True)
class Key:
    secret: str
    account: str
    session_token: str | None = None
    expires: float | None = None


def parse_credentials(text: str) -> dict[str, Key]:
    """``ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT`` entries, by line or comma; ``#`` comments."""
    keys: dict[str, Key] = {}
    for raw in re.split(r"[\n,]", text):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) != 3 or not all(parts) or not ids.is_account(parts[2]):
            raise CredentialsError(
                f"credential entry {entry.split(':')[0]!r}... is not "
                "ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT (a 12-digit account)"
            )
        keys[parts[0]] = Key(parts[1], parts[2])
    return keys


class Authenticator:
    """Resolves the calling account and Region of an API request; ``sigv4`` verifies."""

    def __init__(self, settings: Any, temporary: Callable[[str], Key | None] | None = None) -> None:
        self.settings = settings
        # Temporary credentials by access key id (STS AssumeRole's, provider/sts.py).
        self.temporary = temporary or (lambda _key: None)
        self.mode = settings.auth
        if self.mode not in ("none", "sigv4"):
            raise CredentialsError(f"--auth must be none or sigv4, not {self.mode!r}")
        self.keys: dict[str, Key] = {}
        if settings.credentials_file:
            try:
                with open(settings.credentials_file, encoding="utf-8") as f:
                    self.keys.update(parse_credentials(f.read()))
            except OSError as exc:
                raise CredentialsError(f"cannot read credentials: {exc}") from None
        if settings.credentials:
            self.keys.update(parse_credentials(settings.credentials))
        if self.mode == "sigv4" and not self.keys:
            raise CredentialsError(
                "--auth sigv4 needs credentials: --credentials FILE or DXLOCAL_CREDENTIALS"
            )
        self.clock = time.time

    def caller(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        service: str = SERVICE,
        verify: bool = True,
    ) -> tuple[str, str, str]:
        """(access key, account, region) of the request; raises ``AuthFailure`` under
        ``sigv4`` (unless ``verify`` is off). Otherwise the account is "" when the key is
        neither 12 digits nor a configured key (temporary credentials: the store tells)."""
        if self.mode == "sigv4" and verify:
            return self.verify(method, path, headers, body, service)
        match = _CREDENTIAL.search(headers.get("authorization", ""))
        if not match:
            return "", self.settings.default_account, self.settings.default_region
        key, region = match.groups()
        known = self.keys.get(key)
        if known is not None:
            return key, known.account, region
        return key, (key if ids.is_account(key) else ""), region

    # --- Signature Version 4 ------------------------------------------------------------

    def verify(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        expected_service: str = SERVICE,
    ) -> tuple[str, str, str]:
        header = headers.get("authorization")
        if not header:
            raise MissingAuthenticationToken("Missing Authentication Token")
        algorithm, _, rest = header.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise IncompleteSignature(
                f"Unsupported authorization type {algorithm!r}: only {ALGORITHM} is accepted."
            )
        fields: dict[str, str] = {}
        for part in rest.split(","):
            name, eq, value = part.strip().partition("=")
            if eq:
                fields[name] = value
        missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
        amz_date = headers.get("x-amz-date", "")
        if not amz_date:
            missing.append("X-Amz-Date")
        if missing:
            said = " ".join(
                f"Authorization header requires '{n}' parameter." if n != "X-Amz-Date" else
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                for n in missing
            )  # fmt: skip
            raise IncompleteSignature(f"{said} Authorization={header}")
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise IncompleteSignature(
                f"Credential should be scoped to a valid region. Credential={fields['Credential']}"
            )
        access_key, day, region, service, _ = scope
        key = self.keys.get(access_key) or self.temporary(access_key)
        if key is None:
            raise UnrecognizedClient("The security token included in the request is invalid.")
        if key.session_token is not None:
            if headers.get("x-amz-security-token") != key.session_token:
                raise UnrecognizedClient("The security token included in the request is invalid.")
            if key.expires is not None and self.clock() >= key.expires:
                raise ExpiredToken("The security token included in the request is expired")
        if service != expected_service:
            raise InvalidSignature(
                f"Credential should be scoped to correct service: '{expected_service}'."
            )
        try:
            signed_at = datetime.strptime(amz_date, _DATE).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise IncompleteSignature(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ) from None
        if day != amz_date[:8]:
            raise InvalidSignature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{day}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        now = self.clock()
        stamp = datetime.fromtimestamp(now, UTC).strftime(_DATE)
        if signed_at < now - MAX_SKEW:
            edge = datetime.fromtimestamp(now - MAX_SKEW, UTC).strftime(_DATE)
            raise InvalidSignature(
                f"Signature expired: {amz_date} is now earlier than {edge} ({stamp} - 5 min.)"
            )
        if signed_at > now + MAX_SKEW:
            edge = datetime.fromtimestamp(now + MAX_SKEW, UTC).strftime(_DATE)
            raise InvalidSignature(
                f"Signature not yet current: {amz_date} is still later than {edge} "
                f"({stamp} + 5 min.)"
            )
        signed = [h for h in fields["SignedHeaders"].lower().split(";") if h]
        if "host" not in signed:
            raise InvalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        canonical = canonical_request(method, path, headers, signed, body)
        expected = signature(key.secret, amz_date, day, region, service, canonical)
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise InvalidSignature(_MISMATCH)
        return access_key, key.account, region


def canonical_request(
    method: str, path: str, headers: Mapping[str, str], signed: list[str], body: bytes
) -> str:
    raw_path, _, query = path.partition("?")
    # Services other than S3 sign the path URI-encoded once more (double encoding).
    uri = quote(raw_path or "/", safe="/~")
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(query, keep_blank_values=True)
    )
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    lines = "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed)
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    return "\n".join([method, uri, canonical_query, lines, ";".join(signed), payload])


def signature(
    secret: str, amz_date: str, day: str, region: str, service: str, canonical: str
) -> str:
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
