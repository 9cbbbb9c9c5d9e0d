"""Terraform's hashicorp/aws provider, unmodified, against dxlocal: apply, an empty re-plan
(``plan -detailed-exitcode`` exits 0) and destroy of docs/clients/terraform.md's configuration
together with every case in terraform/main.tf:

- a connection with tags;
- a DX gateway with a private VIF, an IPv6 BGP peer and a VGW association with allowed
  prefixes;
- a hosted private VIF allocated by one account and accepted by another, which the provider
  reaches by assuming a role through dxlocal's STS;
- a LAG;
- a public VIF.

The provider is installed offline from a filesystem mirror. Terraform and the mirror are looked
for on this machine; the test skips, saying which is missing, where either is absent. The
provider's waiters poll every 10 s, so everything shares one configuration and waits side by
side.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from dxtest import LiveServer

CONFIG = Path(__file__).parent / "terraform" / "main.tf"
DOC = Path(__file__).parents[2] / "docs" / "clients" / "terraform.md"
DOC_ENDPOINT = "http://127.0.0.1:4599"
OWNER, ACCEPTER = "111122223333", "444455556666"
VGW = "vgw-0a1b2c3d4e5f60718"
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
# Where provider mirrors usually live; DXLOCAL_TF_MIRROR names another.
MIRRORS = [
    os.environ.get("DXLOCAL_TF_MIRROR", ""),
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
]


def find_mirror() -> tuple[Path, str] | None:
    """A mirror root holding hashicorp/aws for this platform, and the provider's version."""
    for candidate in filter(None, MIRRORS):
        root = Path(candidate).expanduser()
        versions = sorted(
            (
                v
                for v in (root / PROVIDER).glob("*")
                if any(v.glob("linux_amd64/terraform-provider-aws*"))
            ),
            key=lambda v: [int(p) if p.isdigit() else 0 for p in v.name.split(".")],
        )
        if versions:
            return root, versions[-1].name
    return None


TERRAFORM = shutil.which("terraform")
MIRROR = find_mirror()
pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed (not on PATH)"),
    pytest.mark.skipif(
        MIRROR is None,
        reason="no filesystem mirror of the hashicorp/aws provider (set DXLOCAL_TF_MIRROR to its root)",
    ),
]


