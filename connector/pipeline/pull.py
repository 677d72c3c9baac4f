"""Pull from HubSpot: feedback submissions, the answering contacts, their primary companies.

Backfill searches the configured survey types (see `backfill_submissions` for the arithmetic),
or lists every submission when the filters do not fit one search.
Incremental runs search submissions by `hs_lastmodifieddate` (ascending) from the cursor minus a
look-back for HubSpot's search-index lag, and contacts someone else changed by `lastmodifieddate`;
search allows one sort rule and stops at 10,000 results, so past that the window restarts at the
last timestamp seen and ties on one timestamp are drained by `hs_object_id` (keyset paging that
always advances, so it cannot loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from connector.config import PropertyNames, ScoringSettings
from connector.core.records import chunked, id_order
from connector.core.values import parse_datetime, to_ms
from connector.hubspot import (
    ASSOCIATION_BATCH_SIZE,
    SEARCH_FILTER_GROUPS,
    SEARCH_PAGE_SIZE,
    SEARCH_RESULT_CAP,
    HubSpotClient,
    Record,
)
from connector.model import AnswerRow, CompanyRow, ContactRow
from connector.pipeline.progress import Phase, Progress

SUBMISSION_PROPS = (
    "hs_survey_type",
    "hs_survey_id",
    "hs_survey_name",
    "hs_value",
    "hs_content",
    "hs_submission_timestamp",
    "hs_lastmodifieddate",
    "hs_contact_id",
)
CONTACT_PROPS = ("email", "firstname", "lastname", "hubspot_owner_id", "hs_merged_object_ids", "lastmodifieddate")
COMPANY_PROPS = ("name", "hubspot_owner_id")
PRIMARY_COMPANY = 1  # contact→company association type id of the primary company


def answer_row(rec: Record, contact_id: str | None) -> AnswerRow | None:
    """A feedback submission as a ledger row; None when it has no usable submission time."""
    props = rec.properties
    submitted = parse_datetime(props.get("hs_submission_timestamp") or "") or parse_datetime(
        props.get("hs_createdate") or ""
    )
    if submitted is None:
        return None
    modified = parse_datetime(props.get("hs_lastmodifieddate") or "") or rec.updated_at or submitted
    return AnswerRow(
        submission_id=rec.id,
        contact_id=contact_id,
        survey_type=props.get("hs_survey_type") or "",
        survey_id=props.get("hs_survey_id") or "",
        survey_name=props.get("hs_survey_name") or "",
        raw_value=props.get("hs_value"),
        submitted_at=submitted,
        modified_at=modified.astimezone(UTC),
        content=props.get("hs_content") or "",
    )


@dataclass
class ContactRefresh:
    """Contacts as HubSpot has them now, merged ids resolved, with their primary companies."""

    contacts: dict[str, ContactRow] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # merged-away id -> survivor
    missing: list[str] = field(default_factory=list)  # deleted in HubSpot
    current: dict[str, dict[str, str | None]] = field(default_factory=dict)  # our properties as HubSpot holds them


def survey_groups(scoring: ScoringSettings) -> list[list[dict[str, Any]]]:
    """Search filter groups selecting NPS, CSAT and CES answers (EQ matches enumerations and strings alike)."""
    types = dict.fromkeys([*scoring.survey_types, *scoring.csat_survey_types, *scoring.ces_survey_types])
    ids = dict.fromkeys([*scoring.survey_ids, *scoring.csat_survey_ids, *scoring.ces_survey_ids])
    groups = [[{"propertyName": "hs_survey_type", "operator": "EQ", "value": t}] for t in types]
    groups += [[{"propertyName": "hs_survey_id", "operator": "EQ", "value": s}] for s in ids]
    # With more groups than HubSpot allows, pull everything modified and filter locally.
    return groups if 0 < len(groups) <= SEARCH_FILTER_GROUPS else [[]]


@dataclass(frozen=True)
class _Keyset:
    """A search over one object type by its modification-time property (for `_changed_since`)."""

    object_type: str
    modified: str
    properties: Sequence[str]

    def filter(self, operator: str, ms: int) -> dict[str, str]:
        """A filter on the modification time (epoch milliseconds, HubSpot's datetime filter format)."""
        return {"propertyName": self.modified, "operator": operator, "value": str(ms)}

    def stamp(self, rec: Record) -> int:
        """The record's modification time in epoch milliseconds (0 when missing or unreadable)."""
        dt = parse_datetime(rec.properties.get(self.modified) or "")
        return to_ms(dt) if dt else 0


class Puller:
    """Reads what a run needs from HubSpot through the HubSpot layer."""

    def __init__(
        self,
        client: HubSpotClient,
        names: PropertyNames,
        log: Any = None,
        progress: Progress | None = None,
        weight_property: str = "",
    ) -> None:
        self.client = client
        self.names = names
        self.log = log if log is not None else structlog.get_logger("connector.pull")
        self.progress = progress or Progress(self.log)
        self.weight_property = weight_property  # the contact property role weights are keyed by
        self._phase: Phase | None = None  # the phase search pages count towards
        self._on_page: Callable[[Sequence[Record]], None] | None = None  # sees each search page
        self._ahead: _ReadAhead | None = None  # what the backfill search read ahead, taken once

    # ----- feedback submissions

    def backfill_submissions(
        self, groups: Sequence[list[dict[str, Any]]], since: datetime | None, until: datetime | None
    ) -> tuple[list[AnswerRow], str]:
        """The answers a backfill stores, read by the cheaper of HubSpot's two documented ways; and which.

        Listing: ceil(all / 100) calls, every survey type, the contact association inline, no cap.
        Search: ceil(nps / 200) pages of the NPS survey groups only (sliced under the 10,000 cap),
        filtered to [since, until) by HubSpot, plus ceil(nps / 1,000) association batch reads for
        the contacts. Per answer, search costs 0.006 calls against listing's at least 0.01
        (all >= nps), so search never costs more, except when both round up to one page: a portal
        of at most 100 submissions, listing 1 call, search 2. Learning the counts first would cost
        2 calls on every backfill to save 1 on such a portal, so a backfill searches whenever the
        filters fit HubSpot's limits (e.g. 12,008 submissions of which 9,800 NPS: listing 121
        calls, search 49 + 10 = 59). A search stores only the NPS answers of the range, which is
        all scoring reads; one the search index has not caught up with yet is read by the next
        sync's look-back, like any new answer.
        """
        ranged = [*self._range_filters(since, until)]
        search_groups = [[*g, *ranged] for g in groups]
        # HubSpot: 6 filters per group, 18 in all; the keyset slicing adds two (time, then id).
        fits = groups != [[]] and all(len(g) + 2 <= 6 for g in search_groups)
        fits = fits and sum(len(g) + 2 for g in search_groups) <= 18
        if fits:
            self.log.info("pull.plan", plan="search", groups=len(search_groups))
            with _ReadAhead(self) as ahead:
                records = self.changed_submissions(datetime.fromtimestamp(0, tz=UTC), search_groups, ahead.add)
                links = ahead.finish([r.id for r in records])
            self._ahead = ahead
            rows = [row for r in records if (row := answer_row(r, links.get(r.id))) is not None]
            return rows, "search"
        self.log.info("pull.plan", plan="list", reason="too many survey filters for one search")
        return list(self.all_submissions()), "list"

    @staticmethod
    def _range_filters(since: datetime | None, until: datetime | None) -> Iterator[dict[str, str]]:
        if since is not None:
            yield {"propertyName": "hs_submission_timestamp", "operator": "GTE", "value": str(to_ms(since))}
        if until is not None:
            yield {"propertyName": "hs_submission_timestamp", "operator": "LT", "value": str(to_ms(until))}

    def all_submissions(self) -> Iterator[AnswerRow]:
        """Every feedback submission with its associated contact (list paging, no 10,000 cap)."""
        with self.progress.phase("submissions") as phase:
            for rec in self.client.iter_objects("feedback_submissions", SUBMISSION_PROPS, associations=("contacts",)):
                phase.advance()
                linked = rec.associations.get("contacts") or []
                row = answer_row(rec, linked[0] if linked else None)
                if row is not None:
                    yield row

    def changed_submissions(
        self,
        since: datetime,
        groups: Sequence[list[dict[str, Any]]],
        on_page: Callable[[Sequence[Record]], None] | None = None,
    ) -> list[Record]:
        """Submissions modified at or after `since`, oldest first, across any number of results."""
        query = _Keyset("feedback_submissions", "hs_lastmodifieddate", SUBMISSION_PROPS)
        with self.progress.phase("submissions") as self._phase:
            self._on_page = on_page
            try:
                return self._changed_since(query, to_ms(since), groups)
            finally:
                self._phase, self._on_page = None, None

    def changed_contacts(self, since_ms: int, known: Mapping[str, ContactRow]) -> set[str]:
        """Known contacts someone else changed since we last read or wrote them (owner, merge, company)."""
        if not known:
            return set()
        query = _Keyset("contacts", "lastmodifieddate", ("lastmodifieddate",))
        found: set[str] = set()
        for rec in self._changed_since(query, max(0, since_ms), [[]]):
            row = known.get(rec.id)
            modified = parse_datetime(rec.properties.get("lastmodifieddate") or "")
            # Our own writes move lastmodifieddate too; only a stamp we have not seen means a change.
            if row is not None and (row.updated_at is None or modified != row.updated_at):
                found.add(rec.id)
        return found

    def deleted_contacts(self, known: Mapping[str, ContactRow]) -> list[str]:
        """Contacts the ledger holds as existing that HubSpot lists as deleted.

        Search never returns deleted records, so they are listed with `archived=true`: HubSpot
        keeps a deleted contact restorable for 90 days, so the list holds only recent deletions and
        usually costs one call. A restored contact changes `lastmodifieddate` and is read again
        through `changed_contacts`.
        """
        if not any(row.exists for row in known.values()):
            return []
        gone = {rec.id for rec in self.client.iter_objects("contacts", ["hs_object_id"], archived=True)}
        return sorted((cid for cid, row in known.items() if row.exists and cid in gone), key=id_order)

    def _changed_since(self, query: _Keyset, since_ms: int, groups: Sequence[list[dict[str, Any]]]) -> list[Record]:
        """Records modified at or after `since_ms`, oldest first, past the 10,000-result cap.

        Search stops at 10,000 results per query, so a capped window restarts after the last
        timestamp seen, and that timestamp itself is drained by `hs_object_id` (keyset paging
        that always advances, so 10,000+ records on one timestamp cannot loop).
        """
        out: dict[str, Record] = {}
        bound, inclusive = since_ms, True
        while True:
            op = "GTE" if inclusive else "GT"
            window = [[query.filter(op, bound), *g] for g in groups]
            batch, capped = self._search_window(query, window, query.modified)
            for rec in batch:
                out[rec.id] = rec
            if not capped:
                break
            last = query.stamp(batch[-1])
            if last < bound:  # an unreadable stamp would restart the window at the epoch: stop instead
                self.log.warning("pull.unreadable_stamp", object_type=query.object_type, record_id=batch[-1].id)
                break
            # Everything at `last` may be only partly seen: drain that timestamp by id, then move past it.
            for rec in self._drain_by_id(query, [[query.filter("EQ", last), *g] for g in groups]):
                out[rec.id] = rec
            bound, inclusive = last, False
        return sorted(out.values(), key=lambda r: (query.stamp(r), id_order(r.id)))

    def _search_window(
        self, query: _Keyset, groups: list[list[dict[str, Any]]], sort_prop: str
    ) -> tuple[list[Record], bool]:
        """One query paged to its end or to the cap; True when the cap cut it short."""
        results: list[Record] = []
        after: int | None = None
        while True:
            page = self.client.search(
                query.object_type,
                [{"filters": g} for g in groups],
                sorts=[{"propertyName": sort_prop, "direction": "ASCENDING"}],
                properties=query.properties,
                limit=SEARCH_PAGE_SIZE,
                after=after,
            )
            results.extend(page.results)
            if self._phase is not None:
                self._phase.advance(len(page.results))
            if self._on_page is not None:
                self._on_page(page.results)
            if page.next_after is None:
                return results, page.total > len(results)
            after = int(page.next_after)
            if after + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP:
                return results, True

    def _drain_by_id(self, query: _Keyset, groups: list[list[dict[str, Any]]]) -> Iterator[Record]:
        last_id = "0"
        while True:
            keyed = [[*g, {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}] for g in groups]
            batch, capped = self._search_window(query, keyed, "hs_object_id")
            yield from batch
            if not capped or not batch:
                return
            last_id = batch[-1].id

    def submission_contacts(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The contact each submission is associated with (None: anonymous or deleted contact)."""
        links = self.client.associations("feedback_submissions", "contacts", ids)
        return {sid: (targets[0].to_id if targets else None) for sid, targets in links.items()}

    # ----- contacts and companies

    def contacts(self, ids: Iterable[str]) -> ContactRefresh:
        """Batch-read contacts, resolve merged ids, find each one's primary company."""
        wanted = list(dict.fromkeys(ids))
        refresh = ContactRefresh()
        # Slices of 1,000: one association batch read each, ten batch reads; the same calls as one
        # pass over everything, with progress after each slice.
        with self.progress.phase("contacts", total=len(wanted)) as phase:
            if self._ahead is not None:
                rest = self._ahead.take_contacts(wanted, refresh)
                phase.advance(len(wanted) - len(rest))
                wanted = rest
            for part in chunked(wanted, ASSOCIATION_BATCH_SIZE):
                self._read_contacts(part, refresh)
                phase.advance(len(part))
        return refresh

    def _read_contacts(self, wanted: list[str], refresh: ContactRefresh) -> None:
        ours = self.names.all_contact_properties()
        props = [*CONTACT_PROPS, *ours, *([self.weight_property] if self.weight_property else [])]
        result = self.client.batch_read("contacts", wanted, props)
        refresh.missing.extend(result.missing)
        records = {r.id: r for r in result.records}
        for rec in result.records:
            for old in (rec.properties.get("hs_merged_object_ids") or "").split(";"):
                if old and old != rec.id:
                    refresh.aliases[old] = rec.id
        for old in result.unmatched:
            if old in refresh.aliases:
                continue
            survivor = self.client.get_object("contacts", old, props)
            if survivor is None:
                refresh.missing.append(old)
            else:
                refresh.aliases[old] = survivor.id
                records[survivor.id] = survivor
        companies = self.client.associations("contacts", "companies", list(records))
        for cid, rec in records.items():
            primary = [t.to_id for t in companies.get(cid, []) if PRIMARY_COMPANY in t.type_ids]
            values = rec.properties
            refresh.contacts[cid] = ContactRow(
                contact_id=cid,
                email=values.get("email"),
                firstname=values.get("firstname"),
                lastname=values.get("lastname"),
                owner_id=values.get("hubspot_owner_id") or None,
                company_id=primary[0] if primary else None,
                exists=True,
                updated_at=parse_datetime(values.get("lastmodifieddate") or "") or rec.updated_at,
                role=(values.get(self.weight_property) or None) if self.weight_property else None,
            )
            refresh.current[cid] = {p: values.get(p) for p in ours}

    def companies(self, ids: Iterable[str]) -> tuple[dict[str, CompanyRow], dict[str, dict[str, str | None]]]:
        """Batch-read companies: ledger rows and our properties as HubSpot holds them."""
        wanted = list(dict.fromkeys(ids))
        if self._ahead is None:
            return self._read_companies(wanted)
        rows, current, rest = self._ahead.take_companies(wanted)
        self._ahead = None  # contacts and companies taken: the read-ahead is spent
        if rest:
            more_rows, more_current = self._read_companies(rest)
            rows.update(more_rows)
            current.update(more_current)
        return rows, current

    def _read_companies(self, wanted: list[str]) -> tuple[dict[str, CompanyRow], dict[str, dict[str, str | None]]]:
        ours = self.names.all_company_properties()
        result = self.client.batch_read("companies", wanted, [*COMPANY_PROPS, *ours])
        # Coverage needs each company's contacts: association batch reads of 1,000 companies
        # (ceil(companies / 1,000) calls, plus a page per 500 more contacts of one company).
        found = [rec.id for rec in result.records]
        members = self.client.associations("companies", "contacts", found) if found else {}
        rows, current = {}, {}
        for rec in result.records:
            rows[rec.id] = CompanyRow(
                rec.id,
                rec.properties.get("name"),
                rec.properties.get("hubspot_owner_id") or None,
                contact_count=len(members.get(rec.id, [])),
            )
            current[rec.id] = {p: rec.properties.get(p) for p in ours}
        return rows, current


class _ReadAhead:
    """While the backfill search pages on, read what the run reads after it, in full batches.

    The search is held to the search limit (5 a second) and every other read to the 10-second
    one, so reading alongside hides those reads from the wall time, which then approaches the
    search's own floor. Each step waits for a full batch (1,000 submissions for an association
    read; 1,000 contacts: ten batch reads and one association read; 1,000 companies likewise),
    so the calls are the ceil(n / size) of one pass afterwards. One worker thread does the reads
    in order, so only it touches the queues; the run takes the results after `finish`, and
    `Puller.contacts` / `Puller.companies` read only what the read-ahead did not.
    """

    def __init__(self, puller: Puller) -> None:
        self._puller = puller
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self._futures: list[Future[None]] = []
        self._pending: list[str] = []  # submissions queued (main thread)
        self._asked: set[str] = set()
        # The worker's own state from here on.
        self.links: dict[str, str | None] = {}
        self._contact_queue: list[str] = []
        self._contacts_asked: set[str] = set()
        self._refresh = ContactRefresh()
        self._company_queue: list[str] = []
        self._companies_asked: set[str] = set()
        self._companies: dict[str, CompanyRow] = {}
        self._company_current: dict[str, dict[str, str | None]] = {}

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, records: Sequence[Record]) -> None:
        """Queue the ids of a search page; each full batch of 1,000 goes to the worker."""
        for future in self._futures:
            failure = future.exception() if future.done() else None
            if failure is not None:
                raise failure  # a refused read stops the run now, not after the search
        for rec in records:
            if rec.id not in self._asked:
                self._asked.add(rec.id)
                self._pending.append(rec.id)
        while len(self._pending) >= ASSOCIATION_BATCH_SIZE:
            batch, self._pending = self._pending[:ASSOCIATION_BATCH_SIZE], self._pending[ASSOCIATION_BATCH_SIZE:]
            self._futures.append(self._pool.submit(self._step, batch, False))

    def finish(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Read the rest (partial batches too) and wait; every id's contact."""
        self._pending += [i for i in dict.fromkeys(ids) if i not in self._asked]
        self._futures.append(self._pool.submit(self._step, self._pending, True))
        self._pending = []
        for future in self._futures:
            future.result()
        return self.links

    def _step(self, submissions: list[str], flush: bool) -> None:
        if submissions:
            links = self._puller.submission_contacts(submissions)
            self.links.update(links)
            for contact_id in links.values():
                if contact_id and contact_id not in self._contacts_asked:
                    self._contacts_asked.add(contact_id)
                    self._contact_queue.append(contact_id)
        size = ASSOCIATION_BATCH_SIZE
        while len(self._contact_queue) >= size or (flush and self._contact_queue):
            part, self._contact_queue = self._contact_queue[:size], self._contact_queue[size:]
            before = set(self._refresh.contacts)
            self._puller._read_contacts(part, self._refresh)
            for cid in set(self._refresh.contacts) - before:
                company = self._refresh.contacts[cid].company_id
                if company and company not in self._companies_asked:
                    self._companies_asked.add(company)
                    self._company_queue.append(company)
        while len(self._company_queue) >= size or (flush and self._company_queue):
            part, self._company_queue = self._company_queue[:size], self._company_queue[size:]
            rows, current = self._puller._read_companies(part)
            self._companies.update(rows)
            self._company_current.update(current)

    def take_contacts(self, wanted: Sequence[str], into: ContactRefresh) -> list[str]:
        """Move the contacts read ahead that `wanted` names into `into`; the ids still to read."""
        read, aliases = self._refresh.contacts, self._refresh.aliases
        missing = set(self._refresh.missing)
        rest: list[str] = []
        for wanted_id in wanted:
            survivor = aliases.get(wanted_id, wanted_id)
            if survivor in read:
                into.contacts[survivor] = read[survivor]
                into.current[survivor] = self._refresh.current[survivor]
            elif wanted_id in missing:
                into.missing.append(wanted_id)
            else:
                rest.append(wanted_id)
        into.aliases.update({old: new for old, new in aliases.items() if new in into.contacts})
        return rest

    def take_companies(
        self, wanted: Sequence[str]
    ) -> tuple[dict[str, CompanyRow], dict[str, dict[str, str | None]], list[str]]:
        """The companies read ahead that `wanted` names (a deleted one stays absent), and the ids still to read."""
        rows = {cid: self._companies[cid] for cid in wanted if cid in self._companies}
        current = {cid: self._company_current[cid] for cid in rows}
        return rows, current, [cid for cid in wanted if cid not in self._companies_asked]


def modified_ms(rec: Record) -> int | None:
    """A record's `hs_lastmodifieddate` in epoch milliseconds, None when missing or unreadable."""
    dt = parse_datetime(rec.properties.get("hs_lastmodifieddate") or "")
    return to_ms(dt) if dt else None
