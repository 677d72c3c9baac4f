"""structlog set-up: JSON lines when stderr is not a terminal, readable lines on a terminal.

A redaction processor removes the access token from every event, whatever field carries it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRETS: set[str] = set()
_DEBUG = False  # log.level = "debug": the CLI's error boundary then prints tracebacks too


def register_secret(secret: str) -> None:
    """Never let this string reach a log line."""
    if len(secret) >= 4:  # shorter strings would blank out ordinary words; no real token is that short
        _SECRETS.add(secret)


def redact_text(text: str) -> str:
    """`text` with every registered secret replaced (for error lines and tracebacks)."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _redact_value(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


def debug_enabled() -> bool:
    """Whether the configured log level is debug (the CLI then shows tracebacks)."""
    return _DEBUG


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: replace registered secrets in every string field."""
    if _SECRETS:
        for key, value in list(event.items()):
            event[key] = _redact_value(value)
    return event


def configure(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog for the CLI; logs go to stderr, stdout is for command output."""
    global _DEBUG
    _DEBUG = level.lower() == "debug"
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = structlog.processors.JSONRenderer()
    if use_console:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def get_logger(name: str) -> Any:
    """A bound logger for a module."""
    return structlog.get_logger(name)
