"""The route tables AWS builds from the routes it accepts over Direct Connect, per virtual
private gateway, transit gateway and Direct Connect gateway (docs/routing.md).

The selection itself is ``core/route_table.py`` (pure); this module gathers its input from
the store: every VIF that feeds the gateway, and the routes each one accepted (the same
ones ListVirtualInterfaceRoutes serves, so simulation and live BGP agree).

- A Direct Connect gateway is fed by its attached private/transit VIFs. It is global, so
  the Region step of the order does not apply to its own table.
- A virtual private gateway by the private VIFs attached straight to it and by those of
  every Direct Connect gateway it is associated with; a transit gateway by the transit
  VIFs of its Direct Connect gateways. For both, a VIF whose location is associated with
  the gateway's Region is preferred over one elsewhere.

Control API:

    GET /_dxlocal/route-tables/{gatewayId}    the table, one entry per prefix
"""

from __future__ import annotations

from typing import Any

from dxlocal.core.context import RequestContext
from dxlocal.core.errors import ClientError
from dxlocal.core.route_table import Candidate, RouteTable
from dxlocal.core.work import ControlContext
from dxlocal.provider import dx_gateways, gateway_associations, virtual_gateways
from dxlocal.provider import virtual_interfaces as vifs
from dxlocal.provider._registry import route
from dxlocal.provider.accepted_routes import accepted_routes

FEEDING = {"pending", "available", "down", "testing"}


def _vif_ids_of_dx_gateway(ctx: RequestContext, gw_id: str) -> list[str]:
    return [
        a["virtualInterfaceId"]
        for a in dx_gateways.live_attachments(ctx, gw_id)
        if a["attachmentState"] in ("attaching", "attached")
    ]


def feeders(ctx: RequestContext, gateway_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(what the gateway is, the VIF records that feed its table)."""
    if gateway_id.startswith(("vgw-", "tgw-")):
        record = virtual_gateways.find(ctx.tx, gateway_id)
        if record is None:
            raise ClientError(f"Gateway {gateway_id} does not exist.")
        info = {"gatewayId": gateway_id, "gatewayType": virtual_gateways.gateway_type(gateway_id),
                "region": record["region"]}  # fmt: skip
        ids: list[str] = []
        if gateway_id.startswith("vgw-"):
            ids += [v["virtualInterfaceId"] for v in ctx.tx.list(vifs.KIND)
                    if v.get("virtualGatewayId") == gateway_id]  # fmt: skip
        for assoc in gateway_associations.live_for_gateway(ctx, gateway_id):
            if assoc["associationState"] in ("associated", "updating"):
                ids += _vif_ids_of_dx_gateway(ctx, assoc["directConnectGatewayId"])
    else:
        gw = ctx.tx.get(dx_gateways.KIND, gateway_id)
        if gw is None:
            raise ClientError(f"Direct Connect gateway {gateway_id} does not exist.")
        info = {"gatewayId": gateway_id, "gatewayType": "directConnectGateway", "region": None}
        ids = _vif_ids_of_dx_gateway(ctx, gateway_id)
    records = [ctx.tx.get(vifs.KIND, i) for i in dict.fromkeys(ids)]
    return info, [v for v in records if v and v["virtualInterfaceState"] in FEEDING]


def candidates(
    ctx: RequestContext, vif: dict[str, Any], region: str | None
) -> dict[str, Candidate]:
    """The VIF's accepted routes, as path-selection candidates for a gateway in ``region``."""
    same = region is None or vif.get("region") == region
    out = {}
    for r in accepted_routes(ctx, vif):
        path = tuple(a for seg in r["asPath"] for a in seg["path"])
        out[r["cidr"]] = Candidate(vif["virtualInterfaceId"], path, tuple(r["communities"]),
                                   same, vif.get("location", ""))  # fmt: skip
    return out


def build(ctx: RequestContext, gateway_id: str) -> tuple[dict[str, Any], RouteTable]:
    info, records = feeders(ctx, gateway_id)
    table = RouteTable()
    for vif in records:
        table.set_vif(vif["virtualInterfaceId"], candidates(ctx, vif, info["region"]))
    return info, table


def show(ctx: RequestContext, gateway_id: str) -> dict[str, Any]:
    info, table = build(ctx, gateway_id)
    return {**info, "routes": [e.to_dict() for e in table.entries()]}


@route("GET", "/route-tables/{gateway_id}")
def get_route_table(ctx: ControlContext, body: dict[str, Any], gateway_id: str) -> dict[str, Any]:
    """The route table AWS would build for a VGW, TGW or Direct Connect gateway."""
    with ctx.request("route-tables") as request:
        return show(request, gateway_id)
