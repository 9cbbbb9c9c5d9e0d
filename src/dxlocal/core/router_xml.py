"""The ``customerRouterConfig`` XML every VIF response carries (layout from AWS's samples,
docs/behavior.md#router-config). It lists the VIF's first IPv4 and first IPv6 peer; peers being deleted
leave it at once."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

LIVE_PEER_STATES = {"verifying", "pending", "available"}


def customer_router_config(vif: dict[str, Any]) -> str:
    peers = [p for p in vif.get("bgpPeers", []) if p.get("bgpPeerState") in LIVE_PEER_STATES]
    v4 = next((p for p in peers if p["addressFamily"] == "ipv4"), None)
    v6 = next((p for p in peers if p["addressFamily"] == "ipv6"), None)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<logical_connection id="{escape(vif["virtualInterfaceId"])}">',
        f"  <vlan>{vif['vlan']}</vlan>",
    ]
    if v4:
        lines += [
            f"  <customer_address>{escape(v4['customerAddress'])}</customer_address>",
            f"  <amazon_address>{escape(v4['amazonAddress'])}</amazon_address>",
            f"  <bgp_asn>{peer_asn(v4)}</bgp_asn>",
            f"  <bgp_auth_key>{escape(v4['authKey'])}</bgp_auth_key>",
        ]
    if v6:
        lines += [
            f"  <ipv6_customer_address>{escape(v6['customerAddress'])}</ipv6_customer_address>",
            f"  <ipv6_amazon_address>{escape(v6['amazonAddress'])}</ipv6_amazon_address>",
            f"  <ipv6_bgp_asn>{peer_asn(v6)}</ipv6_bgp_asn>",
            f"  <ipv6_bgp_auth_key>{escape(v6['authKey'])}</ipv6_bgp_auth_key>",
        ]
    lines += [
        f"  <amazon_bgp_asn>{vif['amazonSideAsn']}</amazon_bgp_asn>",
        f"  <connection_type>{vif['virtualInterfaceType']}</connection_type>",
        "</logical_connection>",
    ]
    return "\n".join(lines) + "\n"


def peer_asn(peer: dict[str, Any]) -> int:
    return int(peer.get("asnLong") or peer.get("asn") or 0)
