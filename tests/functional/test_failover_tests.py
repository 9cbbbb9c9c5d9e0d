"""BGP failover tests (docs/behavior.md#failover-tests), through boto3, in both modes."""

from __future__ import annotations

from functional.helpers import (
    available_vif,
    client_error,
    make_connection,
    make_private_vif,
    wait_vif,
)


def describe(client, vif_id: str) -> dict:
    return client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]


def test_start_holds_bgp_down_and_stop_restores(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    peer_id = v["bgpPeers"][0]["bgpPeerId"]
    test = client.start_bgp_failover_test(virtualInterfaceId=vif_id)["virtualInterfaceTest"]
    assert test["status"] == "in_progress" and test["testDurationInMinutes"] == 180
    assert test["bgpPeers"] == [peer_id] and test["ownerAccount"] == "123456789012"
    assert "startTime" in test and "endTime" not in test
    during = describe(client, vif_id)
    assert during["virtualInterfaceState"] == "testing"
    assert during["bgpPeers"][0]["bgpStatus"] == "down"
    dx.advance(seconds=1)  # other lifecycle steps do not bring the session back
    assert describe(client, vif_id)["bgpPeers"][0]["bgpStatus"] == "down"
    assert "already running" in client_error(
        client, client.start_bgp_failover_test, virtualInterfaceId=vif_id
    )

    stopped = client.stop_bgp_failover_test(virtualInterfaceId=vif_id)["virtualInterfaceTest"]
    assert stopped["status"] == "cancelled" and stopped["testId"] == test["testId"]
    assert "endTime" in stopped
    wait_vif(dx, client, vif_id)
    assert "No failover test" in client_error(
        client, client.stop_bgp_failover_test, virtualInterfaceId=vif_id
    )
    history = client.list_virtual_interface_test_history(virtualInterfaceId=vif_id)
    assert [t["status"] for t in history["virtualInterfaceTestHistory"]] == ["cancelled"]


def test_test_completes_after_its_duration(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    test = client.start_bgp_failover_test(
        virtualInterfaceId=vif_id,
        testDurationInMinutes=1,
        bgpPeers=[v["bgpPeers"][0]["bgpPeerId"]],
    )["virtualInterfaceTest"]
    dx.advance(seconds=61)
    done = client.list_virtual_interface_test_history(testId=test["testId"])[
        "virtualInterfaceTestHistory"
    ]
    assert done[0]["status"] == "completed" and done[0]["testDurationInMinutes"] == 1
    final = wait_vif(dx, client, vif_id)
    assert final["bgpPeers"][0]["bgpStatus"] == "up"
    # Filters: every given filter must match.
    listing = client.list_virtual_interface_test_history
    assert listing(status="in_progress")["virtualInterfaceTestHistory"] == []
    assert (
        len(listing(status="completed", bgpPeers=test["bgpPeers"])["virtualInterfaceTestHistory"])
        == 1
    )
    assert listing(bgpPeers=["dxpeer-fnothere"])["virtualInterfaceTestHistory"] == []


def test_start_rules(dx_manual):
    client, v = available_vif(dx_manual)
    vif_id = v["virtualInterfaceId"]
    for minutes in (0, 4321):
        assert "4320" in client_error(
            client,
            client.start_bgp_failover_test,
            virtualInterfaceId=vif_id,
            testDurationInMinutes=minutes,
        )
    assert "does not exist" in client_error(
        client,
        client.start_bgp_failover_test,
        virtualInterfaceId=vif_id,
        bgpPeers=["dxpeer-fnothere"],
    )
    other = dx_manual.client(account="111122223333")
    assert "does not exist" in client_error(
        other, other.start_bgp_failover_test, virtualInterfaceId=vif_id
    )
    assert other.list_virtual_interface_test_history()["virtualInterfaceTestHistory"] == []
    conn = make_connection(dx_manual, client)
    fresh = make_private_vif(client, conn["connectionId"], vlan=102)
    assert "available or down" in client_error(
        client, client.start_bgp_failover_test, virtualInterfaceId=fresh["virtualInterfaceId"]
    )
    client.start_bgp_failover_test(virtualInterfaceId=vif_id, testDurationInMinutes=4320)


def test_deleting_the_vif_fails_the_test(dx, vif):
    client, v = vif
    vif_id = v["virtualInterfaceId"]
    test = client.start_bgp_failover_test(virtualInterfaceId=vif_id, testDurationInMinutes=1)
    client.delete_virtual_interface(virtualInterfaceId=vif_id)
    dx.advance(seconds=61)
    history = client.list_virtual_interface_test_history(
        testId=test["virtualInterfaceTest"]["testId"]
    )
    assert history["virtualInterfaceTestHistory"][0]["status"] == "failed"
