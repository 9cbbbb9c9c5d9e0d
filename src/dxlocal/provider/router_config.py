"""DescribeRouterConfiguration: a customer router configuration for a VIF, per router type
(docs/behavior.md#router-config).

AWS renders the VIF's ``customerRouterConfig`` XML through a vendor XSLT; the exact texts are
not public, so each vendor family here has a plausible template filled with the VIF's real
values: the 802.1Q sub-interface for its VLAN, the customer address, the BGP neighbour (the
Amazon address, remote AS = the Amazon side ASN, local AS = the customer ASN, MD5 password =
the auth key), BFD at AWS's minimum (300 ms x 3), the networks to announce (a public VIF's
route filter prefixes, or what the simulated customer router announces) and the matching
IPv6 stanzas. ``routerTypeIdentifier`` is required in practice, though optional in the model
(terraform-provider-aws ``router_configuration_data_source.go``); an unknown one is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from dxlocal.core import errors
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.router_xml import LIVE_PEER_STATES, peer_asn
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import operation

CISCO = "Cisco Systems, Inc."
JUNIPER = "Juniper Networks, Inc."
NEXUS_XSLT = "customer-switch-cisco-nexus-generic.xslt"
JUNOS_XSLT = "customer-router-juniper-generic.xslt"

# (routerTypeIdentifier, vendor, platform, software, xslt, xslt for MACsec, template family)
_TYPES = [
    ("CiscoSystemsInc-2900SeriesRouters-IOS124", CISCO, "2900 Series Routers", "IOS 12.4+",
     "customer-router-cisco-generic.xslt", "", "ios"),
    ("CiscoSystemsInc-3700SeriesRouters-IOS124", CISCO, "3700 Series Routers", "IOS 12.4+",
     "customer-router-cisco-generic.xslt", "", "ios"),
    ("CiscoSystemsInc-7200SeriesRouters-IOS124", CISCO, "7200 Series Routers", "IOS 12.4+",
     "customer-router-cisco-generic.xslt", "", "ios"),
    ("CiscoSystemsInc-Nexus7000SeriesSwitches-NXOS51", CISCO, "Nexus 7000 Series Switches",
     "NX-OS 5.1+", NEXUS_XSLT, "", "nxos"),
    ("CiscoSystemsInc-Nexus9KSeriesSwitches-NXOS93", CISCO, "Nexus 9K+ Series Switches",
     "NX-OS 9.3+", NEXUS_XSLT, "customer-switch-cisco-nexus-generic-macsec.xslt", "nxos"),
    ("JuniperNetworksInc-MMXSeriesRouters-JunOS95", JUNIPER, "M/MX Series Routers", "JunOS 9.5+",
     JUNOS_XSLT, "customer-router-juniper-generic-macsec.xslt", "junos"),
    ("JuniperNetworksInc-SRXSeriesRouters-JunOS95", JUNIPER, "SRX Series Routers", "JunOS 9.5+",
     JUNOS_XSLT, "", "junos"),
    ("JuniperNetworksInc-TSeriesRouters-JunOS95", JUNIPER, "T Series Routers", "JunOS 9.5+",
     JUNOS_XSLT, "", "junos"),
    ("PaloAltoNetworks-PA3000and5000series-PANOS803", "Palo Alto Networks",
     "PA-3000+ and 5000+ series", "PAN-OS 8.0.3+", "customer-router-palo-alto-generic.xslt", "",
     "panos"),
]  # fmt: skip
ROUTER_TYPES: dict[str, dict[str, str]] = {
    t[0]: {
        "vendor": t[1],
        "platform": t[2],
        "software": t[3],
        "xsltTemplateName": t[4],
        "xsltTemplateNameForMacSec": t[5],
        "routerTypeIdentifier": t[0],
    }
    for t in _TYPES
}
FAMILY = {t[0]: t[6] for t in _TYPES}


def session(vif: dict[str, Any], family: str) -> dict[str, Any] | None:
    """The first live peer of an address family, with what a template needs."""
    peer = next(
        (
            p
            for p in vif.get("bgpPeers", [])
            if p["addressFamily"] == family and p["bgpPeerState"] in LIVE_PEER_STATES
        ),
        None,
    )
    if peer is None:
        return None
    customer = ipaddress.ip_interface(peer["customerAddress"])
    amazon = ipaddress.ip_interface(peer["amazonAddress"])
    return {
        "customer": str(customer.ip),
        "customer_cidr": str(customer),
        "prefixlen": customer.network.prefixlen,
        "netmask": str(customer.netmask),
        "amazon": str(amazon.ip),
        "asn": peer_asn(peer),
        "key": peer["authKey"],
        "networks": networks(vif, peer, family),
    }


def networks(vif: dict[str, Any], peer: dict[str, Any], family: str) -> list[str]:
    """What the customer router announces: the public VIF's prefixes, else the prefixes the
    simulated customer router announces (control API), else nothing yet."""
    if vif["virtualInterfaceType"] == "public":
        cidrs = [p["cidr"] for p in vif.get("routeFilterPrefixes", [])]
    else:
        cidrs = [r["cidr"] for r in peer.get("_announced", [])]
    version = 4 if family == "ipv4" else 6
    return [c for c in cidrs if ipaddress.ip_network(c).version == version]


def _ios(vif: dict[str, Any], v4: dict | None, v6: dict | None, asn: int) -> list[str]:
    vlan = vif["vlan"]
    local = (v4 or v6)["asn"]
    out = [
        f"interface GigabitEthernet0/1.{vlan}",
        f' description "Direct Connect {vif["virtualInterfaceId"]} ({vif["virtualInterfaceType"]})"',
        f" encapsulation dot1Q {vlan}",
    ]
    if v4:
        out.append(f" ip address {v4['customer']} {v4['netmask']}")
    if v6:
        out += [" ipv6 enable", f" ipv6 address {v6['customer_cidr']}"]
    out += [" bfd interval 300 min_rx 300 multiplier 3", " no shutdown", "!", f"router bgp {local}"]
    for s, af in ((v4, "ipv4"), (v6, "ipv6")):
        if not s:
            continue
        out += [
            f" neighbor {s['amazon']} remote-as {asn}",
            f" neighbor {s['amazon']} password {s['key']}",
            f" neighbor {s['amazon']} fall-over bfd",
            f" address-family {af} unicast",
            f"  neighbor {s['amazon']} activate",
        ]
        out += [f"  network {_ios_network(n)}" for n in s["networks"]] or [
            "  ! network <your prefix> (none announced yet)"
        ]
        out.append(" exit-address-family")
    return [*out, "!"]


def _ios_network(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    return str(net) if net.version == 6 else f"{net.network_address} mask {net.netmask}"


def _nxos(vif: dict[str, Any], v4: dict | None, v6: dict | None, asn: int) -> list[str]:
    vlan = vif["vlan"]
    local = (v4 or v6)["asn"]
    out = [
        "feature bgp",
        "feature bfd",
        "feature interface-vlan",
        "!",
        f"interface Ethernet1/1.{vlan}",
    ]
    out += [
        f"  description Direct Connect {vif['virtualInterfaceId']}",
        f"  encapsulation dot1q {vlan}",
    ]
    if v4:
        out.append(f"  ip address {v4['customer_cidr']}")
    if v6:
        out.append(f"  ipv6 address {v6['customer_cidr']}")
    out += [
        "  bfd interval 300 min_rx 300 multiplier 3",
        "  no shutdown",
        "!",
        f"router bgp {local}",
    ]
    for s, af in ((v4, "ipv4"), (v6, "ipv6")):
        if not s:
            continue
        out += [f"  address-family {af} unicast"]
        out += [f"    network {n}" for n in s["networks"]]
        out += [
            f"  neighbor {s['amazon']}",
            f"    remote-as {asn}",
            f"    password 0 {s['key']}",
            "    bfd",
            f"    address-family {af} unicast",
        ]
    return [*out, "!"]


def _junos(vif: dict[str, Any], v4: dict | None, v6: dict | None, asn: int) -> list[str]:
    vlan = vif["vlan"]
    unit = f"set interfaces ge-0/0/0 unit {vlan}"
    out = ["set interfaces ge-0/0/0 vlan-tagging", f"{unit} vlan-id {vlan}"]
    out.append(f'{unit} description "Direct Connect {vif["virtualInterfaceId"]}"')
    for s, fam, inet in ((v4, "ipv4", "inet"), (v6, "ipv6", "inet6")):
        if not s:
            continue
        group = f"set protocols bgp group DX-{vif['virtualInterfaceId']}-{fam}"
        out += [
            f"{unit} family {inet} address {s['customer_cidr']}",
            f"set policy-options policy-statement EXPORT-DX-{fam} term 1 then accept",
            f"{group} type external",
            f"{group} peer-as {asn}",
            f"{group} local-as {s['asn']}",
            f"{group} neighbor {s['amazon']} authentication-key {s['key']}",
            f"{group} neighbor {s['amazon']} bfd-liveness-detection minimum-interval 300",
            f"{group} neighbor {s['amazon']} bfd-liveness-detection multiplier 3",
            f"{group} export EXPORT-DX-{fam}",
        ]
        for n in s["networks"]:
            out.append(
                f"set policy-options policy-statement EXPORT-DX-{fam} term 1 from route-filter {n} exact"
            )
    return out


def _panos(vif: dict[str, Any], v4: dict | None, v6: dict | None, asn: int) -> list[str]:
    vlan = vif["vlan"]
    sub = f"ethernet1/1.{vlan}"
    vr = "set network virtual-router default protocol bgp"
    local = (v4 or v6)["asn"]
    out = [f"set network interface ethernet ethernet1/1 layer3 units {sub} tag {vlan}"]
    out.append(
        f'set network interface ethernet ethernet1/1 layer3 units {sub} comment "Direct Connect {vif["virtualInterfaceId"]}"'
    )
    for s, fam in ((v4, "ipv4"), (v6, "ipv6")):
        if not s:
            continue
        kind = "ip" if fam == "ipv4" else "ipv6 address"
        peer = f"{vr} peer-group AWS-DX-{fam} peer amazon-{fam}"
        out += [
            f"set network interface ethernet ethernet1/1 layer3 units {sub} {kind} {s['customer_cidr']}",
            f"{vr} auth-profile DX-{fam} secret {s['key']}",
            f"{peer} peer-as {asn}",
            f"{peer} local-address interface {sub} ip {s['customer_cidr']}",
            f"{peer} peer-address ip {s['amazon']}",
            f"{peer} connection-options authentication DX-{fam}",
            f"{peer} bfd profile default",
        ]
        for i, n in enumerate(s["networks"], 1):
            out.append(
                f"{vr} redist-rules dx-{fam}-{i} address-family-identifier {fam} route-table unicast name {n}"
            )
    out += [
        f"set network virtual-router default interface {sub}",
        f"{vr} enable yes",
        f"{vr} local-as {local}",
    ]
    return out


TEMPLATES: dict[str, Callable[..., list[str]]] = {
    "ios": _ios,
    "nxos": _nxos,
    "junos": _junos,
    "panos": _panos,
}


def render(vif: dict[str, Any], router_type: str) -> str:
    v4, v6 = session(vif, "ipv4"), session(vif, "ipv6")
    comment = "!" if FAMILY[router_type] in ("ios", "nxos") else "#"
    head = [
        f"{comment} AWS Direct Connect virtual interface {vif['virtualInterfaceId']}",
        f"{comment} {ROUTER_TYPES[router_type]['vendor']} {ROUTER_TYPES[router_type]['platform']} "
        f"({ROUTER_TYPES[router_type]['software']})",
        f"{comment} VLAN {vif['vlan']}, Amazon side ASN {vif['amazonSideAsn']}, "
        f"{vif['virtualInterfaceType']} virtual interface",
    ]
    if v4 is None and v6 is None:
        return "\n".join([*head, f"{comment} No BGP peer is configured on this interface."]) + "\n"
    body = TEMPLATES[FAMILY[router_type]](vif, v4, v6, int(vif["amazonSideAsn"]))
    return "\n".join([*head, *body]) + "\n"


@operation("DescribeRouterConfiguration")
def describe_router_configuration(
    ctx: RequestContext, *, virtual_interface_id: str, router_type_identifier: str | None = None
) -> dict[str, Any]:
    vif = vifs.get_vif(ctx, virtual_interface_id)
    if vif["virtualInterfaceState"] in vifs.GONE:
        raise errors.vif_not_found(virtual_interface_id)
    if not router_type_identifier:
        raise ClientError("routerTypeIdentifier is required.")
    if router_type_identifier not in ROUTER_TYPES:
        raise ClientError(f"Router type {router_type_identifier} is not supported.")
    return {
        "customerRouterConfig": render(vif, router_type_identifier),
        "router": ROUTER_TYPES[router_type_identifier],
        "virtualInterfaceId": vif["virtualInterfaceId"],
        "virtualInterfaceName": vif["virtualInterfaceName"],
    }
