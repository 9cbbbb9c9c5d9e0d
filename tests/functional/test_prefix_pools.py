"""Inbound prefix pools (docs/routing.md "Prefix pools"), through boto3 and the control API,
in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import (
    client_error,
    make_connection,
    make_gateway,
    make_private_vif,
    wait_vif,
)


def connection(client, conn_id: str) -> dict:
    return client.describe_connections(connectionId=conn_id)["connections"][0]


def announce(dx, peer_id: str, count: int, base: str = "10") -> dict:
    prefixes = [f"{base}.{i // 256}.{i % 256}.0/24" for i in range(count)]
    return dx.control("POST", f"/bgp-peers/{peer_id}/routes", {"prefixes": prefixes})


@pytest.mark.parametrize(("bandwidth", "size"), [("1Gbps", 5000), ("10Gbps", 5000),
                                                 ("100Gbps", 30000), ("400Gbps", 50000)])  # fmt: skip
def test_pool_size_follows_port_speed(dx, bandwidth, size):
    client = dx.client()
    conn = client.create_connection(location="EqDC2", bandwidth=bandwidth, connectionName="c")
    for family in ("Ipv4", "Ipv6"):
        assert conn[f"prefixPoolSize{family}"] == size
        assert conn[f"prefixPoolUnallocatedCount{family}"] == size
    lag = client.create_lag(numberOfConnections=1, location="EqDC2",
                            connectionsBandwidth=bandwidth, lagName="l")  # fmt: skip
    assert lag["prefixPoolSizeIpv4"] == size and lag["prefixPoolUnallocatedCountIpv6"] == size


def test_allocations_draw_from_the_connection_pool(dx):
    client = dx.client()
    conn = make_connection(dx, client, bandwidth="1Gbps")
    cid = conn["connectionId"]
    vif = make_private_vif(client, cid, vlan=101)
    assert vif["prefixPoolAllocatedCountIpv4"] == 100 and vif["prefixPoolAllocatedCountIpv6"] == 100
    after = connection(client, cid)
    assert after["prefixPoolUnallocatedCountIpv4"] == 4900
    assert after["prefixPoolUnallocatedCountIpv6"] == 4900
    big = make_private_vif(client, cid, vlan=102, prefixPoolAllocatedCountIpv4=1000,
                           prefixPoolAllocatedCountIpv6=0)  # fmt: skip
    assert big["prefixPoolAllocatedCountIpv4"] == 1000
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 3900
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv6"] == 4900
    # At most 1,000 per family per VIF.
    msg = client_error(client, client.create_private_virtual_interface, connectionId=cid,
                   newPrivateVirtualInterface={"virtualInterfaceName": "x", "vlan": 103,
                                               "asn": 65000, "virtualGatewayId": "vgw-0a1b2c3d",
                                               "prefixPoolAllocatedCountIpv4": 1001})  # fmt: skip
    assert "between 0 and 1000" in msg
    # Update moves the count; delete gives it back.
    client.update_virtual_interface_attributes(
        virtualInterfaceId=vif["virtualInterfaceId"], prefixPoolAllocatedCountIpv4=250
    )
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 3750
    client.delete_virtual_interface(virtualInterfaceId=big["virtualInterfaceId"])
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 4750


def test_allocation_beyond_the_pool_is_refused(dx):
    client = dx.client()
    cid = make_connection(dx, client, bandwidth="1Gbps")["connectionId"]
    for i in range(5):  # 5 x 1,000 fills the 5,000 pool
        make_private_vif(client, cid, vlan=200 + i, prefixPoolAllocatedCountIpv4=1000)
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 0
    msg = client_error(client, client.create_private_virtual_interface, connectionId=cid,
                   newPrivateVirtualInterface={"virtualInterfaceName": "x", "vlan": 300,
                                               "asn": 65000, "virtualGatewayId": "vgw-0a1b2c3d"})  # fmt: skip
    assert msg.startswith("Cannot allocate 100 Ipv4 prefixes") and "0 of 5000 unallocated" in msg
    # Nothing half-written: no sixth VIF, the pool unchanged.
    assert len(client.describe_virtual_interfaces(connectionId=cid)["virtualInterfaces"]) == 5
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 0


def test_public_vifs_keep_their_fixed_limit(dx):
    client = dx.client()
    cid = make_connection(dx, client)["connectionId"]
    spec = {"virtualInterfaceName": "pub", "vlan": 300, "asn": 65000,
            "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}],
            "amazonAddress": "198.51.100.1/30", "customerAddress": "198.51.100.2/30"}  # fmt: skip
    vif = client.create_public_virtual_interface(connectionId=cid, newPublicVirtualInterface=spec)
    assert "prefixPoolAllocatedCountIpv4" not in vif
    msg = client_error(client, client.update_virtual_interface_attributes,
                   virtualInterfaceId=vif["virtualInterfaceId"], prefixPoolAllocatedCountIpv4=10)  # fmt: skip
    assert "public" in msg
    assert connection(client, cid)["prefixPoolUnallocatedCountIpv4"] == 5000


def test_gateway_total_is_capped(dx):
    client = dx.client()
    gw = make_gateway(dx, client)
    gw_id = gw["directConnectGatewayId"]
    assert gw["totalPrefixPoolAllocations"] == 0
    conns = [make_connection(dx, client, bandwidth="100Gbps", wait=False)["connectionId"]
             for _ in range(2)]  # fmt: skip
    for i in range(5):  # 5 x 2,000 = 10,000, the gateway's limit
        make_private_vif(client, conns[i % 2], vlan=400 + i, directConnectGatewayId=gw_id,
                         prefixPoolAllocatedCountIpv4=1000, prefixPoolAllocatedCountIpv6=1000)  # fmt: skip
    got = client.describe_direct_connect_gateways(directConnectGatewayId=gw_id)
    assert got["directConnectGateways"][0]["totalPrefixPoolAllocations"] == 10000
    msg = client_error(client, client.create_private_virtual_interface, connectionId=conns[0],
                   newPrivateVirtualInterface={"virtualInterfaceName": "x", "vlan": 499,
                                               "asn": 65000, "directConnectGatewayId": gw_id,
                                               "prefixPoolAllocatedCountIpv4": 1,
                                               "prefixPoolAllocatedCountIpv6": 0})  # fmt: skip
    assert "limit of 10000" in msg and gw_id in msg


def test_session_over_its_allocation_goes_down_and_comes_back(dx):
    client = dx.client()
    cid = make_connection(dx, client)["connectionId"]
    vif = make_private_vif(client, cid, prefixPoolAllocatedCountIpv4=200)
    vif_id = vif["virtualInterfaceId"]
    peer_id = wait_vif(dx, client, vif_id)["bgpPeers"][0]["bgpPeerId"]
    assert announce(dx, peer_id, 150)["bgpStatus"] == "up"
    assert announce(dx, peer_id, 250)["bgpStatus"] == "down"
    wait_vif(dx, client, vif_id, "down")
    assert announce(dx, peer_id, 150)["bgpStatus"] == "up"
    wait_vif(dx, client, vif_id)
    # Lowering the allocation below what is announced takes the session down; raising it
    # again lets it up.
    client.update_virtual_interface_attributes(
        virtualInterfaceId=vif_id, prefixPoolAllocatedCountIpv4=120
    )
    got = client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    assert got["bgpPeers"][0]["bgpStatus"] == "down"
    client.update_virtual_interface_attributes(
        virtualInterfaceId=vif_id, prefixPoolAllocatedCountIpv4=150
    )
    wait_vif(dx, client, vif_id)


def test_hosted_vif_draws_from_the_connection_and_counts_on_its_gateway(dx):
    owner, other = dx.client(account="123456789012"), dx.client(account="111122223333")
    cid = make_connection(dx, owner)["connectionId"]
    vif = owner.allocate_private_virtual_interface(
        connectionId=cid, ownerAccount="111122223333",
        newPrivateVirtualInterfaceAllocation={"virtualInterfaceName": "h", "vlan": 200, "asn": 65010},
    )  # fmt: skip
    assert vif["prefixPoolAllocatedCountIpv4"] == 100
    assert connection(owner, cid)["prefixPoolUnallocatedCountIpv4"] == 4900
    gw_id = make_gateway(dx, other)["directConnectGatewayId"]
    conns = [make_connection(dx, other, bandwidth="100Gbps", wait=False)["connectionId"]
             for _ in range(2)]  # fmt: skip
    for i in range(5):
        make_private_vif(other, conns[i % 2], vlan=400 + i, directConnectGatewayId=gw_id,
                         prefixPoolAllocatedCountIpv4=1000, prefixPoolAllocatedCountIpv6=1000)  # fmt: skip
    msg = client_error(other, other.confirm_private_virtual_interface,
                   virtualInterfaceId=vif["virtualInterfaceId"], directConnectGatewayId=gw_id)  # fmt: skip
    assert "limit of 10000" in msg
    got = other.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])
    assert got["virtualInterfaces"][0]["virtualInterfaceState"] == "confirming"
