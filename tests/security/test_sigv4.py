"""``--auth sigv4``: boto3 and the AWS CLI signing with a right key get through, a wrong
secret, an unknown key, a stale date or no signature get AWS's errors (issue 11, item 1;
server/auth.py)."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from dxlocal.config import Settings
from dxlocal.server.service import Service
from dxtest import LiveServer

CREDENTIALS = """# access key : secret : account
AKIDALPHA000001:alpha/secret+1:111111111111
AKIDBRAVO000002:bravo-secret-2:222222222222
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    where = tmp_path_factory.mktemp("sigv4")
    creds = where / "credentials"
    creds.write_text(CREDENTIALS)
    srv = LiveServer(where / "s.sqlite3", "--auth", "sigv4", "--credentials", str(creds))
    srv.start()
    yield srv
    srv.stop()


def client(server, key: str, secret: str, token: str | None = None):
    return boto3.client(
        "directconnect", region_name="us-east-1", endpoint_url=server.url,
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}),
    )  # fmt: skip


def error_of(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_a_right_key_acts_as_its_account(server):
    alpha = client(server, "AKIDALPHA000001", "alpha/secret+1")
    conn = alpha.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="signed")
    assert conn["ownerAccount"] == "111111111111" and conn["region"] == "us-east-1"
    bravo = client(server, "AKIDBRAVO000002", "bravo-secret-2")
    assert bravo.describe_connections()["connections"] == []  # another account's view


def test_a_wrong_secret_is_invalid_signature(server):
    code, message, status = error_of(
        lambda: client(server, "AKIDALPHA000001", "not-the-secret").describe_connections()
    )
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith("The request signature we calculated does not match")


def test_an_unknown_key_is_unrecognized(server):
    code, message, status = error_of(
        lambda: client(server, "123456789012", "x").describe_connections()
    )
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert message == "The security token included in the request is invalid."


@pytest.mark.parametrize(
    ("minutes", "words"), [(-16, "Signature expired"), (16, "not yet current")]
)
def test_a_signature_out_of_the_clock_window_is_refused(server, minutes, words):
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
        minutes=minutes
    )
    alpha = client(server, "AKIDALPHA000001", "alpha/secret+1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        code, message, _ = error_of(alpha.describe_connections)
    assert code == "InvalidSignatureException" and words in message and "5 min." in message


def test_a_four_minute_skew_is_accepted(server):
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(
        minutes=4
    )
    alpha = client(server, "AKIDALPHA000001", "alpha/secret+1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        assert "connections" in alpha.describe_connections()


def raw(server, headers: dict[str, str]) -> tuple[int, dict]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "OvertureService.DescribeConnections", **headers})  # fmt: skip
    resp = conn.getresponse()
    out = resp.status, json.loads(resp.read())
    conn.close()
    return out


def test_no_authorization_header_is_missing_token(server):
    status, body = raw(server, {})
    assert status == 400
    assert body == {"__type": "MissingAuthenticationTokenException",
                    "message": "Missing Authentication Token"}  # fmt: skip


def test_an_authorization_without_signature_is_incomplete(server):
    status, body = raw(server, {
        "X-Amz-Date": "20261201T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDALPHA000001/20261201/us-east-1/"
                         "directconnect/aws4_request, SignedHeaders=host;x-amz-date"})  # fmt: skip
    assert status == 400 and body["__type"] == "IncompleteSignatureException"
    assert "Authorization header requires 'Signature' parameter." in body["message"]


def test_the_aws_cli_signs_its_way_in_and_a_wrong_secret_does_not(server):
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    cmd = [exe] if exe else [sys.executable, "-m", "awscli"]

    def run(secret: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDBRAVO000002",
               "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
        return subprocess.run([*cmd, "directconnect", "describe-connections", "--endpoint-url",
                               server.url, "--output", "json"],
                              capture_output=True, text=True, env=env, timeout=60)  # fmt: skip

    good = run("bravo-secret-2")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {"connections": []}
    bad = run("wrong")
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr


# --- temporary credentials from STS AssumeRole ---------------------------------------------


def assume(server) -> dict:
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=server.url,
                       aws_access_key_id="AKIDALPHA000001", aws_secret_access_key="alpha/secret+1")  # fmt: skip
    return sts.assume_role(RoleArn="arn:aws:iam::444444444444:role/ops",
                           RoleSessionName="session")["Credentials"]  # fmt: skip


def test_assumed_role_credentials_need_their_session_token(server):
    creds = assume(server)
    role = client(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    conn = role.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="role")
    assert conn["ownerAccount"] == "444444444444"
    forged = client(server, creds["AccessKeyId"], creds["SecretAccessKey"], "forged-token")
    assert error_of(forged.describe_connections)[0] == "UnrecognizedClientException"
    tokenless = client(server, creds["AccessKeyId"], creds["SecretAccessKey"])
    assert error_of(tokenless.describe_connections)[0] == "UnrecognizedClientException"
    wrong = client(server, creds["AccessKeyId"], "not-its-secret", creds["SessionToken"])
    assert error_of(wrong.describe_connections)[0] == "InvalidSignatureException"


def test_sts_itself_answers_signature_failures_with_query_codes(server):
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=server.url,
                       aws_access_key_id="AKIDALPHA000001", aws_secret_access_key="wrong",
                       config=Config(retries={"total_max_attempts": 1}))  # fmt: skip
    code, message, status = error_of(sts.get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")


def signed(key: str, secret: str, token: str | None, body: bytes = b"{}") -> dict[str, str]:
    request = AWSRequest(method="POST", url="http://127.0.0.1:4599/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "OvertureService.DescribeConnections"})  # fmt: skip
    SigV4Auth(Credentials(key, secret, token), "directconnect", "us-east-1").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:4599"
    return headers


@pytest.fixture
def service():
    svc = Service(Settings(state=":memory:", auth="sigv4", credentials=CREDENTIALS))
    yield svc
    svc.close()


def test_expired_temporary_credentials_are_refused(service):
    record = {"accessKeyId": "ASIATEMP00000001", "secretAccessKey": "temp-secret",
              "sessionToken": "session-token-1", "expiration": service.auth.clock() + 3600,
              "account": "333333333333", "arn": "arn:aws:sts::333333333333:assumed-role/r/s"}  # fmt: skip
    with service.store.transaction() as tx:
        tx.insert("temporaryCredentials", "ASIATEMP00000001", record,
                  account="333333333333", region="us-east-1")  # fmt: skip
    headers = signed("ASIATEMP00000001", "temp-secret", "session-token-1")
    status, _, body = service.handle("POST", "/", headers, b"{}")
    assert status == 200, body
    service.auth.clock = lambda: record["expiration"] + 1
    status, _, body = service.handle("POST", "/", headers, b"{}")
    assert (status, json.loads(body)["__type"]) == (400, "ExpiredTokenException")


def test_a_body_changed_after_signing_is_refused(service):
    headers = signed("AKIDALPHA000001", "alpha/secret+1", None, b"{}")
    status, _, body = service.handle("POST", "/", headers, b'{"connectionId": "dxcon-ffffffff"}')
    assert (status, json.loads(body)["__type"]) == (400, "InvalidSignatureException")


def test_the_in_process_mode_never_checks_signatures(monkeypatch):
    from dxlocal.mock import mock_directconnect

    monkeypatch.setenv("DXLOCAL_AUTH", "sigv4")
    monkeypatch.setenv("DXLOCAL_CREDENTIALS", "AKIDALPHA000001:alpha:111111111111")
    with mock_directconnect():
        dx = boto3.client("directconnect", region_name="us-east-1")
        assert dx.describe_connections()["connections"] == []
