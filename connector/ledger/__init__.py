"""The local SQLite ledger: what the connector knows between runs.

schema.py  forward-only migrations (`PRAGMA user_version`)
store.py   `Ledger`: queries and transactions over the model rows
lock.py    the run lock (flock on `<ledger>.lock`)
"""

from __future__ import annotations

from .schema import SCHEMA_VERSION
from .store import DAMAGED_HINT, Ledger, sqlite_errors

__all__ = ["DAMAGED_HINT", "SCHEMA_VERSION", "Ledger", "sqlite_errors"]
