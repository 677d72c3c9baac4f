"""`HubSpotClient`: typed HubSpot CRM operations over `hubspot-api-client`.

Every HTTP call goes through `HubSpotTransport._call` (transport.py): rate limiter, SDK call,
error mapping, retries, call counts. Results are the dataclasses of `models.py`; no SDK
object leaves this package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal, TypeVar

from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate

from connector.core.records import chunked
from connector.errors import HubSpotRequestError

from . import convert, scopes
from .errors import WriteOutcomeUnknown
from .limits import ASSOCIATION_BATCH_SIZE, BATCH_SIZE, PAGE_SIZE
from .models import (
    AssociationTarget,
    BatchReadResult,
    BatchWriteResult,
    Owner,
    PropertyInfo,
    Record,
    RecordFailure,
    SearchPage,
    TaskInput,
)
from .tasks import align_ids, batch_create_request
from .transport import HubSpotTransport

Created = Literal["created", "exists"]
T = TypeVar("T")
R = TypeVar("R")


class HubSpotClient(HubSpotTransport):
    """The connector's only door to HubSpot (or the sandbox at `base_url`).

    Construct with ``HubSpotClient(base_url, access_token, *, requests_per_10s=100,
    search_per_second=4, max_retries=6, timeout_seconds=30, logger=None, clock=..., sleep=...)``.
    """

    # Independent reads in flight at once. Every call still passes the one rate limiter in
    # `_call`, so this only hides HubSpot's latency: wall time approaches the rate-limit floor.
    concurrency = 4

    def _concurrently(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`fn` over independent reads, at most `concurrency` at a time, results in input order."""
        if len(items) <= 1 or self.concurrency <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(fn, items))

    # ------------------------------------------------------------------ records

    def list_objects(
        self,
        object_type: str,
        properties: Sequence[str],
        associations: Sequence[str] = (),
        after: str | None = None,
        limit: int = PAGE_SIZE,
        *,
        archived: bool = False,
    ) -> tuple[list[Record], str | None]:
        """One page of ``GET /crm/v3/objects/{object_type}``: records and the next cursor.

        With `archived`, only deleted records (HubSpot keeps them restorable for 90 days).
        """
        response = self._call(
            f"{object_type}.list_archived" if archived else f"{object_type}.list",
            lambda: self._objects_basic.get_page_with_http_info(
                object_type,
                limit=limit,
                after=after,
                properties=list(properties) or None,
                associations=list(associations) or None,
                archived=archived,
                _request_timeout=self._timeout,
            ),
            scopes=scopes.object_read(object_type),
        )
        return convert.records(getattr(response.data, "results", None)), convert.next_after(response.data)

    def iter_objects(
        self,
        object_type: str,
        properties: Sequence[str],
        associations: Sequence[str] = (),
        limit: int = PAGE_SIZE,
        *,
        archived: bool = False,
    ) -> Iterator[Record]:
        """Every record of `object_type` (or every deleted one), page by page, until HubSpot gives no next page."""
        after: str | None = None
        seen: set[str] = set()
        while True:
            page, after = self.list_objects(
                object_type, properties, associations, after=after, limit=limit, archived=archived
            )
            yield from page
            if after is None:
                return
            if after in seen:
                raise HubSpotRequestError(f"HubSpot {object_type}.list repeated the paging cursor {after!r}")
            seen.add(after)

    def search(
        self,
        object_type: str,
        filter_groups: Sequence[Mapping[str, Any]],
        sorts: Sequence[Mapping[str, Any]] = (),
        properties: Sequence[str] = (),
        limit: int = 200,
        after: int | None = None,
    ) -> SearchPage:
        """One page of ``POST /crm/v3/objects/{object_type}/search`` (search rate limit applies).

        `filter_groups` and `sorts` are HubSpot's JSON shapes as dicts (sent as they are).
        """
        request = PublicObjectSearchRequest(
            filter_groups=[dict(group) for group in filter_groups],
            sorts=[dict(sort) for sort in sorts],
            properties=list(properties),
            limit=limit,
            after=None if after is None else str(after),
            local_vars_configuration=_config(self._objects_search),
        )
        response = self._call(
            f"{object_type}.search",
            lambda: self._objects_search.do_search_with_http_info(object_type, request, _request_timeout=self._timeout),
            search=True,
            scopes=scopes.object_read(object_type),
        )
        results = convert.records(getattr(response.data, "results", None))
        total = getattr(response.data, "total", None)
        return SearchPage(
            total=total if isinstance(total, int) else len(results),
            results=results,
            next_after=convert.next_after(response.data),
        )

    def get_object(self, object_type: str, object_id: str, properties: Sequence[str]) -> Record | None:
        """``GET /crm/v3/objects/{object_type}/{id}``; None on 404.

        For a merged-away id HubSpot answers with the survivor, whose `id` differs from `object_id`.
        """
        try:
            response = self._call(
                f"{object_type}.get",
                lambda: self._objects_basic.get_by_id_with_http_info(
                    object_type,
                    object_id,
                    properties=list(properties) or None,
                    archived=False,
                    _request_timeout=self._timeout,
                ),
                scopes=scopes.object_read(object_type),
            )
        except HubSpotRequestError as exc:
            if exc.status == 404:
                return None
            raise
        return convert.record(response.data)

    def batch_read(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> BatchReadResult:
        """``POST .../batch/read`` in chunks of 100, read concurrently; see `BatchReadResult`."""
        result = BatchReadResult(records=[], missing=[], unmatched=[])
        chunks = list(chunked(dict.fromkeys(ids), BATCH_SIZE))
        for part in self._concurrently(lambda chunk: self._read_chunk(object_type, chunk, properties), chunks):
            result.records.extend(part.records)
            result.missing.extend(part.missing)
            result.unmatched.extend(part.unmatched)
        return result

    def _read_chunk(self, object_type: str, chunk: list[str], properties: Sequence[str]) -> BatchReadResult:
        config = _config(self._objects_batch)
        request = BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i, local_vars_configuration=config) for i in chunk],
            local_vars_configuration=config,
            properties=list(properties),
            properties_with_history=[],
        )
        try:
            response = self._call(
                f"{object_type}.batch_read",
                partial(
                    self._objects_batch.read_with_http_info,
                    object_type,
                    request,
                    archived=False,
                    _request_timeout=self._timeout,
                ),
                scopes=scopes.object_read(object_type),
            )
        except HubSpotRequestError as exc:
            if exc.status == 404:  # reported for a batch whose ids are all missing
                return BatchReadResult(records=[], missing=list(chunk), unmatched=[])
            raise
        records = convert.records(getattr(response.data, "results", None))
        errored = {i for ids_, _ in convert.batch_errors(getattr(response.data, "errors", None)) for i in ids_}
        returned = {rec.id for rec in records}
        return BatchReadResult(
            records=records,
            missing=[i for i in chunk if i in errored and i not in returned],
            unmatched=[i for i in chunk if i not in errored and i not in returned],
        )

    def batch_update(self, object_type: str, updates: Mapping[str, Mapping[str, str]]) -> BatchWriteResult:
        """``POST .../batch/update`` in chunks of 100 (idempotent, so retried freely).

        Per-record errors (a 207, or from 2026-09 an `errors` array in the 200) become failures.
        A chunk refused as a whole (400) is split in halves until the refused records are alone,
        so one record a portal validation rule rejects does not block the others; a refusal that
        names no record (e.g. a property that does not exist) fails the chunk without splitting.
        """
        result = BatchWriteResult(ok=[], failures=[], updated_at={})
        for chunk in chunked(updates, BATCH_SIZE):
            self._update_chunk(object_type, chunk, updates, result)
        return result

    def _update_chunk(
        self, object_type: str, chunk: list[str], updates: Mapping[str, Mapping[str, str]], result: BatchWriteResult
    ) -> None:
        config = _config(self._objects_batch)
        request = BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(
                    id=i, properties=dict(updates[i]), object_write_trace_id=i, local_vars_configuration=config
                )
                for i in chunk
            ],
            local_vars_configuration=config,
        )
        try:
            response = self._call(
                f"{object_type}.batch_update",
                partial(
                    self._objects_batch.update_with_http_info, object_type, request, _request_timeout=self._timeout
                ),
                scopes=scopes.object_write(object_type),
            )
        except HubSpotRequestError as exc:
            if len(chunk) > 1 and exc.status == 400 and not _names_no_record(str(exc)):
                half = len(chunk) // 2
                self._update_chunk(object_type, chunk[:half], updates, result)
                self._update_chunk(object_type, chunk[half:], updates, result)
                return
            result.failures.extend(RecordFailure(i, exc.category or f"HTTP {exc.status}", str(exc)) for i in chunk)
            return
        chunk_failures = convert.write_failures(chunk, response.data)
        failed = {failure.id for failure in chunk_failures}
        result.failures.extend(chunk_failures)
        result.ok.extend(i for i in chunk if i not in failed)
        for rec in convert.records(getattr(response.data, "results", None)):
            if rec.updated_at is not None:
                result.updated_at[rec.id] = rec.updated_at

    # ------------------------------------------------------------------ associations, owners

    def associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[AssociationTarget]]:
        """v4 batch read of associations, ≤1,000 inputs a call, following each input's paging.

        Every requested id is a key (an empty list when it has no associations).
        """
        result: dict[str, list[AssociationTarget]] = {i: [] for i in dict.fromkeys(ids)}
        pending: list[tuple[str, str | None]] = [(i, None) for i in result]
        requested: set[tuple[str, str | None]] = set(pending)
        operation = f"associations.{from_type}.{to_type}"
        while pending:
            chunk, pending = pending[:ASSOCIATION_BATCH_SIZE], pending[ASSOCIATION_BATCH_SIZE:]
            config = _config(self._associations_batch)
            request = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[
                    PublicFetchAssociationsBatchRequest(id=i, after=after, local_vars_configuration=config)
                    for i, after in chunk
                ],
                local_vars_configuration=config,
            )
            response = self._call(
                operation,
                partial(
                    self._associations_batch.get_page_with_http_info,
                    from_type,
                    to_type,
                    request,
                    _request_timeout=self._timeout,
                ),
                scopes=scopes.associations_read(from_type, to_type),
            )
            for item in getattr(response.data, "results", None) or []:
                from_id = str(getattr(getattr(item, "_from", None), "id", "") or "")
                if not from_id:
                    continue
                targets = result.setdefault(from_id, [])
                convert.merge_targets(targets, convert.association_targets(getattr(item, "to", None)))
                after = convert.next_after(item)
                if after is not None and (from_id, after) not in requested:
                    requested.add((from_id, after))
                    pending.append((from_id, after))
        return result

    def list_owners(self, archived: bool = False) -> list[Owner]:
        """All owners (``archived=True``: only the deactivated ones, as HubSpot defines it)."""
        owners: list[Owner] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            response = self._call(
                "owners.list",
                partial(
                    self._owners.get_page_with_http_info,
                    after=after,
                    limit=PAGE_SIZE,
                    archived=archived,
                    _request_timeout=self._timeout,
                ),
                scopes=scopes.OWNERS_READ,
            )
            owners.extend(convert.owner(o) for o in getattr(response.data, "results", None) or [])
            after = convert.next_after(response.data)
            if after is None or after in seen:
                return owners
            seen.add(after)

    # ------------------------------------------------------------------ properties

    def list_properties(self, object_type: str) -> list[PropertyInfo]:
        """Every (non-archived) property definition of `object_type`."""
        response = self._call(
            f"properties.{object_type}.list",
            lambda: self._properties.get_all_with_http_info(
                object_type, archived=False, _request_timeout=self._timeout
            ),
            scopes=scopes.schema_read(object_type),
        )
        return [convert.property_info(p) for p in getattr(response.data, "results", None) or []]

    def list_property_groups(self, object_type: str) -> list[str]:
        """The names of the property groups of `object_type`."""
        response = self._call(
            f"properties.{object_type}.list_groups",
            lambda: self._groups.get_all_with_http_info(object_type, _request_timeout=self._timeout),
            scopes=scopes.schema_read(object_type),
        )
        return [str(getattr(g, "name", "")) for g in getattr(response.data, "results", None) or []]

    def create_property_group(self, object_type: str, name: str, label: str) -> Created:
        """Create a property group; 'exists' when HubSpot answers 409."""
        request = PropertyGroupCreate(name=name, label=label)
        return self._create(
            f"properties.{object_type}.create_group",
            lambda: self._groups.create_with_http_info(object_type, request, _request_timeout=self._timeout),
            scopes.schema_write(object_type),
        )

    def create_property(
        self,
        object_type: str,
        *,
        name: str,
        label: str,
        type: str,
        field_type: str,
        group_name: str,
        description: str = "",
        options: Sequence[tuple[str, str]] = (),
    ) -> Created:
        """Create a property; `options` are (value, label) pairs; 'exists' on 409."""
        request = PropertyCreate(
            name=name,
            label=label,
            type=type,
            field_type=field_type,
            group_name=group_name,
            description=description,
            options=[
                OptionInput(value=value, label=opt_label, display_order=order, hidden=False)
                for order, (value, opt_label) in enumerate(options)
            ]
            or None,
        )
        return self._create(
            f"properties.{object_type}.create",
            lambda: self._properties.create_with_http_info(object_type, request, _request_timeout=self._timeout),
            scopes.schema_write(object_type),
        )

    def _create(self, operation: str, fn: Callable[[], Any], needed: Sequence[str]) -> Created:
        try:
            self._call(operation, fn, scopes=needed)
        except HubSpotRequestError as exc:
            if exc.status == 409:
                return "exists"
            raise
        return "created"

    # ------------------------------------------------------------------ tasks, probe

    def create_tasks(self, inputs: Sequence[TaskInput]) -> list[str]:
        """Batch-create tasks (≤100 a call, associated with contact 204 / company 192).

        Returns the new task ids in input order. Never repeats a request that may have landed:
        a connection lost after sending (or a gateway timeout) raises `WriteOutcomeUnknown`,
        carrying the ids created so far, the uncertain inputs and those never sent.
        429/5xx answers mean nothing was applied and are retried.
        """
        created: list[str] = []
        chunks = list(chunked(inputs, BATCH_SIZE))
        for index, chunk in enumerate(chunks):
            request = batch_create_request(chunk, _config(self._objects_batch))
            try:
                response = self._call(
                    "tasks.batch_create",
                    partial(
                        self._objects_batch.create_with_http_info, "tasks", request, _request_timeout=self._timeout
                    ),
                    write_safe_to_retry=False,
                    scopes=scopes.object_write("tasks"),
                )
            except WriteOutcomeUnknown as exc:
                raise WriteOutcomeUnknown(
                    str(exc),
                    operation="tasks.batch_create",
                    created_ids=created,
                    uncertain=chunk,
                    not_sent=[task for later in chunks[index + 1 :] for task in later],
                ) from exc
            records = convert.records(getattr(response.data, "results", None))
            errors = convert.batch_errors(getattr(response.data, "errors", None))
            ids = align_ids(chunk, records) if not errors else None
            if ids is None:
                raise WriteOutcomeUnknown(
                    f"HubSpot tasks.batch_create answered {len(records)} task(s) and {len(errors)} error(s) "
                    f"for {len(chunk)} input(s); which inputs were created is unclear",
                    operation="tasks.batch_create",
                    created_ids=created,
                    uncertain=chunk,
                    not_sent=[task for later in chunks[index + 1 :] for task in later],
                )
            created.extend(ids)
        return created

    def probe(self, object_type: str, scope_hint: str | Sequence[str]) -> None:
        """A one-record list call, to check the token and a scope (401/403 raise, mapped)."""
        needed = (scope_hint,) if isinstance(scope_hint, str) else tuple(scope_hint)
        self._call(
            f"{object_type}.probe",
            lambda: self._objects_basic.get_page_with_http_info(
                object_type, limit=1, archived=False, _request_timeout=self._timeout
            ),
            scopes=needed,
        )


def _names_no_record(message: str) -> bool:
    """Whether a refusal is about the request itself (every record would fail alike), not one record."""
    return "PROPERTY_DOESNT_EXIST" in message or "does not exist" in message


def _config(api: Any) -> Any:
    """The SDK configuration of `api`, for the request models built for it.

    A generated model built without one makes its own copy of the default configuration (about
    45 µs, a logger set-up each time): 1,000 of them per association batch read, 100 per batch
    update. Passing the client's own changes nothing else: it is what the SDK passes to the
    models it deserialises.
    """
    return api.api_client.configuration
