"""The ledger's schema: forward-only migrations, versioned by `PRAGMA user_version`."""

from __future__ import annotations

# Each migration is a list of statements run in one transaction; append, never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE answers (
            submission_id TEXT PRIMARY KEY,
            contact_id TEXT,
            survey_type TEXT NOT NULL,
            survey_id TEXT NOT NULL,
            survey_name TEXT NOT NULL,
            raw_value TEXT,
            submitted_at INTEGER NOT NULL,
            modified_at INTEGER NOT NULL,
            content TEXT NOT NULL
        )""",
        "CREATE INDEX answers_submitted_at ON answers (submitted_at)",
        """CREATE TABLE contacts (
            contact_id TEXT PRIMARY KEY,
            email TEXT,
            firstname TEXT,
            lastname TEXT,
            owner_id TEXT,
            company_id TEXT,
            "exists" INTEGER NOT NULL DEFAULT 1,
            updated_at INTEGER
        )""",
        "CREATE TABLE aliases (old_id TEXT PRIMARY KEY, contact_id TEXT NOT NULL)",
        "CREATE TABLE companies (company_id TEXT PRIMARY KEY, name TEXT, owner_id TEXT)",
        "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE written (
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            property TEXT NOT NULL,
            value TEXT NOT NULL,
            written_at INTEGER NOT NULL,
            PRIMARY KEY (object_type, object_id, property)
        )""",
        """CREATE TABLE tasks (
            submission_id TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('intent', 'created')),
            task_id TEXT,
            contact_id TEXT,
            company_id TEXT,
            owner_id TEXT,
            due_at INTEGER NOT NULL,
            intent_at INTEGER NOT NULL,
            created_at INTEGER,
            status TEXT CHECK (status IN ('open', 'completed')),
            kind TEXT NOT NULL DEFAULT 'answer'
        )""",
        "CREATE INDEX tasks_task_id ON tasks (task_id)",
        """CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            command TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            exit_code INTEGER,
            summary TEXT NOT NULL DEFAULT '{}'
        )""",
    ),
    # 2: a task status 'deleted' (gone from HubSpot), so deleted tasks are not read every run.
    # SQLite cannot alter a CHECK constraint: rebuild the table.
    (
        """CREATE TABLE tasks_v2 (
            submission_id TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('intent', 'created')),
            task_id TEXT,
            contact_id TEXT,
            company_id TEXT,
            owner_id TEXT,
            due_at INTEGER NOT NULL,
            intent_at INTEGER NOT NULL,
            created_at INTEGER,
            status TEXT CHECK (status IN ('open', 'completed', 'deleted')),
            kind TEXT NOT NULL DEFAULT 'answer'
        )""",
        "INSERT INTO tasks_v2 SELECT * FROM tasks",
        "DROP TABLE tasks",
        "ALTER TABLE tasks_v2 RENAME TO tasks",
        "CREATE INDEX tasks_task_id ON tasks (task_id)",
    ),
    # 3: the task key and the submission id are two columns. Until now `submission_id` also held
    # the synthetic `at_risk:<company>:<window>` keys; company tasks now have no submission id.
    (
        """CREATE TABLE tasks_v3 (
            task_key TEXT PRIMARY KEY,
            submission_id TEXT,
            state TEXT NOT NULL CHECK (state IN ('intent', 'created')),
            task_id TEXT,
            contact_id TEXT,
            company_id TEXT,
            owner_id TEXT,
            due_at INTEGER NOT NULL,
            intent_at INTEGER NOT NULL,
            created_at INTEGER,
            status TEXT CHECK (status IN ('open', 'completed', 'deleted')),
            kind TEXT NOT NULL DEFAULT 'answer' CHECK (kind IN ('answer', 'at_risk')),
            CHECK ((kind = 'answer') = (submission_id IS NOT NULL))
        )""",
        """INSERT INTO tasks_v3 SELECT submission_id, CASE WHEN kind = 'answer' THEN submission_id END,
            state, task_id, contact_id, company_id, owner_id, due_at, intent_at, created_at, status, kind
            FROM tasks""",
        "DROP TABLE tasks",
        "ALTER TABLE tasks_v3 RENAME TO tasks",
        "CREATE INDEX tasks_task_id ON tasks (task_id)",
        "CREATE INDEX tasks_submission_id ON tasks (submission_id)",
    ),
    # 4: B2B depth: a contact's role (the weighting property's value) and a company's contact count.
    (
        "ALTER TABLE contacts ADD COLUMN role TEXT",
        "ALTER TABLE companies ADD COLUMN contact_count INTEGER",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
