"""BGP peers: CreateBGPPeer and DeleteBGPPeer, with every rule AWS applies
(CreateBGPPeer/DeleteBGPPeer docs, user guide "Add a BGP peer to a Direct Connect virtual
interface", docs/behavior.md#bgp-peers).

- One peer per address family on a VIF, two when the parent connection or LAG has logical
  redundancy (``hasLogicalRedundancy == "yes"``).
- IPv4 addresses: both or neither; neither -> a /30 from 169.254.0.0/16. IPv6: always
  assigned, a /125; custom IPv6 addresses are refused.
- ASN: ``asn`` 1-2147483646 but 2-byte only (a 4-byte value there is an error: use
  ``asnLong``); ``asnLong`` 1-4294967294 wins when both are given. A 4-byte ASN answers
  ``asn: 0``.
- Public VIFs: the peer ASN must be private or on the VIF's allow list (the ASN verified
  when the VIF was created).
- ``authKey`` 6-80 characters; omitted -> generated (MD5 is always on).
- Delete by ``bgpPeerId`` or by ``asn``/``asnLong`` + ``customerAddress``; the last peer
  cannot be deleted.

Peers live inside their VIF record, so a VIF and its peers change in one write.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import addressing, errors, ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.router_xml import customer_router_config
from dxlocal.provider import vif_steps
from dxlocal.provider._registry import operation

VIF = "virtualInterface"
MAX_ASN = 2147483646
MAX_ASN_LONG = 4294967294
PRIVATE_ASNS = ((64512, 65534), (4200000000, 4294967294))
PEER_OK_VIF_STATES = {"verifying", "pending", "available", "down", "testing"}


def resolve_asn(asn: int | None, asn_long: int | None) -> int:
    if asn_long is not None:
        if not 1 <= asn_long <= MAX_ASN_LONG:
            raise ClientError(
                f"asnLong {asn_long} is out of range: valid values are 1 to {MAX_ASN_LONG}."
            )
        return asn_long
    if asn is None:
        raise ClientError("Specify the customer's BGP ASN in asn or asnLong.")
    if not 1 <= asn <= MAX_ASN:
        raise ClientError(
            f"ASN {asn} is out of range: valid values are 1 to {MAX_ASN}; use asnLong."
        )
    if asn > 65535:
        raise ClientError(f"ASN {asn} is a 4-byte ASN; specify it in asnLong instead of asn.")
    return asn


def asn_fields(value: int) -> dict[str, int]:
    """2-byte ASNs show in both fields; 4-byte ones answer ``asn: 0`` (DescribeVirtualInterfaces doc)."""
    return {"asn": value if value <= 65535 else 0, "asnLong": value}


def is_private_asn(value: int) -> bool:
    return any(lo <= value <= hi for lo, hi in PRIVATE_ASNS)


def check_auth_key(key: str | None) -> str:
    if key is None:
        return ids.auth_key()
    if not 6 <= len(key) <= 80:
        raise ClientError("authKey must be between 6 and 80 characters long.")
    return key


def new_peer(
    ctx: RequestContext,
    vif: dict[str, Any],
    spec: dict[str, Any],
    *,
    first: bool,
) -> dict[str, Any]:
    """Validate one peer's worth of fields and build the BGPPeer record."""
    family = spec.get("addressFamily") or "ipv4"
    if family not in ("ipv4", "ipv6"):
        raise ClientError(f"addressFamily {family!r} is not valid: use ipv4 or ipv6.")
    value = resolve_asn(spec.get("asn"), spec.get("asnLong"))
    public = vif["virtualInterfaceType"] == "public"
    if (
        public
        and not first
        and not is_private_asn(value)
        and value not in vif.get("_asnAllowList", [])
    ):
        raise ClientError(
            f"ASN {value} is not allowed on public virtual interface {vif['virtualInterfaceId']}: "
            "use a private ASN or the public ASN verified for this interface."
        )
    if value == vif.get("amazonSideAsn"):
        raise ClientError(f"The customer ASN {value} must differ from the Amazon side ASN.")
    amazon, customer = spec.get("amazonAddress"), spec.get("customerAddress")
    if family == "ipv6":
        if amazon or customer:
            raise ClientError(
                "Custom IPv6 addresses are not supported: omit amazonAddress and "
                "customerAddress and Amazon assigns a /125."
            )
        amazon, customer = addressing.allocate_ipv6()
    elif bool(amazon) != bool(customer):
        raise ClientError("Specify both amazonAddress and customerAddress, or neither.")
    elif amazon:
        amazon, customer = addressing.parse_ipv4_pair(amazon, customer, public=public)
    elif public:
        raise ClientError(
            "A public virtual interface needs amazonAddress and customerAddress: public IPv4 "
            "addresses that you own."
        )
    else:
        amazon, customer = addressing.allocate_ipv4(ctx.tx, vif["ownerAccount"], vif["region"])
    for other in live_peers(vif):
        if other["addressFamily"] == family and addressing.same_address(
            other["customerAddress"], customer
        ):
            raise ClientError(f"A BGP peer with customer address {customer} already exists.")
    return {
        "bgpPeerId": ids.mint("dxpeer"),
        **asn_fields(value),
        "authKey": check_auth_key(spec.get("authKey")),
        "addressFamily": family,
        "amazonAddress": amazon,
        "customerAddress": customer,
        "bgpPeerState": "pending",
        "bgpStatus": "down",
        "awsDeviceV2": vif.get("awsDeviceV2"),
        "awsLogicalDeviceId": vif.get("awsLogicalDeviceId"),
        lifecycle.ENTERED: ctx.now,
    }


