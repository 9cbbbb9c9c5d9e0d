"""Customer agreements and partner type: ConfirmCustomerAgreement, DescribeCustomerMetadata.

AWS publishes neither the agreement names nor when they are required, so dxlocal keeps it
simple: every account has the agreement ``CustomerAgreement`` (``unsigned`` until
confirmed); ConfirmCustomerAgreement signs the named agreement (that one when no name is
given), and any other name it is given is recorded as signed too. Agreements belong to the
account, not a Region. ``nniPartnerType`` is ``v2`` for an account that is a partner in the
caller's Region (it owns an interconnect there: ``connections.is_partner``), else
``nonPartner``.
"""

from __future__ import annotations

from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider import ports
from dxlocal.provider._registry import operation

KIND = "customerAgreement"
DEFAULT_AGREEMENT = "CustomerAgreement"


def _key(account: str, name: str) -> str:
    return f"{account}:{name}"


@operation("ConfirmCustomerAgreement")
def confirm_customer_agreement(
    ctx: RequestContext, *, agreement_name: str | None = None
) -> dict[str, Any]:
    name = DEFAULT_AGREEMENT if agreement_name is None else agreement_name
    if not name.strip() or len(name) > 100:
        raise ClientError("agreementName must be 1 to 100 characters.")
    record = {"agreementName": name, "status": "signed", "_signedAt": ctx.now}
    key = _key(ctx.account, name)
    if ctx.tx.get(KIND, key) is None:
        ctx.tx.insert(KIND, key, record, account=ctx.account, region="")
    return {"status": "signed"}


@operation("DescribeCustomerMetadata")
def describe_customer_metadata(ctx: RequestContext) -> dict[str, Any]:
    signed = {r["agreementName"]: r for r in ctx.tx.list(KIND, account=ctx.account, region="")}
    agreements = [
        {
            "agreementName": DEFAULT_AGREEMENT,
            "status": "signed" if DEFAULT_AGREEMENT in signed else "unsigned",
        }
    ]
    agreements += [
        {"agreementName": name, "status": "signed"}
        for name in sorted(signed)
        if name != DEFAULT_AGREEMENT
    ]
    return {
        "agreements": agreements,
        "nniPartnerType": "v2" if ports.is_partner(ctx) else "nonPartner",
    }
