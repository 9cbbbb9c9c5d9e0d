"""The text tree of ``dxlocal status``: per account and Region, locations -> connections and
LAGs -> VIFs -> BGP peers, each with its state; then Direct Connect gateways -> their
associations and VIF attachments.

A hosted connection stands under the account it was allocated to, which owns it (its
``ownerAccount``, what DescribeConnections answers there), with its VIFs and the partner that
allocated it; the partner's interconnect or LAG lists it too, as DescribeHostedConnections
does for the partner (docs/behavior.md#hosted-connections)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

KINDS = (
    "connection",
    "lag",
    "interconnect",
    "virtualInterface",
    "directConnectGateway",
    "directConnectGatewayAssociation",
    "directConnectGatewayAttachment",
)


def _lines(items: list[tuple[str, list[Any]]], prefix: str) -> list[str]:
    """``(label, children)`` pairs drawn with box characters below ``prefix``."""
    out = []
    for i, (label, children) in enumerate(items):
        last = i == len(items) - 1
        out.append(f"{prefix}{'└─ ' if last else '├─ '}{label}")
        out += _lines(children, prefix + ("   " if last else "│  "))
    return out


def _peer(peer: dict[str, Any]) -> tuple[str, list[Any]]:
    family = peer.get("addressFamily", "")
    label = (
        f"{peer['bgpPeerId']} {family} asn {peer.get('asnLong') or peer.get('asn')} "
        f"{peer.get('bgpPeerState', '?')}, bgp {peer.get('bgpStatus', '?')}"
    )
    return label, []


def _vif(vif: dict[str, Any]) -> tuple[str, list[Any]]:
    gateway = vif.get("directConnectGatewayId") or vif.get("virtualGatewayId") or ""
    label = (
        f"{vif['virtualInterfaceId']} {vif.get('virtualInterfaceType', '?')} "
        f"vlan {vif.get('vlan')} {vif.get('virtualInterfaceName', '')!r} "
        f"{vif.get('virtualInterfaceState', '?')}" + (f" -> {gateway}" if gateway else "")
    )
    return label, [_peer(p) for p in vif.get("bgpPeers", [])]


def _hosted_by_partner(conn: dict[str, Any]) -> tuple[str, list[Any]]:
    """A hosted connection as its partner sees it under the interconnect or LAG."""
    label = (
        f"hosted {conn['connectionId']} for account {conn.get('ownerAccount', '?')} "
        f"vlan {conn.get('vlan')} {conn.get('bandwidth', '')} {conn.get('connectionState', '?')}"
    )
    return label, []


def render(records: dict[str, list[dict[str, Any]]]) -> str:
    """``records``: kind -> records (as the control API lists them)."""
    vifs_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for vif in records.get("virtualInterface", []):
        vifs_of[vif.get("connectionId", "")].append(vif)
    hosted_on: dict[str, list[tuple[str, list[Any]]]] = defaultdict(list)
    for conn in records.get("connection", []):
        if conn.get("_hosted"):
            hosted_on[conn.get("_parentId", "")].append(_hosted_by_partner(conn))
    places: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind, id_field, state_field, name_field in (
        ("lag", "lagId", "lagState", "lagName"),
        ("connection", "connectionId", "connectionState", "connectionName"),
        ("interconnect", "interconnectId", "interconnectState", "interconnectName"),
    ):
        for port in records.get(kind, []):
            hosted = kind == "connection" and port.get("_hosted")
            if kind == "connection" and port.get("lagId"):
                continue  # listed under its LAG
            rid = port[id_field]
            children = [_vif(v) for v in vifs_of.get(rid, [])] + hosted_on.get(rid, [])
            if kind == "lag":
                members = [
                    c for c in records.get("connection", []) if c.get("lagId") == rid
                ]  # fmt: skip
                children = [
                    (f"{c['connectionId']} member {c.get('connectionState', '?')}", [
                        _vif(v) for v in vifs_of.get(c["connectionId"], [])
                    ])
                    for c in members
                ] + children  # fmt: skip
            label = (
                f"{'hosted connection' if hosted else kind} {rid} {port.get(name_field, '')!r} "
                f"{port.get('bandwidth') or port.get('connectionsBandwidth', '')} "
                f"{port.get(state_field, '?')}"
            )
            if hosted:
                label += (
                    f" vlan {port.get('vlan')}, from partner {port.get('_partnerAccount', '?')}"
                    f" on {port.get('_parentId', '?')}"
                )
            where = (port.get("ownerAccount", "?"), port.get("region", "?"))
            places[where][port.get("location", "?")].append((label, children))
    gateways = []
    for gw in records.get("directConnectGateway", []):
        gid = gw["directConnectGatewayId"]
        children = [
            (
                f"association {a['associationId']} "
                f"{(a.get('associatedGateway') or {}).get('id') or a.get('virtualGatewayId', '?')} "
                f"{a.get('associationState', '?')}",
                [],
            )
            for a in records.get("directConnectGatewayAssociation", [])
            if a.get("directConnectGatewayId") == gid
        ] + [
            (f"attachment {a['virtualInterfaceId']} {a.get('attachmentState', '?')}", [])
            for a in records.get("directConnectGatewayAttachment", [])
            if a.get("directConnectGatewayId") == gid
        ]
        label = (
            f"gateway {gid} {gw.get('directConnectGatewayName', '')!r} "
            f"asn {gw.get('amazonSideAsn')} {gw.get('directConnectGatewayState', '?')} "
            f"(account {gw.get('ownerAccount', '?')})"
        )
        gateways.append((label, children))
    out = []
    for (account, region), locations in sorted(places.items()):
        out.append(f"account {account} {region}")
        out += _lines([(f"location {loc}", ports) for loc, ports in sorted(locations.items())], "")
    if gateways:
        out.append("Direct Connect gateways (global)")
        out += _lines(gateways, "")
    return "\n".join(out or ["nothing exists yet"]) + "\n"
