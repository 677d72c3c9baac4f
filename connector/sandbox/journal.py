"""The --state journal: every write is on disk before the sandbox answers it.

`--state FILE` is a snapshot (the fixture format, written atomically) plus an append-only journal
beside it, `FILE.journal`. The portal records each change it makes (store.Portal.changes); the
server appends a request's changes as one JSON line and fsyncs before it answers, so a `kill -9`
loses nothing acknowledged. A checkpoint writes the snapshot with the last journal sequence it
includes (`journal_seq`) and empties the journal; a start loads the snapshot, then replays the
lines after that sequence. A torn last line was never acknowledged and is skipped.

Changes are states, not requests (a record's full properties, an association added, a record's
associations dropped, a property or group created), so replaying them needs no clock or id counter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from connector.sandbox.store import Portal, Record

Change = dict[str, Any]


def journal_path(state: Path) -> Path:
    """The journal beside a state file."""
    return state.with_name(state.name + ".journal")


class Journal:
    """Append-only, fsynced JSON lines of changes, numbered from the last checkpoint on."""

    def __init__(self, path: Path, seq: int = 0) -> None:
        self.path = path
        self.seq = seq  # the sequence number of the last line written or replayed

    def append(self, changes: list[Change]) -> None:
        """Write one request's changes durably (before its answer goes out)."""
        self.seq += 1
        line = json.dumps({"seq": self.seq, "changes": changes}, separators=(",", ":")) + "\n"
        # Append mode, opened per write: a checkpoint may have replaced the file meanwhile.
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    def entries(self, after: int) -> list[tuple[int, list[Change]]]:
        """The lines after sequence `after`, in order; a torn last line is left out."""
        if not self.path.exists():
            return []
        found = []
        for text in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(text)
                seq, changes = int(entry["seq"]), list(entry["changes"])
            except (ValueError, KeyError, TypeError):
                break  # a write cut short by a crash: never acknowledged
            if seq > after:
                found.append((seq, changes))
        return found

    def clear(self) -> None:
        """Empty the journal (after a checkpoint that includes every line)."""
        self.path.unlink(missing_ok=True)


def replay(portal: Portal, changes: list[Change]) -> None:
    """Apply journaled changes to a portal (under its lock, with change recording off)."""
    for change in changes:
        op = change["op"]
        if op == "record":
            otype = change["type"]
            rec = Record(
                change["id"],
                dict(change["properties"]),
                float(change["created_ms"]),
                float(change["updated_ms"]),
                archived=bool(change["archived"]),
                merged_into=change.get("merged_into"),
            )
            portal.reserve_ids([rec.id])
            portal.put_record(otype, rec)
        elif op == "associate":
            portal.associate(change["from_type"], change["from_id"], change["to_type"], change["to_id"], change["kind"])
        elif op == "drop_associations":
            portal.drop_associations(change["type"], change["id"])
        elif op == "group" and change["body"]["name"] not in portal.groups[change["type"]]:
            portal.create_group(change["type"], change["body"])
        elif op == "property" and change["body"]["name"] not in portal.props[change["type"]]:
            portal.create_property(change["type"], change["body"])
