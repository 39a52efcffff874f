"""Structured logging: one line per event, carrying guild, command and member ids."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import UTC
from typing import Any

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "pallets_bot_log_context",
    default={},  # noqa: B039 - never mutated, always replaced
)
_FIELDS = ("guild_id", "user_id", "command", "job")


def bind(**fields: Any) -> None:
    """Attach ids to every log line for the rest of the current task."""
    _context.set(
        {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    )


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = _context.set(
        {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    )
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in _FIELDS
            if getattr(record, name, None) is not None
        )
        return f"{text} [{ids}]" if ids else text


def configure(level: str = "INFO", fmt: str = "auto") -> None:
    """Send logs to stderr: readable text on a terminal, JSON lines otherwise."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord").setLevel(
        max(logging.getLevelName(level), logging.INFO)
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
