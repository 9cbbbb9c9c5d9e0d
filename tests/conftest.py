"""Shared fixtures: the ``dx`` fixture runs a functional test in-process (mock) and against
a live ``dxlocal serve``, by one switch: ``--dx-mode=inprocess,server`` (default both) or
``DXLOCAL_TEST_MODE``.

Every successful response seen by a ``dx`` client is checked against the operation's output
shape of the pinned model, so a malformed answer fails the test that caused it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.validate import ParamValidator

from dxlocal.mock import mock_directconnect
from dxtest import TEST_DELAY, LiveServer, dx_client, free_port, wait_until

DEFAULT_ACCOUNT = "123456789012"
__all__ = ["DX", "LiveServer", "free_port"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--dx-mode",
        default=os.environ.get("DXLOCAL_TEST_MODE", "inprocess,server"),
        help="comma-separated modes for functional tests: inprocess, server",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name in ("dx", "dx_manual"):
        if name in metafunc.fixturenames:
            option = metafunc.config.getoption("--dx-mode")
            modes = [m.strip() for m in option.split(",") if m.strip()]
            metafunc.parametrize(name, modes, indirect=True)


_VALIDATOR = ParamValidator()


def _check_output(**kwargs: Any) -> None:
    parsed, op = kwargs.get("parsed"), kwargs.get("model")
    http = kwargs.get("http_response")
    if (
        op is None
        or parsed is None
        or http is None
        or http.status_code >= 300
        or op.output_shape is None
    ):
        return
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = _VALIDATOR.validate(body, op.output_shape)
    if report.has_errors():
        raise AssertionError(
            f"{op.name} answer does not match its output shape:\n{report.generate_report()}"
        )


class DX:
    """What a functional test gets: clients for any account, and the control API.
    ``manual``: the clock moves only when the test advances it (``dx_manual``)."""

    def __init__(
        self, mode: str, endpoint: str | None, control: Callable[..., Any], manual: bool = False
    ) -> None:
        self.mode = mode
        self.endpoint = endpoint
        self._control = control
        self.manual = manual

    def client(self, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1") -> Any:
        client = dx_client(self.endpoint or "http://dxlocal.invalid", account, region)
        client.meta.events.register("after-call.directconnect", _check_output)
        return client

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._control(method, path, body)

    def advance(self, seconds: float | None = None) -> int:
        return self.control("POST", "/advance", {} if seconds is None else {"seconds": seconds})[
            "fired"
        ]

    def wait(
        self, fetch: Callable[[], Any], until: Callable[[Any], bool], timeout: float = 10.0
    ) -> Any:
        """Poll like a client would until ``until(fetch())`` holds; on the manual clock each
        poll first moves it one lifecycle step."""
        step = self.advance if self.manual else None
        return wait_until(fetch, until, timeout=timeout, every=0.02, between=step)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("dxlocal") / "state.sqlite3").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def manual_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state = tmp_path_factory.mktemp("dxlocal-manual") / "state.sqlite3"
    server = LiveServer(state, "--progress", "manual").start()
    yield server
    server.stop()


def _dx(request: pytest.FixtureRequest, manual: bool) -> Iterator[DX]:
    mode = request.param
    if mode == "inprocess":
        progress = "manual" if manual else "auto"
        with mock_directconnect(delay=float(TEST_DELAY), progress=progress) as mock:

            def control(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
                return mock.control.call(method, "/_dxlocal" + path, body)

            yield DX(mode, None, control, manual)
    elif mode == "server":
        server = request.getfixturevalue("manual_server" if manual else "live_server")
        server.control("POST", "/reset")
        yield DX(mode, server.url, server.control, manual)
    else:
        raise ValueError(f"unknown mode {mode}")


@pytest.fixture
def dx(request: pytest.FixtureRequest) -> Iterator[DX]:
    yield from _dx(request, manual=False)


@pytest.fixture
def dx_manual(request: pytest.FixtureRequest) -> Iterator[DX]:
    """``dx`` on the manual clock: a resource stays in a transitional state until the test
    moves the clock (``dx.advance()``, or ``dx.wait``), however slow the machine is."""
    yield from _dx(request, manual=True)
