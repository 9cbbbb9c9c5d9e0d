"""A fault on one of two VIFs feeding a gateway moves its route table to the survivor, and
ending it moves it back (docs/failures.md#faults, docs/routing.md)."""

from __future__ import annotations

from functional.test_route_tables import VGW, announce, table, two_sites  # noqa: F401


def test_route_table_fails_over_to_the_surviving_vif_and_back(dx, two_sites):  # noqa: F811
    client, gw_id, (vif_a, peer_a), (vif_b, peer_b) = two_sites
    announce(dx, peer_a, {"cidr": "192.168.0.0/16", "communities": ["7224:7300"]})
    announce(dx, peer_b, {"cidr": "192.168.0.0/16", "communities": ["7224:7100"]})
    assert table(dx, VGW)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_a]

    conn_a = client.describe_virtual_interfaces(virtualInterfaceId=vif_a)["virtualInterfaces"][0][
        "connectionId"
    ]
    fault = dx.control("POST", "/faults", {"target": "connection", "id": conn_a})
    for gateway in (VGW, gw_id):
        assert table(dx, gateway)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_b]

    dx.control("DELETE", f"/faults/{fault['faultId']}")
    assert table(dx, VGW)["192.168.0.0/16"]["virtualInterfaceIds"] == [vif_a]
