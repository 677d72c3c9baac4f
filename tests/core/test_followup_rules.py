"""Follow-up rules, pure: which answers get a task, for whom, due when, worded how, found again how."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config import TEMPLATE_FIELDS, FollowupSettings, TemplateOverride
from connector.core.at_risk import CompanyRisk, at_risk_key, is_at_risk, plan_at_risk
from connector.core.followup import (
    Skip,
    TaskPlan,
    add_business_days,
    due_date,
    eligible_answers,
    marker_keys,
    plan_followups,
    route_owner,
    with_marker,
)
from connector.model import AnswerRow, CompanyRow, ContactRow

AS_OF = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")


def plan_for(
    rows: list[AnswerRow],
    contacts: dict[str, ContactRow],
    companies: dict[str, CompanyRow],
    active: set[str],
    known: set[str],
    settings: FollowupSettings,
    as_of: datetime,
    *,
    portal_id: str = "",
) -> tuple[list[TaskPlan], list[Skip]]:
    """What a run does: the eligible answers first, then the plans for them; every skip of both steps."""
    eligible, skips = eligible_answers(rows, contacts, settings, as_of)
    plans, more = plan_followups(eligible, contacts, companies, active, known, settings, as_of, portal_id=portal_id)
    return plans, skips + more


def answer(
    sid: str, contact: str | None = "301", value: str | None = "3", at: datetime | None = None, **kw: Any
) -> AnswerRow:
    """An NPS answer, by default a detractor one day before AS_OF."""
    moment = at or AS_OF - timedelta(days=1)
    fields: dict[str, Any] = {
        "survey_type": "NPS",
        "survey_id": "s1",
        "survey_name": "Quarterly NPS",
        "content": "Too slow",
        **kw,
    }
    return AnswerRow(sid, contact, raw_value=value, submitted_at=moment, modified_at=moment, **fields)


CONTACTS = {
    "301": ContactRow("301", "bo@acme.example", "Bo", "Ng", owner_id="101", company_id="201"),
    "302": ContactRow("302", "cy@acme.example", "Cy", None, owner_id="102", company_id="201"),
    "303": ContactRow("303", "di@beta.example", None, None, owner_id=None, company_id="202"),
    "309": ContactRow("309", exists=False),
}
COMPANIES = {"201": CompanyRow("201", "Acme", "103"), "202": CompanyRow("202", "Beta", "102")}
ACTIVE = {"101", "103", "104"}


def cfg(**kw: Any) -> FollowupSettings:
    """Follow-up settings with overrides."""
    return FollowupSettings(**kw)


class TestEligibility:
    def test_recent_detractor_is_eligible(self) -> None:
        """A valid 0-6 answer within max_answer_age_days of as-of gets a task."""
        chosen, skips = eligible_answers([answer("401")], CONTACTS, cfg(), AS_OF)
        assert [a.submission_id for a in chosen] == ["401"]
        assert skips == []

    def test_age_window_is_closed_on_both_ends(self) -> None:
        """Exactly max age old and exactly as-of count; a millisecond older or later does not."""
        ms = timedelta(milliseconds=1)
        oldest = AS_OF - timedelta(days=14)
        rows = [
            answer("1", at=oldest),
            answer("2", at=AS_OF),
            answer("3", at=oldest - ms),
            answer("4", at=AS_OF + ms),
        ]
        chosen, _ = eligible_answers(rows, CONTACTS, cfg(), AS_OF)
        assert [a.submission_id for a in chosen] == ["1", "2"]

    def test_only_detractors_unless_passives_included(self) -> None:
        """7-8 answers are passives: only included when include_passives is set; promoters never."""
        rows = [answer("1", value="6"), answer("2", value="7"), answer("3", value="8"), answer("4", value="9")]
        assert [a.submission_id for a in eligible_answers(rows, CONTACTS, cfg(), AS_OF)[0]] == ["1"]
        wider = eligible_answers(rows, CONTACTS, cfg(include_passives=True), AS_OF)[0]
        assert [a.submission_id for a in wider] == ["1", "2", "3"]

    @pytest.mark.parametrize("raw", [None, "", " ", "abc", "11", "-1", "3.5", "²", "0x3"])
    def test_invalid_values_never_get_a_task(self, raw: str | None) -> None:
        """Anything that is not a plain 0-10 integer is not an answer at all."""
        assert eligible_answers([answer("1", value=raw)], CONTACTS, cfg(), AS_OF) == ([], [])

    def test_zero_and_padded_values_count(self) -> None:
        """0 is the worst detractor and surrounding whitespace is stripped."""
        rows = [answer("1", value="0"), answer("2", value=" 4 ")]
        assert len(eligible_answers(rows, CONTACTS, cfg(), AS_OF)[0]) == 2

    def test_other_survey_types_need_a_configured_id(self) -> None:
        """A CSAT submission is ignored unless its survey id is configured as NPS."""
        row = answer("1", survey_type="CUSTOM", survey_id="s9")
        assert eligible_answers([row], CONTACTS, cfg(), AS_OF)[0] == []
        assert len(eligible_answers([row], CONTACTS, cfg(), AS_OF, nps_survey_ids=["s9"])[0]) == 1

    def test_missing_contacts_are_skipped_with_a_reason(self) -> None:
        """Deleted, unknown and anonymous answers are logged as skipped, not silently dropped."""
        rows = [answer("1", contact="309"), answer("2", contact="999"), answer("3", contact=None)]
        chosen, skips = eligible_answers(rows, CONTACTS, cfg(), AS_OF)
        assert chosen == []
        assert [(s.submission_id, s.contact_id, s.reason) for s in skips] == [
            ("1", "309", "contact_missing"),
            ("2", "999", "contact_missing"),
            ("3", None, "no_contact"),
        ]

    def test_old_answers_are_not_reported_as_skipped(self) -> None:
        """An answer past the age limit is simply not eligible, even when its contact is gone."""
        row = answer("1", contact="309", at=AS_OF - timedelta(days=30))
        assert eligible_answers([row], CONTACTS, cfg(), AS_OF) == ([], [])


class TestOwnerRouting:
    def test_first_active_owner_in_line_wins(self) -> None:
        """Contact owner, then company owner, then the default owner."""
        assert route_owner(["101", "103", "104"], ACTIVE) == "101"
        assert route_owner([None, "103", "104"], ACTIVE) == "103"
        assert route_owner([None, None, "104"], ACTIVE) == "104"

    def test_archived_and_unknown_owners_are_passed_over(self) -> None:
        """An owner not among the active ones (archived or never known) is skipped to the next."""
        assert route_owner(["102", "999", "103"], ACTIVE) == "103"

    def test_nobody_active_means_unassigned(self) -> None:
        """With no active candidate the task is unassigned."""
        assert route_owner(["102", None, ""], ACTIVE) is None

    def test_plans_route_through_contact_company_default(self) -> None:
        """302's owner is archived so Acme's owner takes it; 303 has no owner, Beta's is archived: default."""
        rows = [answer("1", contact="301"), answer("2", contact="302"), answer("3", contact="303")]
        plans, _ = plan_for(rows, CONTACTS, COMPANIES, ACTIVE, set(), cfg(default_owner_id="104"), AS_OF)
        assert {p.key: p.owner_id for p in plans} == {"1": "101", "2": "103", "3": "104"}

    def test_skip_without_owner(self) -> None:
        """With skip_without_owner, an answer nobody can own is skipped with reason no_owner."""
        plans, skips = plan_for(
            [answer("3", contact="303")], CONTACTS, COMPANIES, ACTIVE, set(), cfg(skip_without_owner=True), AS_OF
        )
        assert plans == []
        assert [(s.submission_id, s.reason) for s in skips] == [("3", "no_owner")]

    def test_unassigned_task_has_no_owner_property(self) -> None:
        """An unassigned task does not send hubspot_owner_id at all."""
        plans, _ = plan_for([answer("3", contact="303")], CONTACTS, COMPANIES, ACTIVE, set(), cfg(), AS_OF)
        assert plans[0].owner_id is None
        assert "hubspot_owner_id" not in plans[0].properties()


