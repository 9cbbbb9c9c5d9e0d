"""Virtual private gateways, transit gateways and VPC CIDRs read from an EC2 endpoint
(``dxlocal serve --ec2-endpoint URL``, e.g. moto's server), as AWS's Direct Connect reads
them from EC2: a gateway id is checked for existence in the caller's account and Region, its
Amazon side ASN is the gateway's own, and the CIDRs a VIF advertises are those of the VPCs
attached to it (user guide, "Allowed prefixes interactions").

EC2 is asked as the caller: the access key is the caller's account id (dxlocal's own
convention) and ``x-moto-account-id`` names it for moto, which keeps one backend per account.
The answer is read during the call that needs it, so what EC2 says now is what counts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from dxlocal.core.errors import DirectConnectServerException

TIMEOUT = 5.0  # seconds to connect to and hear from the EC2 endpoint


@cache
def _client(endpoint: str, account: str, region: str) -> Any:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    client = session.create_client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=account,
        aws_secret_access_key="dxlocal-ec2-lookup",
        config=Config(
            connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"total_max_attempts": 2}
        ),
    )

    def name_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign.ec2", name_account)
    return client


def _ask(endpoint: str, account: str, region: str, operation: str, **params: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(endpoint, account, region)
    try:
        return getattr(client, operation)(**params)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code.endswith(".NotFound") or code.endswith(".Malformed"):
            return None
        raise DirectConnectServerException(f"The EC2 endpoint answered {code}.") from None
    except BotoCoreError as exc:
        raise DirectConnectServerException(
            f"The EC2 endpoint {endpoint} did not answer: {exc}"
        ) from None


def _vpc_cidrs(endpoint: str, account: str, region: str, vpc_ids: list[str]) -> list[str]:
    if not vpc_ids:
        return []
    answer = _ask(endpoint, account, region, "describe_vpcs", VpcIds=vpc_ids) or {"Vpcs": []}
    cidrs: list[str] = []
    for vpc in answer["Vpcs"]:
        for block in vpc.get("CidrBlockAssociationSet", []):
            if block.get("CidrBlockState", {}).get("State", "associated") == "associated":
                cidrs.append(block["CidrBlock"])
        for block in vpc.get("Ipv6CidrBlockAssociationSet", []):
            if block.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated":
                cidrs.append(block["Ipv6CidrBlock"])
    return list(dict.fromkeys(cidrs))


def virtual_gateway(endpoint: str, account: str, region: str, vgw_id: str) -> dict | None:
    """``{"state", "asn", "cidrs"}`` of the caller's VGW, or None if EC2 has no such VGW."""
    answer = _ask(endpoint, account, region, "describe_vpn_gateways", VpnGatewayIds=[vgw_id])
    gateways = (answer or {}).get("VpnGateways", [])
    if not gateways or gateways[0].get("State") in ("deleted", "deleting"):
        return None
    vgw = gateways[0]
    vpcs = [a["VpcId"] for a in vgw.get("VpcAttachments", []) if a.get("State") == "attached"]
    return {
        "state": vgw.get("State", "available"),
        "asn": int(vgw.get("AmazonSideAsn") or 64512),
        "cidrs": _vpc_cidrs(endpoint, account, region, vpcs),
    }


def virtual_gateway_ids(endpoint: str, account: str, region: str) -> list[str]:
    answer = _ask(endpoint, account, region, "describe_vpn_gateways") or {"VpnGateways": []}
    return [
        g["VpnGatewayId"]
        for g in answer["VpnGateways"]
        if g.get("State") not in ("deleted", "deleting")
    ]


def transit_gateway(endpoint: str, account: str, region: str, tgw_id: str) -> dict | None:
    """``{"state", "asn", "cidrs"}`` of the caller's TGW, or None (absent or not theirs)."""
    answer = _ask(
        endpoint, account, region, "describe_transit_gateways", TransitGatewayIds=[tgw_id]
    )
    gateways = (answer or {}).get("TransitGateways", [])
    if not gateways or gateways[0].get("State") in ("deleted", "deleting"):
        return None
    tgw = gateways[0]
    if tgw.get("OwnerId") and tgw["OwnerId"] != account:
        return None
    attachments = _ask(
        endpoint,
        account,
        region,
        "describe_transit_gateway_vpc_attachments",
        Filters=[{"Name": "transit-gateway-id", "Values": [tgw_id]}],
    ) or {"TransitGatewayVpcAttachments": []}
    vpcs = [
        a["VpcId"]
        for a in attachments["TransitGatewayVpcAttachments"]
        if a.get("State") in ("available", "pending", None)
    ]
    return {
        "state": tgw.get("State", "available"),
        "asn": int((tgw.get("Options") or {}).get("AmazonSideAsn") or 64512),
        "cidrs": _vpc_cidrs(endpoint, account, region, vpcs),
    }
