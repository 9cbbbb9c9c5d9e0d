"""The pure path-selection module (core/route_table.py, docs/routing.md)."""

from __future__ import annotations

from dxlocal.core.route_table import (
    Candidate,
    RouteTable,
    accepted_communities,
    local_preference,
    select,
)


def test_local_preference_from_communities():
    assert local_preference([]) == 2
    assert local_preference(["7224:7300"]) == 3
    assert local_preference(["7224:7100", "65000:1"]) == 1
    assert local_preference(["7224:7300", "7224:7100"]) == 1  # exclusive tags: the lowest


def test_communities_in_aws_range_are_stripped_by_vif_type():
    sent = ["7224:7300", "7224:9100", "7224:8100", "65000:1", "65535:65281"]
    assert accepted_communities("private", sent) == ["7224:7300", "65000:1", "65535:65281"]
    assert accepted_communities("public", sent) == ["7224:9100", "65000:1", "65535:65281"]


def test_order_communities_then_region_then_as_path_then_multipath():
    far_short = Candidate("b", (65000,), same_region=False)
    near_long = Candidate("a", (65000, 65000, 65000))
    assert select("p", [far_short, near_long]).chosen == (near_long,)
    high_far = Candidate("c", (65000, 65000, 65000, 65000), ("7224:7300",), same_region=False)
    entry = select("p", [far_short, near_long, high_far])
    assert entry.chosen == (high_far,) and entry.reason.startswith("local preference high")
    twin = Candidate("d", (65001, 65002, 65003))
    entry = select("p", [near_long, twin])
    assert [c.vif_id for c in entry.chosen] == ["a", "d"]
    assert entry.reason == "equal-cost multipath across 2 VIFs (equal attributes)"


def test_incremental_updates_touch_only_what_changed():
    table = RouteTable()
    assert table.set_vif("a", {"10.0.0.0/16": Candidate("a", (1,)),
                               "10.1.0.0/16": Candidate("a", (1,))}) == {"10.0.0.0/16", "10.1.0.0/16"}  # fmt: skip
    assert table.set_vif("b", {"10.0.0.0/16": Candidate("b", (1, 1))}) == {"10.0.0.0/16"}
    assert [c.vif_id for c in table.get("10.0.0.0/16").chosen] == ["a"]  # a still wins
    assert table.set_vif("b", {"10.0.0.0/16": Candidate("b", (1, 1))}) == set()  # no change
    changed = table.set_vif("b", {"10.0.0.0/16": Candidate("b", (1,))})
    assert changed == {"10.0.0.0/16"} and table.get("10.0.0.0/16").reason.startswith("equal-cost")
    assert table.remove_vif("a") == {"10.0.0.0/16", "10.1.0.0/16"}
    assert [e.prefix for e in table.entries()] == ["10.0.0.0/16"]


def test_longest_prefix_lookup():
    table = RouteTable()
    table.set_vif("a", {"10.0.0.0/8": Candidate("a", (1,))})
    table.set_vif("b", {"10.1.0.0/16": Candidate("b", (1,)), "2001:db8::/32": Candidate("b", (1,))})
    assert table.lookup("10.1.2.3").prefix == "10.1.0.0/16"
    assert table.lookup("10.2.0.1").prefix == "10.0.0.0/8"
    assert table.lookup("192.0.2.1") is None
    assert table.lookup("2001:db8::1").prefix == "2001:db8::/32"
