"""Seed a dxlocal state file through the real request path, in-process.

Every record is made by an API call handed to ``Service.handle`` exactly as the server
would hand it over (headers, JSON body, one transaction per call); nothing is written to
the store directly. Lifecycle timers are pushed an hour out (``delay=3600``) so that the
seeded resources hold still while they are measured.

Planner statistics: the SQLite store as shipped has no statistics, and then SQLite answers
``WHERE kind=? AND parent=? ORDER BY id`` by walking the primary key over every record of
the kind, so each VIF create costs O(VIFs in the store). With ``analyze_after`` set, the
seeder seeds that many VIFs as shipped (and reports the rate), then runs SQLite's own
``ANALYZE`` on the file once, which makes the planner use the ``records_parent`` index, and
carries on; the records written are the same either way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from dxlocal.config import Settings
from dxlocal.server.service import Service

LOCATIONS = ("EqDC2", "CSVA1", "EqNY5", "EqAT1", "CSNY1", "DRAT1")
CONNECTIONS_PER_LOCATION = 10  # AWS's quota per account, enforced by dxlocal
PER_ACCOUNT = CONNECTIONS_PER_LOCATION * len(LOCATIONS)
VIFS_PER_CONNECTION = 50  # private/public quota per dedicated connection
REGION = "us-east-1"


def headers(account: str, operation: str) -> dict[str, str]:
    """What the ASGI app hands to ``Service.handle``: lower-case names, SigV4 scope."""
    return {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": f"OvertureService.{operation}",
        "x-amz-date": "20260101T000000Z",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential={account}/20260101/{REGION}/directconnect/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
        ),
    }


def account_for(index: int, first: int) -> str:
    return f"{first + index // PER_ACCOUNT:012d}"


def remove_state(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


@dataclass
class SeedReport:
    connections: int = 0
    vifs: int = 0
    ipv6_peers: int = 0
    retried_500: int = 0
    seconds: float = 0.0
    phases: list[dict[str, Any]] = field(default_factory=list)

    def phase(self, name: str, calls: int, seconds: float) -> None:
        self.phases.append(
            {
                "phase": name,
                "calls": calls,
                "seconds": round(seconds, 3),
                "calls_per_s": round(calls / seconds, 1),
            }
        )


class Seeder:
    def __init__(self, state: str) -> None:
        self.state = state
        self.retried_500 = 0
        self.service = self._open()

    def _open(self) -> Service:
        return Service(Settings(state=self.state, delay=3600.0))

    def call(self, account: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """One API call; a 500 is retried (twice at most) and counted in ``retried_500``.

        Minted ids are a prefix plus ``f`` and 7 random characters, and a create does not
        check that the id is free, so a seed of 100,000 VIFs meets a duplicate id (an
        ``InternalFailure``; the transaction is rolled back) in a few runs out of a hundred.
        """
        raw = json.dumps(body, separators=(",", ":")).encode()
        for _ in range(3):
            status, _, payload = self.service.handle("POST", "/", headers(account, operation), raw)
            if status != 500:
                break
            self.retried_500 += 1
        if status != 200:
            raise RuntimeError(f"{operation} answered {status}: {payload[:300]!r}")
        return json.loads(payload)

    def analyze(self) -> None:
        """Close, let SQLite gather planner statistics on the file, reopen."""
        self.service.close()
        db = sqlite3.connect(self.state)
        db.execute("ANALYZE")
        db.close()
        self.service = self._open()

    def close(self) -> None:
        self.service.close()


def seed_connections(
    state: str, count: int, *, first_account: int = 100_000_000_000
) -> tuple[list[tuple[str, str]], SeedReport]:
    """``count`` dedicated connections, 60 per account (10 per location); returns (account, id)."""
    remove_state(state)
    seeder = Seeder(state)
    report = SeedReport()
    made: list[tuple[str, str]] = []
    start = time.perf_counter()
    for i in range(count):
        account = account_for(i, first_account)
        body = {
            "location": LOCATIONS[i % len(LOCATIONS)],
            "bandwidth": "1Gbps",
            "connectionName": f"seed-{i}",
        }
        made.append((account, seeder.call(account, "CreateConnection", body)["connectionId"]))
    report.seconds = time.perf_counter() - start
    report.connections = count
    report.phase("CreateConnection (as shipped)", count, report.seconds)
    report.retried_500 = seeder.retried_500
    seeder.close()
    return made, report


def seed_vifs(
    state: str,
    count: int,
    *,
    ipv6_share: float = 0.0,
    analyze_after: int | None = None,
    first_account: int = 300_000_000_000,
) -> tuple[list[tuple[str, str]], SeedReport]:
    """``count`` private VIFs (50 per connection), each with its IPv4 peer; an IPv6 peer is
    added through CreateBGPPeer to the first ``ipv6_share`` of every hundred VIFs.

    Returns (owner account, VIF id) pairs."""
    remove_state(state)
    seeder = Seeder(state)
    report = SeedReport()
    made: list[tuple[str, str]] = []
    connections = -(-count // VIFS_PER_CONNECTION)
    start = time.perf_counter()
    phase_start, phase_calls, analyzed = start, 0, analyze_after is None
    for c in range(connections):
        account = account_for(c, first_account)
        conn = seeder.call(
            account,
            "CreateConnection",
            {
                "location": LOCATIONS[c % len(LOCATIONS)],
                "bandwidth": "10Gbps",
                "connectionName": f"seed-{c}",
            },
        )["connectionId"]
        report.connections += 1
        phase_calls += 1
        vgw = f"vgw-{int(account) % 16**8:08x}"
        for v in range(min(VIFS_PER_CONNECTION, count - len(made))):
            spec = {
                "virtualInterfaceName": f"seed-{c}-{v}",
                "vlan": 100 + v,
                "asn": 65000,
                "virtualGatewayId": vgw,
            }
            vif = seeder.call(
                account,
                "CreatePrivateVirtualInterface",
                {"connectionId": conn, "newPrivateVirtualInterface": spec},
            )["virtualInterfaceId"]
            made.append((account, vif))
            phase_calls += 1
            if (len(made) % 100) < ipv6_share * 100:
                seeder.call(
                    account,
                    "CreateBGPPeer",
                    {
                        "virtualInterfaceId": vif,
                        "newBGPPeer": {"asn": 65000, "addressFamily": "ipv6"},
                    },
                )
                report.ipv6_peers += 1
                phase_calls += 1
            if not analyzed and len(made) >= analyze_after:  # type: ignore[operator]
                now = time.perf_counter()
                report.phase(
                    f"first {len(made)} VIFs, as shipped (no planner statistics)",
                    phase_calls,
                    now - phase_start,
                )
                seeder.analyze()
                analyzed = True
                phase_start, phase_calls = time.perf_counter(), 0
    now = time.perf_counter()
    if phase_calls:
        label = "rest, after ANALYZE" if analyze_after is not None else "as shipped"
        report.phase(f"{label}", phase_calls, now - phase_start)
    report.seconds = now - start
    report.vifs = len(made)
    report.retried_500 = seeder.retried_500
    seeder.close()
    return made, report
