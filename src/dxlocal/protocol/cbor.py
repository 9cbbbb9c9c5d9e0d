"""A small CBOR codec (RFC 8949) for the Smithy RPC v2 CBOR protocol.

Covers what the protocol uses: unsigned and negative integers (major types 0, 1), byte and
text strings (2, 3, definite and indefinite length), arrays (4) and maps (5), tag 1 (epoch
timestamps, §3.4.2), booleans, null and undefined, and half/single/double floats (7).
Anything else, or truncated input, raises ``CborError``.
"""

from __future__ import annotations

import struct
from typing import Any


class CborError(ValueError):
    pass


class Tagged:
    """A tagged value other than a timestamp."""

    def __init__(self, tag: int, value: Any) -> None:
        self.tag, self.value = tag, value


class Timestamp(float):
    """An epoch-seconds value that encodes as tag 1."""


_BREAK = object()
_MAX_DEPTH = 64


def loads(data: bytes) -> Any:
    decoder = _Decoder(data)
    value = decoder.item(0)
    if value is _BREAK or decoder.pos != len(data):
        raise CborError("trailing bytes after the CBOR item")
    return value


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise CborError("truncated CBOR input")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def argument(self, info: int) -> int | None:
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            return int.from_bytes(self.take(size), "big")
        if info == 31:
            return None  # indefinite length
        raise CborError(f"reserved additional information {info}")

    def item(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise CborError("CBOR nesting is too deep")
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self.simple(info)
        arg = self.argument(info)
        if major == 0:
            return _definite(arg)
        if major == 1:
            return -1 - _definite(arg)
        if major in (2, 3):
            raw = self.string(major, arg, depth)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CborError("text string is not UTF-8") from None
        if major == 4:
            return self.array(arg, depth)
        if major == 5:
            return self.map(arg, depth)
        tag = _definite(arg)
        value = self.item(depth + 1)
        if tag == 1:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CborError("tag 1 must hold a number")
            return Timestamp(value)
        return Tagged(tag, value)

    def string(self, major: int, length: int | None, depth: int) -> bytes:
        if length is not None:
            return bytes(self.take(length))
        parts = []
        while True:
            initial = self.take(1)[0]
            if initial == 0xFF:
                return b"".join(parts)
            if initial >> 5 != major:
                raise CborError("indefinite string chunk of the wrong type")
            size = self.argument(initial & 0x1F)
            parts.append(bytes(self.take(_definite(size))))

    def array(self, length: int | None, depth: int) -> list[Any]:
        out = []
        while length is None or len(out) < length:
            value = self.item(depth + 1)
            if value is _BREAK:
                if length is None:
                    return out
                raise CborError("unexpected break")
            out.append(value)
        return out

    def map(self, length: int | None, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        count = 0
        while length is None or count < length:
            key = self.item(depth + 1)
            if key is _BREAK:
                if length is None:
                    return out
                raise CborError("unexpected break")
            if not isinstance(key, str | int):
                raise CborError("map keys must be strings")
            value = self.item(depth + 1)
            if value is _BREAK:
                raise CborError("map key without a value")
            out[key] = value
            count += 1
        return out

    def simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        if info == 31:
            return _BREAK
        raise CborError(f"unsupported simple value {info}")


def _definite(arg: int | None) -> int:
    if arg is None:
        raise CborError("indefinite length where a number is required")
    return arg


def dumps(value: Any) -> bytes:
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _head(major: int, n: int, out: bytearray) -> None:
    if n < 24:
        out.append(major << 5 | n)
    elif n < 0x100:
        out += bytes((major << 5 | 24, n))
    elif n < 0x10000:
        out.append(major << 5 | 25)
        out += n.to_bytes(2, "big")
    elif n < 0x100000000:
        out.append(major << 5 | 26)
        out += n.to_bytes(4, "big")
    else:
        out.append(major << 5 | 27)
        out += n.to_bytes(8, "big")


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, Timestamp):
        out.append(0xC1)  # tag 1
        _encode(float(value), out)
    elif isinstance(value, int):
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(3, len(raw), out)
        out += raw
    elif isinstance(value, bytes | bytearray | memoryview):
        _head(2, len(value), out)
        out += value
    elif isinstance(value, list | tuple):
        _head(4, len(value), out)
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        _head(5, len(value), out)
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
