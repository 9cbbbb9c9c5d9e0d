"""ConfirmCustomerAgreement and DescribeCustomerMetadata."""

from __future__ import annotations

import pytest


def test_agreements(dx):
    client = dx.client()
    meta = client.describe_customer_metadata()
    assert meta["agreements"] == [{"agreementName": "CustomerAgreement", "status": "unsigned"}]
    assert meta["nniPartnerType"] == "nonPartner"
    assert client.confirm_customer_agreement()["status"] == "signed"
    assert client.confirm_customer_agreement(agreementName="FlatRateTerms")["status"] == "signed"
    assert client.describe_customer_metadata()["agreements"] == [
        {"agreementName": "CustomerAgreement", "status": "signed"},
        {"agreementName": "FlatRateTerms", "status": "signed"},
    ]
    # Per account.
    other = dx.client(account="111122223333")
    assert other.describe_customer_metadata()["agreements"][0]["status"] == "unsigned"
    with pytest.raises(client.exceptions.DirectConnectClientException):
        client.confirm_customer_agreement(agreementName=" ")


def test_partner_type(dx):
    client = dx.client()
    ic = client.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")
    assert client.describe_customer_metadata()["nniPartnerType"] == "v2"
    # Partner status is per Region.
    assert (
        dx.client(region="us-west-2").describe_customer_metadata()["nniPartnerType"] == "nonPartner"
    )
    client.delete_interconnect(interconnectId=ic["interconnectId"])
    assert client.describe_customer_metadata()["nniPartnerType"] == "nonPartner"
