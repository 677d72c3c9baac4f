"""`check`: config, token, scopes and properties, each as one row of a table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connector.errors import ConnectorError, HubSpotAuthError, HubSpotUnavailable

Row = tuple[str, bool | None, str]  # (check, ok, detail); ok None: a warning that does not fail `check`
PROPERTIES_WRONG = 1  # exit code when properties are missing or of the wrong type

# What the connector reads and writes, and the scope HubSpot's API reference documents for it.
_PROBES = (
    ("contacts", "crm.objects.contacts.read"),
    ("companies", "crm.objects.companies.read"),
    ("feedback_submissions", "crm.objects.feedback_submissions.read"),
    ("tasks", "crm.objects.contacts.read"),
)


def run_checks(config: Path | None) -> tuple[list[Row], int]:
    """Rows of (check, ok, detail) and the exit code: 0, or the code of the first failure (warnings do not count)."""
    from connector.commands.runtime import Runtime
    from connector.commands.setup import inspect_properties

    rows: list[Row] = []
    try:
        rt = Runtime.load(config)
        client = rt.client()
    except ConnectorError as exc:
        rows.append(("config", False, str(exc)))
        return rows, exc.exit_code
    rows.append(("config", True, f"HubSpot at {rt.settings.hubspot.base_url}; ledger {rt.settings.ledger.path}"))
    version = client.api_version
    today = datetime.now(UTC).date()
    if version.unsupported(today):
        hint = "set hubspot.api_version to a current version, then run `check` and `sync --dry-run`"
        rows.append(("api version", None, f"{version.name}: {version.status(today)} by HubSpot; {hint}"))
    else:
        rows.append(("api version", True, f"{version.name}: {version.status(today)}"))
    try:
        client.probe("contacts", "crm.objects.contacts.read")
        rows.append(("token", True, "accepted"))
    except HubSpotAuthError as exc:
        rows.append(("token", False, str(exc)))
        return rows, exc.exit_code
    except HubSpotUnavailable as exc:
        rows.append(("hubspot reachable", False, str(exc)))
        return rows, exc.exit_code
    except ConnectorError:
        rows.append(("token", True, "accepted"))  # a scope problem is reported below
    codes: list[int] = []
    for object_type, scope in _PROBES:
        try:
            client.probe(object_type, scope)
            rows.append((f"scopes {object_type}", True, scope))
        except ConnectorError as exc:
            rows.append((f"scopes {object_type}", False, str(exc)))
            codes.append(exc.exit_code)
    try:
        client.list_owners()
        rows.append(("scopes owners", True, "crm.objects.owners.read"))
    except ConnectorError as exc:
        rows.append(("scopes owners", False, str(exc)))
        codes.append(exc.exit_code)
    try:
        status = inspect_properties(client, rt.settings.properties, create=False, log=rt.log)
        problems = [f"missing {m}" for m in status.missing] + status.wrong
        hint = " (run `nps-connector setup`)" if status.missing else ""
        rows.append(
            ("properties", not problems, "; ".join(problems) + hint if problems else f"{len(status.present)} present")
        )
        if problems:
            codes.append(PROPERTIES_WRONG)
    except ConnectorError as exc:
        rows.append(("properties", False, str(exc)))
        codes.append(exc.exit_code)
    return rows, codes[0] if codes else 0
