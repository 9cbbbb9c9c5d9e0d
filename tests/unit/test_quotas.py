"""--quota NAME=N and DXLOCAL_QUOTAS: parsed once, checked against the declared quotas, and
the defaults declared in core/quotas.py are the ones the providers apply."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dxlocal.config import from_env
from dxlocal.core.quotas import QUOTAS, QuotaError, parse
from dxlocal.mock import mock_directconnect
from dxlocal.provider import (
    connections,
    dx_gateways,
    gateway_associations,
    lags,
    resiliency_groups,
)

PROVIDER_DEFAULTS = {
    "connections_per_location": connections.MAX_PER_LOCATION,
    "lags_per_region": lags.MAX_LAGS,
    "dx_gateways": dx_gateways.MAX_GATEWAYS,
    "vifs_per_dx_gateway": dx_gateways.MAX_VIFS_PER_GATEWAY,
    "vgws_per_dx_gateway": gateway_associations.MAX_VGWS_PER_DXGW,
    "tgws_per_dx_gateway": gateway_associations.MAX_TGWS_PER_DXGW,
    "dx_gateways_per_tgw": gateway_associations.MAX_DXGWS_PER_TGW,
    "tgw_allowed_prefixes": gateway_associations.MAX_TGW_PREFIXES,
    "resiliency_groups_per_region": resiliency_groups.MAX_GROUPS,
}


def test_declared_defaults_are_what_providers_apply() -> None:
    assert {name: q.default for name, q in QUOTAS.items()} == PROVIDER_DEFAULTS


def test_parse_and_refusals() -> None:
    assert parse(["lags_per_region=3", " dx_gateways = 0 "]) == {
        "lags_per_region": 3,
        "dx_gateways": 0,
    }
    for bad in ("lags=3", "lags_per_region", "lags_per_region=-1", "lags_per_region=x"):
        with pytest.raises(QuotaError):
            parse([bad])


def test_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXLOCAL_QUOTAS", "lags_per_region=3,dx_gateways=5")
    settings = from_env(quotas=parse(["lags_per_region=7"]))
    assert settings.quotas == {"lags_per_region": 7, "dx_gateways": 5}


def test_a_raised_quota_is_enforced_through_the_api() -> None:
    """A partner location with 12 connections: over AWS's 10, under the raised 12."""
    with mock_directconnect(quotas={"connections_per_location": 12}, delay=0.0) as mock:
        import boto3

        dx = boto3.client("directconnect", region_name="us-east-1")
        for i in range(12):
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"c{i}")
        with pytest.raises(dx.exceptions.DirectConnectClientException, match="12 active"):
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c13")
        assert mock.service.settings.quotas == {"connections_per_location": 12}


def test_serve_refuses_an_unknown_quota() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dxlocal.cli", "serve", "--state", ":memory:", "--quota", "nope=1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "unknown quota 'nope=1'" in done.stderr
