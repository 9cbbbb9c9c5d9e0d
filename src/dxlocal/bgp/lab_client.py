"""The ``dxlocal lab`` commands' side: calls to a running ``dxlocal serve --bgp live``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from dxlocal.control_client import call

__all__ = ["call", "describe_vif"]


def describe_vif(endpoint: str, account: str, region: str, vif_id: str) -> dict[str, Any]:
    """DescribeVirtualInterfaces through the server, as the VIF's owner (awsJson1_1)."""
    auth = (f"AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/directconnect/aws4_request, "
            "SignedHeaders=host, Signature=0")  # fmt: skip
    req = urllib.request.Request(
        endpoint.rstrip("/") + "/",
        data=json.dumps({"virtualInterfaceId": vif_id}).encode(),
        method="POST",
        headers={
            "content-type": "application/x-amz-json-1.1",
            "authorization": auth,
            "x-amz-target": "OvertureService.DescribeVirtualInterfaces",
        },  # fmt: skip
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            items = json.loads(r.read()).get("virtualInterfaces", [])
    except urllib.error.HTTPError as exc:
        raise RuntimeError(exc.read().decode(errors="replace")) from None
    if not items:
        raise RuntimeError(f"{vif_id} not found")
    return items[0]
