"""The front door: which AWS service a request on the shared port is for, and its wire.

    POST /service/<Service>/operation/<Op>     RPC v2 CBOR; <Service> is the target prefix
    POST /  X-Amz-Target: <Prefix>.<Op>        awsJson 1.0 / 1.1
    POST /  application/x-www-form-urlencoded  awsQuery: the SigV4 credential scope's
            Action=<Op>&Version=<date>         service, else the Version, else the Action

Each served service (``spec.available()``) is described by its own botocore model: target prefix,
signing name, API version, the protocols it lists and its XML namespace. Serving one more
service is adding its name to ``spec.available()`` and a provider module registering its
operations with ``@operation(name, service=...)``.

A request for any other service gets a ``Route`` with ``problem`` set: an error naming the
service, in the wire its clients read (awsJson/CBOR ``UnknownOperationException``, awsQuery,
EC2 and REST-XML ``InvalidAction``); never a parse failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from botocore.loaders import Loader
from botocore.model import ServiceModel

from dxlocal import spec
from dxlocal.core import errors
from dxlocal.core.errors import ApiError
from dxlocal.protocol import awsquery, unserved
from dxlocal.protocol.awsjson import AwsJson
from dxlocal.protocol.rpcv2cbor import PATH_PREFIX, RpcV2Cbor
from dxlocal.protocol.wire import Wire
from dxlocal.server import origin

FORM = awsquery.FORM
CBOR = RpcV2Cbor()
JSON_1_1 = AwsJson("1.1")
JSON_1_0 = AwsJson("1.0")
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/")


@dataclass(frozen=True)
class Served:
    """One service on the port, as its model describes it."""

    name: str
    model: ServiceModel
    wires: dict[str, Wire]  # by the model's protocol names: json, smithy-rpc-v2-cbor, query

    @classmethod
    def of(cls, name: str) -> Served:
        model = spec.service_model(name)
        meta = model.metadata
        wires: dict[str, Wire] = {}
        for protocol in meta.get("protocols", [meta["protocol"]]):
            if protocol == "json":
                wires[protocol] = JSON_1_0 if meta.get("jsonVersion") == "1.0" else JSON_1_1
            elif protocol == "smithy-rpc-v2-cbor":
                wires[protocol] = CBOR
            elif protocol == "query":
                wires[protocol] = awsquery.AwsQuery(meta.get("xmlNamespace", ""))
        return cls(name, model, wires)


@dataclass(frozen=True)
class Route:
    service: str  # botocore's name; "" when the request is for no served service
    wire: Wire
    operation: str = ""  # "" when the request names none
    problem: ApiError | None = None


class _Table:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.served = {name: Served.of(name) for name in names}
        self.by_target: dict[str, Served] = {}
        self.by_signing: dict[str, Served] = {}
        self.by_version: dict[str, Served] = {}
        for svc in self.served.values():
            meta = svc.model.metadata
            if "targetPrefix" in meta:
                self.by_target[meta["targetPrefix"]] = svc
            self.by_signing[meta.get("signingName", meta["endpointPrefix"])] = svc
            if "query" in svc.wires:
                self.by_version[meta["apiVersion"]] = svc
        self.direct_connect = self.served[spec.SERVICE_NAME]
        # Routes of served awsJson targets by (target, POST?): clients send a few targets,
        # each answered by the same immutable Route.
        self.targets: dict[tuple[str, bool], Route] = {}
        # The body types these wires speak at "/" (server/origin.py refuses others), and the
        # JSON ones other services' SDKs send, so those get the "not served" answer (both
        # need a CORS preflight, which this server never grants).
        for svc in self.served.values():
            for wire in svc.wires.values():
                if not isinstance(wire, RpcV2Cbor):
                    origin.accept(
                        "/", FORM if isinstance(wire, awsquery.AwsQuery) else wire.content_type
                    )
        for media_type in (JSON_1_0.content_type, JSON_1_1.content_type, "application/json"):
            origin.accept("/", media_type)


@cache
def table() -> _Table:
    return _Table(spec.available())


def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Route:
    t = table()
    if path.startswith(PATH_PREFIX):
        parts = path.strip("/").split("/")
        prefix = parts[1] if len(parts) > 1 else ""
        op = parts[3] if len(parts) == 4 and parts[2] == "operation" else ""
        svc = t.by_target.get(prefix)
        if svc is not None and "smithy-rpc-v2-cbor" in svc.wires:
            return Route(svc.name, CBOR, op if method == "POST" else "")
        return _unserved(_scope(headers) or prefix, f"operation path {path!r}", CBOR)
    target = headers.get("x-amz-target", "")
    if target:
        is_form = headers.get("content-type", "").startswith(FORM)
        known = None if is_form else t.targets.get((target, method == "POST"))
        if known is not None:
            return known
        prefix, _, op = target.partition(".")
        svc = t.by_target.get(prefix)
        if svc is not None and "json" in svc.wires:
            wire = svc.wires["json"]
            if is_form:
                # A form (which a page can post without a preflight) never carries JSON.
                refused = origin.UnsupportedMediaTypeException(
                    f"An X-Amz-Target request must carry {wire.content_type}."
                )
                return Route(svc.name, wire, "", refused)
            if len(t.targets) >= 1024:
                t.targets.clear()
            known = Route(svc.name, wire, op if method == "POST" else "")
            t.targets[target, method == "POST"] = known
            return known
        wire = JSON_1_0 if headers.get("content-type", "").endswith("1.0") else JSON_1_1
        return _unserved(_scope(headers) or prefix, f"operation {target!r}", wire)
    # The credential scope's service (read only where the route depends on it).
    scope = _scope(headers)
    if headers.get("content-type", "").startswith(awsquery.FORM) and method == "POST":
        return _query(t, scope, body)
    if scope and scope not in t.by_signing:
        return _unserved(scope, f"{method} {path}", _wire_of(scope))
    return Route(t.direct_connect.name, JSON_1_1)  # answered "a request without X-Amz-Target"


def _query(t: _Table, scope: str, body: bytes) -> Route:
    try:
        fields = awsquery.form(body)
    except ApiError:
        fields = {}
    action = fields.get("Action", "")
    svc = t.by_signing.get(scope) if scope else t.by_version.get(fields.get("Version", ""))
    if svc is None and not scope:
        owners = [s for s in t.by_version.values() if action in s.model.operation_names]
        svc = owners[0] if len(owners) == 1 else None
    if svc is None or "query" not in svc.wires:
        return _unserved(scope or "this service", f"action {action!r}", _wire_of(scope))
    wire = svc.wires["query"]
    if action not in svc.model.operation_names:
        what = f"the action {action!r}" if action else "a request without an Action"
        return Route(svc.name, wire, "", errors.InvalidAction(f"{svc.name} has no {what}."))
    return Route(svc.name, wire, action)


def not_implemented(door: Route) -> ApiError:
    """An operation of a served model without a handler."""
    if door.service == spec.SERVICE_NAME:
        return errors.not_implemented(door.operation)
    message = f"dxlocal does not implement {door.service} {door.operation} yet."
    if isinstance(door.wire, awsquery.AwsQuery):
        return errors.InvalidAction(message)
    return errors.UnknownOperationException(message)


def _unserved(name: str, what: str, wire: Wire) -> Route:
    served = ", ".join(table().served)
    message = f"dxlocal does not serve {name} ({what}); this endpoint serves {served}."
    error: ApiError
    if isinstance(wire, AwsJson | RpcV2Cbor | unserved.RestJson):
        error = errors.UnknownOperationException(message)
    else:
        error = errors.InvalidAction(message)
    return Route("", wire, "", error)


def _scope(headers: Mapping[str, str]) -> str:
    """The service of the SigV4 credential scope (``…/us-east-1/sts/aws4_request``)."""
    match = _SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else ""


@cache
def _wire_of(signing_name: str) -> Wire:
    """The wire an unserved service's clients read, from its botocore model when botocore
    has one under that name; awsQuery's XML otherwise."""
    protocol = "query"
    if signing_name in _available():
        meta = Loader().load_service_model(signing_name, "service-2")["metadata"]
        protocol = meta.get("protocols", [meta.get("protocol", "query")])[0]
        if protocol == "smithy-rpc-v2-cbor" and "json" in meta.get("protocols", ()):
            protocol = "json"
        if protocol == "json":
            return JSON_1_0 if meta.get("jsonVersion") == "1.0" else JSON_1_1
    if protocol == "rest-json":
        return unserved.RestJson(errors.UnknownOperationException.code)
    if protocol == "rest-xml":
        return unserved.RestXml()
    if protocol == "ec2":
        return unserved.Ec2()
    if protocol == "smithy-rpc-v2-cbor":
        return CBOR
    return awsquery.AwsQuery("")


@cache
def _available() -> frozenset[str]:
    return frozenset(Loader().list_available_services("service-2"))
