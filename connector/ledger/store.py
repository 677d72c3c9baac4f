"""The ledger store: answers, contacts, companies, cursors, values written, task ledger, runs.

One connection per `Ledger`, in autocommit mode with explicit transactions (`with ledger.transaction():`,
nestable through savepoints); every write method is one transaction of its own, or part of the caller's.
Every SQLite failure the admin must fix (a damaged page, a read-only file, a full disk) becomes a
`LedgerError` (exit 2) naming the file and what to do; opening an existing file runs SQLite's
`quick_check`, so a damaged ledger stops a run before it calls HubSpot.
Times are stored as integer epoch milliseconds UTC and handed out as tz-aware UTC datetimes.
The schema is versioned by `PRAGMA user_version` and migrated forward on open.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from connector.core.scorecard import ScoreRow
from connector.core.values import from_ms, to_ms
from connector.errors import ConfigError, LedgerError
from connector.ledger.lock import run_lock
from connector.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from connector.model import AnswerRow, CompanyRow, ContactRow, TaskIntent, TaskKind, TaskRow, TaskState, TaskStatus


def _opt_dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def _opt_ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _utcnow() -> datetime:
    return datetime.now(UTC)


_ANSWER_COLUMNS = (
    "submission_id, contact_id, survey_type, survey_id, survey_name, raw_value, submitted_at, modified_at, content"
)
_CONTACT_COLUMNS = 'contact_id, email, firstname, lastname, owner_id, company_id, "exists", updated_at, role'
_TASK_COLUMNS = (
    "task_key, submission_id, state, task_id, contact_id, company_id, owner_id, due_at, intent_at, created_at, "
    "status, kind"
)


def _task(row: tuple[Any, ...]) -> TaskRow:
    return TaskRow(
        key=row[0],
        submission_id=row[1],
        state=cast(TaskState, row[2]),
        task_id=row[3],
        contact_id=row[4],
        company_id=row[5],
        owner_id=row[6],
        due_at=from_ms(row[7]),
        intent_at=from_ms(row[8]),
        created_at=_opt_dt(row[9]),
        status=cast(TaskStatus | None, row[10]),
        kind=cast(TaskKind, row[11]),
    )


DAMAGED_HINT = (
    "restore it from a backup, or delete it (the next run rebuilds it from HubSpot without duplicating tasks)"
)


def ledger_error(path: Path | str, exc: sqlite3.Error) -> LedgerError | None:
    """The admin's reading of a SQLite failure on the ledger at `path`; None for a programming error."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return None  # a bug in the connector, not a problem with the file
    text = str(exc)
    lowered = text.lower()
    folder = Path(path).parent
    if "readonly" in lowered or "read-only" in lowered:
        return LedgerError(
            f"ledger {path} is not writable ({text}): give the connector's user write access to the file "
            f"and to {folder} (SQLite writes -wal, -shm and .lock files beside it)"
        )
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return LedgerError(f"ledger {path}: the disk is full ({text}); free space on the volume holding {folder}")
    if "unable to open" in lowered or "disk i/o error" in lowered:
        return LedgerError(
            f"ledger {path} cannot be opened or read ({text}): check that {folder} exists, is mounted "
            "and is readable and writable by the connector's user"
        )
    if "locked" in lowered or "busy" in lowered:
        return LedgerError(
            f"ledger {path} is locked by another program ({text}): close whatever has it open (an sqlite3 "
            "shell, a backup tool) and run again"
        )
    if isinstance(exc, sqlite3.DatabaseError):
        return LedgerError(f"ledger {path} is damaged ({text}): {DAMAGED_HINT}")
    return None


@contextlib.contextmanager
def sqlite_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite failures on the ledger at `path` into `LedgerError` (programming errors pass through)."""
    try:
        yield
    except sqlite3.Error as exc:
        mapped = ledger_error(path, exc)
        if mapped is None:
            raise
        raise mapped from None


class _Cursor:
    """A cursor whose row fetching reports a damaged file as a LedgerError (rows are read lazily)."""

    def __init__(self, cursor: sqlite3.Cursor, path: Path) -> None:
        self._cursor = cursor
        self._path = path

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    def fetchone(self) -> Any:
        with sqlite_errors(self._path):
            return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        with sqlite_errors(self._path):
            return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        with sqlite_errors(self._path):
            yield from self._cursor


class _Connection:
    """The ledger's sqlite3 connection with every statement under `sqlite_errors`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.raw = conn
        self._path = path

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        with sqlite_errors(self._path):
            return _Cursor(self.raw.execute(sql, params), self._path)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        with sqlite_errors(self._path):
            return _Cursor(self.raw.executemany(sql, rows), self._path)

    def close(self) -> None:
        self.raw.close()