class Terraform:
    def __init__(self, workdir: Path, config: str, *variables: str) -> None:
        assert MIRROR is not None and TERRAFORM is not None
        root, version = MIRROR
        workdir.mkdir()
        self.workdir = workdir
        self.vars = [arg for v in variables for arg in ("-var", v)]
        (workdir / "main.tf").write_text(
            config.replace(
                'aws = { source = "hashicorp/aws" }',
                f'aws = {{ source = "hashicorp/aws", version = "{version}" }}',
            )
        )
        cli_config = workdir / "cli.tfrc"
        cli_config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path = "{root}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n'
        )
        # Nothing of the user's AWS or Terraform setup leaks in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env.update(
            HOME=str(workdir),
            TF_CLI_CONFIG_FILE=str(cli_config),
            TF_DATA_DIR=str(workdir / ".terraform"),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
        )

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        assert TERRAFORM is not None
        flags = ["-no-color"] + (["-input=false"] if args[0] != "output" else [])
        done = subprocess.run(
            [TERRAFORM, *args, *flags],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode not in ok:
            raise AssertionError(
                f"terraform {args[0]} exited {done.returncode}\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
            )
        return done


def dx(server: LiveServer, account: str):
    return boto3.client(
        "directconnect",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="dxlocal-secret-key",
    )


def doc_config() -> str:
    """The first ``hcl`` block of docs/clients/terraform.md: the page's whole configuration."""
    text = DOC.read_text()
    start = text.index("```hcl\n") + len("```hcl\n")
    return text[start : text.index("```", start)]


def cycle(tf: Terraform, check: Callable[[dict[str, Any]], None]) -> None:
    """init, apply, ``check`` the outputs, an empty re-plan, destroy."""
    tf.run("init")
    tf.run("apply", "-auto-approve", "-parallelism=20", *tf.vars)
    check(json.loads(tf.run("output", "-json").stdout))
    plan = tf.run("plan", "-detailed-exitcode", "-parallelism=20", *tf.vars, ok=(0, 2))
    assert plan.returncode == 0, f"the re-plan is not empty:\n{plan.stdout[-6000:]}"
    tf.run("destroy", "-auto-approve", "-parallelism=20", *tf.vars)


def test_apply_replan_destroy(tmp_path):
    """docs/clients/terraform.md's configuration and the cases, in one root module."""
    server = LiveServer(tmp_path / "state.sqlite3").start()
    try:
        config = doc_config().replace(DOC_ENDPOINT, server.url) + "\n" + CONFIG.read_text()
        tf = Terraform(tmp_path / "tf", config, f"vgw={VGW}")

        def check(out: dict[str, Any]) -> None:
            check_doc_applied(server)
            check_applied(server, out["ids"]["value"])

        cycle(tf, check)
        check_destroyed(server)
    finally:
        server.stop()


def check_doc_applied(server: LiveServer) -> None:
    (conn,) = [
        c
        for c in dx(server, OWNER).describe_connections()["connections"]
        if c["connectionName"] == "primary"
    ]
    assert {t["key"]: t["value"] for t in conn["tags"]} == {"Team": "network"}
    (gw,) = [
        g
        for g in dx(server, ACCEPTER).describe_direct_connect_gateways()["directConnectGateways"]
        if g["directConnectGatewayName"] == "shared"
    ]
    assert gw["ownerAccount"] == ACCEPTER  # made with the assumed role's credentials


def check_applied(server: LiveServer, out: dict[str, str]) -> None:
    owner, accepter = dx(server, OWNER), dx(server, ACCEPTER)
    tagged = owner.describe_connections(connectionId=out["tagged"])["connections"][0]
    assert {t["key"]: t["value"] for t in tagged["tags"]} == {"Env": "ci", "Team": "net"}

    vif = owner.describe_virtual_interfaces(virtualInterfaceId=out["vif"])["virtualInterfaces"][0]
    assert vif["directConnectGatewayId"] == out["gateway"]
    families = {p["addressFamily"]: p for p in vif["bgpPeers"]}
    assert set(families) == {"ipv4", "ipv6"}
    assert families["ipv6"]["bgpPeerId"] == out["peer"] and families["ipv6"]["asn"] == 65002
    (assoc,) = owner.describe_direct_connect_gateway_associations(associationId=out["assoc"])[
        "directConnectGatewayAssociations"
    ]
    assert assoc["associationState"] == "associated"
    assert assoc["associatedGateway"]["id"] == VGW
    prefixes = {p["cidr"] for p in assoc["allowedPrefixesToDirectConnectGateway"]}
    assert prefixes == {"10.10.0.0/16", "10.20.0.0/16"}

    # The hosted VIF: owned by the accepting account, attached to its gateway.
    (hosted,) = accepter.describe_virtual_interfaces(virtualInterfaceId=out["hosted"])[
        "virtualInterfaces"
    ]
    assert hosted["ownerAccount"] == ACCEPTER
    assert hosted["directConnectGatewayId"] == out["accepter"]
    assert hosted["virtualInterfaceState"] in ("pending", "available", "down")
    gw = accepter.describe_direct_connect_gateways(directConnectGatewayId=out["accepter"])
    assert gw["directConnectGateways"][0]["ownerAccount"] == ACCEPTER

    (lag,) = owner.describe_lags(lagId=out["lag"])["lags"]
    assert (lag["lagName"], lag["connectionsBandwidth"]) == ("tf-lag", "1Gbps")

    (public,) = owner.describe_virtual_interfaces(virtualInterfaceId=out["public_vif"])[
        "virtualInterfaces"
    ]
    assert public["virtualInterfaceType"] == "public"
    assert {p["cidr"] for p in public["routeFilterPrefixes"]} == {
        "210.52.109.0/24",
        "175.45.176.0/22",
    }


def check_destroyed(server: LiveServer) -> None:
    """Nothing is left but the deleted."""
    owner, accepter = dx(server, OWNER), dx(server, ACCEPTER)
    gone = {"deleted", "deleting"}
    conns = owner.describe_connections()["connections"]
    assert len(conns) >= 5 and all(c["connectionState"] in gone for c in conns)
    vifs = owner.describe_virtual_interfaces()["virtualInterfaces"]
    assert all(v["virtualInterfaceState"] in gone for v in vifs)
    assert all(lag["lagState"] in gone for lag in owner.describe_lags()["lags"])
    for client in (owner, accepter):
        assert client.describe_direct_connect_gateways()["directConnectGateways"] == []
