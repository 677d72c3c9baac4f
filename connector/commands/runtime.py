"""Wiring for the commands: settings, logging, the HubSpot client, the ledger."""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector import logs
from connector.config import Settings, load_settings
from connector.errors import ConfigError, LedgerError
from connector.hubspot import HubSpotClient
from connector.ledger import DAMAGED_HINT, Ledger, sqlite_errors

if TYPE_CHECKING:
    from connector.commands.stop import StopSignal


# A writing run may be this far ahead of the local clock (clock skew between hosts), no further:
# a future as-of expires answers that still count and would clear real scores in HubSpot.
FUTURE_TOLERANCE = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DATE_HELP = "YYYY-MM-DD or an ISO 8601 date-time such as 2026-10-01T12:00:00Z; no offset means UTC"


def parse_as_of(text: str | None) -> datetime:
    """`--as-of` as an aware datetime (a time without offset is UTC); now when absent. Bounds: `check_as_of`."""
    if text is None:
        return datetime.now(UTC)
    return _parse_moment("--as-of", text)


def _parse_moment(name: str, text: str) -> datetime:
    if not text.strip():
        raise ConfigError(f"{name}: empty value; give {DATE_HELP}, or leave the option out")
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a date or time; give {DATE_HELP}") from None
    try:
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except OverflowError:
        raise ConfigError(f"{name}: {text!r} is out of range once converted to UTC") from None


def check_as_of(moment: datetime, *, writes: bool, window_days: int, now: datetime | None = None) -> datetime:
    """Refuse an as-of a run cannot use: for a writing run, before 1970 or more than 5 minutes ahead of now.

    Any as-of the arithmetic can hold is fine for `--dry-run` and `report` (they write nothing);
    the scoring windows (two of `window_days` before it) and due dates (weeks after) must fit in
    years 1-9999.
    """
    lowest = datetime.min.replace(tzinfo=UTC) + timedelta(days=2 * window_days + 31)
    highest = datetime.max.replace(tzinfo=UTC) - timedelta(days=366)
    if not lowest <= moment <= highest:
        raise ConfigError(
            f"--as-of: {moment.date().isoformat()} is too far out: the scoring windows ({window_days} days, twice) "
            f"and due dates must fit in years 1-9999; give a date between {lowest.date()} and {highest.date()}"
        )
    if not writes:
        return moment
    current = now or datetime.now(UTC)
    if moment < EPOCH:
        raise ConfigError(
            f"--as-of: {moment.isoformat()} is before 1970; a run that writes to HubSpot needs a real date "
            "(use --dry-run or `report` to look at other dates)"
        )
    if moment > current + FUTURE_TOLERANCE:
        raise ConfigError(
            f"--as-of: {moment.isoformat()} is in the future (now is {current.replace(microsecond=0).isoformat()}); "
            "a run that writes would expire answers that still count and clear real scores in HubSpot. "
            "Use --dry-run to look ahead, or --allow-future-as-of for a simulation against the sandbox"
        )
    return moment


def parse_date_option(name: str, text: str | None) -> datetime | None:
    """`--since`/`--until`: a date or datetime, UTC when no offset is given."""
    return None if text is None else _parse_moment(name, text)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """`--since` must come before `--until` (the range is [since, until))."""
    if since is not None and until is not None and since >= until:
        raise ConfigError(
            f"--since {since.isoformat()} is not before --until {until.isoformat()}: the range [since, until) "
            "would be empty; swap them, or leave one out"
        )


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
        # Registered at once, not only when a client is built: any error text may quote it.
        with suppress(ConfigError):
            logs.register_secret(settings.access_token())
        return cls(settings, logs.get_logger("connector"))

    def client(self, stop: StopSignal | None = None) -> HubSpotClient:
        """The HubSpot client for the configured portal; with `stop`, requests and waits end at a stop signal."""
        hub = self.settings.hubspot
        token = self.settings.access_token()
        logs.register_secret(token)
        extra: dict[str, Any] = {}
        if stop is not None:
            extra = {"checkpoint": stop.checkpoint, "sleep": stop.sleep}
        return HubSpotClient(
            hub.base_url,
            token,
            requests_per_10s=hub.requests_per_10s,
            search_per_second=hub.search_requests_per_second,
            max_retries=hub.max_retries,
            timeout_seconds=hub.timeout_seconds,
            logger=logs.get_logger("connector.hubspot"),
            api_version=hub.api_version,
            **extra,
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
                with sqlite_errors(path), closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(copy)) as dst:
                    src.backup(dst)
                _check_copy(path, copy)
            with Ledger(copy) as ledger:
                yield ledger
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_copy(original: Path, copy: Path) -> None:
    """A damaged page may copy without an error: check the copy, and name the original when it fails."""
    with sqlite_errors(original), closing(sqlite3.connect(copy)) as conn:
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        raise LedgerError(f"ledger {original} is damaged ({'; '.join(problems)[:300]}): {DAMAGED_HINT}")
