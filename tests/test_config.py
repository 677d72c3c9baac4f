"""Settings: TOML file, environment overrides, token sources, one-line errors that never leak the token."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connector.config import DEFAULT_BODY_TEMPLATE, Settings, load_settings, settings_sources
from connector.errors import ConfigError

TOKEN = "pat-eu1-SECRET-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_nps_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Settings()` reads the process environment: a developer's exported NPS_* must not change these tests."""
    for name in [name for name in os.environ if name.upper().startswith("NPS_")]:
        monkeypatch.delenv(name)


def write(tmp_path: Path, text: str, name: str = "nps.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestSources:
    def test_defaults_without_file_or_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """With no ./nps-connector.toml and no variables, every key has its documented default."""
        monkeypatch.chdir(tmp_path)
        settings = load_settings(environ={})
        assert settings.hubspot.base_url == "https://api.hubapi.com"
        assert settings.hubspot.requests_per_10s == 100
        assert settings.ledger.path == Path("nps-ledger.sqlite")
        assert settings.scoring.window_days == 365
        assert settings.scoring.survey_types == ["NPS"]
        assert settings.followup.timezone == "UTC"
        assert settings.followup.body_template == DEFAULT_BODY_TEMPLATE
        assert settings.sync.lookback_minutes == 10
        assert settings.log.format == "auto"
        assert settings.properties.contact_score == "nps_score"

    def test_default_file_in_working_directory_is_read(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """./nps-connector.toml is used when neither --config nor NPS_CONFIG names a file."""
        write(tmp_path, "[scoring]\nwindow_days = 30\n", name="nps-connector.toml")
        monkeypatch.chdir(tmp_path)
        assert load_settings(environ={}).scoring.window_days == 30

    def test_nps_config_names_the_file(self, tmp_path: Path) -> None:
        """$NPS_CONFIG picks the file when no explicit path is given."""
        path = write(tmp_path, "[ledger]\npath = '/data/ledger.sqlite'\n")
        settings = load_settings(environ={"NPS_CONFIG": str(path)})
        assert settings.ledger.path == Path("/data/ledger.sqlite")

    def test_explicit_file_beats_nps_config(self, tmp_path: Path) -> None:
        """An explicit path wins over $NPS_CONFIG."""
        chosen = write(tmp_path, "[scoring]\nwindow_days = 7\n", name="a.toml")
        other = write(tmp_path, "[scoring]\nwindow_days = 8\n", name="b.toml")
        settings = load_settings(chosen, {"NPS_CONFIG": str(other)})
        assert settings.scoring.window_days == 7

    def test_environment_overrides_file(self, tmp_path: Path) -> None:
        """A variable overrides the file's key; the file's other keys stay."""
        path = write(tmp_path, "[scoring]\nwindow_days = 180\nmin_company_responses = 3\n")
        settings = load_settings(path, {"NPS_SCORING__WINDOW_DAYS": "90"})
        assert settings.scoring.window_days == 90
        assert settings.scoring.min_company_responses == 3

    def test_nested_env_names_are_case_insensitive(self, tmp_path: Path) -> None:
        """Section and key names after NPS_ may be given in any case."""
        settings = load_settings(write(tmp_path, ""), {"nps_Followup__Max_Answer_Age_Days": "3"})
        assert settings.followup.max_answer_age_days == 3

    def test_env_lists_and_tables_are_json(self, tmp_path: Path) -> None:
        """List and table values from the environment are parsed as JSON."""
        env = {
            "NPS_SCORING__SURVEY_IDS": '["123", 456]',
            "NPS_FOLLOWUP__HOLIDAYS": '["2026-12-25"]',
            "NPS_FOLLOWUP__TEMPLATES_BY_SURVEY": '{"123": {"subject": "Call {contact_name}"}}',
        }
        settings = load_settings(write(tmp_path, ""), env)
        assert settings.scoring.survey_ids == ["123", "456"]
        assert settings.followup.holidays == [date(2026, 12, 25)]
        assert settings.followup.templates_for("123")[0] == "Call {contact_name}"
        assert settings.followup.templates_for("999")[0] == settings.followup.subject_template

    def test_section_as_json_merges_with_file(self, tmp_path: Path) -> None:
        """NPS_<SECTION> holding a JSON table overrides only the keys it names."""
        path = write(tmp_path, "[scoring]\nwindow_days = 180\nmin_company_responses = 3\n")
        settings = load_settings(path, {"NPS_SCORING": '{"window_days": 90}'})
        assert (settings.scoring.window_days, settings.scoring.min_company_responses) == (90, 3)

    def test_unrelated_nps_variables_are_ignored(self, tmp_path: Path) -> None:
        """Variables without a section separator (like NPS_CONFIG itself) are not settings."""
        settings = load_settings(write(tmp_path, ""), {"NPS_SOMETHING": "x", "OTHER__KEY": "y"})
        assert settings == Settings()

    def test_toml_values_of_every_section(self, tmp_path: Path) -> None:
        """A complete file is read into typed values."""
        path = write(
            tmp_path,
            """
            [hubspot]
            base_url = "http://127.0.0.1:8080/"
            portal_id = 12345
            [followup]
            timezone = "Europe/Berlin"
            holidays = [2026-12-24, "2026-12-25"]
            [followup.templates_by_survey."77"]
            body = "{comment}"
            [log]
            level = "DEBUG"
            format = "json"
            [properties]
            contact_score = "acme_nps"
            """,
        )
        settings = load_settings(path, {})
        assert settings.hubspot.base_url == "http://127.0.0.1:8080"
        assert settings.hubspot.portal_id == "12345"
        assert settings.followup.zone.key == "Europe/Berlin"
        assert settings.followup.holidays == [date(2026, 12, 24), date(2026, 12, 25)]
        assert settings.followup.templates_for("77")[1] == "{comment}"
        assert settings.log.level == "debug"
        assert settings.properties.contact_score == "acme_nps"


class TestPrecedence:
    def test_init_beats_env_beats_file(self, tmp_path: Path) -> None:
        """Explicit arguments win over variables, which win over the file; the file's other keys stay."""
        path = write(tmp_path, "[scoring]\nwindow_days = 1\nmin_company_responses = 1\nsurvey_types = ['CSAT']\n")
        env = {"NPS_SCORING__WINDOW_DAYS": "2", "NPS_SCORING__MIN_COMPANY_RESPONSES": "2"}
        with settings_sources(path, env):
            settings = Settings(scoring={"window_days": 3})
        assert settings.scoring.window_days == 3
        assert settings.scoring.min_company_responses == 2
        assert settings.scoring.survey_types == ["CSAT"]

    def test_load_settings_env_beats_file(self, tmp_path: Path) -> None:
        """load_settings has no explicit arguments: the variable wins, the file fills in the rest."""
        path = write(tmp_path, "[scoring]\nwindow_days = 1\nsurvey_types = ['CSAT']\n[sync]\nlookback_minutes = 5\n")
        settings = load_settings(path, {"NPS_SCORING__WINDOW_DAYS": "2", "NPS_SYNC": '{"lookback_minutes": 7}'})
        assert (settings.scoring.window_days, settings.scoring.survey_types) == (2, ["CSAT"])
        assert settings.sync.lookback_minutes == 7

    def test_plain_settings_reads_the_process_environment_but_no_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`Settings()` outside load_settings is BaseSettings: NPS_* apply, ./nps-connector.toml does not."""
        write(tmp_path, "[scoring]\nwindow_days = 30\nmin_company_responses = 4\n", name="nps-connector.toml")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("NPS_SCORING__WINDOW_DAYS", "9")
        settings = Settings()
        assert (settings.scoring.window_days, settings.scoring.min_company_responses) == (9, 1)

    def test_sources_do_not_leak_between_calls(self, tmp_path: Path) -> None:
        """The file and environment of one load_settings call are gone once it returns."""
        path = write(tmp_path, "[scoring]\nwindow_days = 30\n")
        assert load_settings(path, {"NPS_LOG__LEVEL": "debug"}).scoring.window_days == 30
        assert Settings() == load_settings(write(tmp_path, "", name="empty.toml"), {})

    def test_section_json_and_nested_variable_combine(self, tmp_path: Path) -> None:
        """NPS_<SECTION> as JSON and NPS_<SECTION>__<KEY> together both apply over the file."""
        path = write(tmp_path, "[scoring]\nwindow_days = 180\nmin_company_responses = 3\nsurvey_ids = ['7']\n")
        env = {"NPS_SCORING": '{"window_days": 90}', "NPS_SCORING__MIN_COMPANY_RESPONSES": "5"}
        settings = load_settings(path, env)
        assert (settings.scoring.window_days, settings.scoring.min_company_responses) == (90, 5)
        assert settings.scoring.survey_ids == ["7"]

    @hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        file_days=st.integers(1, 10_000),
        file_min=st.integers(1, 500),
        env_days=st.none() | st.integers(1, 10_000),
        env_min=st.none() | st.integers(1, 500),
        as_json=st.booleans(),
    )
    def test_env_always_wins_and_file_keys_stay(
        self,
        tmp_path: Path,
        file_days: int,
        file_min: int,
        env_days: int | None,
        env_min: int | None,
        as_json: bool,
    ) -> None:
        """For any values in file and environment (nested or JSON form), the variable wins key by key."""
        text = f"[scoring]\nwindow_days = {file_days}\nmin_company_responses = {file_min}\nsurvey_ids = ['42']\n"
        path = write(tmp_path, text)  # the same file, rewritten for every example
        chosen = {"window_days": env_days, "min_company_responses": env_min}
        given_env = {key: value for key, value in chosen.items() if value is not None}
        if as_json:
            env = {"NPS_SCORING": json.dumps(given_env)} if given_env else {}
        else:
            env = {f"NPS_SCORING__{key.upper()}": str(value) for key, value in given_env.items()}
        scoring = load_settings(path, env).scoring
        assert scoring.window_days == (file_days if env_days is None else env_days)
        assert scoring.min_company_responses == (file_min if env_min is None else env_min)
        assert scoring.survey_ids == ["42"]


class TestToken:
    def test_token_from_env(self, tmp_path: Path) -> None:
        """NPS_HUBSPOT__ACCESS_TOKEN is the token."""
        settings = load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN": TOKEN})
        assert settings.access_token() == TOKEN

    def test_token_file_is_read_and_stripped(self, tmp_path: Path) -> None:
        """The token file's content, without surrounding whitespace, is the token."""
        secret = tmp_path / "token"
        secret.write_text(f"  {TOKEN}\n\n", encoding="utf-8")
        settings = load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(secret)})
        assert settings.access_token() == TOKEN

    def test_token_file_from_toml(self, tmp_path: Path) -> None:
        """hubspot.access_token_file in the file works like the variable."""
        secret = tmp_path / "token"
        secret.write_text(TOKEN, encoding="utf-8")
        settings = load_settings(write(tmp_path, f"[hubspot]\naccess_token_file = '{secret}'\n"), {})
        assert settings.access_token() == TOKEN

    def test_unreadable_token_file_names_the_path(self, tmp_path: Path) -> None:
        """A token file that cannot be read is a configuration error naming it."""
        missing = tmp_path / "no-such-token"
        with pytest.raises(ConfigError, match="no-such-token") as info:
            load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(missing)})
        assert "NPS_HUBSPOT__ACCESS_TOKEN_FILE" in str(info.value)

    def test_empty_token_file_is_an_error(self, tmp_path: Path) -> None:
        """A token file holding only whitespace is refused."""
        secret = tmp_path / "token"
        secret.write_text("\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="is empty"):
            load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(secret)})

    def test_both_token_sources_is_an_error(self, tmp_path: Path) -> None:
        """Giving access_token and access_token_file together is refused, naming both sources."""
        path = write(tmp_path, f"[hubspot]\naccess_token = '{TOKEN}'\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": "/run/secrets/token"})
        message = str(info.value)
        assert "give either hubspot.access_token or hubspot.access_token_file, not both" in message
        assert "NPS_HUBSPOT__ACCESS_TOKEN_FILE" in message
        assert TOKEN not in message

    def test_both_token_sources_refused_on_direct_construction(self) -> None:
        """The model itself refuses both sources, not only load_settings."""
        with pytest.raises(ConfigError, match="not both"):
            Settings.model_validate({"hubspot": {"access_token": TOKEN, "access_token_file": "/x"}})

    def test_missing_token_is_allowed_until_asked_for(self, tmp_path: Path) -> None:
        """Loading works without a token (the sandbox needs none); asking for it is the error."""
        settings = load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN": ""})
        with pytest.raises(ConfigError, match=r"hubspot\.access_token is not set"):
            settings.access_token()

    def test_token_never_shown_in_settings_text(self, tmp_path: Path) -> None:
        """Neither str() nor repr() of the settings contains the token."""
        settings = load_settings(write(tmp_path, ""), {"NPS_HUBSPOT__ACCESS_TOKEN": TOKEN})
        assert TOKEN not in str(settings)
        assert TOKEN not in repr(settings)
        assert TOKEN not in repr(settings.hubspot)


