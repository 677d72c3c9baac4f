"""The generated demo portal: deterministic, self-consistent and realistic enough to exercise the connector."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector.sandbox.demo import CUSTOM_NPS_SURVEY_ID, generate_portal

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SCALES = {"NPS": range(0, 11), "CSAT": range(0, 3), "CES": range(1, 8), "CUSTOM": range(0, 11)}
UNUSABLE = {"", "N/A", "11", "-1", "7.5", None}

Portal = dict[str, Any]


@pytest.fixture(scope="module")
def portal() -> Portal:
    return generate_portal(2000, seed=7, now=NOW)


@pytest.fixture(scope="module")
def tiny() -> Portal:
    return generate_portal(20, seed=7, now=NOW)


def _ts(submission: dict[str, Any]) -> datetime:
    return datetime.strptime(submission["properties"]["hs_submission_timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )


def _valid_int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _group(survey_type: str, value: int) -> str:
    low, high = {"NPS": (6, 8), "CUSTOM": (6, 8), "CSAT": (0, 1), "CES": (3, 5)}[survey_type]
    return "DETRACTOR" if value <= low else "PASSIVE" if value <= high else "PROMOTER"


def _recent_detractors(p: Portal, now: datetime) -> list[dict[str, Any]]:
    return [
        s
        for s in p["feedback_submissions"]
        if s["properties"]["hs_survey_type"] == "NPS"
        and (v := _valid_int(s["properties"].get("hs_value"))) is not None
        and v <= 6
        and now - timedelta(days=14) <= _ts(s) <= now
    ]


class TestDeterminism:
    def test_same_seed_and_now_give_the_same_portal(self, portal: Portal) -> None:
        """Two calls with the same (size, seed, now) return equal portals."""
        assert generate_portal(2000, seed=7, now=NOW) == portal

    def test_different_seeds_give_different_portals(self, portal: Portal) -> None:
        """Another seed gives another portal."""
        assert generate_portal(2000, seed=8, now=NOW) != portal

    def test_default_now_is_the_current_hour(self) -> None:
        """Without `now`, the portal is the one for the current UTC hour."""
        before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        generated = generate_portal(50, seed=1)
        after = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        assert generated in (generate_portal(50, seed=1, now=before), generate_portal(50, seed=1, now=after))

    def test_naive_now_is_read_as_utc(self) -> None:
        """A naive `now` means UTC."""
        assert generate_portal(50, seed=1, now=NOW.replace(tzinfo=None)) == generate_portal(50, seed=1, now=NOW)


class TestShape:
    @pytest.mark.parametrize("size", [1, 20, 137, 2000])
    def test_generates_exactly_size_submissions(self, size: int) -> None:
        """`size` is the number of feedback submissions."""
        assert len(generate_portal(size, seed=3, now=NOW)["feedback_submissions"]) == size

    def test_rejects_an_empty_portal(self) -> None:
        """A size below one is a caller error."""
        with pytest.raises(ValueError):
            generate_portal(0)

    def test_ids_are_unique_numeric_strings_in_disjoint_ranges(self, portal: Portal) -> None:
        """Every id is a numeric string, unique across all types, and its range tells the type."""
        ranges = {
            "owners": (101, 200_000),
            "companies": (200_001, 300_000),
            "contacts": (300_001, 400_000),
            "feedback_submissions": (400_001, 10**9),
        }
        all_ids: list[str] = []
        for kind, (low, high) in ranges.items():
            ids = [record["id"] for record in portal[kind]]
            assert all(isinstance(i, str) and i.isdigit() for i in ids)
            assert all(low <= int(i) <= high for i in ids)
            all_ids += ids
        assert len(all_ids) == len(set(all_ids))

    def test_every_reference_points_at_an_existing_record(self, portal: Portal) -> None:
        """Owner, company, contact and merge references all resolve."""
        owners = {o["id"] for o in portal["owners"]}
        companies = {c["id"] for c in portal["companies"]}
        contacts = {c["id"] for c in portal["contacts"]}
        for company in portal["companies"]:
            assert company["properties"].get("hubspot_owner_id", "101") in owners
        for contact in portal["contacts"]:
            assert contact["properties"].get("hubspot_owner_id", "101") in owners
            assert {link["id"] for link in contact["companies"]} <= companies
            assert len({link["id"] for link in contact["companies"]}) == len(contact["companies"])
        for merge in portal["merges"]:
            assert {merge["from"], merge["into"]} <= contacts
        for submission in portal["feedback_submissions"]:
            assert submission.get("contact_id", next(iter(contacts))) in contacts

    def test_merges_are_not_chained_and_never_into_deleted_contacts(self, portal: Portal) -> None:
        """A survivor is never itself merged, never deleted, and each loser is merged once."""
        deleted = {c["id"] for c in portal["contacts"] if c.get("archived")}
        losers = [m["from"] for m in portal["merges"]]
        survivors = {m["into"] for m in portal["merges"]}
        assert portal["merges"]
        assert len(losers) == len(set(losers))
        assert not survivors & set(losers)
        assert not survivors & deleted
        assert not set(losers) & deleted

    def test_losers_survivors_and_deleted_contacts_have_answers(self, portal: Portal) -> None:
        """Merged and deleted contacts answered surveys, so their answers must be re-homed or kept."""
        answered = {s.get("contact_id") for s in portal["feedback_submissions"]}
        special = {m["from"] for m in portal["merges"]} | {m["into"] for m in portal["merges"]}
        special |= {c["id"] for c in portal["contacts"] if c.get("archived")}
        assert special <= answered

    def test_a_contact_has_at_most_one_primary_company(self, portal: Portal) -> None:
        """Most contacts have one primary company; some none, some several with one or no primary."""
        links = [c["companies"] for c in portal["contacts"]]
        assert all(sum(link["primary"] for link in ls) <= 1 for ls in links)
        multi = [ls for ls in links if len(ls) > 1]
        assert 0.03 < len(multi) / len(links) < 0.08
        assert any(not any(link["primary"] for link in ls) for ls in multi)
        assert 0.05 < sum(not ls for ls in links) / len(links) < 0.11

    def test_some_big_accounts_and_many_small_ones(self, portal: Portal) -> None:
        """Account sizes are skewed: a few companies with 20+ contacts, most with 1-5."""
        sizes = Counter(link["id"] for c in portal["contacts"] for link in c["companies"] if link["primary"])
        assert max(sizes.values()) >= 20
        assert sum(n <= 5 for n in sizes.values()) / len(sizes) > 0.5

    def test_archived_owners_still_own_records(self, portal: Portal) -> None:
        """Deactivated owners still own companies and contacts, so routing has to skip them."""
        archived = {o["id"] for o in portal["owners"] if o.get("archived")}
        assert archived
        owned = [r["properties"].get("hubspot_owner_id") for r in portal["companies"] + portal["contacts"]]
        assert archived & set(owned)

    def test_about_seventy_percent_of_contacts_have_an_owner(self, portal: Portal) -> None:
        """Owner coverage is partial, as in a real portal."""
        contacts = portal["contacts"]
        share = sum("hubspot_owner_id" in c["properties"] for c in contacts) / len(contacts)
        assert 0.63 < share < 0.77

    def test_tiny_portal_still_holds_every_special_case(self, tiny: Portal) -> None:
        """Even 20 submissions include a merge, a deleted contact, an archived owner and odd values."""
        assert tiny["merges"]
        assert any(c.get("archived") for c in tiny["contacts"])
        assert any(o.get("archived") for o in tiny["owners"])
        values = [s["properties"].get("hs_value") for s in tiny["feedback_submissions"]]
        assert any(v in UNUSABLE for v in values)
        assert any(v is not None and v != v.strip() for v in values)


class TestValues:
    def test_valid_values_respect_hubspot_scales_and_groups(self, portal: Portal) -> None:
        """Valid values are on HubSpot's scale for their survey type, with the matching response group."""
        for submission in portal["feedback_submissions"]:
            props = submission["properties"]
            value = _valid_int(props.get("hs_value"))
            if props.get("hs_value") in UNUSABLE:
                assert "hs_response_group" not in props
                continue
            assert isinstance(props["hs_value"], str)
            assert value is not None
            assert value in SCALES[props["hs_survey_type"]]
            assert props["hs_response_group"] == _group(props["hs_survey_type"], value)

    def test_about_half_a_percent_of_values_are_unusable(self, portal: Portal) -> None:
        """Every kind of unusable NPS value appears, at about 0.5% of submissions."""
        values = [s["properties"].get("hs_value") for s in portal["feedback_submissions"]]
        bad = [v for v in values if v in UNUSABLE]
        assert set(bad) == UNUSABLE
        assert 0.003 <= len(bad) / len(values) <= 0.008

    def test_padded_values_are_present_and_valid_once_stripped(self, portal: Portal) -> None:
        """A couple of values carry spaces around a valid score."""
        padded = [
            v for s in portal["feedback_submissions"] if (v := s["properties"].get("hs_value")) and v != v.strip()
        ]
        assert len(padded) >= 2
        assert all(_valid_int(v) in SCALES["NPS"] for v in padded)

    def test_survey_mix_and_anonymous_share(self, portal: Portal) -> None:
        """About 60% NPS (2% of them custom), 25% CSAT, 15% CES; about 3% anonymous."""
        subs = portal["feedback_submissions"]
        types = Counter(s["properties"]["hs_survey_type"] for s in subs)
        assert abs((types["NPS"] + types["CUSTOM"]) / len(subs) - 0.60) < 0.04
        assert abs(types["CSAT"] / len(subs) - 0.25) < 0.04
        assert abs(types["CES"] / len(subs) - 0.15) < 0.04
        assert 0.005 < types["CUSTOM"] / (types["NPS"] + types["CUSTOM"]) < 0.04
        assert 0.02 < sum("contact_id" not in s for s in subs) / len(subs) < 0.04

    def test_custom_survey_answers_use_the_documented_id(self, portal: Portal) -> None:
        """CUSTOM answers all come from the one custom NPS survey; standard ones never use its id."""
        for submission in portal["feedback_submissions"]:
            props = submission["properties"]
            is_custom = props["hs_survey_id"] == CUSTOM_NPS_SURVEY_ID
            assert is_custom == (props["hs_survey_type"] == "CUSTOM")
            assert props["hs_survey_name"]

    def test_nps_mix_is_realistic_and_varies_by_company(self, portal: Portal) -> None:
        """Roughly 45% promoters, 30% passives, 25% detractors overall; companies score differently."""
        groups = Counter(
            s["properties"].get("hs_response_group")
            for s in portal["feedback_submissions"]
            if s["properties"]["hs_survey_type"] == "NPS" and "hs_response_group" in s["properties"]
        )
        total = sum(groups.values())
        assert abs(groups["PROMOTER"] / total - 0.45) < 0.06
        assert abs(groups["PASSIVE"] / total - 0.30) < 0.06
        assert abs(groups["DETRACTOR"] / total - 0.25) < 0.06
        primary = {c["id"]: link["id"] for c in portal["contacts"] for link in c["companies"] if link["primary"]}
        per_company: dict[str, list[int]] = {}
        for s in portal["feedback_submissions"]:
            value = _valid_int(s["properties"].get("hs_value"))
            if s["properties"]["hs_survey_type"] == "NPS" and value is not None and s.get("contact_id") in primary:
                per_company.setdefault(primary[s["contact_id"]], []).append(value)
        scores = [
            100 * (sum(v >= 9 for v in vs) - sum(v <= 6 for v in vs)) / len(vs)
            for vs in per_company.values()
            if len(vs) >= 10
        ]
        assert max(scores) - min(scores) > 50

    def test_comments_come_in_several_languages(self, portal: Portal) -> None:
        """Comments include non-English text (accents, Japanese) and are often empty."""
        comments = [s["properties"].get("hs_content") for s in portal["feedback_submissions"]]
        texts = [c for c in comments if c]
        assert 0.2 < len(texts) / len(comments) < 0.6
        assert any(any("\u3040" <= ch <= "\u30ff" for ch in c) for c in texts)
        assert any(any(ch in "äöüéçñã" for ch in c) for c in texts)


