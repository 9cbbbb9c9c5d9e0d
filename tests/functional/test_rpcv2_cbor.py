"""The model's other protocol, Smithy RPC v2 CBOR: botocore's own CBOR serializer and parser
(the client is built from the pinned model with ``protocols`` narrowed to CBOR) reach the same
providers, in both modes."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.config import Config


@pytest.fixture(scope="module")
def cbor_session(tmp_path_factory):
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    model = loader.load_service_model("directconnect", "service-2")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    root = tmp_path_factory.mktemp("models")
    target = root / "directconnect" / model["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    loader.search_paths.insert(0, str(root))
    return session


def cbor_client(dx, session, account="123456789012"):
    client = session.create_client(
        "directconnect",
        region_name="us-east-1",
        endpoint_url=dx.endpoint or "http://dxlocal.invalid",
        aws_access_key_id=account,
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    sent = []
    client.meta.events.register(
        "before-send.directconnect",
        lambda request, **_: sent.append(request) and None,
        unique_id="record",
        unique_id_uses_count=False,
    )
    return client, sent


def test_bgp_peer_flow_over_cbor(dx, cbor_session):
    client, sent = cbor_client(dx, cbor_session)
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="cbor")
    assert conn["connectionState"] == "requested"
    vif = client.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "cbor",
            "vlan": 42,
            "asn": 65000,
            "virtualGatewayId": "vgw-0a1b2c3d",
        },
    )
    out = client.create_bgp_peer(
        virtualInterfaceId=vif["virtualInterfaceId"],
        newBGPPeer={"asnLong": 4200000000, "addressFamily": "ipv6"},
    )
    peer = next(p for p in out["virtualInterface"]["bgpPeers"] if p["addressFamily"] == "ipv6")
    assert peer["asn"] == 0 and peer["asnLong"] == 4200000000
    with pytest.raises(client.exceptions.DirectConnectClientException) as info:
        client.create_bgp_peer(
            virtualInterfaceId=vif["virtualInterfaceId"],
            newBGPPeer={"asn": 65001, "addressFamily": "ipv6"},
        )
    assert "ipv6" in info.value.response["Error"]["Message"]
    assert sent[0].url.endswith("/service/OvertureService/operation/CreateConnection")
    assert (
        sent[0].headers["smithy-protocol"] == b"rpc-v2-cbor"
        or sent[0].headers["smithy-protocol"] == "rpc-v2-cbor"
    )


def test_blobs_and_timestamps_over_cbor(dx, cbor_session):
    client, _ = cbor_client(dx, cbor_session)
    conn = client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="loa")
    conn = dx.wait(
        lambda: client.describe_connections(connectionId=conn["connectionId"])["connections"][0],
        lambda c: c["connectionState"] == "available",
    )
    loa = client.describe_loa(connectionId=conn["connectionId"])
    assert loa["loaContent"].startswith(b"%PDF")
    described = client.describe_connections(connectionId=conn["connectionId"])["connections"][0]
    assert described["loaIssueTime"].year >= 2024  # a datetime, parsed from a tag-1 epoch


def test_unknown_operation_path(dx, cbor_session):
    if dx.mode != "server":
        pytest.skip("raw HTTP needs the live server")
    import http.client

    conn = http.client.HTTPConnection(dx.endpoint.split("//")[1])
    conn.request(
        "POST",
        "/service/OvertureService/operation/NoSuchThing",
        body=b"\xa0",
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
    )
    resp = conn.getresponse()
    from dxlocal.protocol import cbor

    body = cbor.loads(resp.read())
    assert resp.status == 400 and body["__type"] == "UnknownOperationException"
    assert resp.getheader("smithy-protocol") == "rpc-v2-cbor"
    conn.request(
        "POST",
        "/service/OvertureService/operation/CreateConnection",
        body=b"\xa1\x61",
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
    )
    resp = conn.getresponse()
    assert resp.status == 400 and cbor.loads(resp.read())["__type"] == "SerializationException"
