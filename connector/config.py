"""Settings: a TOML file plus `NPS_`-prefixed environment variables, read by pydantic-settings.

The file is `--config`, else `$NPS_CONFIG`, else `./nps-connector.toml` (optional). Environment
variables override the file: `NPS_` + section + `__` + key, e.g. `NPS_SCORING__WINDOW_DAYS=90`;
list and table values are given as JSON, and `NPS_<SECTION>` may hold a whole table as JSON that
overrides the file key by key. Any problem becomes one `ConfigError` line naming the source, the
dotted key and what is wrong — never the value, so the access token cannot leak.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, Self, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from typing_extensions import override  # typing.override is 3.12+; this one comes with pydantic

from connector.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("nps-connector.toml")
ENV_PREFIX = "NPS_"
ENV_NESTING = "__"
CONFIG_FILE_ENV = "NPS_CONFIG"

# The names a follow-up subject or body template may use; connector.followup must supply every one.
TEMPLATE_FIELDS = frozenset(
    {
        "contact_name",
        "firstname",
        "lastname",
        "email",
        "score",
        "category",
        "comment",
        "survey_name",
        "survey_type",
        "survey_id",
        "submission_id",
        "submitted_at",
        "link",
        "company_name",
    }
)

DEFAULT_SUBJECT_TEMPLATE = "NPS {category}: {contact_name} scored {score}"
DEFAULT_BODY_TEMPLATE = (
    "{contact_name} ({email}) answered {score} out of 10 in the survey "
    '"{survey_name}" on {submitted_at}.\n'
    "\n"
    "Comment: {comment}\n"
    "\n"
    "Survey response in HubSpot: {link}"
)

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class _Section(BaseModel):
    # forbid: a misspelt key must be an error naming it, not a silently ignored default.
    # coerce_numbers_to_str: ids written unquoted in TOML (`portal_id = 123`) are still ids.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _empty_to_none(value: object) -> object:
    # `VAR=` in a compose file or a shell means "not set", not "an empty token/path".
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and not text.strip():
        return None
    return value


class HubSpotSettings(_Section):
    """The `[hubspot]` section: where HubSpot is, how to authenticate, how fast to call it."""

    base_url: str = "https://api.hubapi.com"
    # HubSpot's date-based API version, or "v3" for the numbered (v3 and v4) paths
    # (the schedule and the paths of each live in connector/hubspot/versions.py).
    api_version: Literal["2026-09", "2026-03", "v3"] = "2026-09"
    access_token: SecretStr | None = None
    access_token_file: Path | None = None
    portal_id: str = Field(default="", description="HubSpot account id, only used to build links to records")
    # HubSpot allows 190 requests per 10 s per private app on Pro/Enterprise (100 on Free/Starter),
    # and the daily limit is shared by every app of the portal; 100 leaves room for the others.
    requests_per_10s: int = Field(default=100, ge=1)
    # The CRM search endpoints allow 5 requests per second per account, shared by all apps.
    search_requests_per_second: float = Field(default=4, gt=0)
    max_retries: int = Field(default=6, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)

    _file_token: SecretStr | None = PrivateAttr(default=None)

    @field_validator("access_token", "access_token_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return _empty_to_none(value)

    @field_validator("access_token", mode="after")
    @classmethod
    def _token_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        # Outer whitespace (a trailing newline from a secret file turned variable) is not the token.
        token = value.get_secret_value().strip()
        problem = token_problem(token)
        if problem:
            raise ValueError(problem)
        return SecretStr(token)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_base_url(value)

    @model_validator(mode="after")
    def _one_token_source(self) -> Self:
        if self.access_token is not None and self.access_token_file is not None:
            raise ConfigError("give either hubspot.access_token or hubspot.access_token_file, not both")
        return self

    def token(self) -> str:
        """Return the access token from the setting or its file; raise ConfigError when there is none."""
        if self.access_token is not None:
            return self.access_token.get_secret_value()
        if self.access_token_file is not None:
            if self._file_token is None:
                self._file_token = SecretStr(_read_token_file(self.access_token_file))
            return self._file_token.get_secret_value()
        raise ConfigError(
            "hubspot.access_token is not set (set NPS_HUBSPOT__ACCESS_TOKEN or hubspot.access_token_file)"
        )


def _read_token_file(path: Path) -> str:
    try:
        # utf-8-sig: a byte-order mark (Windows editors) is not part of the token.
        token = path.read_text(encoding="utf-8-sig").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable as UTF-8 text"
        raise ConfigError(f"hubspot.access_token_file: cannot read {path}: {reason}") from None
    if not token:
        raise ConfigError(f"hubspot.access_token_file: {path} is empty")
    problem = token_problem(token)
    if problem:
        raise ConfigError(f"hubspot.access_token_file: {path}: {problem}")
    return token


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bearer token (None when it can); the text never contains the token.

    HubSpot tokens are printable ASCII without spaces. Anything else would either be refused by
    the HTTP library with the token in its message, or be sent as a header HubSpot cannot match.
    """
    if not token.strip():
        return "the token is empty"
    if any(ch in "\r\n" for ch in token):
        return (
            "the token spans several lines; the file or variable must hold the token alone, on one line "
            "(re-create the secret from the token only)"
        )
    if any(ch.isspace() for ch in token):
        return "the token contains spaces or tabs; copy the token alone, without spaces"
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in token):
        return "the token contains control or non-ASCII characters; copy the token again, as plain text"
    return None


