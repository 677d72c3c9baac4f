"""The local SQLite ledger: what the connector knows between runs.

schema.py  forward-only migrations (`PRAGMA user_version`)
store.py   `Ledger`: queries and transactions over the model rows
lock.py    the run lock (flock on `<ledger>.lock`)
"""

from __future__ import annotations

from .schema import SCHEMA_VERSION
from .store import Ledger

__all__ = ["SCHEMA_VERSION", "Ledger"]
