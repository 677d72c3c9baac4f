"""A ledger the admin must fix: damaged, not a database, read-only or full, as one LedgerError (exit 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from connector.errors import LedgerError
from connector.ledger import Ledger
from connector.ledger.store import ledger_error
from tests.integration.test_bad_inputs import damage_ledger
from tests.ledger.test_ledger import answer


def _filled(path: Path) -> Path:
    with Ledger(path) as ledger:
        ledger.upsert_answers([answer(str(400000 + i)) for i in range(3000)])
    return path


def test_a_damaged_page_is_found_when_the_ledger_opens(tmp_path: Path) -> None:
    """quick_check at open: the run stops before it calls HubSpot, with what to do."""
    path = _filled(tmp_path / "ledger.sqlite")
    damage_ledger(path)
    with pytest.raises(LedgerError) as info:
        Ledger(path)
    message = str(info.value)
    assert str(path) in message
    assert "is damaged" in message
    assert "restore it from a backup, or delete it" in message
    assert info.value.exit_code == 2


def test_damage_found_later_by_a_query_is_a_ledger_error_too(tmp_path: Path) -> None:
    """A page damaged while the ledger is open surfaces on the next read, as the same error."""
    path = _filled(tmp_path / "ledger.sqlite")
    with Ledger(path) as ledger:
        damage_ledger(path)
        with pytest.raises(LedgerError, match="is damaged"):
            ledger.answers()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), "is not writable"),
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (sqlite3.OperationalError("unable to open database file"), "cannot be opened"),
        (sqlite3.OperationalError("database is locked"), "locked by another program"),
        (sqlite3.DatabaseError("database disk image is malformed"), "is damaged"),
    ],
)
def test_sqlite_failures_say_what_to_do(error: sqlite3.Error, expected: str) -> None:
    """Each failure the admin can fix names the file and the fix."""
    mapped = ledger_error(Path("/data/nps-ledger.sqlite"), error)
    assert mapped is not None
    assert expected in str(mapped)
    assert "/data/nps-ledger.sqlite" in str(mapped)


def test_programming_errors_are_not_disguised(tmp_path: Path) -> None:
    """An IntegrityError is the connector's bug, not the admin's file: it passes through unchanged."""
    assert ledger_error(tmp_path, sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert ledger_error(tmp_path, sqlite3.ProgrammingError("closed")) is None
