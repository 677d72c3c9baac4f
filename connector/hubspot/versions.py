"""HubSpot API versions: the support schedule, and the one seam that points the SDK at a version.

`hubspot-api-client` 12 only knows the numbered paths (`/crm/v3/...`, `/crm/v4/...`). HubSpot's
date-based versions serve the same operations, with the same request and response shapes for what
the connector calls, under `/crm/{family}/{version}/...` (HubSpot docs, "Developer platform and
API versioning"; API reference of each version). So the SDK builds every request as usual, and the
API objects it hands out are built by `api_factory` (the SDK's own hook, hubspot/discovery/
discovery_base.py) with an `ApiClient` whose `call_api` rewrites the resource path for the
configured version. Everything else (auth, urllib3, the models) stays the SDK's; rate limits,
retries, error mapping and call counts sit above it in `transport.py` and apply to every version.

The one difference in what the connector reads: from 2026-09, batch create/update answer 201/200
with per-record failures in an `errors` array instead of 207 (HubSpot reference, 2026-09 batch
endpoints). The seam deserializes those success answers with the SDK's "with errors" model, so
`convert.write_failures` sees the same `errors` list on every version.

A later move to HubSpot's generated `hubspot-sdk` would replace this module and transport.py only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from typing import Any, Literal

from connector.errors import ConfigError

VersionName = Literal["2026-09", "2026-03", "v3"]

# Numbered prefix -> the date-based family it moved to (whole path segments).
_FAMILIES = (
    ("/crm/v4/associations", "/crm/associations/{version}"),
    ("/crm/v4/objects", "/crm/objects/{version}"),
    ("/crm/v3/objects", "/crm/objects/{version}"),
    ("/crm/v3/properties", "/crm/properties/{version}"),
    ("/crm/v3/owners", "/crm/owners/{version}"),
)


@dataclass(frozen=True)
class ApiVersion:
    """One API version: its paths, its support dates and what differs in its answers."""

    name: VersionName
    current_until: date | None  # None: never "current" (the numbered paths)
    supported_until: date
    batch_errors_in_success_body: bool = False  # 2026-09: 200/201 + errors[] instead of 207
    enforces_validation_rules: bool = False  # 2026-09: portal validation rules apply to API writes

    def path(self, resource_path: str) -> str:
        """The SDK's numbered resource path, rewritten for this version."""
        if self.name == "v3":
            return resource_path
        for numbered, dated in _FAMILIES:
            rest = resource_path[len(numbered) :]
            if resource_path.startswith(numbered) and (not rest or rest.startswith("/")):
                # The SDK lists owners at "/crm/v3/owners/"; the dated reference has no trailing slash.
                return dated.format(version=self.name) + ("" if rest == "/" else rest)
        # A path the table does not know must not silently fall back to the numbered API.
        raise ConfigError(f"hubspot.api_version {self.name}: no date-based path known for {resource_path}")

    def status(self, today: date) -> str:
        """Support status on a day: 'current until …', 'supported until …' or 'unsupported since …'."""
        if self.current_until is not None and today < self.current_until:
            return f"current until {self.current_until.isoformat()}"
        if today < self.supported_until:
            return f"supported until {self.supported_until.isoformat()}"
        return f"unsupported since {self.supported_until.isoformat()}"

    def unsupported(self, today: date) -> bool:
        """Whether HubSpot no longer supports this version on that day."""
        return today >= self.supported_until


# HubSpot's published schedule (docs "Developer platform and API versioning"): a version every March
# and September, current for 6 months, supported until 18 months after release. 2026-03 shipped on
# 30 March 2026, 2026-09 on 8 September 2026. The numbered paths: /crm/v4 unsupported from 30 March
# 2027 (changelog "Deprecating support for HubSpot v4 APIs"), /crm/v3 from September 2027 (changelog
# "Legacy APIs and legacy apps: what's going unsupported and when"); the connector needs both.
VERSIONS: dict[str, ApiVersion] = {
    "2026-09": ApiVersion(
        "2026-09",
        current_until=date(2027, 3, 8),
        supported_until=date(2028, 3, 8),
        batch_errors_in_success_body=True,
        enforces_validation_rules=True,
    ),
    "2026-03": ApiVersion("2026-03", current_until=date(2026, 9, 8), supported_until=date(2027, 9, 30)),
    "v3": ApiVersion("v3", current_until=None, supported_until=date(2027, 3, 30)),
}
DEFAULT_VERSION: VersionName = "2026-09"


def api_version(name: str) -> ApiVersion:
    """The version named in `hubspot.api_version`."""
    try:
        return VERSIONS[name]
    except KeyError:
        known = ", ".join(VERSIONS)
        raise ConfigError(f"hubspot.api_version: {name!r} is not one of {known}") from None


def api_factory(version: ApiVersion) -> Any:
    """An SDK `api_factory` whose API objects send every request to `version`'s paths."""

    def factory(api_client_package: Any, api_name: str, config: dict[str, Any]) -> Any:
        # The SDK's default factory (hubspot/discovery/discovery_base.py), plus the versioned client.
        configuration = api_client_package.Configuration()
        for key, value in config.items():
            if key == "retry":
                configuration.retries = value
            elif key != "api_key":
                setattr(configuration, key, value)
        client = api_client_package.ApiClient(configuration=configuration)
        client.user_agent = f"hubspot-api-client-python; {metadata.version('hubspot-api-client')}"
        _fast_datetimes(client)
        if version.name != "v3":
            _route_to(client, version)
        return getattr(api_client_package, api_name)(api_client=client)

    return factory


def _fast_datetimes(client: Any) -> None:
    """Read the SDK's datetimes with `datetime.fromisoformat`, falling back to the SDK's own parser.

    The SDK parses every `createdAt`/`updatedAt` with dateutil (about 0.1 ms each, two per
    record): 2 s of CPU in a 10,000-answer backfill, most of it after the search, in the wall
    time. HubSpot sends ISO 8601 (`2026-11-30T09:15:00.123Z`), which `fromisoformat` reads (3.11+)
    some 50 times faster to the same value; any other string goes to the SDK's parser unchanged.
    """
    name = "_ApiClient__deserialize_datetime"  # the SDK's private (name-mangled) hook
    sdk_parse = getattr(client, name, None)
    if sdk_parse is None:
        return

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return sdk_parse(value)

    setattr(client, name, parse)


def _route_to(client: Any, version: ApiVersion) -> None:
    send = client.call_api

    def call_api(resource_path: str, method: str, *args: Any, **kwargs: Any) -> Any:
        types = kwargs.get("response_types_map")
        if version.batch_errors_in_success_body and isinstance(types, dict) and 207 in types:
            # 200/201 may carry errors[] now: read them with the model that keeps them.
            kwargs["response_types_map"] = {**types, **{code: types[207] for code in types if 200 <= code < 300}}
        return send(version.path(resource_path), method, *args, **kwargs)

    client.call_api = call_api
