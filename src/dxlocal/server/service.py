"""The request path shared by the server and the in-process mode.

    handle(method, path, headers, body)
      ├─ /_dxlocal/…            control API (health, reset, advance, records)
      └─ anything else          frontdoor.route: the service and its wire (Direct Connect
                                awsJson1_1 / RPC v2 CBOR, STS awsQuery, or an error naming
                                a service not served)
           size limit ─▶ operation ─▶ account/region ─▶ body ─▶ input shape
           ─▶ provider in one unit of work (core/work.py) ─▶ output shape

The unit of work fires due lifecycle timers first when it is the outermost one, and its
changes reach listeners (``service.work.subscribe``) only after its COMMIT.

Only ``ApiError`` (a 4xx the client caused) and our own bugs (500 ``InternalFailure``,
logged with the request id) leave this module.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from dxlocal import console, control_token, spec
from dxlocal.config import Settings
from dxlocal.core import errors, events, ids
from dxlocal.core.clock import Clock
from dxlocal.core.context import LiveRoutes, RequestContext
from dxlocal.core.errors import ApiError
from dxlocal.core.work import ControlContext, Work
from dxlocal.protocol.awsquery import AwsQuery
from dxlocal.protocol.rpcv2cbor import RpcV2Cbor
from dxlocal.provider import _registry, load_all, sts
from dxlocal.server import (
    access,
    auth,
    calllog,
    frontdoor,
    origin,
    snapshot,  # noqa: F401  (registers its control routes)
)
from dxlocal.server.control import Control
from dxlocal.store import Conflict, IdTaken, Store, open_store

log = logging.getLogger("dxlocal")

Response = tuple[int, list[tuple[str, str]], bytes]
# A control route that waits answers later: the front end awaits this.
Deferred = Coroutine[Any, Any, Response]

# Attempts of one call that lost a race on a shared store (``Conflict``) before it fails.
RETRIES = 30


class Service:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        load_all()
        self.settings = settings
        self.store = store or open_store(settings)
        self.model = spec.service_model()
        self.clock = Clock(manual=settings.progress == "manual")
        # Every change goes through a unit of work; listeners subscribe there.
        self.work = Work(self.store, settings, self.clock)
        self._kwargs: dict[Any, dict[str, str]] = {}
        # Per (service, operation) of the served models: its model and handler (None: not
        # implemented), looked up at its first call rather than at every call.
        self._operations: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._signing: dict[str, str] = {}  # SigV4 signing name per served service
        self.auth = auth.Authenticator(settings, temporary=self._temporary)
        self.control_token = (
            control_token.load_or_create(settings)
            if access.control_token_needed(settings)
            else None
        )
        self.control = Control(ControlContext(self.work, settings))
        # True while the server applies its own --init scenario (commands/scenario.py):
        # its calls are the operator's, not a client's, and pass the gates unsigned.
        self.trusted = False
        # The live BGP sessions' routes (``--bgp live``; see ``use_live_routes``).
        self.live_routes: LiveRoutes | None = None

    def use_live_routes(self, live: LiveRoutes) -> None:
        """API calls and control routes read the live sessions' routes from ``live``."""
        self.live_routes = self.control.ctx.live = live

    # --- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response | Deferred:
        if not calllog.enabled():
            return self._handle(method, path, headers, body)[0]
        started = time.perf_counter()
        answer, seen = self._handle(method, path, headers, body)
        if not isinstance(answer, tuple):
            return answer  # a control route that waits: not an API call
        status, _, payload = answer
        settings = self.settings
        calllog.record(
            settings.default_account, settings.default_region,
            method, path, headers, body, status, payload, started, seen,
        )  # fmt: skip
        return answer

    def _handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Response | Deferred, calllog.Seen | None]:
        """The answer, and what the call log needs of a served call (``None`` when the call
        failed or was no API call: the log line then reads the request itself)."""
        request_id = ids.request_id()
        # A signed GET / is an AWS SDK's (S3 ListBuckets), answered by the front door.
        if method == "GET" and "authorization" not in headers:
            bare = path.split("?", 1)[0]  # control paths keep their query (server/control.py)
            if console.serves(method, bare):
                status, content_type, page = console.page(bare)
                headers_out = [*_headers(request_id, content_type), *console.HEADERS]
                return (status, headers_out, page), None
        control = path.startswith("/_dxlocal")
        door = _CONTROL if control else frontdoor.route(method, path, headers, body)
        wire = door.wire
        try:
            if not self.trusted:
                origin.check(method, path, headers, body, self.settings)
            if control:
                if not (self.trusted or access.control_allowed(path, headers, self.control_token)):
                    raise origin.AccessDeniedException(
                        "The control API needs its token: Authorization: Bearer <token> "
                        "(docs/security.md)."
                    )
                answer = self.control.dispatch(method, path, body)
                if not isinstance(answer, tuple):
                    return self._later(answer, request_id), None
                status, payload = answer
                return (status, _headers(request_id, "application/json"), payload), None
            payload, seen = self._call(door, method, path, headers, body, request_id)
            return (200, wire.headers(request_id), payload), seen
        except ApiError as exc:
            return (exc.status, wire.headers(request_id), wire.error(exc, request_id)), None
        except Exception:
            return _failure(request_id, wire), None

    async def _later(
        self, answer: Coroutine[Any, Any, tuple[int, bytes]], request_id: str
    ) -> Response:
        """A control route that waits (``ip`` in a worker thread): answered when it is done."""
        try:
            status, payload = await answer
        except Exception:
            return _failure(request_id, _CONTROL.wire)
        return status, _headers(request_id, "application/json"), payload

    def _call(
        self,
        door: frontdoor.Route,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> tuple[bytes, calllog.Seen]:
        if len(body) > self.settings.max_body:
            raise errors.RequestTooLarge(
                f"Request body of {len(body)} bytes exceeds the {self.settings.max_body}-byte limit."
            )
        if door.problem is not None:
            raise door.problem
        key, account, region = self._caller(door, method, path, headers, body)  # before any work
        name = door.operation
        known = self._operations.get((door.service, name))
        if known is None and name:
            model = spec.service_model(door.service)
            if name in model.operation_names:
                known = self._operations[door.service, name] = (
                    model.operation_model(name),
                    _registry.lookup(name, door.service),
                )
        if known is None or method != "POST":
            if isinstance(door.wire, RpcV2Cbor):
                what = f"operation path {path!r}"
            else:
                target = headers.get("x-amz-target", "")
                what = f"operation {target!r}" if target else "a request without X-Amz-Target"
            raise errors.UnknownOperationException(f"dxlocal does not serve {what}.")
        op, handler = known
        params = door.wire.parse(op, body)
        if handler is None:
            raise frontdoor.not_implemented(door)
        now = self.clock.now()
        kwargs = self._snake(op, params)
        caller = account or self.settings.default_account
        for attempt in range(RETRIES):
            try:
                with self.work.unit(name, account=account or None, now=now) as unit:
                    tx = unit.tx
                    ctx = RequestContext(
                        account or sts.account_of(tx, key, now) or self.settings.default_account,
                        region, request_id, now, tx, self.settings, name, key, live=self.live_routes,
                    )  # fmt: skip
                    caller = ctx.account
                    result = handler(ctx, **kwargs)
                    # Serialized before the commit: an answer that cannot be written
                    # leaves nothing behind.
                    payload = door.wire.serialize(op, result, request_id)
                    # A call that changed nothing has its event written later, in a batch
                    # (docs/failures.md#events): a read then opens no write transaction.
                    resource = events.resource_of(name, params, result)
                    events.api_call(
                        tx, now, ctx.account, region, resource, door.service, name, 200,
                        not tx.changed,
                    )  # fmt: skip
                    return payload, (ctx.account, region, name, resource)
            except ApiError as exc:
                self._log_failure(door.service, name, caller, region, params, exc.status, now)
                raise
            except IdTaken:
                # A minted id (8 characters, AWS's form) collided: the call rolled back
                # whole; run it again with fresh ids.
                if attempt >= 2:
                    raise
            except Conflict:
                # Another server changed what this call read (a shared store): the call
                # rolled back whole; run it again after a short random pause.
                if attempt == RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise AssertionError("unreachable")

    def _log_failure(
        self, service: str, name: str, account: str, region: str, params: dict[str, Any],
        status: int, now: float,
    ) -> None:  # fmt: skip
        """The failed call's unit was rolled back: its event is written on its own, later
        (it changed nothing). Should that lose a race on a shared store, the event is
        dropped, not the answer."""
        try:
            with self.work.unit(name, account=account) as unit:
                events.api_call(
                    unit.tx, now, account, region, events.resource_of(name, params, None),
                    service, name, status, True,
                )  # fmt: skip
        except (Conflict, IdTaken):
            log.debug("event of a failed %s dropped after a conflict", name)

    def _caller(
        self, door: frontdoor.Route, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[str, str, str]:
        """Access key, account ("" when the store must tell: temporary credentials under
        ``--auth none``) and region of the request, verified under ``--auth sigv4``
        (server/auth.py); an awsQuery service answers failures with its own codes."""
        signing = self._signing.get(door.service)
        if signing is None:
            meta = frontdoor.table().served[door.service].model.metadata
            signing = self._signing[door.service] = meta.get("signingName", meta["endpointPrefix"])
        try:
            return self.auth.caller(method, path, headers, body, signing, verify=not self.trusted)
        except auth.AuthFailure as exc:
            if isinstance(door.wire, AwsQuery):
                exc.code, exc.status = exc.query_code, exc.query_status
            raise

    def _temporary(self, access_key: str) -> auth.Key | None:
        """Temporary credentials AssumeRole issued (provider/sts.py), for verification."""
        with self.store.transaction() as tx:
            found = sts.lookup(tx, access_key)
        if found is None:
            return None
        return auth.Key(
            found.secret_access_key, found.account, found.session_token, found.expiration
        )

    def _snake(self, op: Any, params: dict[str, Any]) -> dict[str, Any]:
        names = self._kwargs.get(op)
        if names is None:
            shape = op.input_shape
            members = shape.members if shape is not None else {}
            names = self._kwargs[op] = {m: _registry.snake(m) for m in members}
        return {names[k]: v for k, v in params.items()}

    def reset(self) -> None:
        self.work.reset()

    def close(self) -> None:
        self.store.close()


_CONTROL = frontdoor.Route("", frontdoor.JSON_1_1)


def _failure(request_id: str, wire: Any) -> Response:
    """Our own bug: logged with the request id, answered 500 InternalFailure."""
    log.exception("internal error, request id %s", request_id)
    failure = errors.DirectConnectServerException(
        "The request processing has failed because of an unknown error."
    )
    failure.code = "InternalFailure"
    return 500, wire.headers(request_id), wire.error(failure, request_id)


def _headers(request_id: str, content_type: str) -> list[tuple[str, str]]:
    return [("content-type", content_type), ("x-amzn-requestid", request_id)]
