"""`check`: config, token, every scope a run needs (write scopes included) and the properties, as table rows.

The scopes are proven with requests that change nothing (see `connector/hubspot/probes.py`):
the same preflight a writing command runs before its first write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connector.errors import ConnectorError, HubSpotAuthError, HubSpotUnavailable, PropertySetupError

from .preflight import SCOPE_USES, inspect, run_scopes, setup_scopes

Row = tuple[str, bool | None, str]  # (check, ok, detail); ok None: a warning that does not fail `check`
PROPERTIES_WRONG = PropertySetupError.exit_code  # 2: properties missing or of the wrong type
MISSING_SCOPE = 3


def run_checks(config: Path | None) -> tuple[list[Row], int]:
    """Rows of (check, ok, detail) and the exit code: 0, or the code of the first failure (warnings do not count)."""
    from connector.commands.runtime import Runtime

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
    needed = run_scopes(rt.settings)
    optional = setup_scopes()
    try:
        result = inspect(client, rt.settings, [*needed, *optional])
    except HubSpotAuthError as exc:
        rows.append(("token", False, str(exc)))
        return rows, exc.exit_code
    except HubSpotUnavailable as exc:
        rows.append(("hubspot reachable", False, str(exc)))
        return rows, exc.exit_code
    rows.append(("token", True, "accepted"))
    codes: list[int] = []
    for scope_check in result.scopes:
        use = SCOPE_USES.get(scope_check.scope, "")
        if scope_check.granted:
            rows.append((f"scopes {scope_check.scope}", True, use))
        elif scope_check.scope in optional:
            rows.append((f"scopes {scope_check.scope}", None, f"missing; needed only by `setup` ({use})"))
        else:
            rows.append((f"scopes {scope_check.scope}", False, scope_check.message))
            codes.append(MISSING_SCOPE)
    status = result.properties
    if status is None:
        rows.append(("properties", False, "not readable without the crm.schemas.*.read scopes above"))
    elif status.problems:
        rows.append(("properties", False, status.problem_line()))
        codes.append(PROPERTIES_WRONG)
    else:
        rows.append(("properties", True, f"{len(status.present)} present, types and options as expected"))
    rows.append(("probes", True, f"{result.calls} API calls, none of them changed anything"))
    return rows, codes[0] if codes else 0
