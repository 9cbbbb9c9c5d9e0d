"""awsQuery request parsing and XML answers, checked against botocore's own serializer and
parser for the same shapes."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from dxlocal import spec
from dxlocal.core.errors import ApiError
from dxlocal.protocol import awsquery

STS = awsquery.AwsQuery("https://sts.amazonaws.com/doc/2011-06-15/")


def model(service: str):
    # CloudWatch lists awsQuery too; its model comes from botocore for this test.
    if service in spec.available():
        return spec.service_model(service)
    return botocore.session.get_session().get_service_model(service)


def roundtrip(service: str, name: str, params: dict) -> dict:
    op = model(service).operation_model(name)
    request = QuerySerializer().serialize_to_request(params, op)
    return awsquery.parse_form(op.input_shape, awsquery.form(urlencode(request["body"]).encode()))


def test_lists_of_structures_and_scalars():
    params = {
        "RoleArn": "arn:aws:iam::444455556666:role/A",
        "RoleSessionName": "s",
        "DurationSeconds": 900,
        "Tags": [{"Key": "team", "Value": "net"}, {"Key": "env", "Value": "ci"}],
        "TransitiveTagKeys": ["team"],
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
    }
    assert roundtrip("sts", "AssumeRole", params) == params


def test_nested_lists_numbers_and_timestamps():
    when = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    params = {
        "Namespace": "AWS/DX",
        "MetricData": [
            {
                "MetricName": "ConnectionState",
                "Dimensions": [{"Name": "ConnectionId", "Value": "dxcon-abcd1234"}],
                "Timestamp": when,
                "Value": 1.0,
                "Values": [1.0, 0.0],
                "StorageResolution": 60,
            }
        ],
        "StrictEntityValidation": True,
    }
    parsed = roundtrip("cloudwatch", "PutMetricData", params)
    assert parsed["MetricData"][0]["Timestamp"] == when.timestamp()
    parsed["MetricData"][0]["Timestamp"] = when
    assert parsed == params


def test_empty_list():
    assert (
        roundtrip("sts", "AssumeRole", {"RoleArn": "a" * 20, "RoleSessionName": "s", "Tags": []})[
            "Tags"
        ]
        == []
    )


@pytest.mark.parametrize(
    "body",
    [
        b"Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/A&RoleSessionName=s&DurationSeconds=x",
        b"Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/A&RoleSessionName=s&Tags.1.Key=k",
        b"Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/A",
        b"Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/A&RoleSessionName=s&DurationSeconds=99999",
        b"\xff\xfe",
    ],
)
def test_bad_forms_are_validation_errors(body):
    with pytest.raises(ApiError) as info:
        STS.parse(spec.service_model("sts").operation_model("AssumeRole"), body)
    assert info.value.code == "ValidationError"
    assert info.value.status == 400


def test_answer_reads_back_with_botocores_parser():
    op = spec.service_model("sts").operation_model("AssumeRole")
    result = {
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s<&>", "SessionToken": "t",
            "Expiration": 1796126400.0,
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROAX:s", "Arn": "arn:aws:sts::4:assumed-role/A/s"},
        "PackedPolicySize": 6,
        "NotInTheModel": "dropped",
    }  # fmt: skip
    body = STS.serialize(op, result, "req-1")
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 200}, op.output_shape)
    assert parsed["Credentials"]["SecretAccessKey"] == "s<&>"
    assert parsed["Credentials"]["Expiration"] == dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert parsed["PackedPolicySize"] == 6
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
    assert "NotInTheModel" not in parsed


def test_error_reads_back_with_botocores_parser():
    error = ApiError("bad <input>")
    error.code = "ValidationError"
    body = STS.error(error, "req-2")
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 400}, None)
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "bad <input>",
    }
