"""A virtual interface's and its BGP peers' steps, worked out from the clock when the VIF is
read (docs/lifecycle.md#virtual-interfaces-and-their-peers): a create writes once, every
step after it is taken at read at the time it was due, and nothing is written for it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from dxlocal.mock import mock_directconnect

DELAY = 0.2
VGW = "vgw-0123456789abcdef0"


class Counting:
    """Counts what a store transaction is asked to write (the event log aside)."""

    def __init__(self, tx: Any, counts: dict[str, int]) -> None:
        self._tx = tx
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._tx, name)
        if name not in ("insert", "update", "delete", "schedule"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            kind = args[2] if name == "schedule" else args[0]
            if kind != "event":
                key = f"{name} {kind}"
                self._counts[key] = self._counts.get(key, 0) + 1
            return attr(*args, **kwargs)

        return counted


@contextmanager
def counting(store: Any) -> Any:
    counts: dict[str, int] = {}
    real = store.transaction

    def transaction() -> Any:
        class Scope:
            def __enter__(self) -> Any:
                self._cm = real()
                return Counting(self._cm.__enter__(), counts)

            def __exit__(self, *exc: Any) -> Any:
                return self._cm.__exit__(*exc)

        return Scope()

    store.transaction = transaction
    try:
        yield counts
    finally:
        store.transaction = real


@pytest.fixture
def lab() -> Any:
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = boto3.client("directconnect", region_name="us-east-1")
        conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": 2 * DELAY})
        yield mock, dx, conn["connectionId"]


def advance(mock: Any, seconds: float) -> None:
    mock.control.call("POST", "/_dxlocal/advance", {"seconds": seconds})


def read(dx: Any, vif_id: str) -> dict[str, Any]:
    return dx.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]


def states(vif: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    peers = [(p["bgpPeerState"], p["bgpStatus"]) for p in vif["bgpPeers"]]
    return vif["virtualInterfaceState"], peers


def private(dx: Any, conn_id: str, vlan: int = 101) -> dict[str, Any]:
    return dx.create_private_virtual_interface(
        connectionId=conn_id,
        newPrivateVirtualInterface={"virtualInterfaceName": "v", "vlan": vlan, "asn": 65000,
                                    "virtualGatewayId": VGW},
    )  # fmt: skip


def test_a_private_vif_is_available_two_steps_on_without_a_write(lab: Any) -> None:
    mock, dx, conn_id = lab
    private(dx, conn_id, vlan=100)  # the gateway is known from here on
    with counting(mock.service.store) as counts:
        vif = private(dx, conn_id)
    # The VIF and its /30; the connection's prefix allocations follow it. No timer.
    assert counts == {"insert ipv4Block": 1, "insert virtualInterface": 1,
                      "update connection": 1}  # fmt: skip
    vif_id = vif["virtualInterfaceId"]
    assert states(vif) == ("pending", [("pending", "down")])
    with counting(mock.service.store) as counts:
        advance(mock, DELAY / 2)
        assert states(read(dx, vif_id)) == ("pending", [("pending", "down")])
        advance(mock, DELAY / 2)
        assert states(read(dx, vif_id)) == ("pending", [("available", "down")])
        advance(mock, DELAY)
        assert states(read(dx, vif_id)) == ("available", [("available", "up")])
        advance(mock, 3600)
        assert states(read(dx, vif_id)) == ("available", [("available", "up")])
    assert counts == {}  # every step was worked out at read
    with mock.service.store.transaction() as tx:
        stored = tx.get("virtualInterface", vif_id)
    assert stored["virtualInterfaceState"] == "pending"  # what was read is not written


def test_a_public_vif_verifies_then_its_peer_then_its_sessions(lab: Any) -> None:
    mock, dx, conn_id = lab
    vif = dx.create_public_virtual_interface(
        connectionId=conn_id,
        newPublicVirtualInterface={
            "virtualInterfaceName": "p", "vlan": 102, "asn": 65000,
            "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
            "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}],
        },
    )  # fmt: skip
    vif_id = vif["virtualInterfaceId"]
    assert states(vif) == ("verifying", [("pending", "down")])
    advance(mock, DELAY)
    # Its peers wait while it verifies; they step one delay after it is pending.
    assert states(read(dx, vif_id)) == ("pending", [("pending", "down")])
    advance(mock, DELAY)
    assert states(read(dx, vif_id)) == ("available", [("available", "up")])


def test_delete_then_deleted_then_purged_after_the_retention(lab: Any) -> None:
    mock, dx, conn_id = lab
    vif_id = private(dx, conn_id)["virtualInterfaceId"]
    advance(mock, 2 * DELAY)
    with mock.service.store.transaction() as tx:
        assert tx.list("ipv4Block")
    assert dx.delete_virtual_interface(virtualInterfaceId=vif_id)["virtualInterfaceState"] == (
        "deleting"
    )
    with mock.service.store.transaction() as tx:
        assert tx.list("ipv4Block") == []  # its /30 is free as it is deleted
    assert states(read(dx, vif_id)) == ("deleting", [("available", "down")])
    assert "<bgp_asn>" in read(dx, vif_id)["customerRouterConfig"]
    advance(mock, DELAY)
    assert states(read(dx, vif_id)) == ("deleted", [("deleting", "down")])
    assert "<bgp_asn>" not in read(dx, vif_id)["customerRouterConfig"]  # no live peer left
    advance(mock, 15 * 60 - DELAY / 2)
    assert read(dx, vif_id)["virtualInterfaceState"] == "deleted"
    advance(mock, DELAY)
    assert dx.describe_virtual_interfaces()["virtualInterfaces"] == []
    with mock.service.store.transaction() as tx:
        assert tx.get("virtualInterface", vif_id) is None
        assert tx.next_due() is None  # nothing left to fire


def test_a_deleted_peer_goes_a_step_after_it_got_there(lab: Any) -> None:
    mock, dx, conn_id = lab
    vif_id = private(dx, conn_id)["virtualInterfaceId"]
    added = dx.create_bgp_peer(
        virtualInterfaceId=vif_id, newBGPPeer={"asn": 65001, "addressFamily": "ipv6"}
    )["virtualInterface"]
    v6 = next(p["bgpPeerId"] for p in added["bgpPeers"] if p["addressFamily"] == "ipv6")
    advance(mock, 2 * DELAY)
    assert states(read(dx, vif_id)) == ("available", [("available", "up")] * 2)
    with counting(mock.service.store) as counts:
        dx.delete_bgp_peer(virtualInterfaceId=vif_id, bgpPeerId=v6)
        advance(mock, DELAY)
        assert [p["bgpPeerState"] for p in read(dx, vif_id)["bgpPeers"]] == [
            "available", "deleted"]  # fmt: skip
        advance(mock, DELAY)
        assert states(read(dx, vif_id)) == ("available", [("available", "up")])
    assert counts == {"update virtualInterface": 1}  # the DeleteBGPPeer call alone


def test_with_live_bgp_leaving_verifying_is_written_at_its_moment() -> None:
    """The live speaker starts a public VIF's sessions as it leaves ``verifying``: that step
    is written then, so the speaker hears of it (bgp/live.py reads committed records)."""
    with mock_directconnect(progress="manual", delay=DELAY, bgp="live") as mock:
        dx = boto3.client("directconnect", region_name="us-east-1")
        conn_id = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")[
            "connectionId"
        ]
        advance(mock, 2 * DELAY)
        vif_id = dx.create_public_virtual_interface(
            connectionId=conn_id,
            newPublicVirtualInterface={
                "virtualInterfaceName": "p", "vlan": 102, "asn": 65000,
                "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
                "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}],
            },
        )["virtualInterfaceId"]  # fmt: skip
        heard: list[set[tuple[str, str]]] = []
        mock.service.work.subscribe(lambda event: heard.append(event.keys()))
        advance(mock, DELAY)
        assert {("virtualInterface", vif_id)} in heard
        with mock.service.store.transaction() as tx:
            assert tx.get("virtualInterface", vif_id)["virtualInterfaceState"] == "pending"
        # No simulated router: the sessions wait for the speaker.
        advance(mock, DELAY)
        assert states(read(dx, vif_id)) == ("down", [("available", "down")])


def test_macsec_keys_step_inside_their_port_at_read() -> None:
    """A port's MACsec keys are nested records of the port (core/lifecycle.py ``nested``):
    they step when it is read, and its encryption status follows them."""
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = boto3.client("directconnect", region_name="us-east-1")
        cid = dx.create_connection(
            location="EqDC2", bandwidth="10Gbps", connectionName="m", requestMACSec=True
        )["connectionId"]

        def port() -> dict[str, Any]:
            return dx.describe_connections(connectionId=cid)["connections"][0]

        with counting(mock.service.store) as counts:
            key = dx.associate_mac_sec_key(connectionId=cid, ckn="1" * 64, cak="b" * 64)[
                "macSecKeys"
            ][0]
            assert key["state"] == "associating"
            advance(mock, DELAY)
            assert [k["state"] for k in port()["macSecKeys"]] == ["associated"]
            assert port()["portEncryptionStatus"] == "Encryption Down"  # the port is pending
            advance(mock, DELAY)
            assert (port()["connectionState"], port()["portEncryptionStatus"]) == (
                "available", "Encryption Up")  # fmt: skip
        # The secret holding the pair and the port with its key: no timer, no step written.
        assert counts == {"insert macSecSecret": 1, "update connection": 1}
        dx.disassociate_mac_sec_key(connectionId=cid, secretARN=key["secretARN"])
        assert [k["state"] for k in port()["macSecKeys"]] == ["disassociating"]
        advance(mock, DELAY)
        assert (port()["macSecKeys"], port()["portEncryptionStatus"]) == ([], "Encryption Down")


def test_a_failover_test_ends_as_its_declared_step_at_its_due_time(lab: Any) -> None:
    mock, dx, conn_id = lab
    vif_id = private(dx, conn_id)["virtualInterfaceId"]
    doomed = private(dx, conn_id, vlan=102)["virtualInterfaceId"]
    advance(mock, 2 * DELAY)
    test = dx.start_bgp_failover_test(virtualInterfaceId=vif_id, testDurationInMinutes=1)[
        "virtualInterfaceTest"
    ]
    other = dx.start_bgp_failover_test(virtualInterfaceId=doomed, testDurationInMinutes=1)[
        "virtualInterfaceTest"
    ]
    assert states(read(dx, vif_id)) == ("testing", [("available", "down")])
    dx.delete_virtual_interface(virtualInterfaceId=doomed)

    def history(test_id: str) -> dict[str, Any]:
        return dx.list_virtual_interface_test_history(testId=test_id)[
            "virtualInterfaceTestHistory"
        ][0]

    advance(mock, 60 - DELAY)
    assert history(test["testId"])["status"] == "in_progress"
    advance(mock, 3600)  # long after: the end is stamped when it was due
    ended = history(test["testId"])
    assert ended["status"] == "completed"
    assert (ended["endTime"] - ended["startTime"]).total_seconds() == pytest.approx(60, abs=1e-3)
    assert states(read(dx, vif_id)) == ("available", [("available", "up")])
    assert history(other["testId"])["status"] == "failed"  # its VIF left testing


def test_a_state_file_from_before_keeps_its_timers_meaning(lab: Any) -> None:
    """Records written when these steps were timers (a VIF's ``progress``, a failover
    test's ``end``) still take them."""
    mock, dx, conn_id = lab
    vif_id = private(dx, conn_id)["virtualInterfaceId"]
    tested = private(dx, conn_id, vlan=102)["virtualInterfaceId"]
    advance(mock, 2 * DELAY)
    test = dx.start_bgp_failover_test(virtualInterfaceId=tested, testDurationInMinutes=1)[
        "virtualInterfaceTest"
    ]
    with mock.service.store.transaction() as tx:
        old = tx.get("virtualInterface", vif_id)
        for key in ("_step", "_sim"):
            old.pop(key)
        tx.update("virtualInterface", vif_id, old)
        tx.schedule(old["_at"] + DELAY, "virtualInterface", vif_id, "progress")
        record = tx.get("virtualInterfaceTest", test["testId"])
        start = record.pop("_at")
        tx.update("virtualInterfaceTest", test["testId"], record)
        tx.cancel("virtualInterfaceTest", test["testId"], "step")
        tx.schedule(start + 60, "virtualInterfaceTest", test["testId"], "end")
    assert states(read(dx, vif_id)) == ("pending", [("pending", "down")])  # no step recorded
    advance(mock, 60)
    assert states(read(dx, vif_id)) == ("available", [("available", "up")])
    ended = dx.list_virtual_interface_test_history(testId=test["testId"])[
        "virtualInterfaceTestHistory"
    ][0]
    assert ended["status"] == "completed"
    assert states(read(dx, tested)) == ("available", [("available", "up")])
