"""Settings: a TOML file plus `NPS_`-prefixed environment variables, validated by pydantic.

The file is `--config`, else `$NPS_CONFIG`, else `./nps-connector.toml` (optional). Environment
variables override the file: `NPS_` + section + `__` + key, e.g. `NPS_SCORING__WINDOW_DAYS=90`;
list and table values are given as JSON. Any problem becomes one `ConfigError` line naming the
source, the dotted key and what is wrong — never the value, so the access token cannot leak.
"""

from __future__ import annotations

import json
import os
import re
import string
import tomllib
import types
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal, Self, Union, get_args, get_origin
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

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

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
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable as UTF-8 text"
        raise ConfigError(f"hubspot.access_token_file: cannot read {path}: {reason}") from None
    if not token:
        raise ConfigError(f"hubspot.access_token_file: {path} is empty")
    return token


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

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.company_detractor_below > self.company_promoter_at:
            raise ValueError("company_detractor_below must not be above company_promoter_at")
        return self


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

    @field_validator("group", *_CONTACT_FIELDS, *_COMPANY_FIELDS)
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
        for field in (*_CONTACT_FIELDS, *_COMPANY_FIELDS):
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


class Settings(_Section):
    """All settings of the connector; build it with `load_settings`."""

    hubspot: HubSpotSettings = HubSpotSettings()
    ledger: LedgerSettings = LedgerSettings()
    scoring: ScoringSettings = ScoringSettings()
    followup: FollowupSettings = FollowupSettings()
    sync: SyncSettings = SyncSettings()
    log: LogSettings = LogSettings()
    properties: PropertyNames = PropertyNames()

    def access_token(self) -> str:
        """Return the HubSpot access token; raise ConfigError when none is configured."""
        return self.hubspot.token()


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load the TOML file (explicit, `$NPS_CONFIG` or ./nps-connector.toml) overlaid with `NPS_*` env vars."""
    env = os.environ if environ is None else environ
    path, required = _choose_file(config_file, env)
    data = _read_toml(path, required)
    source = str(path) if data is not None else "configuration"
    merged: dict[str, Any] = data if data is not None else {}
    env_sources = _overlay_env(merged, env)
    _check_token_sources(merged, env_sources, source)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, env_sources, source)) from None
    if settings.hubspot.access_token_file is not None:
        try:
            settings.hubspot.token()  # fail at start-up, not at the first HubSpot call
        except ConfigError as exc:
            origin = env_sources.get(("hubspot", "access_token_file"), source)
            raise ConfigError(f"{origin}: {exc}") from None
    return settings


def _choose_file(config_file: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    if config_file is not None:
        return config_file, True
    named = env.get(CONFIG_FILE_ENV, "").strip()
    if named:
        return Path(named), True
    return DEFAULT_CONFIG_FILE, False


def _read_toml(path: Path, required: bool) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if not required:
            return None
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or type(exc).__name__}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _overlay_env(merged: dict[str, Any], env: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Write `NPS_*` variables into the file's dict in place; return which keys came from which variable."""
    sources: dict[tuple[str, ...], str] = {}
    sections = set(Settings.model_fields)
    # Sorted so the outcome does not depend on the environment's order when `__` keys overlap.
    for name in sorted(env):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = tuple(name[len(ENV_PREFIX) :].lower().split(ENV_NESTING))
        if len(parts) == 1 and parts[0] not in sections:
            continue  # NPS_CONFIG and other non-setting variables
        if parts[0] not in sections:
            raise ConfigError(f"{name}: unknown section {parts[0]!r} (known: {', '.join(sorted(sections))})")
        if any(not part for part in parts):
            raise ConfigError(f"{name}: empty key between '{ENV_NESTING}' separators")
        value: object = env[name]
        if _is_complex(_annotation_at(parts)):
            try:
                value = json.loads(env[name])
            except json.JSONDecodeError:
                raise ConfigError(f"{name}: {'.'.join(parts)}: expected a JSON value") from None
        _set_path(merged, parts, value)
        sources[parts] = name
    return sources


def _set_path(target: dict[str, Any], parts: tuple[str, ...], value: object) -> None:
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    existing = target.get(parts[-1])
    if isinstance(existing, dict) and isinstance(value, dict):
        # A whole table from JSON overrides key by key, like the nested variables do.
        for key, item in value.items():
            _set_path(existing, (str(key),), item)
    else:
        target[parts[-1]] = value


def _annotation_at(parts: tuple[str, ...]) -> object:
    annotation: object = Settings
    for part in parts:
        annotation = _unwrap_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    return annotation


def _unwrap_optional(annotation: object) -> object:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_complex(annotation: object) -> bool:
    annotation = _unwrap_optional(annotation)
    if get_origin(annotation) in (list, dict, set, frozenset, tuple):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _check_token_sources(merged: dict[str, Any], env_sources: dict[tuple[str, ...], str], source: str) -> None:
    # Checked before validation so the message can say where each of the two came from.
    hubspot = merged.get("hubspot")
    if not isinstance(hubspot, dict):
        return
    given = [key for key in ("access_token", "access_token_file") if _empty_to_none(hubspot.get(key)) is not None]
    if len(given) == 2:
        origins = ", ".join(f"{key} from {env_sources.get(('hubspot', key), source)}" for key in given)
        raise ConfigError(f"give either hubspot.access_token or hubspot.access_token_file, not both ({origins})")


def _describe(exc: ValidationError, env_sources: dict[tuple[str, ...], str], source: str) -> str:
    """One line for all errors, built from location and message only (pydantic's text embeds the input)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = error["loc"]
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        origin = source
        for end in range(len(loc), 0, -1):
            prefix = tuple(str(part).lower() for part in loc[:end])
            if prefix in env_sources:
                origin = env_sources[prefix]
                break
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{origin}: {key}: {message}" if key else f"{origin}: {message}")
    return "; ".join(problems)
