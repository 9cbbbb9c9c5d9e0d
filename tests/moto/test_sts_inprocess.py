"""STS in the in-process mode: mock_directconnect answers GetCallerIdentity (and the rest of
STS) as ``dxlocal serve`` does, except while moto's mock_aws is active, where moto keeps it."""

from __future__ import annotations

import boto3
import pytest

from dxlocal import mock_directconnect

moto = pytest.importorskip("moto", reason="moto is a test dependency (the test extra)")


def _sts(key: str = "111122223333"):
    return boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="dxlocal-secret",
    )


def test_caller_identity_in_process() -> None:
    with mock_directconnect():
        who = _sts().get_caller_identity()
        assert (who["Account"], who["Arn"]) == ("111122223333", "arn:aws:iam::111122223333:root")
        # A key that is not an account id acts as the default account, as on the server.
        assert _sts("AKIAIOSFODNN7EXAMPLE").get_caller_identity()["Account"] == "123456789012"


def test_assumed_role_in_process_acts_as_the_roles_account() -> None:
    with mock_directconnect():
        creds = _sts().assume_role(
            RoleArn="arn:aws:iam::444455556666:role/DxAdmin", RoleSessionName="ci"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="us-east-1",
        )
        who = session.client("sts").get_caller_identity()
        assert who["Arn"] == "arn:aws:sts::444455556666:assumed-role/DxAdmin/ci"
        dx = session.client("directconnect")
        cid = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="r")
        assert cid["ownerAccount"] == "444455556666"


@pytest.mark.parametrize("order", ["dxlocal-inside-moto", "moto-inside-dxlocal"])
def test_moto_keeps_sts_while_mock_aws_is_active(order: str) -> None:
    if order == "dxlocal-inside-moto":
        outer, inner = moto.mock_aws(), mock_directconnect()
    else:
        outer, inner = mock_directconnect(), moto.mock_aws()
    with outer:
        with inner:
            # moto's identity for any key is its own default account, not the key.
            assert _sts().get_caller_identity()["Account"] == moto.core.DEFAULT_ACCOUNT_ID
            # Direct Connect stays dxlocal's (moto has no DescribeLocations).
            dx = boto3.client("directconnect", region_name="us-east-1")
            assert dx.describe_locations()["locations"]
        if order == "moto-inside-dxlocal":
            # moto has stopped: dxlocal answers STS again.
            assert _sts().get_caller_identity()["Account"] == "111122223333"


def test_outside_any_mock_sts_is_not_answered() -> None:
    with mock_directconnect():
        pass
    client = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nothing listens: the request must leave
        aws_access_key_id="111122223333",
        aws_secret_access_key="x",
        config=boto3.session.Config(retries={"total_max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(Exception, match="Could not connect"):
        client.get_caller_identity()
