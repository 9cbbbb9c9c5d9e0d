"""STS on the Direct Connect port, with boto3 and the AWS CLI, unmodified."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dxtest import LiveServer

ROLE = "arn:aws:iam::444455556666:role/network/DxAdmin"


def client(server, service: str, key: str = "111122223333", **extra):
    extra.setdefault("config", Config(retries={"total_max_attempts": 1}))
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="dxlocal-secret",
        **extra,
    )


def as_role(server, service: str, creds: dict):
    return client(
        server,
        service,
        creds["AccessKeyId"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def server(live_server):
    live_server.control("POST", "/reset")
    return live_server


def test_caller_identity_is_the_account_of_the_key(server):
    who = client(server, "sts").get_caller_identity()
    assert who["Account"] == "111122223333"
    assert who["Arn"] == "arn:aws:iam::111122223333:root"
    assert who["UserId"] == "111122223333"
    other = client(server, "sts", key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()
    assert other["Account"] == "123456789012"  # not 12 digits: the default account


def test_assume_role_then_direct_connect_acts_as_the_roles_account(server):
    sts = client(server, "sts")
    before = time.time()
    answer = sts.assume_role(RoleArn=ROLE, RoleSessionName="ci-run.1", DurationSeconds=1800)
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) > 100
    # Expiration follows dxlocal's clock, which /_dxlocal/advance may have moved ahead.
    assert creds["Expiration"].timestamp() >= before + 1790
    short = sts.assume_role(RoleArn=ROLE, RoleSessionName="short", DurationSeconds=900)
    gap = creds["Expiration"] - short["Credentials"]["Expiration"]
    assert 895 <= gap.total_seconds() <= 900
    user = answer["AssumedRoleUser"]
    assert user["Arn"] == "arn:aws:sts::444455556666:assumed-role/DxAdmin/ci-run.1"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":ci-run.1")
    # The same role keeps its unique id across sessions.
    again = sts.assume_role(RoleArn=ROLE, RoleSessionName="other")
    assert (
        again["AssumedRoleUser"]["AssumedRoleId"].split(":")[0]
        == user["AssumedRoleId"].split(":")[0]
    )

    who = as_role(server, "sts", creds).get_caller_identity()
    assert who == {
        **who,
        "Account": "444455556666",
        "Arn": user["Arn"],
        "UserId": user["AssumedRoleId"],
    }
    dx = as_role(server, "directconnect", creds)
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="as-role")
    assert conn["ownerAccount"] == "444455556666"
    assert [c["connectionId"] for c in dx.describe_connections()["connections"]] == [
        conn["connectionId"]
    ]
    assert client(server, "directconnect").describe_connections()["connections"] == []
    info = sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert info["Account"] == "444455556666"


def test_role_chaining_is_limited_to_one_hour(server):
    creds = client(server, "sts").assume_role(RoleArn=ROLE, RoleSessionName="first")["Credentials"]
    chained = as_role(server, "sts", creds)
    with pytest.raises(ClientError) as info:
        chained.assume_role(RoleArn=ROLE, RoleSessionName="second", DurationSeconds=7200)
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert "1 hour session limit" in info.value.response["Error"]["Message"]
    hop = chained.assume_role(
        RoleArn="arn:aws:iam::777788889999:role/Next", RoleSessionName="second"
    )
    assert (
        as_role(server, "sts", hop["Credentials"]).get_caller_identity()["Account"]
        == "777788889999"
    )


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        (
            {"RoleArn": ROLE, "RoleSessionName": "has space"},
            "ValidationError",
            "regular expression pattern",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "x" * 65},
            "ValidationError",
            "less than or equal to 64",
        ),
        (
            {"RoleArn": "arn:aws:iam::4444:role/Short", "RoleSessionName": "ok"},
            "ValidationError",
            "invalid",
        ),
        (
            {"RoleArn": "arn:aws:s3:::bucket-not-a-role", "RoleSessionName": "ok"},
            "ValidationError",
            "invalid",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "ok", "Policy": "{not json"},
            "MalformedPolicyDocument",
            "JSON",
        ),
    ],
)
def test_bad_assume_role_requests(server, params, code, text):
    with pytest.raises(ClientError) as info:
        client(server, "sts").assume_role(**params)
    error = info.value.response["Error"]
    assert (error["Code"], error["Type"]) == (code, "Sender")
    assert text in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_input_outside_the_model_is_a_validation_error(server):
    # botocore checks these on the client side; a client that does not reaches the server.
    raw = client(
        server, "sts", config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )
    for params, text in (
        (
            {"RoleArn": ROLE, "RoleSessionName": "ok", "DurationSeconds": 60},
            "greater than or equal to 900",
        ),
        ({"RoleArn": ROLE}, "Value null at 'RoleSessionName'"),
    ):
        with pytest.raises(ClientError) as info:
            raw.assume_role(**params)
        assert info.value.response["Error"]["Code"] == "ValidationError"
        assert text in info.value.response["Error"]["Message"]


def test_unimplemented_sts_action_is_named(server):
    with pytest.raises(ClientError) as info:
        client(server, "sts").get_session_token()
    assert info.value.response["Error"]["Code"] == "InvalidAction"
    assert "GetSessionToken" in info.value.response["Error"]["Message"]


def test_temporary_credentials_survive_a_restart(tmp_path):
    server = LiveServer(tmp_path / "state.sqlite3").start()
    try:
        creds = client(server, "sts").assume_role(RoleArn=ROLE, RoleSessionName="keep")[
            "Credentials"
        ]
    finally:
        server.stop()
    server.start()
    try:
        assert as_role(server, "sts", creds).get_caller_identity()["Account"] == "444455556666"
    finally:
        server.stop()


def test_expired_credentials_are_refused(server):
    creds = client(server, "sts").assume_role(RoleArn=ROLE, RoleSessionName="old")["Credentials"]
    record = server.control("GET", f"/records/temporaryCredentials/{creds['AccessKeyId']}")
    server.control(
        "PATCH",
        f"/records/temporaryCredentials/{creds['AccessKeyId']}",
        {"expiration": record["expiration"] - 7200},
    )
    for service, call in (
        ("sts", "get_caller_identity"),
        ("directconnect", "describe_connections"),
    ):
        with pytest.raises(ClientError) as info:
            getattr(as_role(server, service, creds), call)()
        assert info.value.response["Error"]["Code"] == "ExpiredTokenException"


def aws_cli(server, env: dict[str, str], *args: str) -> dict:
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    cmd = [exe] if exe else [sys.executable, "-m", "awscli"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = subprocess.run(
        [*cmd, *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True, text=True, timeout=60,
        env={**base, "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", **env},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_aws_cli_assume_role_then_direct_connect(server):
    keys = {"AWS_ACCESS_KEY_ID": "111122223333", "AWS_SECRET_ACCESS_KEY": "dxlocal-secret"}
    assert aws_cli(server, keys, "sts", "get-caller-identity")["Account"] == "111122223333"
    creds = aws_cli(server, keys, "sts", "assume-role", "--role-arn", ROLE,
                    "--role-session-name", "cli")["Credentials"]  # fmt: skip
    role = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    assert aws_cli(server, role, "sts", "get-caller-identity")["Arn"].endswith(
        ":assumed-role/DxAdmin/cli"
    )
    gw = aws_cli(server, role, "directconnect", "create-direct-connect-gateway",
                 "--direct-connect-gateway-name", "by-role", "--amazon-side-asn", "64512")  # fmt: skip
    assert gw["directConnectGateway"]["ownerAccount"] == "444455556666"