def check_base_url(value: str) -> str:
    """`hubspot.base_url` normalised (no trailing slash); ValueError naming what is wrong and what to write."""
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    value = value.rstrip("/")
    parts = urlsplit(value)
    if not parts.hostname or any(ch.isspace() or ord(ch) < 0x20 for ch in parts.netloc):
        raise ValueError("has no valid host name (e.g. https://api.hubapi.com or http://127.0.0.1:8080)")
    try:
        port = parts.port
    except ValueError:
        text = parts.netloc.rsplit(":", 1)[-1]
        hint = (
            " (replace PORT with the port the sandbox printed: `listening on http://127.0.0.1:<port>`)"
            if text.upper() == "PORT"
            else ""
        )
        raise ValueError(f"port {text!r} is not a number from 1 to 65535{hint}") from None
    if port == 0:
        raise ValueError("port 0 is not a port a server listens on (give the port the server printed)")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query (?...) or fragment (#...)")
    return value


class LedgerSettings(_Section):
    """The `[ledger]` section: where the local SQLite ledger lives."""

    path: Path = Path("nps-ledger.sqlite")


class ScoringSettings(_Section):
    """The `[scoring]` section: which answers count and how companies are categorised."""

    window_days: int = Field(default=365, ge=1)
    min_company_responses: int = Field(default=1, ge=1)
    company_promoter_at: float = 30
    company_detractor_below: float = 0
    survey_types: list[str] = Field(default_factory=lambda: ["NPS"])
    # Portals that run NPS as a custom survey: its submissions count whatever their survey type.
    survey_ids: list[str] = Field(default_factory=list)
    # CSAT and CES answers, by survey type or survey id, like NPS.
    csat_survey_types: list[str] = Field(default_factory=lambda: ["CSAT"])
    csat_survey_ids: list[str] = Field(default_factory=list)
    ces_survey_types: list[str] = Field(default_factory=lambda: ["CES"])
    ces_survey_ids: list[str] = Field(default_factory=list)
    # A portal that stores CSAT or CES differently maps its raw values onto HubSpot's scales
    # (CSAT 0 unhappy / 1 neutral / 2 happy, CES 1-7); empty means HubSpot's own digits.
    csat_values: dict[str, int] = Field(default_factory=dict)
    ces_values: dict[str, int] = Field(default_factory=dict)
    # Role-weighted company NPS: a voice counts the weight of its contact's value of this contact
    # property (HubSpot's multi-select `hs_buying_role`: the highest weight of its values); a value
    # without a weight counts 1. Empty weights: the weighted score stays empty.
    weight_property: str = "hs_buying_role"
    role_weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("role_weights")
    @classmethod
    def _positive_weights(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(role for role, weight in value.items() if not weight > 0)
        if bad:
            raise ValueError(f"weights must be greater than 0; not so for {', '.join(map(repr, bad))}")
        return {role.strip(): weight for role, weight in value.items()}

    @field_validator("csat_values")
    @classmethod
    def _csat_scale(cls, value: dict[str, int]) -> dict[str, int]:
        return _on_scale(value, 0, 2)

    @field_validator("ces_values")
    @classmethod
    def _ces_scale(cls, value: dict[str, int]) -> dict[str, int]:
        return _on_scale(value, 1, 7)

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.company_detractor_below > self.company_promoter_at:
            raise ValueError("company_detractor_below must not be above company_promoter_at")
        return self


def _on_scale(mapping: dict[str, int], low: int, high: int) -> dict[str, int]:
    bad = sorted(raw for raw, value in mapping.items() if not low <= value <= high)
    if bad:
        raise ValueError(f"values must be {low}-{high} (HubSpot's scale); not so for {', '.join(map(repr, bad))}")
    return {raw.strip(): value for raw, value in mapping.items()}


class TemplateOverride(_Section):
    """Per-survey replacement of the follow-up task subject and/or body template."""

    subject: str | None = None
    body: str | None = None

    @field_validator("subject", "body")
    @classmethod
    def _valid_template(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)


def _check_template(template: str) -> str:
    try:
        names = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    for name in names:
        base = name.split(".", 1)[0].split("[", 1)[0]
        if base not in TEMPLATE_FIELDS:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            raise ValueError(f"unknown template field {{{base}}} (known: {known})")
    return template


class FollowupSettings(_Section):
    """The `[followup]` section: which answers get a task, for whom, due when, worded how."""

    enabled: bool = True
    max_answer_age_days: int = Field(default=14, ge=0)
    due_in_business_days: int = Field(default=2, ge=0)
    default_owner_id: str = ""
    timezone: str = "UTC"
    holidays: list[date] = Field(default_factory=list)
    include_passives: bool = False
    skip_without_owner: bool = False
    subject_template: str = DEFAULT_SUBJECT_TEMPLATE
    body_template: str = DEFAULT_BODY_TEMPLATE
    templates_by_survey: dict[str, TemplateOverride] = Field(default_factory=dict)
    at_risk_enabled: bool = False
    at_risk_drop: float = Field(default=20, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone name (e.g. Europe/Berlin)") from None
        return value

    @field_validator("subject_template", "body_template")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        return _check_template(value)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone business days are counted in."""
        return ZoneInfo(self.timezone)

    def templates_for(self, survey_id: str) -> tuple[str, str]:
        """Return the (subject, body) templates for a survey, per-survey overrides first."""
        override = self.templates_by_survey.get(survey_id)
        subject = override.subject if override and override.subject is not None else self.subject_template
        body = override.body if override and override.body is not None else self.body_template
        return subject, body


class SyncSettings(_Section):
    """The `[sync]` section: incremental pull behaviour."""

    # Re-read this many minutes before the cursor: HubSpot's search index lags behind writes.
    lookback_minutes: int = Field(default=10, ge=0)


class ReportSettings(_Section):
    """The `[report]` section: benchmark lines, the follow-up target and the trend's length."""

    # Integron, "Customer Experience in B2B Netherlands 2024": B2B and ICT NPS benchmarks.
    benchmarks: dict[str, float] = Field(
        default_factory=lambda: {
            "B2B average": 29.0,
            "B2B top performers": 46.0,
            "B2B best in class": 71.0,
            "ICT average": 6.0,
            "ICT best in class": 31.0,
        }
    )
    # Bain (via SurveyGauge): each 24 h of delay roughly halves the chance of recovering a detractor.
    followup_target_hours: float = Field(default=48, gt=0)
    trend_months: int = Field(default=12, ge=1, le=120)


class LogSettings(_Section):
    """The `[log]` section: level and output format (auto = console on a TTY, else JSON)."""

    level: str = "info"
    format: Literal["auto", "json", "console"] = "auto"

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level


# HubSpot internal names: lowercase, start with a letter, no spaces or dashes.
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")

_CONTACT_FIELDS = (
    "contact_score",
    "contact_category",
    "contact_last_response_date",
    "contact_response_count",
    "contact_followup_status",
    "contact_followup_due_date",
)
_COMPANY_FIELDS = (
    "company_score",
    "company_category",
    "company_responses",
    "company_promoters",
    "company_passives",
    "company_detractors",
    "company_margin_of_error",
    "company_trend",
    "company_last_response_date",
)
_CONTACT_SATISFACTION_FIELDS = (
    "contact_csat_score",
    "contact_csat_last_response_date",
    "contact_ces_score",
    "contact_ces_last_response_date",
)
_COMPANY_SATISFACTION_FIELDS = (
    "company_csat_score",
    "company_csat_responses",
    "company_csat_margin_of_error",
    "company_ces_average",
    "company_ces_easy_share",
    "company_ces_responses",
)
_COMPANY_DEPTH_FIELDS = ("company_coverage", "company_weighted_score")
_ALL_FIELDS = (
    *_CONTACT_FIELDS,
    *_COMPANY_FIELDS,
    *_CONTACT_SATISFACTION_FIELDS,
    *_COMPANY_SATISFACTION_FIELDS,
    *_COMPANY_DEPTH_FIELDS,
)


class PropertyNames(BaseModel):
    """Internal names of the property group and of every property the connector writes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = "nps"
    group_label: str = "NPS"

    contact_score: str = "nps_score"
    contact_category: str = "nps_category"
    contact_last_response_date: str = "nps_last_response_date"
    contact_response_count: str = "nps_response_count"
    contact_followup_status: str = "nps_followup_status"
    contact_followup_due_date: str = "nps_followup_due_date"

    company_score: str = "nps_company_score"
    company_category: str = "nps_company_category"
    company_responses: str = "nps_company_responses"
    company_promoters: str = "nps_company_promoters"
    company_passives: str = "nps_company_passives"
    company_detractors: str = "nps_company_detractors"
    company_margin_of_error: str = "nps_company_margin_of_error"
    company_trend: str = "nps_company_trend"
    company_last_response_date: str = "nps_company_last_response_date"

    contact_csat_score: str = "csat_score"
    contact_csat_last_response_date: str = "csat_last_response_date"
    contact_ces_score: str = "ces_score"
    contact_ces_last_response_date: str = "ces_last_response_date"

    company_csat_score: str = "csat_company_score"
    company_csat_responses: str = "csat_company_responses"
    company_csat_margin_of_error: str = "csat_company_margin_of_error"
    company_ces_average: str = "ces_company_average"
    company_ces_easy_share: str = "ces_company_easy_share"
    company_ces_responses: str = "ces_company_responses"

    company_coverage: str = "nps_company_coverage"
    company_weighted_score: str = "nps_company_weighted_score"

    @field_validator("group", *_ALL_FIELDS)
    @classmethod
    def _internal_name(cls, value: str) -> str:
        if not _NAME_RE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a HubSpot internal name: use lowercase letters, digits and "
                "underscores, starting with a letter"
            )
        return value

    @field_validator("group_label")
    @classmethod
    def _label_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the property group label must not be empty")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> PropertyNames:
        seen: dict[str, str] = {}
        for field in _ALL_FIELDS:
            name = getattr(self, field)
            if name in seen:
                raise ValueError(f"property name {name!r} is used for both {seen[name]} and {field}")
            seen[name] = field
        return self

    def contact_properties(self) -> tuple[str, ...]:
        """The six contact property names, in definition order."""
        return tuple(getattr(self, field) for field in _CONTACT_FIELDS)

    def company_properties(self) -> tuple[str, ...]:
        """The nine company property names, in definition order."""
        return tuple(getattr(self, field) for field in _COMPANY_FIELDS)

    def contact_satisfaction_properties(self) -> tuple[str, ...]:
        """The four contact CSAT/CES property names."""
        return tuple(getattr(self, field) for field in _CONTACT_SATISFACTION_FIELDS)

    def company_satisfaction_properties(self) -> tuple[str, ...]:
        """The six company CSAT/CES property names."""
        return tuple(getattr(self, field) for field in _COMPANY_SATISFACTION_FIELDS)

    def all_contact_properties(self) -> tuple[str, ...]:
        """Every contact property the connector writes (NPS, follow-up, CSAT, CES)."""
        return (*self.contact_properties(), *self.contact_satisfaction_properties())

    def company_depth_properties(self) -> tuple[str, ...]:
        """The two B2B depth properties: coverage and the role-weighted NPS."""
        return tuple(getattr(self, field) for field in _COMPANY_DEPTH_FIELDS)

    def all_company_properties(self) -> tuple[str, ...]:
        """Every company property the connector writes (NPS, CSAT, CES, coverage, weighted NPS)."""
        return (*self.company_properties(), *self.company_satisfaction_properties(), *self.company_depth_properties())


class _SourceError(ConfigError):
    """A ConfigError raised by a settings source; its message already names the file or variable."""


@dataclass(frozen=True)
class _Inputs:
    config_file: Path | None  # None: no file
    environ: Mapping[str, str] | None  # None: the process environment, read when Settings() is built


# Which file and environment the sources of `Settings()` read. A ContextVar rather than a class
# attribute or a subclass per call: it is set only for the duration of one `settings_sources` block,
# is private to the thread or task that set it, and a subclass would make `load_settings(...) ==
# Settings()` false. Outside such a block `Settings()` reads the process environment but no file,
# so a ./nps-connector.toml in some working directory (a test's, say) is never picked up by accident.
_PROCESS_ENV_NO_FILE = _Inputs(None, None)
_INPUTS: ContextVar[_Inputs] = ContextVar("nps_settings_inputs", default=_PROCESS_ENV_NO_FILE)


@contextmanager
def settings_sources(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """Within the block, `Settings(...)` reads `config_file` (None: no file) and `environ` (None: os.environ)."""
    token = _INPUTS.set(_Inputs(config_file, environ))
    try:
        yield
    finally:
        _INPUTS.reset(token)


# @override on every pydantic-settings hook: mypy fails loudly if a release renames one.
class _EnvSource(EnvSettingsSource):
    """`NPS_*` variables from a given mapping; a list or table that is not JSON names its variable."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # before super().__init__, which loads the variables
        super().__init__(settings_cls)

    @override
    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name if self.case_sensitive else name.lower(): value for name, value in self._environ.items()}

    @override
    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        try:
            return super().prepare_field_value(field_name, field, value, value_is_complex)
        except ValueError:
            # pydantic-settings would say only which section failed; find the variable that did.
            name = self._bad_json_variable(field_name, field, value)
            key = name[len(ENV_PREFIX) :].lower().replace(ENV_NESTING, ".")
            raise _SourceError(f"{_env_name(name, self._environ)}: {key}: expected a JSON value") from None

    def _bad_json_variable(self, field_name: str, field: FieldInfo, value: Any) -> str:
        whole = f"{self.env_prefix}{field_name}".lower()
        if value is not None and not _is_json(value):
            return whole
        for name, text in self.env_vars.items():
            if name.startswith(whole + ENV_NESTING):
                try:
                    self.explode_env_vars(field_name, field, {name: text})  # one at a time: the culprit
                except ValueError:
                    return name
        return whole


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _env_name(lowered: str, environ: Mapping[str, str]) -> str:
    """The variable's name as the admin wrote it."""
    return next((name for name in environ if name.lower() == lowered.lower()), lowered.upper())


class _TomlSource(TomlConfigSettingsSource):
    """The chosen TOML file; a file that is missing, unreadable or not TOML is one line naming it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        # pydantic-settings silently skips a path that is not a file; a chosen file must be read.
        if path is not None and not path.is_file():
            problem = "cannot read config file: not a regular file" if path.exists() else "config file not found"
            raise _SourceError(f"{path}: {problem}")
        super().__init__(settings_cls, toml_file=path)

    @override
    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        try:
            return super()._read_file(file_path)
        except OSError as exc:
            raise _SourceError(f"{file_path}: cannot read config file: {exc.strerror or type(exc).__name__}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            # tomllib's message gives the line and column, never the content.
            raise _SourceError(f"{file_path}: not valid TOML: {exc}") from None


class Settings(BaseSettings):
    """All settings of the connector; build it with `load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTING,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    hubspot: HubSpotSettings = HubSpotSettings()
    ledger: LedgerSettings = LedgerSettings()
    scoring: ScoringSettings = ScoringSettings()
    followup: FollowupSettings = FollowupSettings()
    sync: SyncSettings = SyncSettings()
    log: LogSettings = LogSettings()
    report: ReportSettings = ReportSettings()
    properties: PropertyNames = PropertyNames()

    @classmethod
    @override
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit arguments win, then `NPS_*` variables, then the TOML file; no dotenv, no secrets dir."""
        inputs = _INPUTS.get()
        environ = os.environ if inputs.environ is None else inputs.environ
        return init_settings, _EnvSource(settings_cls, environ), _TomlSource(settings_cls, inputs.config_file)

    def access_token(self) -> str:
        """Return the HubSpot access token; raise ConfigError when none is configured."""
        return self.hubspot.token()


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load the TOML file (explicit, `$NPS_CONFIG` or ./nps-connector.toml) overlaid with `NPS_*` env vars."""
    env = os.environ if environ is None else environ
    path = _choose_file(config_file, env)
    file_label = str(path) if path is not None else "configuration"
    _check_env_names(env)
    try:
        with settings_sources(path, env):
            settings = Settings()  # init (none here), then env, then the file: see settings_customise_sources
    except ValidationError as exc:
        raise ConfigError(_describe(exc, env, file_label)) from None
    except _SourceError:
        raise
    except ConfigError as exc:
        # Only HubSpotSettings._one_token_source raises ConfigError while validating; say where each came from.
        origins = ", ".join(
            f"{key} from {_origin(('hubspot', key), env, file_label)}" for key in ("access_token", "access_token_file")
        )
        raise ConfigError(f"{exc} ({origins})") from None
    if settings.hubspot.access_token_file is not None:
        try:
            settings.hubspot.token()  # fail at start-up, not at the first HubSpot call
        except ConfigError as exc:
            raise ConfigError(f"{_origin(('hubspot', 'access_token_file'), env, file_label)}: {exc}") from None
    return settings


def _choose_file(config_file: Path | None, env: Mapping[str, str]) -> Path | None:
    if config_file is not None:
        return config_file
    named = env.get(CONFIG_FILE_ENV, "").strip()
    if named:
        return Path(named)
    # Only the default may be missing; _TomlSource reports a named file that is not there.
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def _check_env_names(env: Mapping[str, str]) -> None:
    # pydantic-settings ignores `NPS_X__Y` when X is no section; a misspelt section must not be ignored.
    sections = list(Settings.model_fields)
    for name in sorted(env):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_NESTING)
        if len(parts) == 1:
            continue  # NPS_CONFIG, or a whole section as JSON
        if not all(parts):
            raise ConfigError(f"{name}: empty key between '{ENV_NESTING}' separators")
        if parts[0] not in sections:
            raise ConfigError(f"{name}: {_unknown_key((parts[0],))}")


def _describe(exc: ValidationError, env: Mapping[str, str], file_label: str) -> str:
    """One line for all errors, built from location and message only (pydantic's text embeds the input)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = error["loc"]
        origin = _origin(loc, env, file_label)
        if error["type"] == "extra_forbidden":
            problems.append(f"{origin}: {_unknown_key(loc)}")
            continue
        key = _dotted(loc)
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{origin}: {key}: {message}" if key else f"{origin}: {message}")
    return "; ".join(problems)


def _dotted(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _origin(loc: tuple[int | str, ...], env: Mapping[str, str], file_label: str) -> str:
    """The variable that set the key at `loc` (itself, or an enclosing table given as JSON), else the file."""
    names = {name.lower(): name for name in env if name.upper().startswith(ENV_PREFIX)}
    for end in range(len(loc), 0, -1):
        name = names.get(ENV_PREFIX.lower() + ENV_NESTING.join(str(part).lower() for part in loc[:end]))
        if name is None:
            continue
        if end == len(loc) or _json_sets(env[name], loc[end:]):
            return name
    return file_label


def _json_sets(text: str, rest: tuple[int | str, ...]) -> bool:
    # Tables from JSON merge key by key with the file; anything else (a list, a scalar) replaces it whole.
    try:
        node: object = json.loads(text)
    except ValueError:
        return False
    for part in rest:
        if not isinstance(node, dict):
            return True
        if str(part) not in node:
            return False
        node = node[str(part)]
    return True


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """`key: unknown key (did you mean ...?)`, or the valid keys when nothing is close."""
    *parent, name = [str(part) for part in loc]
    valid = _keys_at(tuple(parent))
    kind = "key" if parent else "section"
    close = difflib.get_close_matches(name.lower(), valid, n=1)
    if close:
        hint = f"did you mean {'.'.join([*parent, close[0]])}?"
    elif valid:
        hint = f"valid {kind}s{' of ' + '.'.join(parent) if parent else ''}: {', '.join(valid)}"
    else:
        return f"{'.'.join([*parent, name])}: unknown {kind}"
    return f"{'.'.join([*parent, name])}: unknown {kind} ({hint})"


def _keys_at(path: tuple[str, ...]) -> list[str]:
    """The field names of the model at a dotted path (keys of a dict field are skipped over)."""
    node: object = Settings
    parts = iter(path)
    for part in parts:
        if not (isinstance(node, type) and issubclass(node, BaseModel)) or part not in node.model_fields:
            return []
        node = node.model_fields[part].annotation
        if get_origin(node) is dict:
            node = get_args(node)[1]
            if next(parts, None) is None:
                return []  # the table itself takes any key
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []
