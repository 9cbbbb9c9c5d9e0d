"""Several ``dxlocal serve`` on one PostgreSQL database: the rules a call checks hold across
servers under concurrent conflicting calls, ids stay unique, lifecycle steps fire once, and a
server killed with SIGKILL loses no acknowledged write while the others keep serving."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from servers import Fleet

from dxtest import wait_until

VGW = "vgw-0a1b2c3d"


def _outcome(call: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "ok", call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response["Error"].get("Message")


def _connection(client: Any, name: str, location: str = "CSVA1") -> str:
    cid = client.create_connection(location=location, bandwidth="10Gbps", connectionName=name)[
        "connectionId"
    ]
    state = wait_until(
        lambda: client.describe_connections(connectionId=cid)["connections"][0]["connectionState"],
        lambda s: s == "available",
    )
    assert state == "available"
    return cid


def _vif(client: Any, cid: str, vlan: int) -> str:
    return client.create_private_virtual_interface(
        connectionId=cid,
        newPrivateVirtualInterface={
            "virtualInterfaceName": f"v{vlan}",
            "vlan": vlan,
            "asn": 65000,
            "virtualGatewayId": VGW,
        },
    )["virtualInterfaceId"]


def _peers(client: Any, vif_id: str) -> list[dict[str, Any]]:
    vif = client.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    return [p for p in vif["bgpPeers"] if p["bgpPeerState"] not in ("deleting", "deleted")]


def test_conflicting_calls_across_three_servers_break_no_rule(pg_url):
    with Fleet(pg_url, 3) as fleet:
        setup = fleet.servers[0].client()
        clients = fleet.clients()
        # Fixtures for each race, made through one server.
        peer_vifs = []
        conns = [_connection(setup, f"race-{i}") for i in range(5)]
        for i in range(10):
            peer_vifs.append(_vif(setup, conns[i % 5], 100 + i))
        last_vifs = []
        for i in range(60):
            vif_id = _vif(setup, conns[i % 5], 200 + i)
            setup.create_bgp_peer(
                virtualInterfaceId=vif_id, newBGPPeer={"asn": 65001, "addressFamily": "ipv6"}
            )
            last_vifs.append(vif_id)
        gateways = [
            setup.create_direct_connect_gateway(
                directConnectGatewayName=f"g{i}", amazonSideAsn=64512
            )["directConnectGateway"]["directConnectGatewayId"]
            for i in range(100)
        ]
        ipv4_of = {v: next(p for p in _peers(setup, v) if p["addressFamily"] == "ipv4")
                   for v in last_vifs}  # fmt: skip
        ipv6_of = {v: next(p for p in _peers(setup, v) if p["addressFamily"] == "ipv6")
                   for v in last_vifs}  # fmt: skip
        quota_accounts = ["210000000001", "210000000002", "210000000003"]
        quota_clients = {a: fleet.clients(a) for a in quota_accounts}

        calls: list[tuple[str, str, Any, dict[str, Any]]] = []
        for v in peer_vifs:  # one IPv6 peer per VIF (no logical redundancy): 250 calls
            for n in range(25):
                calls.append(("peer", v, next(clients).create_bgp_peer,
                              {"virtualInterfaceId": v,
                               "newBGPPeer": {"asn": 64000 + n, "addressFamily": "ipv6"}}))  # fmt: skip
        for c in conns:  # one VLAN once per connection: 250 calls
            for n in range(50):
                calls.append(("vlan", c, next(clients).create_private_virtual_interface,
                              {"connectionId": c, "newPrivateVirtualInterface": {
                                  "virtualInterfaceName": f"dup{n}", "vlan": 3000,
                                  "asn": 65000, "virtualGatewayId": VGW}}))  # fmt: skip
        for v in last_vifs:  # the last peer, deleted from two sides: 120 calls
            for peer in (ipv4_of[v], ipv6_of[v]):
                calls.append(("last", v, next(clients).delete_bgp_peer,
                              {"virtualInterfaceId": v, "bgpPeerId": peer["bgpPeerId"]}))  # fmt: skip
        for a in quota_accounts:  # 10 active connections per location: 300 calls
            for n in range(100):
                calls.append(("quota", a, next(quota_clients[a]).create_connection,
                              {"location": "EqDC2", "bandwidth": "1Gbps",
                               "connectionName": f"q{n}"}))  # fmt: skip
        for g in gateways:  # a VGW on one Direct Connect gateway: 100 calls
            calls.append(("vgw", VGW, next(clients).create_direct_connect_gateway_association,
                          {"directConnectGatewayId": g, "virtualGatewayId": VGW}))  # fmt: skip
        assert len(calls) >= 1000
        random.Random(14).shuffle(calls)

        with ThreadPoolExecutor(max_workers=32) as pool:
            outcomes = list(pool.map(lambda c: (c[0], c[1], *_outcome(c[2], **c[3])), calls))

        codes = Counter(code for _, _, code, _ in outcomes)
        assert set(codes) <= {"ok", "DirectConnectClientException"}, codes
        wins = Counter((race, key) for race, key, code, _ in outcomes if code == "ok")

        check = fleet.servers[2].client()
        for v in peer_vifs:
            assert wins[("peer", v)] == 1
            assert len([p for p in _peers(check, v) if p["addressFamily"] == "ipv6"]) == 1
        for c in conns:
            assert wins[("vlan", c)] == 1
            vifs = check.describe_virtual_interfaces(connectionId=c)["virtualInterfaces"]
            assert sum(1 for x in vifs if x["vlan"] == 3000) == 1
        for v in last_vifs:
            assert wins[("last", v)] == 1
            assert len(_peers(check, v)) == 1
        for a in quota_accounts:
            assert wins[("quota", a)] == 10
            mine = fleet.servers[1].client(a).describe_connections()["connections"]
            assert sum(1 for x in mine if x["location"] == "EqDC2") == 10
        assert wins[("vgw", VGW)] == 1
        assocs = check.describe_direct_connect_gateway_associations(virtualGatewayId=VGW)
        live = [x for x in assocs["directConnectGatewayAssociations"]
                if x["associationState"] in ("associating", "associated")]  # fmt: skip
        assert len(live) == 1

        # Ids minted on three servers at once never collided.
        created = [r for race, _, code, r in outcomes if code == "ok" and race in ("quota", "vlan")]
        ids = [r.get("connectionId") if "connectionState" in r else r["virtualInterfaceId"]
               for r in created]  # fmt: skip
        assert len(ids) == len(set(ids)) == 35


def test_lifecycle_steps_fire_once_across_servers(pg_url):
    """Gateway associations made on every server step to ``associated`` (a timer each,
    fired by whichever server gets to it first), and no step fails or is applied twice."""
    with Fleet(pg_url, 3) as fleet:
        clients = fleet.clients("220000000001")
        ids = []
        for i in range(30):
            client = next(clients)
            gw = client.create_direct_connect_gateway(
                directConnectGatewayName=f"g{i}", amazonSideAsn=64512
            )["directConnectGateway"]["directConnectGatewayId"]
            ids.append(client.create_direct_connect_gateway_association(
                directConnectGatewayId=gw, virtualGatewayId=f"vgw-{i:08x}"
            )["directConnectGatewayAssociation"]["associationId"])  # fmt: skip
        check = fleet.servers[0].client("220000000001")

        def states():
            return [
                check.describe_direct_connect_gateway_associations(associationId=a)[
                    "directConnectGatewayAssociations"
                ][0]["associationState"]
                for a in ids
            ]

        assert wait_until(states, lambda s: s.count("associated") == 30).count("associated") == 30
        for s in fleet.servers:
            assert "Traceback" not in s.output() and "dropped" not in s.output()


def test_a_killed_server_loses_no_acknowledged_write(pg_url):
    with Fleet(pg_url, 2) as fleet:
        a, b = fleet.servers
        acked: list[tuple[str, str]] = []
        after_kill: list[str] = []
        errors: Counter[str] = Counter()
        killed = threading.Event()
        lock = threading.Lock()

        def writer(n: int) -> None:
            for i in range(400):
                if killed.is_set() and len(after_kill) >= 200:
                    return
                # A new account every 10 calls keeps under the per-location quota.
                account = f"23{n:02}{i // 10:08}"
                server = (a, b)[i % 2]
                try:
                    cid = server.client(account).create_connection(
                        location="EqDC2", bandwidth="1Gbps", connectionName=f"w{n}-{i}"
                    )["connectionId"]
                except Exception as exc:  # not acknowledged; classified below
                    errors[type(exc).__name__] += 1
                    continue
                with lock:
                    acked.append((account, cid))
                    if killed.is_set():
                        after_kill.append(cid)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked), lambda n: n >= 300, timeout=60)
        a.kill()
        killed.set()
        for t in threads:
            t.join(120)
        assert len(after_kill) >= 100  # the survivor kept serving
        seen: set[tuple[str, str]] = set()
        for account in {acc for acc, _ in acked}:
            found = b.client(account).describe_connections()["connections"]
            seen |= {(account, c["connectionId"]) for c in found}
        assert len(acked) >= 400
        assert set(acked) <= seen
        unexpected = {k: v for k, v in errors.items()
                      if k not in ("EndpointConnectionError", "ConnectionClosedError")}  # fmt: skip
        assert not unexpected, errors


@pytest.fixture(autouse=True)
def _needs_postgres(pg_url):
    return pg_url


def test_a_shared_lab_as_the_readme_runs_it(pg_url, tmp_path):
    """README "A shared lab": two servers, one database, --auth sigv4 with one credentials
    file; a signed client sees one lab through either server, a bad signature gets nothing."""
    import boto3

    keys = tmp_path / "keys"
    keys.write_text("AKIALABALPHA000000001:alpha-secret:310000000001\n")
    extra = ("--auth", "sigv4", "--credentials", str(keys))
    with Fleet(pg_url, 2, *extra) as fleet:

        def client(server, secret="alpha-secret"):
            return boto3.client("directconnect", region_name="us-east-1",
                                endpoint_url=server.url,
                                aws_access_key_id="AKIALABALPHA000000001",
                                aws_secret_access_key=secret)  # fmt: skip

        a, b = fleet.servers
        made = client(a).create_connection(
            location="EqDC2", bandwidth="1Gbps", connectionName="shared"
        )
        seen = client(b).describe_connections(connectionId=made["connectionId"])["connections"]
        assert seen[0]["ownerAccount"] == "310000000001"
        code, _ = _outcome(client(b, "wrong").describe_connections)
        assert code != "ok"
