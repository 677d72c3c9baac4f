"""The sandbox's state beyond HTTP: the portal, its tokens, stats, and the --state file with its journal.

Tokens (DESIGN, fixture format): a fixture's `tokens` list defines tokens with limited scopes;
`--token` has all scopes. With a non-empty list, only listed tokens and `--token` are accepted
(HubSpot answers 401 to any other); without one, `--token` alone when given, else any non-empty
bearer token with all scopes.

Durability: with `--state`, each write request's changes are journaled and fsynced before the
answer (journal.py); `save_state` checkpoints the whole portal atomically and empties the journal.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.fixture import load_portal, snapshot, string_props
from connector.sandbox.journal import Journal, journal_path, replay
from connector.sandbox.limits import FAULT_KINDS, Faults, RateLimits
from connector.sandbox.rules import ValidationRule
from connector.sandbox.scopes import ALL_SCOPES
from connector.sandbox.store import Portal, Record
from connector.sandbox.times import iso_ms, parse_instant_ms


@dataclass
class SandboxOptions:
    """Everything `nps-connector sandbox` can set."""

    token: str | None = None
    rate_limit: int = 190
    search_rate_limit: int = 5
    daily_limit: int = 1_000_000
    search_lag_ms: float = 2000
    time_scale: float = 1.0
    faults: str | None = None
    state_file: Path | None = None
    log_requests: bool = True


class Sandbox:
    """A portal plus the HTTP-level state (tokens, limits, faults, stats, persistence)."""

    def __init__(self, fixture: dict[str, Any], options: SandboxOptions) -> None:
        self.options = options
        self.fixture = fixture
        if options.time_scale <= 0:
            raise ValueError("--time-scale must be positive")
        self.faults = Faults.parse(options.faults)
        self.limits = RateLimits(
            options.rate_limit, options.search_rate_limit, options.daily_limit, options.time_scale, time.monotonic
        )
        self.tokens: dict[str, frozenset[str]] = {}
        self.restricted = False  # a tokens list is defined: no other token is accepted
        self.stats_lock = threading.Lock()
        self.internal_errors = 0  # requests that raised past every handler (answered 500, counted here)
        self._dirty = False
        self.journal = Journal(journal_path(options.state_file)) if options.state_file else None
        self.portal = self._build(fixture)
        self.reset_stats()

    def _build(self, fixture: dict[str, Any]) -> Portal:
        source, seq = fixture, 0
        state = self.options.state_file
        if state is not None and state.exists():
            source = json.loads(state.read_text(encoding="utf-8"))
            seq = int(source.get("journal_seq") or 0)
        portal = self._load(source)
        listed = source.get("tokens") or []
        self.restricted = bool(listed)
        self.tokens = {str(t["token"]): frozenset(t.get("scopes") or ()) for t in listed}
        if self.options.token:
            self.tokens[self.options.token] = ALL_SCOPES
        if self.journal is not None:
            self.journal.seq = seq
            with portal.lock:
                for line_seq, changes in self.journal.entries(after=seq):
                    replay(portal, changes)
                    self.journal.seq = line_seq
                    self._dirty = True
                for view in portal.views.values():  # replayed writes are the portal's past too
                    view.refresh(float("inf"))
            portal.changes = []
        return portal

    def _load(self, data: dict[str, Any]) -> Portal:
        # --time-scale shrinks the search lag like every other window.
        return load_portal(data, search_lag_ms=self.options.search_lag_ms / self.options.time_scale)

    def reset_stats(self) -> None:
        """Zero the counters of /_sandbox/stats."""
        with self.stats_lock:
            self.calls = 0
            self.writes = 0
            self.throttled = 0
            self.by_route: Counter[str] = Counter()
            self.fault_counts: Counter[str] = Counter(dict.fromkeys(FAULT_KINDS, 0))

    def stats(self) -> dict[str, Any]:
        """The /_sandbox/stats body."""
        with self.stats_lock:
            return {
                "calls": self.calls,
                "writes": self.writes,
                "throttled": self.throttled,
                "by_route": dict(self.by_route),
                "faults": {k: self.fault_counts[k] for k in FAULT_KINDS},
            }

    def scopes_for(self, token: str) -> frozenset[str] | None:
        """The token's scopes, or None when it is not accepted (401)."""
        if token in self.tokens:
            return self.tokens[token]
        if token and not self.options.token and not self.restricted:
            return ALL_SCOPES  # no --token and no tokens list: any non-empty bearer token
        return None

    def commit(self) -> None:
        """Journal the portal's pending changes (call under the portal lock, before answering)."""
        changes = self.portal.take_changes()
        if not changes or self.journal is None:
            return
        self._dirty = True
        if self.options.state_file is not None and not self.options.state_file.exists():
            # The first write checkpoints the whole portal: a fixture loaded again would stamp
            # records without dates with a new "now", so the journal needs a fixed base.
            self.save_state()
            return
        self.journal.append(changes)

    def reset(self) -> None:
        """Back to the fixture (POST /_sandbox/reset); checkpointed at once under --state."""
        portal = self._load(self.fixture)
        portal.changes = [] if self.journal is not None else None
        with self.portal.lock:
            self.portal = portal
        self.reset_stats()
        self.mark_dirty()
        self.save_state()

    def add_submissions(self, items: list[Any]) -> int:
        """POST /_sandbox/feedback_submissions: answers arrive now unless their times are given."""
        if not all(isinstance(i, dict) and isinstance(i.get("properties", {}), dict) for i in items):
            raise ApiError(400, "VALIDATION_ERROR", "each feedback submission is an object with object properties")
        portal = self.portal
        with portal.lock:
            now = portal.now_ms()
            for item in items:
                props = string_props(item)
                rid = str(item.get("id") or portal.new_id())
                portal.reserve_ids([rid])
                contact = portal.resolve("contacts", str(item["contact_id"])) if item.get("contact_id") else None
                if item.get("contact_id") and contact is None:
                    raise ApiError(400, "VALIDATION_ERROR", f"contact {item['contact_id']} does not exist")
                if contact is not None:
                    props.setdefault("hs_contact_id", contact.id)
                props.setdefault("hs_createdate", iso_ms(now))
                props.setdefault("hs_submission_timestamp", iso_ms(now))
                created = parse_instant_ms(props["hs_createdate"]) or now
                modified = parse_instant_ms(props.get("hs_lastmodifieddate", "")) or now
                portal.put_record("feedback_submissions", Record(rid, props, created, modified))
                if contact is not None:
                    portal.associate("feedback_submissions", rid, "contacts", contact.id, 98)
            self.commit()
        self.mark_dirty()
        return len(items)

    def add_validation_rules(self, rules: list[ValidationRule]) -> int:
        """POST /_sandbox/validation_rules: switch rules on at runtime (enforced from API version 2026-09)."""
        with self.portal.lock:
            self.portal.validation_rules = [*self.portal.validation_rules, *rules]
        self.mark_dirty()
        self.save_state()  # rules are not journaled: a checkpoint keeps them
        return len(rules)

    def clear_validation_rules(self) -> int:
        """DELETE /_sandbox/validation_rules: switch every rule off; the number removed."""
        with self.portal.lock:
            removed = len(self.portal.validation_rules)
            self.portal.validation_rules = []
        self.mark_dirty()
        self.save_state()
        return removed

    def mark_dirty(self) -> None:
        """Note that the --state file needs writing."""
        self._dirty = True

    def save_state(self) -> None:
        """Checkpoint: write the portal to the --state file (atomically, fsynced) and empty the journal."""
        path = self.options.state_file
        if path is None or not self._dirty:
            return
        with self.portal.lock:  # no write may land between the snapshot and emptying the journal
            self._dirty = False
            data = snapshot(self.portal)
            data["tokens"] = [{"token": t, "scopes": sorted(s)} for t, s in self.tokens.items() if s is not ALL_SCOPES]
            data["journal_seq"] = self.journal.seq if self.journal else 0
            tmp = path.with_suffix(path.suffix + ".tmp")
            with tmp.open("w", encoding="utf-8") as out:
                out.write(json.dumps(data))
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(path)
            if self.journal is not None:
                self.journal.clear()
