"""What ``PATCH /_dxlocal/records/{kind}/{id}`` may change (docs/security.md).

A patch never moves a record between accounts or Regions and never renames it; members of
the record's model shape must fit that shape (the same checks as API input); other fields
(dxlocal's own, ``_``-prefixed) must already exist and keep their JSON type; and the patched
record must still be answerable through its shape, so its owner's Describe calls keep
working. State fields go through the lifecycle (control.py).
"""

from __future__ import annotations

from typing import Any

from dxlocal import spec
from dxlocal.core.errors import ClientError, SerializationException
from dxlocal.protocol import shapes

# Record kinds and the model shape each is answered as.
SHAPES = {
    "connection": "Connection",
    "interconnect": "Interconnect",
    "lag": "Lag",
    "virtualInterface": "VirtualInterface",
    "directConnectGateway": "DirectConnectGateway",
    "directConnectGatewayAssociation": "DirectConnectGatewayAssociation",
    "directConnectGatewayAssociationProposal": "DirectConnectGatewayAssociationProposal",
    "directConnectGatewayAttachment": "DirectConnectGatewayAttachment",
    "virtualGateway": "VirtualGateway",
    "virtualInterfaceTest": "VirtualInterfaceTestHistory",
}
FIXED = ("ownerAccount", "region", "account", "directConnectGatewayOwnerAccount")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def _shape(kind: str) -> Any:
    name = SHAPES.get(kind)
    return spec.service_model().shape_for(name) if name else None


def check(kind: str, rid: str, record: dict[str, Any], body: dict[str, Any]) -> None:
    """Raise a 400 for a patch that would move, rename or break the record."""
    shape = _shape(kind)
    members = shape.members if shape is not None else {}
    for key, value in body.items():
        if key in FIXED:
            raise ClientError(f"{key} cannot be changed through the control API.")
        if record.get(key) == rid and key.endswith("Id"):
            raise ClientError(f"{key} is the record's id and cannot be changed.")
        if key in members:
            shapes.parse_input(shape, {key: value})
        elif key not in record:
            raise ClientError(f"{kind} records have no field {key!r}.")
        elif _json_type(record[key]) != _json_type(value):
            raise SerializationException(
                f"{key} holds a {_json_type(record[key])}, not a {_json_type(value)}."
            )


def still_readable(kind: str, record: dict[str, Any]) -> None:
    """Raise a 400 if the patched record can no longer be answered through its shape."""
    shape = _shape(kind)
    if shape is None:
        return
    try:
        shapes.OutputWalker().walk(shape, record)
    except Exception as exc:  # any failure here would be a 500 on the owner's next call
        raise ClientError(f"The patch would leave the {kind} unreadable: {exc}") from None
