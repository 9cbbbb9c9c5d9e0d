"""The issue's end-to-end scenario against a live ``dxlocal serve``: a connection, private,
public and transit VIFs, IPv4 and IPv6 peers, then a SIGKILL and a restart on the same
state file: everything acknowledged is still there."""

from __future__ import annotations

from dxtest import LiveServer, wait_until


def test_everything_survives_kill_and_restart(tmp_path):
    state = tmp_path / "dx.sqlite3"
    server = LiveServer(state).start()
    try:
        dx = server.client()
        conn = dx.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="persist")
        conn = wait_until(
            lambda: dx.describe_connections(connectionId=conn["connectionId"])["connections"][0],
            lambda c: c["connectionState"] == "available",
        )
        cid = conn["connectionId"]
        gw = dx.create_direct_connect_gateway(directConnectGatewayName="gw", amazonSideAsn=64600)[
            "directConnectGateway"
        ]
        private = dx.create_private_virtual_interface(
            connectionId=cid,
            newPrivateVirtualInterface={
                "virtualInterfaceName": "private",
                "vlan": 10,
                "asn": 65000,
                "virtualGatewayId": "vgw-0a1b2c3d",
            },
        )
        public = dx.create_public_virtual_interface(
            connectionId=cid,
            newPublicVirtualInterface={
                "virtualInterfaceName": "public",
                "vlan": 11,
                "asn": 65001,
                "amazonAddress": "203.0.113.1/30",
                "customerAddress": "203.0.113.2/30",
                "routeFilterPrefixes": [{"cidr": "198.51.100.0/24"}],
            },
        )
        transit = dx.create_transit_virtual_interface(
            connectionId=cid,
            newTransitVirtualInterface={
                "virtualInterfaceName": "transit",
                "vlan": 12,
                "asnLong": 4200000010,
                "mtu": 8500,
                "directConnectGatewayId": gw["directConnectGatewayId"],
            },
        )["virtualInterface"]
        assert transit["amazonSideAsn"] == 64600 and transit["asn"] == 0
        for vif in (private, public, transit):
            dx.create_bgp_peer(
                virtualInterfaceId=vif["virtualInterfaceId"],
                newBGPPeer={"asn": 64700, "addressFamily": "ipv6"},
            )
        before = wait_until(
            lambda: dx.describe_virtual_interfaces()["virtualInterfaces"],
            lambda vs: all(v["virtualInterfaceState"] == "available" for v in vs),
        )
        assert {v["virtualInterfaceType"] for v in before} == {"private", "public", "transit"}
        assert all(len(v["bgpPeers"]) == 2 for v in before)
        server.kill()

        server = LiveServer(state).start()
        dx = server.client()
        after = dx.describe_virtual_interfaces()["virtualInterfaces"]
        assert sorted(after, key=lambda v: v["virtualInterfaceId"]) == sorted(
            before, key=lambda v: v["virtualInterfaceId"]
        )
        assert (
            dx.describe_connections(connectionId=cid)["connections"][0]["connectionState"]
            == "available"
        )
        # The store keeps enforcing its rules after the restart.
        try:
            dx.create_bgp_peer(
                virtualInterfaceId=private["virtualInterfaceId"],
                newBGPPeer={"asn": 1, "addressFamily": "ipv6"},
            )
        except dx.exceptions.DirectConnectClientException as exc:
            assert "ipv6" in str(exc)
        else:
            raise AssertionError("a second IPv6 peer was accepted after restart")
    finally:
        server.stop()


def test_memory_state_is_throwaway(tmp_path):
    server = LiveServer(":memory:").start()
    try:
        dx = server.client()
        dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="gone")
        server.kill()
        server = LiveServer(":memory:").start()
        assert server.client().describe_connections()["connections"] == []
    finally:
        server.stop()
