"""Seeded, model-driven API requests for the fuzzers (tests/fuzz, benchmarks/fuzz_long.py).

Every operation of the Direct Connect model is visited in turn; each request fills the
operation's input members from their shapes (ids drawn from the records that exist, enum
values, numbers at and past their ranges) and then breaks some of them: the wrong type, a
null, a huge or deeply nested value, an unknown member. Bodies go out as awsJson 1.1 or as
Smithy RPC v2 CBOR. ``hostile_http`` builds raw HTTP/1.1 framing that no client should send.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from dxlocal import spec
from dxlocal.protocol import cbor

ACCOUNTS = ("123456789012", "111111111111", "222222222222")
WEIRD_STRINGS = ["", " ", "\x00", "\u202e", "ü" * 40, "x" * 3000, "dxcon-", "vgw-0", "null",
                 "../../etc/passwd", "%s%n", "{}", "1e309", "-1", "\ud7ff"]  # fmt: skip
WRONG = [None, True, -1, 2**40, 2**70, 1.5, float("inf"), "s", [], {}, [1, "x"], {"a": {"b": []}}]


@dataclass
class Request:
    operation: str
    account: str
    wire: str  # "json" | "cbor"
    path: str
    headers: dict[str, str]
    body: bytes


class Generator:
    def __init__(self, seed: int, known_ids: dict[str, list[str]] | None = None) -> None:
        self.rng = random.Random(seed)
        self.model = spec.service_model()
        self.operations = sorted(self.model.operation_names)
        self.known = known_ids or {}

    # --- values -----------------------------------------------------------------------------

    def _id(self, name: str) -> str:
        pool = [i for ids in self.known.values() for i in ids]
        for prefix, ids in self.known.items():
            if prefix.lower() in name.lower():
                pool = ids
                break
        if pool and self.rng.random() < 0.7:
            return self.rng.choice(pool)
        return self.rng.choice(["dxcon-fzzzzzzz", "dxlag-fzzzzzzz", "dxvif-fzzzzzzz",
                                "vgw-0a1b2c3d", "tgw-0123456789abcdef0", "x"])  # fmt: skip

    def value(self, shape: Any, name: str, depth: int = 0, binary: bool = False) -> Any:
        rng = self.rng
        if rng.random() < 0.06:
            return self.wrong(depth)
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, depth + 1, binary)
        if kind == "list":
            if depth > 4:
                return []
            return [
                self.value(shape.member, name, depth + 1, binary) for _ in range(rng.randint(0, 4))
            ]
        if kind == "map":
            return {rng.choice(["k", "", "x" * 200]): self.value(shape.value, name, depth + 1, binary)
                    for _ in range(rng.randint(0, 3))}  # fmt: skip
        if kind == "string":
            if shape.enum and rng.random() < 0.6:
                return rng.choice(shape.enum)
            if name.endswith(("Id", "Ids")) and rng.random() < 0.8:
                return self._id(name)
            return rng.choice([*WEIRD_STRINGS, "EqDC2", "1Gbps", "10.0.0.0/16", "ipv4", "65000"])
        if kind in ("integer", "long"):
            low = shape.metadata.get("min", 0)
            return rng.choice(
                [0, 1, low - 1, 101, 4094, 4095, 65000, 2**31, 2**32 + 1, -(2**31) - 1]
            )
        if kind == "boolean":
            return rng.random() < 0.5
        if kind in ("double", "float"):
            return rng.choice([0.0, -1.5, 1e308, 3.25])
        if kind == "timestamp":
            return rng.choice([0, 1.7e9, -1, 1e20])
        if kind == "blob":
            raw = rng.randbytes(rng.randint(0, 64))
            return raw if binary else base64.b64encode(raw).decode()
        return None

    def wrong(self, depth: int) -> Any:
        if self.rng.random() < 0.05:
            nested: Any = "deep"
            for _ in range(self.rng.choice([50, 200, 600])):
                nested = [nested]
            return nested
        return self.rng.choice(WRONG)

    def structure(self, shape: Any, depth: int = 0, binary: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            if self.rng.random() < (0.9 if name in required else 0.5):
                out[name] = self.value(member, name, depth, binary)
        if self.rng.random() < 0.05:
            out[self.rng.choice(["unknownMember", "__type", ""])] = self.wrong(depth)
        return out

    # --- requests ---------------------------------------------------------------------------

    def request(self, index: int) -> Request:
        op = self.operations[index % len(self.operations)]
        shape = self.model.operation_model(op).input_shape
        wire = "cbor" if index % 2 else "json"
        params = self.structure(shape, binary=wire == "cbor") if shape is not None else {}
        account = self.rng.choice(ACCOUNTS)
        auth = (f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/directconnect/"
                "aws4_request, SignedHeaders=host, Signature=0")  # fmt: skip
        if wire == "json":
            try:
                body = orjson.dumps(params)
            except (TypeError, orjson.JSONEncodeError):
                body = b'{"unencodable": true}'
            if self.rng.random() < 0.02:
                body = _mangle(self.rng, body)
            headers = {"content-type": "application/x-amz-json-1.1",
                       "x-amz-target": f"{spec.TARGET_PREFIX}.{op}", "authorization": auth}  # fmt: skip
            return Request(op, account, wire, "/", headers, body)
        try:
            body = cbor.dumps(params)
        except (TypeError, ValueError, OverflowError, RecursionError):
            body = cbor.dumps({})
        if self.rng.random() < 0.02:
            body = _mangle(self.rng, body)
        headers = {"content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor",
                   "accept": "application/cbor", "authorization": auth}  # fmt: skip
        return Request(
            op, account, wire, f"/service/{spec.TARGET_PREFIX}/operation/{op}", headers, body
        )

    def requests(self, count: int) -> Iterator[Request]:
        for i in range(count):
            yield self.request(i)


def _mangle(rng: random.Random, body: bytes) -> bytes:
    out = bytearray(body or b"{")
    for _ in range(rng.randint(1, 6)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out[: rng.randint(0, len(out))])


# --- hostile HTTP framing ---------------------------------------------------------------------


def hostile_http(rng: random.Random, port: int) -> bytes:
    """One connection's worth of bytes that break HTTP/1.1 framing in some way."""
    body = b'{"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "fz"}'
    target = f"{spec.TARGET_PREFIX}.DescribeConnections"
    base = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}",
            "Content-Type: application/x-amz-json-1.1", f"X-Amz-Target: {target}"]  # fmt: skip
    kind = rng.randrange(12)
    if kind == 0:  # Content-Length disagreeing with itself
        head = [*base, "Content-Length: 5", f"Content-Length: {len(body)}"]
    elif kind == 1:  # both Content-Length and chunked
        head = [*base, f"Content-Length: {len(body)}", "Transfer-Encoding: chunked"]
        body = b"zz\r\n" + body + b"\r\n0\r\n\r\n"
    elif kind == 2:  # broken chunk sizes
        head = [*base, "Transfer-Encoding: chunked"]
        body = rng.choice(
            [b"-5\r\nab\r\n0\r\n\r\n", b"ffffffffffffffffff\r\n", b"3\r\nabcdef\r\n0\r\n\r\n"]
        )
    elif kind == 3:  # a negative or absurd length
        head = [
            *base,
            f"Content-Length: {rng.choice(['-1', '1e9', '99999999999999999999', 'abc'])}",
        ]
    elif kind == 4:  # header without a colon, or with a bare CR / NUL in it
        head = [*base, rng.choice(["NoColonHere", "X-A: b\rc", "X-\x00: 1", " Folded: x"]),
                f"Content-Length: {len(body)}"]  # fmt: skip
    elif kind == 5:  # an unknown method or version
        head = [f"{rng.choice(['BREW', 'GET', 'PUT', 'P0ST'])} / HTTP/{rng.choice(['1.1', '2.0', '9.9'])}",
                *base[1:], f"Content-Length: {len(body)}"]  # fmt: skip
    elif kind == 6:  # a request cut short (the server must not wait forever: header timeout)
        return ("\r\n".join(base) + "\r\nContent-Length: 500\r\n\r\n").encode() + body[:10]
    elif kind == 7:  # random bytes
        return rng.randbytes(rng.randint(1, 2000))
    elif kind == 8:  # a target with an absolute URI or odd path
        head = [f"POST {rng.choice(['http://evil/', '*', '//x', '/%00', '/?' + 'a' * 1000])} HTTP/1.1",
                *base[1:], f"Content-Length: {len(body)}"]  # fmt: skip
    elif kind == 9:  # upgrade / h2c
        head = [*base, "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c",
                f"Content-Length: {len(body)}"]  # fmt: skip
    elif kind == 10:  # a valid request, then garbage on the same connection
        head = [*base, f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body + rng.randbytes(rng.randint(1, 300))
    else:  # many pipelined requests with one bad in the middle
        one = ("\r\n".join([*base, "Content-Length: 2"]) + "\r\n\r\n{}").encode()
        return one * rng.randint(1, 5) + b"BAD\r\n\r\n" + one
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def status_codes(raw: bytes) -> list[int]:
    """The status codes of the answers in ``raw`` (status lines only)."""
    codes = []
    for line in raw.split(b"\r\n"):
        if line.startswith(b"HTTP/1.1 ") and len(line) >= 12 and line[9:12].isdigit():
            codes.append(int(line[9:12]))
    return codes


__all__ = ["Generator", "Request", "hostile_http", "status_codes"]
