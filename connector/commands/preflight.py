"""The preflight: before a command writes anything, prove the token, its scopes and the properties.

`sync` runs it just before its first write (the transport's write gate), so a quiet sync that
writes nothing costs no extra call, and a scope already proven by the run's own reads is not
probed again. `backfill`, and a `sync` without a ledger cursor (which is a backfill), check the
properties and the write scopes before pulling (4 calls), so an admin learns of a problem before
a long pull; the read scopes are proven by the pull's own first reads, and a read the token may
not make stops the run before any write with every missing scope named (probed only then).
`check` shows the same checks as rows. Each failure is one error naming every missing scope or
property: scopes first (exit 3), then properties (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.config import Settings
from connector.errors import MissingScopeError, PropertySetupError
from connector.hubspot import HubSpotClient, PropertyInfo
from connector.hubspot import scopes as hubspot_scopes
from connector.hubspot.probes import ScopeCheck, check_scopes

from .setup import OBJECT_TYPES, PropertyStatus, compare_properties

# What each need is for, in the words of the README's scope table.
SCOPE_USES = {
    "crm.objects.contacts.read": "read contacts and tasks",
    "crm.objects.companies.read": "read companies",
    "crm.objects.feedback_submissions.read": "read the survey answers",
    "crm.objects.owners.read": "pick task owners",
    "crm.objects.contacts.write": "write contact NPS properties and create tasks",
    "crm.objects.companies.write": "write company NPS properties",
    "crm.schemas.contacts.read": "check the contact properties",
    "crm.schemas.companies.read": "check the company properties",
    "crm.schemas.contacts.write": "`setup` of the contact properties",
    "crm.schemas.companies.write": "`setup` of the company properties",
}


def run_scopes(settings: Settings) -> list[str]:
    """The object scopes a writing run (`sync`, `backfill`, `run`) needs, reads then writes."""
    needed = [
        *hubspot_scopes.object_read("feedback_submissions"),
        *hubspot_scopes.object_read("contacts"),
        *hubspot_scopes.object_read("companies"),
    ]
    if settings.followup.enabled:
        needed += hubspot_scopes.OWNERS_READ
    return [*needed, *write_scopes()]


def write_scopes() -> list[str]:
    """The object write scopes of a writing run (values and tasks)."""
    return [*hubspot_scopes.object_write("contacts"), *hubspot_scopes.object_write("companies")]


def setup_scopes() -> list[str]:
    """The schema-write scopes only `setup` needs (a warning in `check`, not a failure)."""
    return [scope for ot in OBJECT_TYPES for scope in hubspot_scopes.schema_write(ot)]


@dataclass
class PreflightResult:
    """What the preflight found: one entry per scope, the property status (None: not readable)."""

    scopes: list[ScopeCheck] = field(default_factory=list)
    properties: PropertyStatus | None = None
    calls: int = 0

    @property
    def missing_scopes(self) -> list[ScopeCheck]:
        """The scopes HubSpot refused."""
        return [s for s in self.scopes if not s.granted]


def inspect(
    client: HubSpotClient, settings: Settings, needed: Sequence[str], *, properties: bool = True
) -> PreflightResult:
    """Probe `needed` scopes and read the property definitions; 401 and unavailability raise, the rest is collected."""
    before = sum(client.stats.values())
    result = PreflightResult()
    listings: dict[str, Sequence[PropertyInfo]] = {}
    for object_type in OBJECT_TYPES if properties else ():
        # Listing the properties proves crm.schemas.<type>.read and the token in the same call.
        (scope,) = hubspot_scopes.schema_read(object_type)
        try:
            listings[object_type] = client.list_properties(object_type)
            result.scopes.append(ScopeCheck(scope, True))
        except MissingScopeError as exc:
            result.scopes.append(ScopeCheck(scope, False, str(exc)))
    result.scopes += check_scopes(client, needed)
    if len(listings) == len(OBJECT_TYPES):
        result.properties = compare_properties(settings.properties, listings)
    result.calls = sum(client.stats.values()) - before
    return result


class Preflight:
    """The preflight of one writing run: its checks before the pull (backfill) and at the write gate."""

    def __init__(self, client: HubSpotClient, settings: Settings, log: Any, *, command: str) -> None:
        self.client, self.settings, self.log, self.command = client, settings, log, command
        self._properties_checked = False
        self._raised: MissingScopeError | None = None

    def before_pull(self) -> None:
        """Properties and write scopes now (4 calls); read scopes are left to the pull's own reads."""
        self._run(write_scopes(), properties=True, stage="before_pull")
        self._properties_checked = True

    def before_first_write(self) -> None:
        """Every scope the run needs (those its reads proved cost nothing), and the properties if not yet checked."""
        self._run(run_scopes(self.settings), properties=not self._properties_checked, stage="before_first_write")

    def arm(self) -> None:
        """Run `before_first_write` just before the run's first write (a run that writes nothing pays nothing)."""
        self.client.before_first_write(self.before_first_write)

    def explain(self, exc: MissingScopeError) -> MissingScopeError:
        """A 403 before the first write: probe every scope not yet proven, so one error names them all."""
        if exc is self._raised or not self.client.write_gate_armed or not exc.scopes:
            return exc  # already the preflight's own error, or a write had started: keep it as it is
        return self._refuse_all([ScopeCheck(scope, False, str(exc)) for scope in exc.scopes])

    def _run(self, needed: Sequence[str], *, properties: bool, stage: str) -> None:
        result = inspect(self.client, self.settings, needed, properties=properties)
        missing = result.missing_scopes
        if missing:
            raise self._refuse_all(missing)
        status = result.properties
        if status is not None and status.problems:
            self.log.error("preflight.failed", command=self.command, properties=status.problems)
            raise PropertySetupError(f"{status.problem_line()}; `{self.command}` wrote nothing")
        self.log.info(
            "preflight.passed",
            command=self.command,
            stage=stage,
            calls=result.calls,
            probed=[s.scope for s in result.scopes if s.probed],
            already_proven=[s.scope for s in result.scopes if not s.probed],
        )

    def _refuse_all(self, refused: Sequence[ScopeCheck]) -> MissingScopeError:
        """Failure path only: probe the run's scopes not yet proven too, so one error names them all."""
        known = {s.scope for s in refused}
        rest = [scope for scope in run_scopes(self.settings) if scope not in known]
        return self._refuse([*refused, *(s for s in check_scopes(self.client, rest) if not s.granted)])

    def _refuse(self, missing: Sequence[ScopeCheck]) -> MissingScopeError:
        self.log.error("preflight.failed", command=self.command, missing_scopes=[s.scope for s in missing])
        named = ", ".join(f"{s.scope} ({SCOPE_USES.get(s.scope, 'needed')})" for s in missing)
        self._raised = MissingScopeError(
            f"the token lacks the scope(s) {named}, which `{self.command}` needs: grant them to the app or "
            "Service Key and use its new token; nothing was written",
            scopes=[s.scope for s in missing],
        )
        return self._raised
