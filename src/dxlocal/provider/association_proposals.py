"""Association proposals: the cross-account way to associate a gateway with a Direct Connect
gateway (docs/behavior.md#proposals; user guide "Associating a virtual private gateway across
accounts").

    VGW/TGW owner      CreateDirectConnectGatewayAssociationProposal   -> requested
    DX gateway owner   AcceptDirectConnectGatewayAssociationProposal   -> accepted, and an
                       association in ``associating`` (or an update of the existing one)
    either account     DeleteDirectConnectGatewayAssociationProposal   -> deleted (while
                       requested; an accepted proposal is undone by disassociating)

A proposal is filed under the proposing account (region ``""``, parent = the Direct Connect
gateway) with the gateway's owner as the second account that sees it. Proposing for a gateway
that is already associated proposes new allowed prefixes: ``existingAllowedPrefixes…`` shows
what the association has now.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core import errors, ids, lifecycle
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.pagination import page
from dxlocal.provider import dx_gateways, gateway_associations, virtual_gateways
from dxlocal.provider._registry import operation

KIND = "directConnectGatewayAssociationProposal"


def proposer_gateway(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    """The caller's VGW/TGW (remembered on first use)."""
    record = virtual_gateways.find(ctx.tx, gateway_id, ctx.account)
    if record is None:
        return virtual_gateways.ensure_gateway(ctx, gateway_id)
    if record["ownerAccount"] != ctx.account:
        raise ClientError(f"Gateway {gateway_id} does not exist.")
    return record


def existing_association(
    ctx: RequestContext, dxgw_id: str, gateway_id: str
) -> dict[str, Any] | None:
    return next(
        (
            a
            for a in dx_gateways.live_associations(ctx, dxgw_id)
            if a["associatedGateway"]["id"] == gateway_id
        ),
        None,
    )


def visible(ctx: RequestContext, proposal: dict[str, Any] | None) -> bool:
    return proposal is not None and ctx.account in (
        proposal["directConnectGatewayOwnerAccount"],
        proposal["associatedGateway"]["ownerAccount"],
    )


def get_proposal(ctx: RequestContext, proposal_id: str | None) -> dict[str, Any]:
    proposal = ctx.tx.get(KIND, proposal_id) if proposal_id else None
    if not visible(ctx, proposal):
        raise errors.proposal_not_found(proposal_id or "")
    return proposal


