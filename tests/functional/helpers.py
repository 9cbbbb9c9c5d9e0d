"""What functional tests share: plain functions over a boto3 client (the ``vif`` fixture built
from them lives in conftest.py beside this file). Import from here rather than copying."""

from __future__ import annotations

from typing import Any

import pytest


def client_error(client: Any, call: Any, /, **kwargs: Any) -> str:
    """The message of the DirectConnectClientException ``call(**kwargs)`` must raise."""
    with pytest.raises(client.exceptions.DirectConnectClientException) as info:
        call(**kwargs)
    return info.value.response["Error"]["Message"]


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


def make_public_vif(
    client: Any, connection_id: str, *, vlan: int = 300, asn: int = 65001, **extra: Any
) -> dict[str, Any]:
    """A public VIF with public peer addresses and one route filter prefix."""
    spec = {
        "virtualInterfaceName": f"public-{vlan}",
        "vlan": vlan,
        "asn": asn,
        "amazonAddress": "203.0.113.1/30",
        "customerAddress": "203.0.113.2/30",
        "routeFilterPrefixes": [{"cidr": "198.51.100.0/24"}],
        **extra,
    }
    return client.create_public_virtual_interface(
        connectionId=connection_id, newPublicVirtualInterface=spec
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


def available_vif(dx: Any) -> tuple[Any, dict[str, Any]]:
    """A client and its private VIF on a new connection, available with BGP up."""
    client = dx.client()
    conn = make_connection(dx, client)
    vif = make_private_vif(client, conn["connectionId"])
    return client, wait_vif(dx, client, vif["virtualInterfaceId"])


def make_interconnect(
    dx: Any, client: Any, *, name: str = "ic", location: str = "EqDC2", wait: bool = True, **kw: Any
) -> dict[str, Any]:
    ic = client.create_interconnect(
        interconnectName=name, bandwidth=kw.pop("bandwidth", "10Gbps"), location=location, **kw
    )
    if wait:
        dx.wait(
            lambda: client.describe_interconnects(interconnectId=ic["interconnectId"])[
                "interconnects"
            ][0],
            lambda i: i["interconnectState"] == "available",
        )
    return ic


def make_gateway(dx: Any, client: Any, name: str = "gw", **kw: Any) -> dict[str, Any]:
    """A Direct Connect gateway, once available."""
    gw = client.create_direct_connect_gateway(directConnectGatewayName=name, **kw)[
        "directConnectGateway"
    ]
    return dx.wait(
        lambda: client.describe_direct_connect_gateways(
            directConnectGatewayId=gw["directConnectGatewayId"]
        )["directConnectGateways"][0],
        lambda g: g["directConnectGatewayState"] == "available",
    )