class TestTime:
    @pytest.mark.parametrize("now", [NOW, datetime(2026, 3, 5, 9, 41, 17, 500_000, tzinfo=UTC)])
    def test_no_submission_lies_after_now(self, now: datetime) -> None:
        """Every submission time is at or before `now`, within the two years before it."""
        subs = generate_portal(3000, seed=2, now=now)["feedback_submissions"]
        times = [_ts(s) for s in subs]
        assert max(times) <= now
        assert min(times) >= now - timedelta(days=731)
        assert all(s["properties"]["hs_submission_timestamp"].endswith("Z") for s in subs)

    def test_answers_spread_over_two_years(self, portal: Portal) -> None:
        """Both years hold answers, the recent one more."""
        times = [_ts(s) for s in portal["feedback_submissions"]]
        last_year = sum(t > NOW - timedelta(days=365) for t in times)
        assert 0.5 < last_year / len(times) < 0.8

    @pytest.mark.parametrize("size", [20, 2000])
    def test_recent_detractors_with_comments_exist(self, size: int) -> None:
        """At least max(3, 1% of NPS answers) NPS detractors from known contacts fall in the last 14 days."""
        p = generate_portal(size, seed=5, now=NOW)
        nps = sum(s["properties"]["hs_survey_type"] == "NPS" for s in p["feedback_submissions"])
        recent = [s for s in _recent_detractors(p, NOW) if s.get("contact_id") and s["properties"].get("hs_content")]
        assert len(recent) >= max(3, nps // 100)

    def test_submission_ids_increase_with_time(self, portal: Portal) -> None:
        """A later answer never has a lower id, as at HubSpot."""
        ordered = sorted(portal["feedback_submissions"], key=lambda s: int(s["id"]))
        times = [_ts(s) for s in ordered]
        assert times == sorted(times)

    def test_contacts_answer_several_times(self, portal: Portal) -> None:
        """Some contacts answered repeatedly over the two years."""
        counts = Counter(s.get("contact_id") for s in portal["feedback_submissions"] if s.get("contact_id"))
        assert sum(n >= 3 for n in counts.values()) > 50


class TestScale:
    def test_a_hundred_thousand_submissions_generate_in_under_ten_seconds(self) -> None:
        """The largest demo portals stay quick to build (about 2 s here; 10 s is the budget)."""
        started = time.perf_counter()
        p = generate_portal(100_000, seed=1, now=NOW)
        elapsed = time.perf_counter() - started
        assert len(p["feedback_submissions"]) == 100_000
        assert elapsed < 10
