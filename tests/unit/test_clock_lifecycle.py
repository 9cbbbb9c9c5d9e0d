"""The lifecycle worked out from the clock (docs/lifecycle.md): a create is one write, the
states follow the clock step by step, ``--progress manual`` is a clock that only
``/_dxlocal/advance`` moves, and one purge mechanism serves every kind."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from dxlocal.core import lifecycle
from dxlocal.core.clock import Clock
from dxlocal.mock import mock_directconnect

DELAY = 0.2


class Counting:
    """Counts the writes a store transaction receives."""

    def __init__(self, tx: Any, counts: dict[str, int]) -> None:
        self._tx = tx
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._tx, name)
        if name in ("insert", "update", "delete", "schedule", "log"):
            self._counts[name] = self._counts.get(name, 0) + 1
        return attr


def client() -> Any:
    return boto3.client("directconnect", region_name="us-east-1")


def state(dx: Any, conn_id: str) -> str:
    return dx.describe_connections(connectionId=conn_id)["connections"][0]["connectionState"]


def test_a_create_is_one_write_and_its_states_follow_the_clock():
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        store = mock.service.store
        counts: dict[str, int] = {}
        real = store.transaction

        def counting_transaction() -> Any:
            class Ctx:
                def __enter__(self) -> Any:
                    self._cm = real()
                    return Counting(self._cm.__enter__(), counts)

                def __exit__(self, *exc: Any) -> Any:
                    return self._cm.__exit__(*exc)

            return Ctx()

        store.transaction = counting_transaction  # type: ignore[method-assign]
        dx = client()
        conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
        assert conn["connectionState"] == "requested"
        assert counts == {"insert": 1, "log": 1}  # the connection, its API event; no timer, no step
        store.transaction = real  # type: ignore[method-assign]

        conn_id = conn["connectionId"]
        assert state(dx, conn_id) == "requested"
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": DELAY / 2})
        assert state(dx, conn_id) == "requested"
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": DELAY / 2})
        assert state(dx, conn_id) == "pending"
        mock.control.call("POST", "/_dxlocal/advance")  # one step, as before
        described = dx.describe_connections(connectionId=conn_id)["connections"][0]
        assert described["connectionState"] == "available"
        assert described["jumboFrameCapable"] is True
        # What was read is not written: the stored record still says requested.
        with store.transaction() as tx:
            assert tx.get("connection", conn_id)["connectionState"] == "requested"


def test_the_manual_clock_stands_still_until_advanced():
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = client()
        conn_id = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")[
            "connectionId"
        ]
        before = mock.service.clock.now()
        import time

        time.sleep(DELAY * 1.5)
        assert mock.service.clock.now() == before
        assert state(dx, conn_id) == "requested"
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": 10})
        assert mock.service.clock.now() == pytest.approx(before + 10)
        assert state(dx, conn_id) == "available"


def test_one_advance_is_one_written_step_not_the_purge_after_it():
    # In-process no unit is open around the control call: the advance's own unit must not
    # fire the step on opening and then the purge that step scheduled.
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = client()
        gw = dx.create_direct_connect_gateway(directConnectGatewayName="g", amazonSideAsn=64512)
        gw_id = gw["directConnectGateway"]["directConnectGatewayId"]
        aid = dx.create_direct_connect_gateway_association(
            directConnectGatewayId=gw_id, gatewayId="vgw-f9eb0c90"
        )["directConnectGatewayAssociation"]["associationId"]

        def association() -> str:
            found = dx.describe_direct_connect_gateway_associations(associationId=aid)
            return found["directConnectGatewayAssociations"][0]["associationState"]

        assert mock.control.call("POST", "/_dxlocal/advance") == {"fired": 1}
        assert association() == "associated"
        dx.delete_direct_connect_gateway_association(associationId=aid)
        assert mock.control.call("POST", "/_dxlocal/advance") == {"fired": 1}
        assert association() == "disassociated"  # kept for --deleted-retention


@pytest.mark.parametrize("seconds", [-1, "soon"])
def test_the_clock_only_moves_forward(seconds):
    with (
        mock_directconnect(progress="manual") as mock,
        pytest.raises(Exception, match="Bad control request|must be a number"),
    ):
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": seconds})


def test_a_lag_follows_its_members_as_they_are_read():
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = client()
        lag = dx.create_lag(
            numberOfConnections=2, location="EqDC2", connectionsBandwidth="1Gbps", lagName="l"
        )
        assert lag["lagState"] == "pending"
        mock.control.call("POST", "/_dxlocal/advance")
        assert dx.describe_lags(lagId=lag["lagId"])["lags"][0]["lagState"] == "pending"
        mock.control.call("POST", "/_dxlocal/advance")
        seen = dx.describe_lags(lagId=lag["lagId"])["lags"][0]
        assert seen["lagState"] == "available"
        assert {c["connectionState"] for c in seen["connections"]} == {"available"}
        # A new member does not take the LAG back to pending.
        dx.create_connection(
            location="EqDC2", bandwidth="1Gbps", connectionName="m3", lagId=lag["lagId"]
        )
        assert dx.describe_lags(lagId=lag["lagId"])["lags"][0]["lagState"] == "available"


def test_one_purge_for_every_kind():
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = client()
        conn_id = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")[
            "connectionId"
        ]
        gw_id = dx.create_direct_connect_gateway(directConnectGatewayName="g")[
            "directConnectGateway"
        ]["directConnectGatewayId"]
        dx.delete_connection(connectionId=conn_id)
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": DELAY})
        dx.delete_direct_connect_gateway(directConnectGatewayId=gw_id)
        assert state(dx, conn_id) == "deleted"
        # A deleted gateway is gone as it gets there (one step after its delete).
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": DELAY})
        assert dx.describe_direct_connect_gateways()["directConnectGateways"] == []
        mock.control.call("POST", "/_dxlocal/advance", {"seconds": 15 * 60})
        with pytest.raises(dx.exceptions.DirectConnectClientException):
            dx.describe_connections(connectionId=conn_id)
        with mock.service.store.transaction() as tx:
            assert tx.get("connection", conn_id) is None
            assert tx.get("directConnectGateway", gw_id) is None
            assert tx.next_due() is None  # nothing left to fire


def test_declarations_are_consistent():
    for kind, spec in lifecycle.KINDS.items():
        for state, nxt in spec.steps.items():
            assert nxt in spec.transitions[state], (kind, state, nxt)
        for state in spec.retained:
            assert state in spec.transitions, (kind, state)


def test_settle_takes_every_step_reached():
    record = {"connectionState": "requested", lifecycle.ENTERED: 100.0}
    lifecycle.settle("connection", record, 100.39, 0.2)
    assert record["connectionState"] == "pending" and record[lifecycle.ENTERED] == 100.2
    lifecycle.settle("connection", record, 100.4, 0.2)
    assert record["connectionState"] == "available" and record[lifecycle.ENTERED] == 100.4
    old = {"connectionState": "requested"}  # written before entry times were kept
    lifecycle.settle("connection", old, 5.0, 0.2)
    assert old["connectionState"] == "available"


def test_clock():
    clock = Clock(manual=True, start=1000.0)
    assert clock.now() == 1000.0
    assert clock.advance(2.5) == 1002.5
    with pytest.raises(ValueError):
        clock.advance(float("inf"))


def test_peer_churn_never_holds_back_a_vif_step():
    """Each CreateBGPPeer/DeleteBGPPeer used to push the VIF's one
    progress timer out again, so under steady churn deleted peers stayed ``deleting``. Each
    step is now due one delay after its peer entered its state, whatever else happens."""
    with mock_directconnect(progress="manual", delay=DELAY) as mock:
        dx = client()

        def advance(seconds: float) -> None:
            mock.control.call("POST", "/_dxlocal/advance", {"seconds": seconds})

        conn_id = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")[
            "connectionId"
        ]
        advance(2 * DELAY)
        vif_id = dx.create_private_virtual_interface(
            connectionId=conn_id,
            newPrivateVirtualInterface={
                "virtualInterfaceName": "v",
                "vlan": 101,
                "asn": 65000,
                "virtualGatewayId": "vgw-0123456789abcdef0",
            },
        )["virtualInterfaceId"]
        advance(2 * DELAY)

        def peers() -> list[dict[str, Any]]:
            vif = dx.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"]
            return vif[0]["bgpPeers"]

        assert [p["bgpPeerState"] for p in peers()] == ["available"]
        deleted_at: dict[str, float] = {}
        for _ in range(40):  # a peer added and deleted every quarter step, for ten steps
            created = dx.create_bgp_peer(
                virtualInterfaceId=vif_id, newBGPPeer={"asn": 65001, "addressFamily": "ipv6"}
            )
            peer_id = next(
                p["bgpPeerId"]
                for p in created["virtualInterface"]["bgpPeers"]
                if p["addressFamily"] == "ipv6" and p["bgpPeerState"] == "pending"
            )
            advance(DELAY / 8)
            dx.delete_bgp_peer(virtualInterfaceId=vif_id, bgpPeerId=peer_id)
            deleted_at[peer_id] = mock.service.clock.now()
            advance(DELAY / 8)
        now = mock.service.clock.now()
        for peer in peers():
            if peer["addressFamily"] != "ipv6":
                continue
            age = now - deleted_at[peer["bgpPeerId"]]
            # deleting for one step, deleted for the next, then gone
            assert age < 2 * DELAY + 1e-9, (peer, age)
            assert peer["bgpPeerState"] == ("deleting" if age < DELAY - 1e-9 else "deleted")
        left = [p for p in peers() if p["addressFamily"] == "ipv6"]
        assert len(left) <= 8, f"{len(left)} churned peers still listed"
        advance(2 * DELAY)
        assert [p["bgpPeerState"] for p in peers()] == ["available"]


def test_the_location_quota_counts_active_connections_only():
    with mock_directconnect(delay=DELAY) as mock:
        assert mock.service.settings.quotas.get("connections_per_location", 10) == 10
        dx = client()
        made = [
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"c{i}")
            for i in range(10)
        ]
        with pytest.raises(dx.exceptions.DirectConnectClientException, match="limit exceeded"):
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c10")
        dx.create_connection(location="CSVA1", bandwidth="1Gbps", connectionName="elsewhere")
        dx.delete_connection(connectionId=made[0]["connectionId"])  # deleted: no longer counts
        dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c10")
        with pytest.raises(dx.exceptions.DirectConnectClientException, match="limit exceeded"):
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c11")
