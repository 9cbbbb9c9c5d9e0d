"""The model-driven API fuzzer, quick seeded runs: every operation and member over awsJson
and RPC v2 CBOR in-process (2,400 requests), and hostile HTTP framing against a live server
(300 connections). No 5xx, no hang, and a refused request changes no record. The long runs
are benchmarks/fuzz_long.py."""

from __future__ import annotations

from api_cases import Generator
from runners import run_api, run_http

from dxtest import LiveServer

SEED = 20261201
API_REQUESTS = 2_400
HTTP_CONNECTIONS = 300


def test_model_driven_api_fuzz():
    counts = run_api(API_REQUESTS, SEED)
    assert counts.failures == [], "\n".join(counts.failures[:10])
    assert counts.requests == API_REQUESTS
    assert len(counts.covered) == 2 * len(Generator(SEED).operations)  # every op, both wires
    assert counts.refused > API_REQUESTS // 4 and counts.served > API_REQUESTS // 20


def test_hostile_http_framing(tmp_path):
    server = LiveServer(tmp_path / "s.sqlite3", "--header-timeout", "0.2", "--idle-timeout", "0.2")
    server.start()
    try:
        counts = run_http(server.port, HTTP_CONNECTIONS, SEED)
        assert counts.failures == [], "\n".join(counts.failures[:10])
        assert counts.refused > HTTP_CONNECTIONS // 3
        assert server.control("GET", "/health")["status"] == "ok"
        assert server.control("GET", "/records/connection")["records"] == []
    finally:
        server.stop()
