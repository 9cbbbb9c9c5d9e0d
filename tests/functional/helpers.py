"""Small builders shared by functional tests (not fixtures: plain functions over a client)."""

from __future__ import annotations

from typing import Any


def make_connection(
    dx: Any, client: Any, *, location: str = "EqDC2", wait: bool = True, **kw: Any
) -> dict[str, Any]:
    conn = client.create_connection(
        location=location,
        bandwidth=kw.pop("bandwidth", "10Gbps"),
        connectionName=kw.pop("name", "test-connection"),
        **kw,
    )
    if not wait:
        return conn
    return dx.wait(
        lambda: client.describe_connections(connectionId=conn["connectionId"])["connections"][0],
        lambda c: c["connectionState"] == "available",
    )


def make_private_vif(
    client: Any, connection_id: str, *, vlan: int = 101, asn: int = 65000, **extra: Any
) -> dict[str, Any]:
    spec = {
        "virtualInterfaceName": f"private-{vlan}",
        "vlan": vlan,
        "asn": asn,
        "virtualGatewayId": "vgw-0a1b2c3d",
        **extra,
    }
    if "directConnectGatewayId" in extra:
        spec.pop("virtualGatewayId")
    return client.create_private_virtual_interface(
        connectionId=connection_id, newPrivateVirtualInterface=spec
    )


def wait_vif(dx: Any, client: Any, vif_id: str, state: str = "available") -> dict[str, Any]:
    return dx.wait(
        lambda: client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][
            0
        ],
        lambda v: (
            v["virtualInterfaceState"] == state
            and all(p["bgpPeerState"] == "available" for p in v["bgpPeers"])
            and (state != "available" or all(p["bgpStatus"] == "up" for p in v["bgpPeers"]))
        ),
    )
