"""The fuzz loops, shared by the quick runs in tests/fuzz and the long ones in
benchmarks/fuzz_long.py. Each returns its counts and the failures it saw."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from dataclasses import dataclass, field

import orjson
from api_cases import ACCOUNTS, Generator, hostile_http, status_codes
from bgp_cases import cases

from dxlocal.config import Settings
from dxlocal.server.service import Service

HANG = 5.0  # seconds: an answer slower than this counts as a hang


@dataclass
class Counts:
    requests: int = 0
    served: int = 0
    refused: int = 0
    server_errors: int = 0
    hangs: int = 0
    changed_by_refused: int = 0
    covered: set[tuple[str, str]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


def digest(service: Service) -> bytes:
    """Every record and timer, but the event log (a refused call is logged, docs/failures.md)."""
    with service.store.transaction() as tx:
        rows = list(tx.rows())
        return orjson.dumps([rows, list(tx.timers())])


def seed_records(service: Service) -> dict[str, list[str]]:
    """A few real records per account, so fuzzed ids hit something."""
    known: dict[str, list[str]] = {"connection": [], "lag": [], "virtualInterface": [],
                                   "directConnectGateway": []}  # fmt: skip

    def call(account: str, op: str, body: dict) -> dict:
        headers = {"content-type": "application/x-amz-json-1.1",
                   "x-amz-target": f"OvertureService.{op}",
                   "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/"
                                    "directconnect/aws4_request, SignedHeaders=host, Signature=0"}  # fmt: skip
        status, _, payload = service.handle("POST", "/", headers, orjson.dumps(body))
        if status != 200:
            raise AssertionError(payload)
        return orjson.loads(payload)

    for account in ACCOUNTS:
        conn = call(account, "CreateConnection",
                    {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "fz"})  # fmt: skip
        known["connection"].append(conn["connectionId"])
        lag = call(account, "CreateLag", {"location": "EqDC2", "connectionsBandwidth": "1Gbps",
                                          "numberOfConnections": 1, "lagName": "fz"})  # fmt: skip
        known["lag"].append(lag["lagId"])
        vif = call(account, "CreatePrivateVirtualInterface", {
            "connectionId": conn["connectionId"],
            "newPrivateVirtualInterface": {"virtualInterfaceName": "fz", "vlan": 101, "asn": 65000,
                                           "virtualGatewayId": "vgw-0a1b2c3d"}})  # fmt: skip
        known["virtualInterface"].append(vif["virtualInterfaceId"])
        gw = call(account, "CreateDirectConnectGateway", {"directConnectGatewayName": "fz"})
        known["directConnectGateway"].append(gw["directConnectGateway"]["directConnectGatewayId"])
    return known


def run_api(count: int, seed: int, per_store: int = 2_000) -> Counts:
    """``count`` model-driven requests in-process (awsJson and CBOR alternating), on a fresh
    seeded store every ``per_store`` requests. The store is compared after each refused
    request with what it held after the last served one: it must not have changed."""
    counts = Counts()
    service: Service | None = None
    state = b""
    gen = Generator(seed)
    try:
        for i, req in enumerate(gen.requests(count)):
            if i % per_store == 0:
                if service is not None:
                    service.close()
                service = Service(Settings(state=":memory:", progress="manual"))
                gen.known = seed_records(service)
                state = digest(service)
            assert service is not None
            counts.requests += 1
            counts.covered.add((req.operation, req.wire))
            started = time.monotonic()
            status, _, payload = service.handle("POST", req.path, req.headers, req.body)
            took = time.monotonic() - started
            if took > HANG:
                counts.hangs += 1
                counts.failures.append(f"#{i} {req.wire} {req.operation}: {took:.1f}s")
            if status >= 500:
                counts.server_errors += 1
                counts.failures.append(f"#{i} {req.wire} {req.operation}: {status} "
                                       f"{req.body[:300]!r} -> {payload[:200]!r}")  # fmt: skip
                state = digest(service)
            elif status >= 400:
                counts.refused += 1
                now = digest(service)
                if now != state:
                    counts.changed_by_refused += 1
                    counts.failures.append(f"#{i} {req.operation}: refused, yet records changed")
                state = now
            else:
                counts.served += 1
                state = digest(service)
    finally:
        if service is not None:
            service.close()
    return counts


def run_http(port: int, count: int, seed: int) -> Counts:
    """``count`` connections of hostile framing to a live server on ``port``."""
    counts = Counts()
    rng = random.Random(seed)
    for i in range(count):
        counts.requests += 1
        data = hostile_http(rng, port)
        raw, started = b"", time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=HANG) as s:
            with contextlib.suppress(OSError):  # it may close before reading it all
                s.sendall(data)
            try:
                while chunk := s.recv(65536):
                    raw += chunk
            except TimeoutError:
                counts.hangs += 1
                counts.failures.append(f"#{i} hang: {data[:120]!r}")
            except OSError:
                pass  # reset after an early close
        codes = status_codes(raw)
        counts.refused += sum(400 <= c < 500 for c in codes)
        counts.served += sum(c < 400 for c in codes)
        if any(c >= 500 for c in codes):
            counts.server_errors += 1
            counts.failures.append(f"#{i} 5xx: {data[:120]!r} -> {raw[:200]!r}")
        if time.monotonic() - started > 2 * HANG:
            counts.hangs += 1
            counts.failures.append(f"#{i} slow close")
    return counts


def run_bgp(msg_type: str, count: int, seed: int) -> Counts:
    """``count`` malformed messages of one type, each to a fresh session on the in-memory
    transport: a NOTIFICATION, a close, and a new dial after the connect retry."""
    from dxlocal.bgp.fsm import State
    from dxlocal.bgp.wire import Notification
    from unit.bgp.fakepeer import rig

    async def one(data: bytes) -> str | None:
        r = rig()
        peer = await (r.opensent() if msg_type == "OPEN" else r.establish())
        peer.send(data)
        await r.settle()
        if peer.notification is None:
            return f"no NOTIFICATION (state {r.state.value}, {r.session.last_error})"
        if not peer.closed or r.state is not State.IDLE:
            return f"not closed after the NOTIFICATION (state {r.state.value})"
        await r.advance(2.1)  # connect retry: the session is still served and dials again
        if r.dialer.attempts != 2:
            return "the session did not come back"
        await r.session.stop(Notification(6, 2), "fuzz case done")
        return None

    async def run() -> Counts:
        counts = Counts()
        for i, data in enumerate(cases(msg_type, count, seed)):
            counts.requests += 1
            try:
                problem = await asyncio.wait_for(one(data), HANG)
            except TimeoutError:
                counts.hangs += 1
                problem = "hang"
            if problem:
                counts.failures.append(f"{msg_type} case {i} {data.hex()[:160]}: {problem}")
            else:
                counts.refused += 1  # answered by a NOTIFICATION
        return counts

    return asyncio.run(run())
