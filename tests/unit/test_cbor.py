"""The CBOR codec against RFC 8949 Appendix A examples."""

from __future__ import annotations

import pytest

from dxlocal.protocol import cbor

VECTORS = [  # (value, encoding) that round-trip
    (0, "00"),
    (23, "17"),
    (24, "1818"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (-1, "20"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (1.1, "fb3ff199999999999a"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ("\u00fc", "62c3bc"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    ({}, "a0"),
    ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
]
DECODE_ONLY = [  # encodings other encoders may send
    ("f93e00", 1.5),
    ("fa47c35000", 100000.0),
    ("f97bff", 65504.0),
    ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"),
    ("7f657374726561646d696e67ff", "streaming"),
    ("9fff", []),
    ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
    ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
    ("f7", None),
]


@pytest.mark.parametrize(("value", "hexed"), VECTORS)
def test_round_trip(value, hexed):
    assert cbor.dumps(value).hex() == hexed
    assert cbor.loads(bytes.fromhex(hexed)) == value


@pytest.mark.parametrize(("hexed", "value"), DECODE_ONLY)
def test_decode(hexed, value):
    assert cbor.loads(bytes.fromhex(hexed)) == value


def test_epoch_timestamp_tag():
    value = cbor.loads(bytes.fromhex("c11a514b67b0"))
    assert isinstance(value, cbor.Timestamp) and value == 1363896240
    assert cbor.dumps(cbor.Timestamp(1363896240.5)).hex() == "c1fb41d452d9ec200000"


@pytest.mark.parametrize(
    "hexed", ["", "18", "62c3", "a161", "ff", "1c", "8201", "c1616161", "0000", "62ffff"]
)
def test_malformed_input_is_a_cbor_error(hexed):
    with pytest.raises(cbor.CborError):
        cbor.loads(bytes.fromhex(hexed))


def test_nesting_is_bounded():
    with pytest.raises(cbor.CborError):
        cbor.loads(b"\x81" * 100 + b"\x00")


def test_text_that_is_not_utf8():
    with pytest.raises(cbor.CborError):
        cbor.loads(bytes.fromhex("63eda080"))  # a UTF-16 surrogate spelt in UTF-8 bytes
