"""Wiring for the commands: settings, logging, the HubSpot client, the ledger."""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector import logs
from connector.config import Settings, load_settings
from connector.errors import ConfigError
from connector.hubspot import HubSpotClient
from connector.ledger import Ledger


def parse_as_of(text: str | None) -> datetime:
    """`--as-of` as an aware datetime (a time without offset is UTC); now when absent."""
    if not text:
        return datetime.now(UTC)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--as-of: {text!r} is not an ISO 8601 date or time") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_date_option(name: str, text: str | None) -> datetime | None:
    """`--since`/`--until`: a date or datetime, UTC when no offset is given."""
    return None if text is None else _named(name, text)


def _named(name: str, text: str) -> datetime:
    try:
        return parse_as_of(text)
    except ConfigError:
        raise ConfigError(f"{name}: {text!r} is not an ISO 8601 date or time") from None


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """`--every 15m` style durations (s, m, h, d)."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise ConfigError(f"--every: {text!r} is not a duration like 30s, 15m, 1h or 1d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


@dataclass
class Runtime:
    """Everything a command needs, built from the configuration."""

    settings: Settings
    log: Any

    @classmethod
    def load(cls, config: Path | None, environ: Mapping[str, str] | None = None) -> Runtime:
        """Load settings (from `environ`, default the process environment) and configure logging."""
        settings = load_settings(config, environ)
        logs.configure(settings.log.level, settings.log.format)
        return cls(settings, logs.get_logger("connector"))

    def client(self) -> HubSpotClient:
        """The HubSpot client for the configured portal."""
        hub = self.settings.hubspot
        token = self.settings.access_token()
        logs.register_secret(token)
        return HubSpotClient(
            hub.base_url,
            token,
            requests_per_10s=hub.requests_per_10s,
            search_per_second=hub.search_requests_per_second,
            max_retries=hub.max_retries,
            timeout_seconds=hub.timeout_seconds,
            logger=logs.get_logger("connector.hubspot"),
            api_version=hub.api_version,
        )

    @contextmanager
    def ledger(self, *, scratch: bool = False) -> Iterator[Ledger]:
        """The ledger; with `scratch`, a throw-away copy so a dry run changes nothing."""
        path = self.settings.ledger.path
        if not scratch:
            with Ledger(path) as ledger:
                yield ledger
            return
        tmp = Path(tempfile.mkdtemp(prefix="nps-dry-run-"))
        try:
            copy = tmp / "ledger.sqlite"
            if path.exists():
                src = sqlite3.connect(path)
                dst = sqlite3.connect(copy)
                with dst:
                    src.backup(dst)
                src.close()
                dst.close()
            with Ledger(copy) as ledger:
                yield ledger
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
