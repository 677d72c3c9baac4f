"""Push: batch updates of changed values only, and the record of what HubSpot confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.core.diff import ValuePlan
from connector.core.records import chunked
from connector.errors import ConfigError
from connector.hubspot import BATCH_SIZE, BatchWriteResult, HubSpotClient, RecordFailure
from connector.ledger import Ledger
from connector.pipeline.progress import Phase, Progress


@dataclass
class PushResult:
    """What the push did: records that failed, and when HubSpot stamped our last contact write."""

    failures: list[RecordFailure] = field(default_factory=list)
    updated: dict[str, int] = field(default_factory=dict)
    last_contact_write: datetime | None = None


class Pusher:
    """Writes a `ValuePlan` to HubSpot and records the confirmed values in the ledger."""

    def __init__(self, client: HubSpotClient, ledger: Ledger, log: Any, progress: Progress | None = None) -> None:
        self.client = client
        self.ledger = ledger
        self.log = log
        self.progress = progress or Progress(log)

    def push(self, plan: ValuePlan, *, full: bool) -> PushResult:
        """Send the changed values; after a full read of HubSpot (`full`), the ledger holds all desired values."""
        result = PushResult()
        total = len(plan.contact_updates) + len(plan.company_updates)
        with self.progress.phase("push", total=total) as phase:
            for object_type, desired, updates in (
                ("contacts", plan.contact_desired, plan.contact_updates),
                ("companies", plan.company_desired, plan.company_updates),
            ):
                failed = self._push(object_type, updates, result, phase)
                if full:
                    # A backfill read HubSpot's values: everything not failed now holds the desired values.
                    self.ledger.forget_written(object_type)
                    self.ledger.record_written(object_type, {i: v for i, v in desired.items() if i not in failed})
        return result

    def _push(
        self, object_type: str, updates: Mapping[str, dict[str, str]], result: PushResult, phase: Phase
    ) -> set[str]:
        """Write in batches of 100, a few at a time, recording each batch as soon as HubSpot confirms it.

        Waves of `client.concurrency` batches share the one rate limiter, so the push is held to
        the limit rather than to HubSpot's latency; a stop (SIGTERM) or a refused wave ends the
        push after the batches in flight, and what they landed is recorded first.
        """
        failed: set[str] = set()
        applied = 0
        chunks = [{i: updates[i] for i in ids} for ids in chunked(updates, BATCH_SIZE)]
        width = max(1, self.client.concurrency)
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="push") as pool:
            for start in range(0, len(chunks), width):
                wave = chunks[start : start + width]
                futures = [pool.submit(self.client.batch_update, object_type, chunk) for chunk in wave]
                error: BaseException | None = None
                for chunk, future in zip(wave, futures, strict=True):
                    try:
                        outcome = future.result()
                    except BaseException as exc:  # re-raised below, once the wave's landings are recorded
                        error = error or exc
                        continue
                    error = error or self._record(object_type, chunk, outcome, result)
                    failed |= {f.id for f in outcome.failures}
                    applied += len(outcome.ok)
                    phase.advance(len(chunk))
                if error is not None:
                    raise error
        if updates:
            result.updated[object_type] = applied
            self.log.info("push.done", object_type=object_type, updated=applied, failed=len(failed))
        return failed

    def _record(
        self, object_type: str, chunk: Mapping[str, dict[str, str]], outcome: BatchWriteResult, result: PushResult
    ) -> ConfigError | None:
        """Record what HubSpot confirmed of one batch; a ConfigError when the properties do not exist."""
        unknown = next((f for f in outcome.failures if "PROPERTY_DOESNT_EXIST" in f.message), None)
        if unknown is not None and not outcome.ok:
            return ConfigError(
                f"HubSpot has no {object_type} properties for the NPS values (run `nps-connector setup`, "
                f"or check the names in [properties]): {unknown.message[:300]}"
            )
        ok = set(outcome.ok)
        self.ledger.record_written(object_type, {i: chunk[i] for i in ok})
        if object_type == "contacts":
            stamps = {i: t for i, t in outcome.updated_at.items() if i in ok}
            self.ledger.set_contacts_modified(stamps)
            latest = max(stamps.values(), default=None)
            if latest is not None and (result.last_contact_write is None or latest > result.last_contact_write):
                result.last_contact_write = latest
        for failure in outcome.failures:
            self.log.error(
                "push.record_failed",
                object_type=object_type,
                record_id=failure.id,
                category=failure.category,
                message=failure.message,
            )
        result.failures.extend(outcome.failures)
        return None