live_peers = vif_steps.live_peers


def parent_has_logical_redundancy(ctx: RequestContext, vif: dict[str, Any]) -> bool:
    parent_id = vif["connectionId"]
    kind = "lag" if parent_id.startswith("dxlag-") else "connection"
    parent = ctx.tx.get(kind, parent_id) or {}
    return parent.get("hasLogicalRedundancy") == "yes"


def owned_vif(ctx: RequestContext, vif_id: str | None) -> dict[str, Any]:
    if not vif_id:
        raise ClientError("virtualInterfaceId is required.")
    vif = ctx.tx.get(VIF, vif_id)
    if vif is None or vif.get("ownerAccount") != ctx.account or vif.get("region") != ctx.region:
        raise errors.vif_not_found(vif_id)
    return vif


def save(ctx: RequestContext, vif: dict[str, Any]) -> None:
    vif["customerRouterConfig"] = customer_router_config(vif)
    ctx.tx.update(VIF, vif["virtualInterfaceId"], vif)


@operation("CreateBGPPeer")
def create_bgp_peer(
    ctx: RequestContext,
    *,
    virtual_interface_id: str | None = None,
    new_bgp_peer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    vif = owned_vif(ctx, virtual_interface_id)
    if not new_bgp_peer:
        raise ClientError("newBGPPeer is required.")
    state = vif["virtualInterfaceState"]
    if state not in PEER_OK_VIF_STATES:
        raise ClientError(
            f"Virtual interface {vif['virtualInterfaceId']} is in state {state}; BGP peers "
            "can be added when it is verifying, pending, available or down."
        )
    family = new_bgp_peer.get("addressFamily") or "ipv4"
    same_family = [p for p in live_peers(vif) if p["addressFamily"] == family]
    allowed = 2 if parent_has_logical_redundancy(ctx, vif) else 1
    if len(same_family) >= allowed:
        raise ClientError(
            f"Virtual interface {vif['virtualInterfaceId']} already has "
            f"{len(same_family)} {family} BGP peer(s); "
            + (
                "that is the maximum."
                if allowed == 2
                else "a second peer in the same address family needs logical redundancy."
            )
        )
    peer = new_peer(ctx, vif, new_bgp_peer, first=False)
    vif["bgpPeers"].append(peer)
    vif_steps.request_step(ctx, vif)
    save(ctx, vif)
    return {"virtualInterface": vif}


@operation("DeleteBGPPeer")
def delete_bgp_peer(
    ctx: RequestContext,
    *,
    virtual_interface_id: str | None = None,
    asn: int | None = None,
    asn_long: int | None = None,
    customer_address: str | None = None,
    bgp_peer_id: str | None = None,
) -> dict[str, Any]:
    vif = owned_vif(ctx, virtual_interface_id)
    if vif["virtualInterfaceState"] in ("deleting", "deleted", "rejected"):
        raise errors.vif_not_found(vif["virtualInterfaceId"])
    live = live_peers(vif)
    if bgp_peer_id:
        match = [p for p in live if p["bgpPeerId"] == bgp_peer_id]
        what = f"BGP peer {bgp_peer_id}"
    elif customer_address and (asn is not None or asn_long is not None):
        value = asn_long if asn_long is not None else asn
        match = [
            p
            for p in live
            if p["asnLong"] == value
            and addressing.same_address(p["customerAddress"], customer_address)
        ]
        what = f"BGP peer with ASN {value} and customer address {customer_address}"
    else:
        raise ClientError(
            "Identify the BGP peer by bgpPeerId, or by asn (or asnLong) and customerAddress."
        )
    if not match:
        raise ClientError(
            f"{what} does not exist on virtual interface {vif['virtualInterfaceId']}."
        )
    if len(live) == 1:
        raise errors.last_bgp_peer()
    peer = match[0]
    lifecycle.advance("bgpPeer", peer, "deleting", ctx.now)
    peer["bgpStatus"] = "down"
    vif_steps.release_address(ctx, vif, peer)  # the /30 is free as it is deleted
    vif_steps.request_step(ctx, vif)
    save(ctx, vif)
    return {"virtualInterface": vif}
