"""Walking the model's shapes, for both wire formats (awsJson1_1 and RPC v2 CBOR).

Input: JSON/CBOR values are checked against the operation's input shape, one small method
per shape type (botocore's validate.py does the same on the client side). A wrong type is a
``SerializationException``; a missing required member a modelled client error.
Output: only the output shape's members are kept, in the model's types; blobs and
timestamps take the wire's form (base64 text and epoch numbers in JSON, byte strings and
tag-1 epochs in CBOR).

Quirks handled:
- ``null`` members are treated as absent, as AWS's front ends do;
- booleans are not integers here, although Python says they are;
- members the input shape does not know are ignored (forward compatibility);
- lists the model gives a minimum length (``TagList``) are left out when empty rather than
  answered as ``[]``, so every answer validates against the output shape.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Any

from botocore.model import Shape, StructureShape

from dxlocal.core.errors import ClientError, SerializationException
from dxlocal.protocol.cbor import Timestamp


class InputWalker:
    """Checks JSON values against input shapes; returns the cleaned value."""

    def __init__(self) -> None:
        # The method for each shape type, looked up once.
        self._by_type: dict[str, Callable[[Any, Any, str], Any]] = {}

    def walk(self, shape: Shape, value: Any, path: str) -> Any:
        method = self._by_type.get(shape.type_name)
        if method is None:
            method = self._by_type[shape.type_name] = getattr(self, "_" + shape.type_name)
        return method(shape, value, path)

    def _structure(self, shape: StructureShape, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "structure", value)
        out: dict[str, Any] = {}
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None:
                continue
            out[name] = self.walk(member, item, f"{path}.{name}" if path else name)
        for name in shape.required_members:
            if name not in out:
                where = f"{path}.{name}" if path else name
                raise ClientError(
                    f"1 validation error detected: Value null at '{where}' failed to "
                    "satisfy constraint: Member must not be null"
                )
        return out

    def _list(self, shape: Any, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _type_error(path, "list", value)
        return [self.walk(shape.member, item, f"{path}.{i}") for i, item in enumerate(value)]

    def _map(self, shape: Any, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "map", value)
        return {
            self.walk(shape.key, k, path): self.walk(shape.value, v, f"{path}.{k}")
            for k, v in value.items()
        }

    def _string(self, shape: Shape, value: Any, path: str) -> str:
        # Lone surrogates never get here: orjson and the CBOR decoder (strict UTF-8) refuse them.
        if not isinstance(value, str):
            raise _type_error(path, "string", value)
        return value

    def _integer(self, shape: Shape, value: Any, path: str) -> int:
        return self._whole(shape, value, path, _INT32)

    def _long(self, shape: Shape, value: Any, path: str) -> int:
        return self._whole(shape, value, path, _INT64)

    @staticmethod
    def _whole(shape: Shape, value: Any, path: str, bits: tuple[int, int]) -> int:
        """An integer within the wire type's range (Smithy ``integer`` is 32-bit, ``long``
        64-bit) and the model's ``min``/``max``; ``3.0`` is read as 3, ``1e30`` refused."""
        if isinstance(value, bool) or not isinstance(value, int):
            if not (isinstance(value, float) and value.is_integer()):
                raise _type_error(path, "integer", value)
            value = int(value)
        if not bits[0] <= value <= bits[1]:
            raise _range_error(path, value)
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ClientError(
                f"1 validation error detected: Value '{value}' at '{path}' failed to "
                f"satisfy constraint: Member must have value "
                + (f"greater than or equal to {low}" if low is not None else "")
                + (" and " if low is not None and high is not None else "")
                + (f"less than or equal to {high}" if high is not None else "")
            )
        return value

    def _boolean(self, shape: Shape, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise _type_error(path, "boolean", value)
        return value

    def _double(self, shape: Shape, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(path, "number", value)
        return float(value)

    _float = _double

    def _timestamp(self, shape: Shape, value: Any, path: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        raise _type_error(path, "timestamp", value)

    def _blob(self, shape: Shape, value: Any, path: str) -> bytes:
        if isinstance(value, bytes):  # CBOR carries blobs as byte strings
            return value
        if not isinstance(value, str):
            raise _type_error(path, "blob", value)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException(f"Member {path} is not valid base64.") from None


_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _range_error(path: str, value: Any) -> SerializationException:
    hint = " Use asnLong for a 4-byte ASN." if path.endswith(".asn") else ""
    return SerializationException(f"Number {value!r} is out of range for {path}.{hint}")


def _type_error(path: str, expected: str, value: Any) -> SerializationException:
    got = type(value).__name__ if value is not None else "null"
    where = path or "the request body"
    return SerializationException(f"Expected {expected} for {where}, got {got}.")


def parse_input(shape: StructureShape | None, params: dict[str, Any]) -> dict[str, Any]:
    if shape is None:
        return {}
    return _INPUT._structure(shape, params, "")


_INPUT = InputWalker()


class OutputWalker:
    """Keeps only modelled members, in the model's types (``binary``: the CBOR form)."""

    def __init__(self, binary: bool = False) -> None:
        self.binary = binary
        # Per structure (by name, unique in a model): its compiled walk (``_compile``).
        self._walks: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}

    def walk(self, shape: Shape, value: Any) -> Any:
        return getattr(self, "_" + shape.type_name)(shape, value)

    def _structure(self, shape: StructureShape, value: dict[str, Any]) -> dict[str, Any]:
        walk = self._walks.get(shape.name)
        if walk is None:
            walk = self._walk_of(shape)
        return walk(value)

    def _walk_of(self, shape: StructureShape) -> Callable[[dict[str, Any]], dict[str, Any]]:
        walk = self._walks.get(shape.name)
        if walk is None:
            # Stands in while the structure is compiled, should it contain itself.
            walks, name = self._walks, shape.name
            walks[name] = lambda value: walks[name](value)
            try:
                walk = walks[name] = self._compile(shape)
            except BaseException:
                del walks[name]  # no stand-in left calling itself
                raise
        return walk

    def _compile(self, shape: StructureShape) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The walk of one structure as a function with a few straight lines per member, in
        the model's order (a loop over the members costs twice as much on every answer): a
        scalar is copied as is, a structure (or a list of them) goes straight to that
        structure's own compiled walk, anything else through its walker; a member is left
        out when absent or null, and a list the model says is never empty when it is empty."""
        lines = ["def walk(value):", "    out = {}", "    get = value.get"]
        env: dict[str, Any] = {}
        for i, (name, member) in enumerate(shape.members.items()):
            never_empty = member.metadata.get("min")
            lines.append(f"    v = get({name!r})")
            lines.append(f"    if v is not None{' and v != []' if never_empty else ''}:")
            kind = member.type_name
            item = member.member if kind == "list" else None
            if kind in _SCALARS:
                lines.append(f"        out[{name!r}] = v")
            elif kind == "structure":
                env[f"walk{i}"] = self._walk_of(member)
                lines.append(f"        out[{name!r}] = walk{i}(v)")
            elif item is not None and item.type_name in _SCALARS:
                lines.append(f"        out[{name!r}] = list(v)")
            elif item is not None and item.type_name == "structure":
                env[f"walk{i}"] = self._walk_of(item)
                lines.append(f"        out[{name!r}] = [walk{i}(x) for x in v]")
            else:
                env[f"walk{i}"] = getattr(self, "_" + kind)
                env[f"member{i}"] = member
                lines.append(f"        out[{name!r}] = walk{i}(member{i}, v)")
        lines.append("    return out")
        exec("\n".join(lines), env)  # names are the model's, written with repr()
        return env["walk"]

    def _list(self, shape: Any, value: list[Any]) -> list[Any]:
        member = shape.member
        if member.type_name in _SCALARS:
            return list(value)
        walker = getattr(self, "_" + member.type_name)
        return [walker(member, item) for item in value]

    def _map(self, shape: Any, value: dict[str, Any]) -> dict[str, Any]:
        return {k: self.walk(shape.value, v) for k, v in value.items()}

    def _timestamp(self, shape: Shape, value: Any) -> float:
        seconds = value.timestamp() if isinstance(value, dt.datetime) else float(value)
        return Timestamp(seconds) if self.binary else seconds

    def _blob(self, shape: Shape, value: Any) -> str | bytes:
        if isinstance(value, str):
            value = value.encode()
        return bytes(value) if self.binary else base64.b64encode(value).decode("ascii")

    def _scalar(self, shape: Shape, value: Any) -> Any:
        return value

    _string = _integer = _long = _boolean = _double = _float = _scalar


def shape_output(
    shape: StructureShape | None, result: dict[str, Any] | None, *, binary: bool = False
) -> dict[str, Any]:
    if shape is None or not result:
        return {}
    return (_BINARY if binary else _TEXT)._structure(shape, result)


_SCALARS = frozenset({"string", "integer", "long", "boolean", "double", "float"})
_TEXT = OutputWalker()
_BINARY = OutputWalker(binary=True)
