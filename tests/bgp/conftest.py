"""Lab fixtures for interop tests: a customer router (BIRD 2 or ExaBGP) facing the speaker.

Namespace mode (default, needs root): two fresh namespaces per test, ``dxbgp-<pid>-<n>-aws``
and ``...-cust``, joined by a veth pair carrying 169.254.10.1/30 <-> .2 and
2001:db8::1/125 <-> ::2 (``nodad``, ``keep_addr_on_down=1``). The speaker runs in this
process with ``Speaker(netns=<aws>)``; the router runs under ``ip netns exec <cust>``.

Loopback mode (when ``ip netns add`` fails, or ``DXLOCAL_BGP_LOOPBACK=1``): speaker on
127.0.0.1 / ::1, router on 127.0.0.2 / ::1, both on free non-standard ports; BIRD then needs
``multihop`` and both sides announce 169.254.10.x / 2001:db8::x next hops.

Processes are killed and namespaces deleted by finalizers whatever the outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgplab import COUNTER, TIMINGS, Lab, free_port, make_namespaces, sh


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.bgp)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if TIMINGS:
        terminalreporter.section("bgp timings")
        for line in TIMINGS:
            terminalreporter.write_line(line)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(workdir=tmp_path)
    base = f"dxbgp-{os.getpid()}-{next(COUNTER)}"
    try:
        use_ns = os.environ.get("DXLOCAL_BGP_LOOPBACK") != "1" and make_namespaces(lab, base)
        if not use_ns:
            for ns in (lab.aws_ns, lab.cust_ns):
                if ns:
                    sh("ip", "netns", "del", ns)
            lab.aws_ns = lab.cust_ns = None
            lab.aws_v4, lab.cust_v4, lab.aws_v6, lab.cust_v6 = (
                "127.0.0.1",
                "127.0.0.2",
                "::1",
                "::1",
            )
            lab.speaker_port, lab.router_port = free_port(), free_port()
        yield lab
    finally:
        lab.kill_all()
        for ns in (lab.cust_ns, lab.aws_ns):
            if ns:
                sh("ip", "netns", "del", ns)