@operation("CreateDirectConnectGatewayAssociationProposal")
def create_direct_connect_gateway_association_proposal(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str,
    direct_connect_gateway_owner_account: str,
    gateway_id: str,
    add_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
    remove_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    gw = dx_gateways.find(ctx, direct_connect_gateway_id)
    if (
        gw["ownerAccount"] != direct_connect_gateway_owner_account
        or gw["directConnectGatewayState"] == "deleting"
    ):
        raise errors.dxgw_not_found(direct_connect_gateway_id)
    record = proposer_gateway(ctx, gateway_id)
    add = gateway_associations.check_prefixes(add_allowed_prefixes_to_direct_connect_gateway)
    remove = gateway_associations.check_prefixes(remove_allowed_prefixes_to_direct_connect_gateway)
    for other in ctx.tx.list(KIND, parent=direct_connect_gateway_id):
        if other["associatedGateway"]["id"] == gateway_id and other["proposalState"] == "requested":
            raise ClientError(
                f"Proposal {other['proposalId']} for {gateway_id} and Direct Connect gateway "
                f"{direct_connect_gateway_id} is still pending."
            )
    assoc = existing_association(ctx, direct_connect_gateway_id, gateway_id)
    existing = list(assoc["allowedPrefixesToDirectConnectGateway"]) if assoc else []
    proposal = {
        "proposalId": ids.mint_uuid(),
        "directConnectGatewayId": direct_connect_gateway_id,
        "directConnectGatewayOwnerAccount": gw["ownerAccount"],
        "proposalState": "requested",
        "associatedGateway": gateway_associations.associated_gateway(gateway_id, record),
        "existingAllowedPrefixesToDirectConnectGateway": existing,
        "requestedAllowedPrefixesToDirectConnectGateway": gateway_associations.apply_prefixes(
            existing, add, remove
        ),
        "_created": ctx.now,
    }
    peer = gw["ownerAccount"] if gw["ownerAccount"] != ctx.account else None
    ctx.tx.insert(
        KIND,
        proposal["proposalId"],
        proposal,
        account=ctx.account,
        region=dx_gateways.GLOBAL,
        parent=direct_connect_gateway_id,
        peer_account=peer,
    )
    return {"directConnectGatewayAssociationProposal": proposal}


@operation("DescribeDirectConnectGatewayAssociationProposals")
def describe_direct_connect_gateway_association_proposals(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str | None = None,
    proposal_id: str | None = None,
    associated_gateway_id: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    if proposal_id:
        records = [get_proposal(ctx, proposal_id)]
    else:
        records = ctx.tx.list(
            KIND, account=ctx.account, region=dx_gateways.GLOBAL, include_peer=True
        )
    records = [
        p
        for p in records
        if (
            not direct_connect_gateway_id
            or p["directConnectGatewayId"] == direct_connect_gateway_id
        )
        and (not associated_gateway_id or p["associatedGateway"]["id"] == associated_gateway_id)
    ]
    items, token = page(records, "proposalId", max_results, next_token)
    return {"directConnectGatewayAssociationProposals": items, "nextToken": token}


@operation("AcceptDirectConnectGatewayAssociationProposal")
def accept_direct_connect_gateway_association_proposal(
    ctx: RequestContext,
    *,
    direct_connect_gateway_id: str,
    proposal_id: str,
    associated_gateway_owner_account: str,
    override_allowed_prefixes_to_direct_connect_gateway: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Made by the Direct Connect gateway's owner; a second accept gets AWS's own wording."""
    proposal = get_proposal(ctx, proposal_id)
    gw = dx_gateways.owned(ctx, direct_connect_gateway_id, usable=True)
    if proposal["directConnectGatewayId"] != gw["directConnectGatewayId"]:
        raise ClientError(
            f"Proposal {proposal_id} is not for Direct Connect gateway {direct_connect_gateway_id}."
        )
    gateway = proposal["associatedGateway"]
    if gateway["ownerAccount"] != associated_gateway_owner_account:
        raise ClientError(
            f"Account {associated_gateway_owner_account} does not own gateway {gateway['id']} of "
            f"proposal {proposal_id}."
        )
    if proposal["proposalState"] == "accepted":
        raise errors.proposal_accepted()
    if proposal["proposalState"] != "requested":
        raise errors.proposal_not_found(proposal_id)
    record = virtual_gateways.find(ctx.tx, gateway["id"], gateway["ownerAccount"])
    if record is None or record["ownerAccount"] != gateway["ownerAccount"]:
        raise errors.proposal_gateway_not_found(proposal_id)
    if override_allowed_prefixes_to_direct_connect_gateway is not None:
        prefixes = gateway_associations.check_prefixes(
            override_allowed_prefixes_to_direct_connect_gateway
        )
    else:
        prefixes = proposal["requestedAllowedPrefixesToDirectConnectGateway"]
    assoc = existing_association(ctx, gw["directConnectGatewayId"], gateway["id"])
    if assoc:
        current = assoc["allowedPrefixesToDirectConnectGateway"]
        assoc = gateway_associations.change_prefixes(ctx, assoc, prefixes, current)
    else:
        assoc = gateway_associations.make_association(ctx, gw, gateway["id"], record, prefixes)
    lifecycle.advance(KIND, proposal, "accepted")
    ctx.tx.update(KIND, proposal_id, proposal)
    return {"directConnectGatewayAssociation": assoc}


@operation("DeleteDirectConnectGatewayAssociationProposal")
def delete_direct_connect_gateway_association_proposal(
    ctx: RequestContext, *, proposal_id: str
) -> dict[str, Any]:
    proposal = get_proposal(ctx, proposal_id)
    if proposal["proposalState"] == "accepted":
        raise ClientError(
            f"Proposal {proposal_id} has been accepted and cannot be deleted; delete the "
            "Direct Connect gateway association instead."
        )
    if proposal["proposalState"] == "deleted":
        raise errors.proposal_not_found(proposal_id)
    ctx.enter(KIND, proposal, "deleted")
    ctx.tx.update(KIND, proposal_id, proposal)
    return {"directConnectGatewayAssociationProposal": proposal}
