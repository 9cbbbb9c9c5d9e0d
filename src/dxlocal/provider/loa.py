"""Letters of authorization: DescribeLoa, DescribeConnectionLoa, DescribeInterconnectLoa
(docs/behavior.md#loa).

The LOA-CFA is the PDF the colocation provider needs to run the cross-connect: who asks,
where (location), and which AWS port (endpoint, port, optic) it ends on. AWS issues it once
the request is approved, so a port still ``requested`` has none yet; hosted connections have
none at all (the partner cross-connects its interconnect). Each call stamps
``loaIssueTime`` ("the time of the most recent call to DescribeLoa").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from dxlocal.core import errors, pdf
from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.provider import interconnects, locations, ports
from dxlocal.provider._registry import operation

CONTENT_TYPE = "application/pdf"
ISSUED_STATES = {"pending", "available", "down"}
VALID_DAYS = 90  # user guide: an unused LOA-CFA expires after 90 days
OPTICS = {
    "1Gbps": "1000BASE-LX",
    "10Gbps": "10GBASE-LR",
    "100Gbps": "100GBASE-LR4",
    "400Gbps": "400GBASE-LR4",
}


def port_name(record: dict[str, Any]) -> str:
    """A stable port on the endpoint for a connection id (the LOA's "port" line)."""
    digest = hashlib.sha256(ports.port_id(record).encode()).digest()
    prefix = "et" if record["bandwidth"] in ("100Gbps", "400Gbps") else "xe"
    return f"{prefix}-{digest[0] % 8}/{digest[1] % 4}/{digest[2] % 48}"


def _check_issued(kind: str, record: dict[str, Any]) -> None:
    pid = ports.port_id(record)
    if record.get("_hosted"):
        raise ClientError(
            f"No LOA-CFA is issued for hosted connection {pid}; its partner arranges the cross-connect."
        )
    state = ports.port_state(kind, record)
    if state not in ISSUED_STATES:
        raise ClientError(f"The LOA-CFA for {pid} is not available while it is in state {state}.")


def _targets(
    ctx: RequestContext, resource_id: str
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """(the resource, the ports the letter covers)."""
    if resource_id.startswith("dxlag-"):
        lag = ports.get_lag(ctx, resource_id)
        members = ports.lag_members(ctx, resource_id) if lag["lagState"] != "deleted" else []
        if not members:
            raise ClientError(f"Lag {resource_id} has no connections to issue an LOA-CFA for.")
        for kind, rec in members:
            _check_issued(kind, rec)
        return lag, members
    kind, record = ports.get_port(ctx, resource_id)
    _check_issued(kind, record)
    return record, [(kind, record)]


def _lines(
    ctx: RequestContext,
    resource: dict[str, Any],
    covered: list[tuple[str, dict[str, Any]]],
    provider: str | None,
) -> list[pdf.Line]:
    loc = locations.find(ctx.region, resource["location"])
    issued = dt.datetime.fromtimestamp(ctx.now, dt.UTC)
    expires = issued + dt.timedelta(days=VALID_DAYS)
    requester = f"AWS account {resource['ownerAccount']}"
    if provider:
        requester += f" and {provider} (service provider)"
    out = [
        pdf.Line("LETTER OF AUTHORIZATION AND", 15, True),
        pdf.Line("CONNECTING FACILITY ASSIGNMENT (LOA-CFA)", 15, True),
        pdf.Line(""),
        pdf.Line(f"Date issued: {issued:%Y-%m-%d %H:%M} UTC    Valid until: {expires:%Y-%m-%d}"),
        pdf.Line(f"Requested by: {requester}"),
        pdf.Line(f"Resource: {ports.port_id(resource)}"),
        pdf.Line(f"Location: {loc['locationCode']} - {loc['locationName']}"),
        pdf.Line(f"Region: {ctx.region}"),
        pdf.Line(""),
        pdf.Line(
            "Amazon Web Services authorizes the requester, or its provider, to order a cross-connect "
            "to the AWS Direct Connect port(s) below."
        ),
        pdf.Line(""),
    ]
    for n, (_kind, rec) in enumerate(covered, start=1):
        name = rec.get("connectionName") or rec.get("interconnectName", "")
        out += [
            pdf.Line(f"Port {n}", 12, True),
            pdf.Line(f"Connection ID: {ports.port_id(rec)}  ({name})"),
            pdf.Line(f"AWS device: {rec['awsDeviceV2']}"),
            pdf.Line(f"Port: {port_name(rec)}"),
            pdf.Line(
                f"Bandwidth: {rec['bandwidth']}    Optic: {OPTICS.get(rec['bandwidth'], 'single-mode fiber')}"
            ),
            pdf.Line("Connector: LC, single-mode fiber"),
            pdf.Line(""),
        ]
    out.append(
        pdf.Line("This letter expires if the cross-connect is not completed within 90 days.", 8)
    )
    return out


def _describe(
    ctx: RequestContext, resource_id: str, provider_name: str | None, content_type: str | None
) -> dict[str, Any]:
    if content_type not in (None, CONTENT_TYPE):
        raise ClientError(f"loaContentType {content_type!r} is not supported: use {CONTENT_TYPE}.")
    resource, covered = _targets(ctx, resource_id)
    body = pdf.render(_lines(ctx, resource, covered, provider_name), title=f"LOA-CFA {resource_id}")
    for kind, rec in covered:
        rec["loaIssueTime"] = ctx.now
        ctx.tx.update(kind, ports.port_id(rec), rec)
    return {"loaContent": body, "loaContentType": CONTENT_TYPE}


@operation("DescribeLoa")
def describe_loa(
    ctx: RequestContext,
    *,
    connection_id: str,
    provider_name: str | None = None,
    loa_content_type: str | None = None,
) -> dict[str, Any]:
    return _describe(ctx, connection_id, provider_name, loa_content_type)


@operation("DescribeConnectionLoa")
def describe_connection_loa(
    ctx: RequestContext,
    *,
    connection_id: str,
    provider_name: str | None = None,
    loa_content_type: str | None = None,
) -> dict[str, Any]:
    """Deprecated: DescribeLoa for a connection, wrapped in ``loa``."""
    ports.get_connection(ctx, connection_id)
    return {"loa": _describe(ctx, connection_id, provider_name, loa_content_type)}


@operation("DescribeInterconnectLoa")
def describe_interconnect_loa(
    ctx: RequestContext,
    *,
    interconnect_id: str,
    provider_name: str | None = None,
    loa_content_type: str | None = None,
) -> dict[str, Any]:
    """Deprecated: DescribeLoa for an interconnect, wrapped in ``loa``."""
    record = interconnects.get_interconnect(ctx, interconnect_id)
    if record["interconnectState"] == "deleted":
        raise errors.interconnect_not_found(interconnect_id)
    return {"loa": _describe(ctx, interconnect_id, provider_name, loa_content_type)}
