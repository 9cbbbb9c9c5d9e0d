"""The ``/_dxlocal`` control API: what a test needs that AWS has no call for.

    GET    /_dxlocal/health                     ready? version, model, operations served
    POST   /_dxlocal/reset                      empty the store
    POST   /_dxlocal/advance  {"seconds": N}    fire lifecycle timers due within N seconds
                                                 (default: every pending step, once)
    GET    /_dxlocal/records/{kind}/{id}        a raw record, internal fields included
    PATCH  /_dxlocal/records/{kind}/{id}        merge fields into a record; state fields
                                                 must follow the declared lifecycle
    POST   /_dxlocal/bgp-peers/{peerId}         {"bgpStatus": "up"|"down"}: the simulated
                                                 customer router brings a session up/down
    POST   /_dxlocal/bgp-peers/{peerId}/routes  {"prefixes": [...]}: what the simulated
                                                 customer router announces (provider/routes.py)
    POST   /_dxlocal/virtual-gateways           register a VGW with its VPC CIDRs and ASN
    POST   /_dxlocal/transit-gateways           the same for a transit gateway
                                                 (provider/virtual_gateways.py)

Provider modules add routes with ``@route(method, pattern)``; the same routes are callable
in-process through ``Control.call``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from dxlocal import __version__, spec
from dxlocal.core import lifecycle
from dxlocal.core.errors import ApiError, ClientError
from dxlocal.provider import _registry
from dxlocal.server import control_input

if TYPE_CHECKING:
    from dxlocal.server.service import Service

RouteHandler = Callable[..., Any]
_ROUTES: list[tuple[str, re.Pattern[str], RouteHandler]] = []


def route(method: str, pattern: str) -> Callable[[RouteHandler], RouteHandler]:
    """Register ``fn(service, body, **groups)`` for ``METHOD /_dxlocal<pattern>``."""
    regex = re.compile("^/_dxlocal" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(fn: RouteHandler) -> RouteHandler:
        _ROUTES.append((method, regex, fn))
        return fn

    return register


class Control:
    def __init__(self, service: Service) -> None:
        self.service = service

    def dispatch(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        path = path.split("?", 1)[0].rstrip("/") or "/"
        try:
            # orjson, as the API and the store use: what it parses, the store can write
            # (no lone surrogates, no integers beyond 64 bits).
            payload = orjson.loads(body) if body and body.strip() else {}
        except ValueError:
            return 400, _error("SerializationException", "Malformed JSON in request body.")
        if not isinstance(payload, dict):
            return 400, _error("SerializationException", "The request body must be a JSON object.")
        try:
            control_input.check(payload)
        except ApiError as exc:
            return exc.status, _error(exc.code, exc.message)
        for m, regex, fn in _ROUTES:
            match = regex.match(path)
            if match and m == method:
                try:
                    return 200, json.dumps(fn(self.service, payload, **match.groupdict())).encode()
                except ApiError as exc:
                    return exc.status, _error(exc.code, exc.message)
                except (TypeError, ValueError) as exc:
                    # A member of the wrong type ({"seconds": "x"}) or a value the store
                    # cannot hold: the caller's mistake, and the call's savepoint is undone.
                    return 400, _error("SerializationException", f"Bad control request: {exc}")
        return 404, _error("NotFound", f"No control route {method} {path}.")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The same routes in-process; raises ``ClientError`` on a 4xx."""
        status, payload = self.dispatch(method, path, json.dumps(body or {}).encode())
        data = json.loads(payload)
        if status >= 400:
            raise ClientError(data.get("message", ""))
        return data


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


@route("GET", "/health")
def health(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "botocore": spec.BOTOCORE_VERSION,
        "operations": len(spec.operation_names()),
        "implemented": len(_registry.implemented()),
        "state": service.settings.state,
        "bgp": service.settings.bgp,
        "progress": service.settings.progress,
    }


@route("POST", "/reset")
def reset(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    service.reset()
    return {"status": "ok"}


@route("POST", "/advance")
def advance(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    """Move the clock (core/clock.py): ``seconds`` forward, or one step (``--delay``) with
    every pending timer fired once."""
    seconds = body.get("seconds")
    if seconds is None:
        service.clock.advance(service.settings.delay)
        return {"fired": service.run_due(horizon=1e19, single_pass=True)}
    service.clock.advance(float(seconds))
    return {"fired": service.run_due()}


@route("GET", "/records/{kind}/{rid}")
def get_record(service: Service, body: dict[str, Any], kind: str, rid: str) -> dict[str, Any]:
    with service.store.transaction() as tx:
        record = lifecycle.reader(tx, service.clock.now(), service.settings.delay).get(kind, rid)
    if record is None:
        raise ClientError(f"No {kind} record {rid}.")
    return record


@route("PATCH", "/records/{kind}/{rid}")
def patch_record(service: Service, body: dict[str, Any], kind: str, rid: str) -> dict[str, Any]:
    with service.store.transaction() as tx:
        now = service.clock.now()
        record = lifecycle.reader(tx, now, service.settings.delay).get(kind, rid)
        if record is None:
            raise ClientError(f"No {kind} record {rid}.")
        state_field = lifecycle.STATE_FIELD.get(kind)
        for key, value in body.items():
            if key == state_field:
                try:
                    lifecycle.advance(kind, record, value, now)
                except lifecycle.IllegalTransition as exc:
                    raise ClientError(str(exc)) from None
            else:
                record[key] = value
        tx.update(kind, rid, record)
        changed = set(tx.changed)
    service._notify(changed)
    return record


@route("POST", "/bgp-peers/{peer_id}")
def set_peer_status(service: Service, body: dict[str, Any], peer_id: str) -> dict[str, Any]:
    """The simulated customer router: hold a session down, or let it come back up."""
    from dxlocal.provider import bgp_peers, virtual_interfaces

    status = body.get("bgpStatus")
    if status not in ("up", "down"):
        raise ClientError('bgpStatus must be "up" or "down".')
    with service.store.transaction() as tx:
        vif_id = body.get("virtualInterfaceId")
        vifs = [tx.get("virtualInterface", vif_id)] if vif_id else tx.list("virtualInterface")
        for vif in vifs:
            for peer in (vif or {}).get("bgpPeers", []):
                if peer["bgpPeerId"] != peer_id:
                    continue
                peer["_heldDown"] = status == "down"
                if status == "down" or peer["bgpPeerState"] == "available":
                    peer["bgpStatus"] = status
                virtual_interfaces.derive_state(vif)
                vif["customerRouterConfig"] = bgp_peers.customer_router_config(vif)
                tx.update("virtualInterface", vif["virtualInterfaceId"], vif)
                changed = set(tx.changed)
                break
            else:
                continue
            break
        else:
            raise ClientError(f"BGP peer {peer_id} does not exist.")
    service._notify(changed)
    return peer


# Routes kept in their own module register when it is imported.
from dxlocal.server import snapshot  # noqa: E402, F401
