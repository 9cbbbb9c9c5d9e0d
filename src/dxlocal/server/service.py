"""The request path shared by the server and the in-process mode.

    handle(method, path, headers, body)
      ├─ /_dxlocal/…            control API (health, reset, advance, records)
      └─ anything else          frontdoor.route: the service and its wire (Direct Connect
                                awsJson1_1 / RPC v2 CBOR, STS awsQuery, or an error naming
                                a service not served)
           size limit ─▶ operation ─▶ account/region ─▶ body ─▶ input shape
           ─▶ due lifecycle timers ─▶ provider in one transaction ─▶ output shape

Only ``ApiError`` (a 4xx the client caused) and our own bugs (500 ``InternalFailure``,
logged with the request id) leave this module.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dxlocal import spec
from dxlocal.config import Settings
from dxlocal.core import errors, ids, lifecycle
from dxlocal.core.clock import Clock
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ApiError
from dxlocal.protocol.awsquery import AwsQuery
from dxlocal.protocol.rpcv2cbor import RpcV2Cbor
from dxlocal.provider import _registry, load_all, sts
from dxlocal.server import auth, calllog, frontdoor, origin
from dxlocal.store import Conflict, IdTaken, Store, open_store

log = logging.getLogger("dxlocal")

Response = tuple[int, list[tuple[str, str]], bytes]
ChangeListener = Callable[[set[tuple[str, str]]], None]

# Attempts of one call that lost a race on a shared store (``Conflict``) before it fails.
RETRIES = 30
# On a shared store, how long a "no timer due before T" answer is trusted, in seconds.
SHARED_TIMER_POLL = 0.5


class Service:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        load_all()
        self.settings = settings
        self.store = store or open_store(settings)
        self.model = spec.service_model()
        self.listeners: list[ChangeListener] = []
        self.clock = Clock(manual=settings.progress == "manual")
        self._next_due = -math.inf
        self._kwargs: dict[Any, dict[str, str]] = {}
        # Per (service, operation) of the served models: its model and handler (None: not
        # implemented), looked up at its first call rather than at every call.
        self._operations: dict[tuple[str, str], tuple[Any, Any]] = {}
        # Fire due lifecycle timers at the start of each call. The native server turns this
        # off and fires them once per group of requests instead (``HttpServer.flush``).
        self.timers_per_call = True
        self.auth = auth.Authenticator(settings, temporary=self._temporary)
        from dxlocal.server.control import Control

        self.control = Control(self)

    # --- the API ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        if not calllog.enabled():
            return self._handle(method, path, headers, body)
        started = time.perf_counter()
        status, out_headers, payload = self._handle(method, path, headers, body)
        settings = self.settings
        calllog.record(
            settings.default_account, settings.default_region,
            method, path, headers, body, status, payload, started,
        )  # fmt: skip
        return status, out_headers, payload

    def _handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        request_id = ids.request_id()
        control = path.startswith("/_dxlocal")
        door = _CONTROL if control else frontdoor.route(method, path, headers, body)
        wire = door.wire
        try:
            origin.check(method, path, headers, body, self.settings)
            if control:
                status, payload = self.control.dispatch(method, path, body)
                return status, _headers(request_id, "application/json"), payload
            payload = self._call(door, method, path, headers, body, request_id)
            return 200, wire.headers(request_id), payload
        except ApiError as exc:
            return exc.status, wire.headers(request_id), wire.error(exc, request_id)
        except Exception:
            log.exception("internal error, request id %s", request_id)
            failure = errors.DirectConnectServerException(
                "The request processing has failed because of an unknown error."
            )
            failure.code = "InternalFailure"
            return 500, wire.headers(request_id), wire.error(failure, request_id)

    def _call(
        self,
        door: frontdoor.Route,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> bytes:
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
        if self.timers_per_call:
            self.run_due(now)
        kwargs = self._snake(op, params)
        for attempt in range(RETRIES):
            try:
                with self.store.transaction() as tx:
                    ctx = RequestContext(
                        account or sts.account_of(tx, key, now) or self.settings.default_account,
                        region, request_id, now, tx, self.settings, name, key,
                    )  # fmt: skip
                    result = handler(ctx, **kwargs)
                    # Serialized before the commit: an answer that cannot be written
                    # leaves nothing behind.
                    payload = door.wire.serialize(op, result, request_id)
                    changed = tx.changed
                break
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
        self._after_commit(tx)
        if changed and self.listeners:
            self._notify(changed)
        return payload

    def _caller(
        self, door: frontdoor.Route, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[str, str, str]:
        """Access key, account ("" when the store must tell: temporary credentials under
        ``--auth none``) and region of the request, verified under ``--auth sigv4``
        (server/auth.py); an awsQuery service answers failures with its own codes."""
        meta = frontdoor.table().served[door.service].model.metadata
        signing = meta.get("signingName", meta["endpointPrefix"])
        try:
            return self.auth.caller(method, path, headers, body, signing)
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

    # --- lifecycle timers ----------------------------------------------------------------

    def run_due(
        self, now: float | None = None, *, horizon: float = 0.0, single_pass: bool = False
    ) -> int:
        """Fire every timer due by ``now + horizon`` in one transaction (a failing timer is
        logged and dropped; the others still apply).

        ``single_pass`` fires only what is due at the start (one lifecycle step each), which
        is what the control API's ``advance`` does."""
        now = self.clock.now() if now is None else now
        if now + horizon < self._next_due:
            return 0
        fired = 0
        changed: set[tuple[str, str]] = set()
        try:
            with self.store.transaction() as tx:
                while True:
                    due = tx.due_timers(now + horizon, limit=10_000 if single_pass else 500)
                    if not due:
                        break
                    fired += self._fire_all(tx, due, now)
                    if single_pass:
                        break
                nxt = tx.next_due()
                changed = set(tx.changed)
        except Conflict:
            return 0  # another server fired some of them first; the next pass does the rest
        self._next_due = nxt if nxt is not None else math.inf
        if self.store.shared:
            # Other servers schedule timers this one does not hear of: look again soon.
            self._next_due = min(self._next_due, now + SHARED_TIMER_POLL)
        if changed:
            self._notify(changed)
        return fired

    def _fire_all(self, tx: Any, due: list[tuple[float, str, str, str]], now: float) -> int:
        """Fire a batch of timers in one savepoint; should one fail, the batch is rolled
        back and fired again with a savepoint per timer, so only the failing one is lost."""
        try:
            with tx.savepoint():
                return sum(
                    self._fire_one(tx, kind, rid, event, now, when)
                    for when, kind, rid, event in due
                )
        except Conflict:
            raise  # lost a race with another server: the whole pass rolls back
        except Exception:
            pass  # the batch is rolled back; each timer again, alone
        return sum(self._fire(tx, kind, rid, event, now, when) for when, kind, rid, event in due)

    def _fire(self, tx: Any, kind: str, rid: str, event: str, now: float, when: float) -> int:
        try:
            with tx.savepoint():
                return self._fire_one(tx, kind, rid, event, now, when)
        except Conflict:
            raise
        except Exception:
            log.exception("timer %s on %s %s failed; dropped", event, kind, rid)
            tx.cancel(kind, rid, event)
            return 0

    def _fire_one(self, tx: Any, kind: str, rid: str, event: str, now: float, when: float) -> int:
        tx.cancel(kind, rid, event)
        record = tx.get(kind, rid)
        fn = lifecycle.handler(kind, event)
        if record is None or fn is None:
            return 0
        ctx = RequestContext(
            record.get("ownerAccount", self.settings.default_account),
            record.get("region", self.settings.default_region),
            f"timer-{event}",
            max(now, when) if math.isfinite(when) else now,
            tx,
            self.settings,
        )
        fn(ctx, record)
        return 1

    def _after_commit(self, tx: Any) -> None:
        soonest = tx.soonest
        if soonest < self._next_due:
            self._next_due = soonest

    def _notify(self, changed: Iterable[tuple[str, str]]) -> None:
        changed = set(changed)
        for listener in self.listeners:
            try:
                listener(changed)
            except Exception:
                log.exception("change listener failed")

    def reset(self) -> None:
        self.store.reset()
        self._next_due = math.inf
        self._notify({("*", "*")})

    def close(self) -> None:
        self.store.close()


_CONTROL = frontdoor.Route("", frontdoor.JSON_1_1)


def _headers(request_id: str, content_type: str) -> list[tuple[str, str]]:
    return [("content-type", content_type), ("x-amzn-requestid", request_id)]
