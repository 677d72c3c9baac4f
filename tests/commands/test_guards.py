"""Guards on time and dates: what `--as-of`, `--since` and `--until` accept, per kind of command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.commands.runtime import check_as_of, check_range, parse_as_of, parse_date_option
from connector.errors import ConfigError

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class TestAsOf:
    def test_absent_means_now_and_empty_is_an_error(self) -> None:
        """Leaving the option out is now; `--as-of ""` no longer silently means now."""
        assert abs(parse_as_of(None) - datetime.now(UTC)) < timedelta(seconds=5)
        for text in ("", "   "):
            with pytest.raises(ConfigError, match="empty value"):
                parse_as_of(text)

    def test_a_time_without_offset_is_utc(self) -> None:
        """2026-01-01T00:00 is midnight UTC; a date alone is its midnight UTC."""
        assert parse_as_of("2026-01-01T01:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)
        assert parse_as_of("2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
        assert parse_as_of("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)

    def test_text_that_is_no_date_names_the_format(self) -> None:
        """The message shows the formats accepted."""
        with pytest.raises(ConfigError, match="YYYY-MM-DD"):
            parse_as_of("yesterday")

    @pytest.mark.parametrize("minutes", [0, 4])
    def test_a_writing_run_accepts_now_and_a_little_clock_skew(self, minutes: int) -> None:
        """Up to five minutes ahead (hosts' clocks differ) is fine."""
        moment = NOW + timedelta(minutes=minutes)
        assert check_as_of(moment, writes=True, window_days=365, now=NOW) == moment

    def test_a_writing_run_refuses_the_future_and_before_1970(self) -> None:
        """`sync --as-of 2030-01-01` cleared every company score; now it is exit 2 saying why."""
        with pytest.raises(ConfigError, match="in the future"):
            check_as_of(NOW + timedelta(minutes=6), writes=True, window_days=365, now=NOW)
        with pytest.raises(ConfigError, match="before 1970"):
            check_as_of(datetime(1969, 12, 31, tzinfo=UTC), writes=True, window_days=365, now=NOW)

    def test_a_run_that_writes_nothing_may_use_any_date_the_windows_fit(self) -> None:
        """--dry-run and report: past and future alike, as long as two windows fit after year 1."""
        for moment in (datetime(1900, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)):
            assert check_as_of(moment, writes=False, window_days=365, now=NOW) == moment
        with pytest.raises(ConfigError, match="years 1-9999"):
            check_as_of(parse_as_of("0001-01-01"), writes=False, window_days=365, now=NOW)
        with pytest.raises(ConfigError, match="years 1-9999"):
            check_as_of(parse_as_of("9999-12-31"), writes=False, window_days=365, now=NOW)


class TestRange:
    def test_since_must_come_before_until(self) -> None:
        """backfill --since after --until used to list everything silently."""
        since, until = parse_date_option("--since", "2026-06-01"), parse_date_option("--until", "2026-01-01")
        with pytest.raises(ConfigError, match="is not before --until"):
            check_range(since, until)
        with pytest.raises(ConfigError, match="is not before --until"):
            check_range(since, since)
        check_range(until, since)
        check_range(None, until)
        check_range(since, None)

    def test_an_empty_date_option_is_an_error_naming_it(self) -> None:
        """--since "" names --since."""
        with pytest.raises(ConfigError, match="--since: empty value"):
            parse_date_option("--since", "")
        assert parse_date_option("--until", None) is None
