"""Racing clients cannot break an invariant: each call is one serialized transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_racing_peers_and_vlans(live_server):
    live_server.control("POST", "/reset")
    dx = live_server.client(max_pool_connections=32)
    conn = dx.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="race")
    vif = dx.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "race",
            "vlan": 7,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )

    def add_peer(i: int) -> bool:
        try:
            live_server.client(max_pool_connections=32).create_bgp_peer(
                virtualInterfaceId=vif["virtualInterfaceId"],
                newBGPPeer={"asn": 64600 + i, "addressFamily": "ipv6"},
            )
            return True
        except dx.exceptions.DirectConnectClientException:
            return False

    def add_vif(i: int) -> bool:
        try:
            live_server.client(max_pool_connections=32).create_private_virtual_interface(
                connectionId=conn["connectionId"],
                newPrivateVirtualInterface={
                    "virtualInterfaceName": f"dup-{i}",
                    "vlan": 99,
                    "asn": 65000,
                    "virtualGatewayId": "vgw-0a1b2c3d",
                },
            )
            return True
        except dx.exceptions.DirectConnectClientException:
            return False

    with ThreadPoolExecutor(16) as pool:
        peers = list(pool.map(add_peer, range(24)))
        vifs = list(pool.map(add_vif, range(24)))
    assert peers.count(True) == 1
    assert vifs.count(True) == 1
    current = dx.describe_virtual_interfaces(connectionId=conn["connectionId"])["virtualInterfaces"]
    assert sorted(v["vlan"] for v in current) == [7, 99]
    v = next(x for x in current if x["vlan"] == 7)
    assert [p["addressFamily"] for p in v["bgpPeers"]].count("ipv6") == 1
