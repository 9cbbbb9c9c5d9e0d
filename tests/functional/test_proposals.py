"""Cross-account association proposals (docs/behavior.md#proposals), through boto3, in both modes."""

from __future__ import annotations

import pytest

from functional.helpers import client_error

DXGW_OWNER = "123456789012"
VGW_OWNER = "111122223333"
VGW = "vgw-0a1b2c3d4e5f60718"


@pytest.fixture
def parties(dx):
    dx.control(
        "POST",
        "/virtual-gateways",
        {
            "virtualGatewayId": VGW,
            "account": VGW_OWNER,
            "region": "eu-west-1",
            "vpcCidrs": ["10.20.0.0/16"],
        },
    )
    owner = dx.client(account=DXGW_OWNER)
    proposer = dx.client(account=VGW_OWNER, region="eu-west-1")
    gw = owner.create_direct_connect_gateway(directConnectGatewayName="shared")[
        "directConnectGateway"
    ]
    return owner, proposer, gw["directConnectGatewayId"]


def propose(proposer, gw_id: str, **kw):
    return proposer.create_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        directConnectGatewayOwnerAccount=DXGW_OWNER,
        gatewayId=VGW,
        **kw,
    )["directConnectGatewayAssociationProposal"]


def test_propose_accept_and_accept_again(dx, parties):
    owner, proposer, gw_id = parties
    proposal = propose(
        proposer, gw_id, addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.20.0.0/16"}]
    )
    assert proposal["proposalState"] == "requested"
    assert proposal["associatedGateway"] == {
        "id": VGW,
        "type": "virtualPrivateGateway",
        "ownerAccount": VGW_OWNER,
        "region": "eu-west-1",
    }
    assert proposal["existingAllowedPrefixesToDirectConnectGateway"] == []
    pid = proposal["proposalId"]
    seen = owner.describe_direct_connect_gateway_association_proposals(directConnectGatewayId=gw_id)
    assert [p["proposalId"] for p in seen["directConnectGatewayAssociationProposals"]] == [pid]
    assert "pending" in client_error(
        proposer,
        proposer.create_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        directConnectGatewayOwnerAccount=DXGW_OWNER,
        gatewayId=VGW,
    )
    # Only the DX gateway's owner accepts, naming the right gateway owner.
    assert "does not exist" in client_error(
        proposer,
        proposer.accept_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount=VGW_OWNER,
    )
    assert "does not own" in client_error(
        owner,
        owner.accept_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount="999999999999",
    )
    assoc = owner.accept_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount=VGW_OWNER,
    )["directConnectGatewayAssociation"]
    assert assoc["associationState"] == "associating"
    assert (
        assoc["virtualGatewayOwnerAccount"] == VGW_OWNER
        and assoc["virtualGatewayRegion"] == "eu-west-1"
    )
    assert assoc["allowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.20.0.0/16"}]
    again = client_error(
        owner,
        owner.accept_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount=VGW_OWNER,
    )
    assert again == "Direct Connect Gateway Association Proposal  has been accepted!"
    state = proposer.describe_direct_connect_gateway_association_proposals(proposalId=pid)
    assert state["directConnectGatewayAssociationProposals"][0]["proposalState"] == "accepted"
    assert "cannot be deleted" in client_error(
        proposer, proposer.delete_direct_connect_gateway_association_proposal, proposalId=pid
    )
    # Both accounts see the association.
    listed = proposer.describe_direct_connect_gateway_associations(associatedGatewayId=VGW)
    assert listed["directConnectGatewayAssociations"][0]["associationId"] == assoc["associationId"]


def test_proposal_to_change_prefixes_and_override(dx, parties):
    owner, proposer, gw_id = parties
    pid = propose(proposer, gw_id)["proposalId"]
    first = owner.accept_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount=VGW_OWNER,
        overrideAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.20.1.0/24"}],
    )["directConnectGatewayAssociation"]
    assert first["allowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.20.1.0/24"}]
    dx.wait(
        lambda: owner.describe_direct_connect_gateway_associations(
            associationId=first["associationId"]
        )["directConnectGatewayAssociations"][0]["associationState"],
        lambda s: s == "associated",
    )
    change = propose(
        proposer,
        gw_id,
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.20.2.0/24"}],
        removeAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.20.1.0/24"}],
    )
    assert change["existingAllowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.20.1.0/24"}]
    assert change["requestedAllowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.20.2.0/24"}]
    updated = owner.accept_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw_id,
        proposalId=change["proposalId"],
        associatedGatewayOwnerAccount=VGW_OWNER,
    )["directConnectGatewayAssociation"]
    assert updated["associationId"] == first["associationId"]
    assert updated["associationState"] == "updating"
    assert updated["allowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.20.2.0/24"}]


def test_delete_pending_proposal_and_errors(dx, parties):
    owner, proposer, gw_id = parties
    pid = propose(proposer, gw_id)["proposalId"]
    out = owner.delete_direct_connect_gateway_association_proposal(proposalId=pid)
    assert out["directConnectGatewayAssociationProposal"]["proposalState"] == "deleted"
    assert "does not exist" in client_error(
        proposer, proposer.delete_direct_connect_gateway_association_proposal, proposalId=pid
    )
    stranger = dx.client(account="444455556666")
    assert "does not exist" in client_error(
        stranger, stranger.describe_direct_connect_gateway_association_proposals, proposalId=pid
    )
    assert "does not exist" in client_error(
        proposer,
        proposer.create_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        directConnectGatewayOwnerAccount="444455556666",
        gatewayId=VGW,
    )
    assert "invalid format" in client_error(
        proposer,
        proposer.create_direct_connect_gateway_association_proposal,
        directConnectGatewayId="nope",
        directConnectGatewayOwnerAccount=DXGW_OWNER,
        gatewayId=VGW,
    )


def test_accept_when_gateway_vanished(dx, parties):
    owner, proposer, gw_id = parties
    pid = propose(proposer, gw_id)["proposalId"]
    # The VGW is deleted and its id registered under another owner: the proposal's gateway
    # is gone.
    dx.control("DELETE", f"/virtual-gateways/{VGW}")
    dx.control("POST", "/virtual-gateways", {"virtualGatewayId": VGW, "account": "444455556666"})
    message = client_error(
        owner,
        owner.accept_direct_connect_gateway_association_proposal,
        directConnectGatewayId=gw_id,
        proposalId=pid,
        associatedGatewayOwnerAccount=VGW_OWNER,
    )
    assert (
        message
        == f"The Virtual Gateway in the Direct Connect Gateway Association Proposal {pid} is not found"
    )