class Ledger:
    """The connector's local state in one SQLite file; open it, use it, `close()` it (or use `with`)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.path = Path(path)
        self._clock = clock
        self._depth = 0
        self._conn = self._connect()
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    @property
    def lock_path(self) -> Path:
        """The sibling file whose OS lock marks a run in progress."""
        return Path(f"{self.path}.lock")

    def _connect(self) -> _Connection:
        existed = str(self.path) != ":memory:" and self.path.exists() and self.path.stat().st_size > 0
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed task intent must survive a power cut before HubSpot is called.
            conn.execute("PRAGMA synchronous=FULL")
            if existed:
                self._quick_check(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            mapped = ledger_error(self.path, exc)
            raise mapped or LedgerError(f"{self.path}: not a usable ledger file: {exc}") from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                raise LedgerError(f"{self.path}: not a usable ledger file ({exc}): {DAMAGED_HINT}") from None
            raise LedgerError(f"ledger {self.path} is damaged ({exc}): {DAMAGED_HINT}") from None
        return _Connection(conn, self.path)

    def _quick_check(self, conn: sqlite3.Connection) -> None:
        # quick_check reads every page (O(file size), ~0.1 s for 100,000 answers): a damaged page
        # is found now, before the run calls HubSpot, not halfway through a push.
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems)[:300])

    def _migrate(self) -> None:
        version = self._user_version()
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConfigError(self._too_new(version))
        with self.transaction():
            # Read again under the write lock: another process may have migrated meanwhile.
            version = self._user_version()
            if version > SCHEMA_VERSION:
                raise ConfigError(self._too_new(version))
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _user_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _too_new(self, version: int) -> str:
        return (
            f"{self.path}: ledger schema version {version} is newer than this connector supports "
            f"({SCHEMA_VERSION}); upgrade the connector or point ledger.path at another file"
        )

    def schema_version(self) -> int:
        """Return the file's schema version (`PRAGMA user_version`)."""
        return self._user_version()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction (a savepoint when nested); roll back if it raises."""
        depth = self._depth
        self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth = depth
            if depth == 0:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            elif self._conn.in_transaction:
                self._conn.execute(f"ROLLBACK TO sp{depth}")
                self._conn.execute(f"RELEASE sp{depth}")
            raise
        self._depth = depth
        self._conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the run lock (flock on `<path>.lock`, released by the OS if the process dies)."""
        return run_lock(self.lock_path)

    # answers

    def upsert_answers(self, rows: Sequence[AnswerRow]) -> None:
        """Insert or replace answers by submission id."""
        with self.transaction():
            self._conn.executemany(
                f"INSERT INTO answers ({_ANSWER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (submission_id) DO UPDATE SET contact_id = excluded.contact_id, "
                "survey_type = excluded.survey_type, survey_id = excluded.survey_id, "
                "survey_name = excluded.survey_name, raw_value = excluded.raw_value, "
                "submitted_at = excluded.submitted_at, modified_at = excluded.modified_at, "
                "content = excluded.content",
                (
                    (
                        r.submission_id,
                        r.contact_id,
                        r.survey_type,
                        r.survey_id,
                        r.survey_name,
                        r.raw_value,
                        to_ms(r.submitted_at),
                        to_ms(r.modified_at),
                        r.content,
                    )
                    for r in rows
                ),
            )

    def answers(self, survey_type: str | None = None) -> list[AnswerRow]:
        """Return all answers (of one survey type if given), ordered by submission time then id."""
        sql = f"SELECT {_ANSWER_COLUMNS} FROM answers"
        params: tuple[str, ...] = ()
        if survey_type is not None:
            sql += " WHERE survey_type = ?"
            params = (survey_type,)
        cursor = self._conn.execute(sql + " ORDER BY submitted_at, submission_id", params)
        return [
            AnswerRow(row[0], row[1], row[2], row[3], row[4], row[5], from_ms(row[6]), from_ms(row[7]), row[8])
            for row in cursor
        ]

    def score_rows(self) -> Iterator[ScoreRow]:
        """Every answer as the scorer reads it, streamed from SQL: no object per answer on the hot path."""
        yield from self._conn.execute(
            "SELECT submission_id, contact_id, survey_type, survey_id, raw_value, submitted_at FROM answers"
        )

    def delete_answers_submitted_between(self, since: datetime | None, until: datetime | None) -> int:
        """Delete answers submitted in [since, until) (open-ended where None); return how many."""
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM answers WHERE (? IS NULL OR submitted_at >= ?) AND (? IS NULL OR submitted_at < ?)",
                (_opt_ms(since), _opt_ms(since), _opt_ms(until), _opt_ms(until)),
            )
        return cursor.rowcount

    # contacts, aliases, companies

    def upsert_contacts(self, rows: Sequence[ContactRow]) -> None:
        """Insert or replace contacts by id."""
        with self.transaction():
            self._conn.executemany(
                f"INSERT OR REPLACE INTO contacts ({_CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        r.contact_id,
                        r.email,
                        r.firstname,
                        r.lastname,
                        r.owner_id,
                        r.company_id,
                        int(r.exists),
                        _opt_ms(r.updated_at),
                        r.role,
                    )
                    for r in rows
                ),
            )

    def contacts(self) -> dict[str, ContactRow]:
        """Return every known contact by id (deleted ones included, with `exists=False`)."""
        return {
            row[0]: ContactRow(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), _opt_dt(row[7]), row[8])
            for row in self._conn.execute(f"SELECT {_CONTACT_COLUMNS} FROM contacts")
        }

    def set_contacts_modified(self, modified: Mapping[str, datetime]) -> None:
        """Record HubSpot's modification time of contacts as of our own last read or write."""
        with self.transaction():
            self._conn.executemany(
                "UPDATE contacts SET updated_at = ? WHERE contact_id = ?",
                ((_opt_ms(at), contact_id) for contact_id, at in modified.items()),
            )

    def mark_contacts_missing(self, contact_ids: Iterable[str]) -> None:
        """Record that HubSpot no longer has these contacts (adds a row for ids never seen)."""
        with self.transaction():
            self._conn.executemany(
                'INSERT INTO contacts (contact_id, "exists") VALUES (?, 0) '
                'ON CONFLICT (contact_id) DO UPDATE SET "exists" = 0',
                ((contact_id,) for contact_id in contact_ids),
            )

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Record merged contact ids: old id → surviving id."""
        with self.transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO aliases (old_id, contact_id) VALUES (?, ?)",
                ((old, new) for old, new in aliases.items() if old != new),
            )

    def aliases(self) -> dict[str, str]:
        """Return every merged-away contact id mapped to the id it was merged into (chains: `resolve_alias`)."""
        return dict(self._conn.execute("SELECT old_id, contact_id FROM aliases").fetchall())

    def upsert_companies(self, rows: Sequence[CompanyRow]) -> None:
        """Insert or replace companies by id."""
        with self.transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO companies (company_id, name, owner_id, contact_count) VALUES (?, ?, ?, ?)",
                ((r.company_id, r.name, r.owner_id, r.contact_count) for r in rows),
            )

    def companies(self) -> dict[str, CompanyRow]:
        """Return every known company by id."""
        return {
            row[0]: CompanyRow(row[0], row[1], row[2], row[3])
            for row in self._conn.execute("SELECT company_id, name, owner_id, contact_count FROM companies")
        }

    # cursors

    def get_cursor(self, name: str) -> str | None:
        """Return a named cursor's value, or None when never set."""
        row = self._conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        with self.transaction():
            self._conn.execute("INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)", (name, value))

    # values last written to HubSpot

    def written_values(self, object_type: str) -> dict[str, dict[str, str]]:
        """Return the values last written per object id and property."""
        result: dict[str, dict[str, str]] = {}
        for object_id, prop, value in self._conn.execute(
            "SELECT object_id, property, value FROM written WHERE object_type = ?", (object_type,)
        ):
            result.setdefault(object_id, {})[prop] = value
        return result

    def record_written(self, object_type: str, values: Mapping[str, Mapping[str, str]]) -> None:
        """Record values HubSpot confirmed, per object id and property."""
        now = to_ms(self._clock())
        with self.transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO written (object_type, object_id, property, value, written_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    (object_type, object_id, prop, value, now)
                    for object_id, props in values.items()
                    for prop, value in props.items()
                ),
            )

    def forget_written(self, object_type: str, object_ids: Iterable[str] | None = None) -> None:
        """Forget what was written for an object type (only for these ids when given)."""
        with self.transaction():
            if object_ids is None:
                self._conn.execute("DELETE FROM written WHERE object_type = ?", (object_type,))
            else:
                self._conn.executemany(
                    "DELETE FROM written WHERE object_type = ? AND object_id = ?",
                    ((object_type, object_id) for object_id in object_ids),
                )

    # follow-up tasks

    def record_task_intents(self, intents: Sequence[TaskIntent]) -> int:
        """Record tasks about to be created (keys already present are left alone); return how many are new."""
        now = to_ms(self._clock())
        with self.transaction():
            cursor = self._conn.executemany(
                "INSERT INTO tasks (task_key, submission_id, state, contact_id, company_id, owner_id, "
                "due_at, intent_at, kind) VALUES (?, ?, 'intent', ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (task_key) DO NOTHING",
                (
                    (i.key, i.submission_id, i.contact_id, i.company_id, i.owner_id, to_ms(i.due_at), now, i.kind)
                    for i in intents
                ),
            )
        return max(cursor.rowcount, 0)

    def confirm_tasks(self, task_ids: Mapping[str, str]) -> None:
        """Mark intents as created in HubSpot: key → HubSpot task id (unknown keys are ignored)."""
        now = to_ms(self._clock())
        with self.transaction():
            self._conn.executemany(
                "UPDATE tasks SET state = 'created', task_id = ?, created_at = ?, "
                "status = coalesce(status, 'open') WHERE task_key = ?",
                ((task_id, now, key) for key, task_id in task_ids.items()),
            )

    def adopt_tasks(self, rows: Sequence[TaskRow]) -> None:
        """Store tasks found in HubSpot (e.g. after the ledger was lost), replacing rows with the same key."""
        with self.transaction():
            self._conn.executemany(
                f"INSERT OR REPLACE INTO tasks ({_TASK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        r.key,
                        r.submission_id,
                        r.state,
                        r.task_id,
                        r.contact_id,
                        r.company_id,
                        r.owner_id,
                        to_ms(r.due_at),
                        to_ms(r.intent_at),
                        _opt_ms(r.created_at),
                        r.status,
                        r.kind,
                    )
                    for r in rows
                ),
            )

    def pending_intents(self) -> list[TaskRow]:
        """Return intents not yet confirmed: the HubSpot call may or may not have happened."""
        cursor = self._conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state = 'intent' ORDER BY intent_at, task_key"
        )
        return [_task(row) for row in cursor]

    def tasks(self) -> list[TaskRow]:
        """Return every task row, intents included."""
        cursor = self._conn.execute(f"SELECT {_TASK_COLUMNS} FROM tasks ORDER BY intent_at, task_key")
        return [_task(row) for row in cursor]

    def set_task_status(self, statuses: Mapping[str, TaskStatus]) -> None:
        """Record HubSpot task statuses: task id → 'open' | 'completed' | 'deleted'."""
        for status in statuses.values():
            if status not in ("open", "completed", "deleted"):
                raise ValueError(f"task status must be 'open', 'completed' or 'deleted', not {status!r}")
        with self.transaction():
            self._conn.executemany(
                "UPDATE tasks SET status = ? WHERE task_id = ?",
                ((status, task_id) for task_id, status in statuses.items()),
            )

    def drop_intents(self, keys: Iterable[str]) -> None:
        """Delete unconfirmed intents (created tasks are never dropped)."""
        with self.transaction():
            self._conn.executemany(
                "DELETE FROM tasks WHERE task_key = ? AND state = 'intent'", ((key,) for key in keys)
            )

    # runs

    def start_run(self, command: str) -> int:
        """Record the start of a command run; return its id."""
        with self.transaction():
            cursor = self._conn.execute(
                "INSERT INTO runs (command, started_at) VALUES (?, ?)", (command, to_ms(self._clock()))
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, exit_code: int, summary: Mapping[str, Any]) -> None:
        """Record a run's end, exit code and JSON summary."""
        with self.transaction():
            self._conn.execute(
                "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE run_id = ?",
                (to_ms(self._clock()), exit_code, json.dumps(summary, sort_keys=True, default=str), run_id),
            )
