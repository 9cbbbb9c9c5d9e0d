"""Logging for ``dxlocal serve``, configured once, here, from ``--log-level`` and
``--log-format`` (text or json). The API call lines come from ``server/calllog.py``."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from dxlocal.server import calllog

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
# Extra fields a record may carry (server/calllog.py sets them on each API call line).
FIELDS = ("account", "region", "operation", "resource", "status", "error", "ms")


# Lines held in memory at most before they are written, whatever the loop does.
MAX_HELD = 256
# Seconds a line waits at most on a running loop: a write and flush (system calls) per loop
# turn cost a loaded read about 1% of its CPU (benchmarks/README.md).
HOLD = 0.01
_second: tuple[int, str] = (-1, "")  # the last second formatted, and its text


def _timestamp(record: logging.LogRecord) -> str:
    return _stamp(record.created)


def _stamp(created: float) -> str:
    return _stamp_ms(int(created * 1000))


def _stamp_ms(millis: int) -> str:
    """The date of the millisecond ``millis`` (since the epoch), as every line writes it."""
    global _second
    second, part = divmod(millis, 1000)
    if second != _second[0]:  # a line per call: the date is formatted once a second
        _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return _second[1] + _MILLIS[part]


_MILLIS = [f".{ms:03d}Z" for ms in range(1000)]  # a line's milliseconds, written once


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname:<5} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the call fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, separators=(",", ":"))


class BatchingHandler(logging.Handler):
    """Writes the lines held over ``HOLD`` seconds of a running event loop in one go (a
    timer on the loop), instead of a write and a flush per line; outside a running loop
    (another thread, before the server starts) a line is written at once, unless a loop's
    flush is already on its way (it takes the line along). Lines are never dropped:
    ``logging.shutdown`` (at exit) flushes what is held."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream
        self._held: list[str | tuple[Any, ...]] = []
        self._loop: asyncio.AbstractEventLoop | None = None  # where a flush is scheduled

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.hold(line)

    def call_line(self, fields: tuple[Any, ...]) -> None:
        """An API call's INFO line (server/calllog.py): its time (``time.time()``) and
        ``FIELDS``, formatted as the formatter would format its record (without building
        one) when the held lines are written."""
        self.hold(fields)

    def hold(self, line: str | tuple[Any, ...]) -> None:
        """Keep ``line`` (or a call line's fields) for the next write."""
        held = self._held
        held.append(line)
        scheduled = self._loop
        if scheduled is not None and scheduled.is_running():
            # A flush is on its way: no need to ask which loop runs, a question that
            # costs a system call (getpid) on every line in Python 3.11's asyncio.
            if len(held) >= MAX_HELD:
                self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or len(held) >= MAX_HELD:
            self.flush()
        else:
            self._loop = loop
            loop.call_later(HOLD, self.flush)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._loop = None
            held = self._held
            count = len(held)  # a line another thread adds meanwhile stays for the next
            if not count:
                return
            call = _json_call if isinstance(self.formatter, JsonFormatter) else _text_call
            lines = []
            last, stamp = -1, ""  # the millisecond the last date was written for
            for x in held[:count]:
                if x.__class__ is str:
                    lines.append(x)
                    continue
                millis = int(x[0] * 1000)
                if millis != last:  # calls answered in one millisecond share its date
                    last, stamp = millis, _stamp_ms(millis)
                lines.append(call(stamp, x))
            lines.append("")
            text = "\n".join(lines)
            del held[:count]
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or gone: nowhere to write
                pass


def _text_call(stamp: str, fields: tuple[Any, ...]) -> str:
    """A call line (``call_line``'s fields) as ``TextFormatter`` writes the record
    server/calllog.py logs."""
    _, account, region, operation, resource, status, error, ms = fields
    if error:
        return f"{stamp} INFO  {account} {region} {operation} {resource or '-'} {status} {error} {ms:.2f}ms"  # noqa: E501
    return f"{stamp} INFO  {account} {region} {operation} {resource or '-'} {status} {ms:.2f}ms"


def _json_call(stamp: str, fields: tuple[Any, ...]) -> str:
    """A call line as ``JsonFormatter`` writes it."""
    _, account, region, operation, resource, status, error, ms = fields
    message = f"{account} {region} {operation} {resource or '-'} {status}"
    message += f" {error} {ms:.2f}ms" if error else f" {ms:.2f}ms"
    out = {"time": stamp, "level": "INFO", "logger": "dxlocal.api", "message": message}
    out.update(zip(FIELDS, (*fields[1:-1], round(ms, 2)), strict=True))
    return json.dumps(out, separators=(",", ":"))


def configure(level: str = "info", fmt: str = "text", stream: Any = None) -> None:
    """Send the ``dxlocal`` loggers to ``stream`` (stderr) at ``level``, once per process."""
    # Nothing here needs the caller's source line, thread or process (Python's logging
    # documentation, "Optimization"): a line per API call stays cheap.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = BatchingHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("dxlocal")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
    calllog.direct(handler)