class TestDueDate:
    def test_friday_plus_two_is_tuesday(self) -> None:
        """Saturday and Sunday do not count."""
        friday = datetime(2026, 10, 2, 10, 0, tzinfo=UTC)
        assert add_business_days(friday, 2, ZoneInfo("UTC")) == datetime(2026, 10, 6, 10, 0, tzinfo=UTC)

    def test_holidays_do_not_count(self) -> None:
        """A configured holiday is skipped like a weekend day."""
        friday = datetime(2026, 10, 2, 10, 0, tzinfo=UTC)
        due = add_business_days(friday, 2, ZoneInfo("UTC"), {date(2026, 10, 5)})
        assert due == datetime(2026, 10, 7, 10, 0, tzinfo=UTC)

    def test_days_are_counted_in_the_configured_zone(self) -> None:
        """Friday 23:30 UTC is Saturday 01:30 in Berlin: counting starts from the Saturday."""
        late_friday = datetime(2026, 10, 2, 23, 30, tzinfo=UTC)
        assert add_business_days(late_friday, 1, ZoneInfo("UTC")) == datetime(2026, 10, 5, 23, 30, tzinfo=UTC)
        due = add_business_days(late_friday, 1, BERLIN)
        assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 5, 1, 30)

    def test_wall_time_is_kept_across_dst(self) -> None:
        """Friday 10:00 CEST plus two business days is Tuesday 10:00 CET, one hour later in UTC."""
        friday = datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)
        due = add_business_days(friday, 2, BERLIN)
        assert due == datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
        assert due.astimezone(BERLIN).hour == 10

    def test_zero_days_is_the_answer_time(self) -> None:
        """due_in_business_days = 0: due when answered (or as-of, whichever is later)."""
        at = AS_OF - timedelta(hours=1)
        assert due_date(at, AS_OF - timedelta(hours=2), cfg(due_in_business_days=0)) == at

    def test_never_before_as_of(self) -> None:
        """An answer ten days old would be overdue: its task is due at as-of instead."""
        assert due_date(AS_OF - timedelta(days=10), AS_OF, cfg()) == AS_OF

    def test_milliseconds_only(self) -> None:
        """Due dates are kept to the millisecond, as the ledger and HubSpot store them."""
        as_of = AS_OF.replace(microsecond=123456)
        assert due_date(AS_OF - timedelta(days=10), as_of, cfg()).microsecond == 123000

    @settings(max_examples=300, deadline=None)
    @given(
        start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
        days=st.integers(min_value=1, max_value=15),
        zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
        holiday_offsets=st.sets(st.integers(min_value=0, max_value=40), max_size=8),
        lag_hours=st.integers(min_value=-24 * 30, max_value=24 * 30),
    )
    def test_due_date_properties(
        self, start: datetime, days: int, zone: str, holiday_offsets: set[int], lag_hours: int
    ) -> None:
        """Never on a weekend or holiday, exactly N business days later, never before as-of."""
        tz = ZoneInfo(zone)
        local_start = start.astimezone(tz)
        holidays = [local_start.date() + timedelta(days=n) for n in holiday_offsets]
        as_of = start + timedelta(hours=lag_hours)
        raw = add_business_days(start, days, tz, holidays)
        local_due = raw.astimezone(tz)
        assert local_due.weekday() < 5
        assert local_due.date() not in holidays
        between = [
            local_start.date() + timedelta(days=n) for n in range(1, (local_due.date() - local_start.date()).days + 1)
        ]
        assert sum(1 for d in between if d.weekday() < 5 and d not in holidays) == days
        wall = datetime.combine(local_due.date(), local_start.time(), tzinfo=tz)
        if wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
            assert local_due.time() == local_start.time()  # the wall time exists that day: it is kept
        settings_ = cfg(due_in_business_days=days, timezone=zone, holidays=holidays)
        due = due_date(start, as_of, settings_)
        assert due >= as_of.replace(microsecond=as_of.microsecond // 1000 * 1000)
        if raw >= as_of:
            assert due == raw.replace(microsecond=raw.microsecond // 1000 * 1000)
        else:
            assert due == as_of.replace(microsecond=as_of.microsecond // 1000 * 1000)


class TestTaskText:
    def test_task_properties(self) -> None:
        """Priority HIGH, NOT_STARTED, TODO, due as ISO ms Z, owner when routed."""
        plans, _ = plan_for([answer("401")], CONTACTS, COMPANIES, ACTIVE, set(), cfg(), AS_OF)
        props = plans[0].properties()
        assert props["hs_task_priority"] == "HIGH"
        assert props["hs_task_status"] == "NOT_STARTED"
        assert props["hs_task_type"] == "TODO"
        assert props["hs_timestamp"] == "2026-10-08T12:00:00.000Z"
        assert props["hubspot_owner_id"] == "101"
        assert props["hs_task_subject"] == "NPS detractor: Bo Ng scored 3"
        assert plans[0].company_id == "201"
        assert plans[0].contact_id == "301"

    def test_every_template_field_is_supplied(self) -> None:
        """A template naming every TEMPLATE_FIELDS entry renders without error."""
        template = " | ".join(f"{name}={{{name}}}" for name in sorted(TEMPLATE_FIELDS))
        settings_ = cfg(subject_template="{contact_name}", body_template=template)
        plans, skips = plan_for([answer("401")], CONTACTS, COMPANIES, ACTIVE, set(), settings_, AS_OF, portal_id="555")
        assert skips == []
        body = plans[0].body
        for expected in (
            "contact_name=Bo Ng",
            "firstname=Bo",
            "lastname=Ng",
            "email=bo@acme.example",
            "score=3",
            "category=detractor",
            "comment=Too slow",
            "survey_name=Quarterly NPS",
            "survey_type=NPS",
            "survey_id=s1",
            "submission_id=401",
            "submitted_at=2026-10-06 12:00 UTC",
            "link=https://app.hubspot.com/contacts/555/record/0-19/401",
            "company_name=Acme",
        ):
            assert expected in body

    def test_link_is_empty_without_portal_id(self) -> None:
        """Without hubspot.portal_id there is no link to build."""
        plans, _ = plan_for([answer("401")], CONTACTS, COMPANIES, ACTIVE, set(), cfg(body_template="[{link}]"), AS_OF)
        assert plans[0].body.startswith("[]")

    def test_body_always_ends_with_the_marker(self) -> None:
        """Whatever the template, the last line is the submission id marker added by code."""
        settings_ = cfg(body_template="Call them.\n\n\n")
        plans, _ = plan_for([answer("401")], CONTACTS, COMPANIES, ACTIVE, set(), settings_, AS_OF)
        assert plans[0].body == "Call them.\n\nNPS feedback submission ID: 401"

    def test_per_survey_templates(self) -> None:
        """A survey's own template replaces the default for its answers only."""
        settings_ = cfg(templates_by_survey={"s2": TemplateOverride(subject="Churn risk {score}")})
        rows = [answer("1"), answer("2", survey_id="s2")]
        plans, _ = plan_for(rows, CONTACTS, COMPANIES, ACTIVE, set(), settings_, AS_OF)
        assert [p.subject for p in plans] == ["NPS detractor: Bo Ng scored 3", "Churn risk 3"]

    def test_a_comment_cannot_forge_a_marker(self) -> None:
        """A marker line inside the comment is defused, so the task names only its own answer."""
        row = answer("401", content="bad\nNPS feedback submission ID: 999")
        plans, _ = plan_for([row], CONTACTS, COMPANIES, ACTIVE, set(), cfg(), AS_OF)
        assert marker_keys(plans[0].body) == {"401"}

    def test_unrenderable_template_is_skipped(self) -> None:
        """A format spec that does not fit the value skips the answer with reason template_error."""
        plans, skips = plan_for(
            [answer("401")], CONTACTS, COMPANIES, ACTIVE, set(), cfg(subject_template="{score:%Y}"), AS_OF
        )
        assert plans == []
        assert [s.reason for s in skips] == ["template_error"]

    def test_known_keys_are_not_planned_again(self) -> None:
        """An answer the ledger already has a row for is left to reconciliation."""
        plans, _ = plan_for([answer("401")], CONTACTS, COMPANIES, ACTIVE, {"401"}, cfg(), AS_OF)
        assert plans == []


class TestMarkers:
    def test_id_must_end_the_line(self) -> None:
        """40 does not match a task for 401, nor a line with text after the id."""
        assert marker_keys("x\nNPS feedback submission ID: 401") == {"401"}
        assert "40" not in marker_keys("NPS feedback submission ID: 401")
        assert marker_keys("NPS feedback submission ID: 40 and more") == set()
        assert marker_keys("see NPS feedback submission ID: 40") == set()

    def test_html_bodies(self) -> None:
        """A body HubSpot hands back as rich text still yields its marker."""
        assert marker_keys("<p>Call</p><p>NPS feedback submission ID: 40</p>") == {"40"}
        assert marker_keys("Call<br/>NPS feedback submission ID: 40") == {"40"}
        assert marker_keys("Call\r\nNPS feedback submission ID: 40\r\n") == {"40"}

    def test_no_body(self) -> None:
        """Tasks without notes name nothing."""
        assert marker_keys(None) == set()
        assert marker_keys("") == set()

    def test_round_trip(self) -> None:
        """with_marker and marker_keys agree, for answers and at-risk keys."""
        assert marker_keys(with_marker("hi", "77")) == {"77"}
        key = at_risk_key("201", date(2026, 10, 1))
        assert marker_keys(with_marker("hi", key, "at_risk")) == {"at_risk:201:2026-10-01"}


class TestAtRisk:
    def risk(self, nps: float | None, prev: float | None, category: Any = None) -> CompanyRisk:
        """A risk input for company 201 in the window starting 2026-10-01."""
        if category is None and nps is not None:
            category = "detractor" if nps < 0 else ("promoter" if nps >= 30 else "passive")
        return CompanyRisk("201", date(2026, 10, 1), nps, category, prev)

    def test_dropping_to_detractor(self) -> None:
        """From passive to detractor is a risk; staying detractor is not."""
        assert is_at_risk(self.risk(-5, 10), 20, 0, 30)
        assert not is_at_risk(self.risk(-10, -5), 20, 0, 30)

    def test_falling_more_than_the_drop(self) -> None:
        """Only a fall of more than at_risk_drop points counts."""
        assert is_at_risk(self.risk(40, 61), 20, 0, 30)
        assert not is_at_risk(self.risk(40, 60), 20, 0, 30)

    def test_no_score_no_risk(self) -> None:
        """A company without a current score is not at risk."""
        assert not is_at_risk(self.risk(None, 50), 20, 0, 30)

    def test_one_task_per_company_and_window(self) -> None:
        """The key names company and window; a known key is not planned again; no submission named."""
        settings_ = cfg(at_risk_enabled=True)
        plans = plan_at_risk([self.risk(-5, 10)], COMPANIES, ACTIVE, set(), settings_, AS_OF)
        assert [(p.key, p.kind, p.contact_id, p.company_id, p.owner_id) for p in plans] == [
            ("at_risk:201:2026-10-01", "at_risk", None, "201", "103")
        ]
        assert "submission" not in plans[0].body.lower()
        assert plans[0].due == datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
        assert plan_at_risk([self.risk(-5, 10)], COMPANIES, ACTIVE, {plans[0].key}, settings_, AS_OF) == []


def test_intent_mirrors_the_plan() -> None:
    """The ledger intent carries the plan's key, contact, company, owner, due and kind."""
    plan = TaskPlan("401", "401", "301", "201", "101", AS_OF, "s", "b")
    intent = plan.intent()
    assert (intent.key, intent.submission_id, intent.contact_id, intent.company_id, intent.owner_id, intent.due_at) == (
        "401",
        "401",
        "301",
        "201",
        "101",
        AS_OF,
    )
