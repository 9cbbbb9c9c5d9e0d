"""The lab's interfaces carry the VIF's MTU, and UpdateVirtualInterfaceAttributes changes it
through ``pending`` (API reference, UpdateVirtualInterfaceAttributes; docs/bfd.md#mtu)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgplab import sh
from livelab import LiveBgpServer, serving


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveBgpServer]:
    with serving(tmp_path) as srv:
        yield srv


def mtus(netns: str, tag: str) -> dict[str, int]:
    links = json.loads(sh("ip", "-n", netns, "-j", "link", "show").stdout)
    return {ln["ifname"]: ln["mtu"] for ln in links if tag in ln["ifname"]}


def test_lab_interfaces_follow_the_vif_mtu(server: LiveBgpServer) -> None:
    vif = server.make_vif(families=("ipv4",))
    vif_id = vif["virtualInterfaceId"]
    ns = server.new_netns("mtu")
    server.cli("attach", vif_id, "--netns", ns)
    tag = vif_id[-7:]
    assert vif["mtu"] == 1500
    assert set(mtus(ns, tag).values()) == {1500}
    assert set(mtus(server.aws_ns, tag).values()) == {1500}

    out = server.client().update_virtual_interface_attributes(virtualInterfaceId=vif_id, mtu=9001)
    assert out["mtu"] == 9001 and out["virtualInterfaceState"] == "pending"
    server.wait_vif(vif_id, lambda v: v["virtualInterfaceState"] in ("available", "down"))

    def both() -> tuple[set[int], set[int]]:
        return set(mtus(ns, tag).values()), set(mtus(server.aws_ns, tag).values())

    deadline = time.monotonic() + 10
    while both() != ({9001}, {9001}):
        assert time.monotonic() < deadline, both()
        time.sleep(0.1)