class TestErrors:
    def test_unknown_key_in_file_is_named(self, tmp_path: Path) -> None:
        """A misspelt key is an error naming the file and the dotted key."""
        path = write(tmp_path, "[scoring]\nwindow_dayz = 30\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert str(info.value) == f"{path}: scoring.window_dayz: unknown key (did you mean scoring.window_days?)"

    def test_unknown_section_in_file_is_named(self, tmp_path: Path) -> None:
        """A misspelt section is an error naming it and suggesting the section meant."""
        path = write(tmp_path, "[scorign]\nwindow_days = 30\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert str(info.value) == f"{path}: scorign: unknown section (did you mean scoring?)"

    def test_unknown_key_from_env_names_the_variable(self, tmp_path: Path) -> None:
        """A misspelt variable is an error naming the variable and the key."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_SCORING__WINDOWDAYS": "3"})
        assert str(info.value) == (
            "NPS_SCORING__WINDOWDAYS: scoring.windowdays: unknown key (did you mean scoring.window_days?)"
        )

    def test_unknown_section_from_env_names_the_variable(self, tmp_path: Path) -> None:
        """NPS_<bad section>__KEY is an error rather than silently ignored, with the section meant."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_SCORNIG__WINDOW_DAYS": "3"})
        assert str(info.value) == "NPS_SCORNIG__WINDOW_DAYS: scornig: unknown section (did you mean scoring?)"

    def test_bad_value_in_file_names_key_and_file(self, tmp_path: Path) -> None:
        """A value out of range is one line: file, dotted key, what is wrong."""
        path = write(tmp_path, f"[hubspot]\naccess_token = '{TOKEN}'\n[scoring]\nwindow_days = 0\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        message = str(info.value)
        assert message == f"{path}: scoring.window_days: Input should be greater than or equal to 1"
        assert "\n" not in message
        assert TOKEN not in message

    def test_bad_value_from_env_names_the_variable(self, tmp_path: Path) -> None:
        """A bad value from a variable names that variable, not the file."""
        path = write(tmp_path, "[scoring]\nwindow_days = 30\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {"NPS_SCORING__WINDOW_DAYS": "ninety"})
        assert str(info.value).startswith("NPS_SCORING__WINDOW_DAYS: scoring.window_days: ")

    def test_wrongly_typed_token_does_not_leak(self, tmp_path: Path) -> None:
        """Even when the token itself is the bad value, the message does not contain it."""
        path = write(tmp_path, f"[hubspot]\naccess_token = ['{TOKEN}']\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert "hubspot.access_token" in str(info.value)
        assert TOKEN not in str(info.value)

    def test_bad_values_do_not_echo_input(self, tmp_path: Path) -> None:
        """Messages are built from key and reason only, never pydantic's input_value."""
        env = {"NPS_HUBSPOT__TIMEOUT_SECONDS": TOKEN, "NPS_HUBSPOT__BASE_URL": TOKEN}
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), env)
        message = str(info.value)
        assert "hubspot.timeout_seconds" in message
        assert "hubspot.base_url" in message
        assert TOKEN not in message
        assert "input_value" not in message

    def test_invalid_timezone(self, tmp_path: Path) -> None:
        """followup.timezone must be an IANA zone name."""
        with pytest.raises(ConfigError, match=r"followup\.timezone: not a known IANA time zone"):
            load_settings(write(tmp_path, "[followup]\ntimezone = 'Mars/Olympus'\n"), {})

    def test_template_with_unknown_field(self, tmp_path: Path) -> None:
        """A template placeholder the connector does not fill is caught at load time."""
        path = write(tmp_path, "[followup]\nsubject_template = 'Hi {nmae}'\n")
        with pytest.raises(ConfigError, match=r"followup\.subject_template: unknown template field \{nmae\}"):
            load_settings(path, {})

    def test_env_list_that_is_not_json(self, tmp_path: Path) -> None:
        """A list variable that is not JSON is named."""
        with pytest.raises(ConfigError, match="NPS_SCORING__SURVEY_IDS"):
            load_settings(write(tmp_path, ""), {"NPS_SCORING__SURVEY_IDS": "1,2"})

    def test_missing_explicit_file(self, tmp_path: Path) -> None:
        """An explicitly named file that does not exist is an error naming it."""
        missing = tmp_path / "absent.toml"
        with pytest.raises(ConfigError, match=f"{missing}: config file not found"):
            load_settings(missing, {})

    def test_missing_file_named_by_nps_config(self, tmp_path: Path) -> None:
        """A file named by $NPS_CONFIG must exist too."""
        missing = tmp_path / "absent.toml"
        with pytest.raises(ConfigError, match=r"absent\.toml"):
            load_settings(environ={"NPS_CONFIG": str(missing)})

    def test_file_that_is_a_directory(self, tmp_path: Path) -> None:
        """An unreadable config path is an error naming it."""
        with pytest.raises(ConfigError, match="cannot read config file"):
            load_settings(tmp_path, {})

    def test_bad_toml(self, tmp_path: Path) -> None:
        """A syntax error names the file and the line, without echoing the content."""
        path = write(tmp_path, f"[hubspot]\naccess_token = '{TOKEN}' junk\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        message = str(info.value)
        assert message.startswith(f"{path}: not valid TOML")
        assert "line 2" in message
        assert TOKEN not in message

    def test_several_problems_on_one_line(self, tmp_path: Path) -> None:
        """All problems are reported, joined on a single line."""
        path = write(tmp_path, "[scoring]\nwindow_days = 0\nmin_company_responses = 0\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        message = str(info.value)
        assert "scoring.window_days" in message
        assert "scoring.min_company_responses" in message
        assert "\n" not in message


class TestUnknownKeys:
    def test_typo_in_file_suggests_the_key(self, tmp_path: Path) -> None:
        """A near miss in the file names the file and the key meant."""
        path = write(tmp_path, "[scoring]\nwindwo_days = 5\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert str(info.value) == f"{path}: scoring.windwo_days: unknown key (did you mean scoring.window_days?)"

    def test_typo_in_section_json_names_the_variable(self, tmp_path: Path) -> None:
        """A near miss inside NPS_<SECTION>'s JSON names that variable, not the file."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_SCORING": '{"windwo_days": 5}'})
        assert str(info.value) == "NPS_SCORING: scoring.windwo_days: unknown key (did you mean scoring.window_days?)"

    def test_typo_in_nested_table_suggests_the_key(self, tmp_path: Path) -> None:
        """Keys inside a per-survey template table get a suggestion too."""
        path = write(tmp_path, '[followup.templates_by_survey."77"]\nsubjct = "Hi"\n')
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert str(info.value) == (
            f"{path}: followup.templates_by_survey.77.subjct: unknown key "
            "(did you mean followup.templates_by_survey.77.subject?)"
        )

    def test_no_close_match_lists_the_valid_keys(self, tmp_path: Path) -> None:
        """Without a near miss, the message lists the keys the section has."""
        path = write(tmp_path, "[scoring]\nzzz = 5\n")
        with pytest.raises(ConfigError) as info:
            load_settings(path, {})
        assert str(info.value) == (
            f"{path}: scoring.zzz: unknown key (valid keys of scoring: window_days, min_company_responses, "
            "company_promoter_at, company_detractor_below, survey_types, survey_ids, csat_survey_types, "
            "csat_survey_ids, ces_survey_types, ces_survey_ids, csat_values, ces_values, weight_property, role_weights)"
        )

    def test_unknown_section_without_close_match_lists_the_sections(self, tmp_path: Path) -> None:
        """An unknown section far from any real one lists the sections."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_ZZZZ__KEY": "1"})
        assert str(info.value) == (
            "NPS_ZZZZ__KEY: zzzz: unknown section (valid sections: hubspot, ledger, scoring, followup, sync, log, "
            "report, properties)"
        )

    def test_empty_key_in_variable_name(self, tmp_path: Path) -> None:
        """A doubled separator is named rather than read as an empty key."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_SCORING____WINDOW_DAYS": "1"})
        assert str(info.value) == "NPS_SCORING____WINDOW_DAYS: empty key between '__' separators"

    def test_bad_section_json_names_the_variable(self, tmp_path: Path) -> None:
        """NPS_<SECTION> that is not JSON is named, without its value."""
        with pytest.raises(ConfigError) as info:
            load_settings(write(tmp_path, ""), {"NPS_HUBSPOT": f"access_token={TOKEN}"})
        assert str(info.value) == "NPS_HUBSPOT: hubspot: expected a JSON value"


class TestSatisfactionScales:
    def test_a_csat_mapping_off_the_scale_is_refused(self, tmp_path: Path) -> None:
        """CSAT values map onto HubSpot's 0-2; a 3 is a configuration error naming the key."""
        path = write(tmp_path, '[scoring]\ncsat_values = {"top" = 3, "ok" = 1}\n')
        with pytest.raises(ConfigError, match=r"scoring\.csat_values: values must be 0-2 .*'top'"):
            load_settings(path, {})

    def test_a_ces_mapping_from_the_environment(self, tmp_path: Path) -> None:
        """A CES mapping as JSON in NPS_SCORING__CES_VALUES, keys stripped."""
        settings = load_settings(write(tmp_path, ""), {"NPS_SCORING__CES_VALUES": '{" easy ": 7, "hard": 1}'})
        assert settings.scoring.ces_values == {"easy": 7, "hard": 1}
