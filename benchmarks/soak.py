"""Soak benchmark (not a test): seeded runs under faults and kills, compared with a clean run of the same portal.

    python benchmarks/soak.py [--runs 50] [--size 400] [--fault-share 0.2] [--seed 1]

Each run generates a portal (`generate_portal(size, seed)`), then on two sandboxes (threads of this
process, 127.0.0.1 only):

- reference: no faults, no kills — `setup`, `backfill --as-of AS_OF`, new answers posted, `sync --as-of AS_OF`;
- soak: about `fault-share` of the API requests faulted (429, 500, 502, reset, lost, slow), the same
  commands, each a real CLI subprocess killed (SIGKILL or SIGTERM) one to a few times — mostly just
  after its k-th task create or push request reached the sandbox, sometimes at a random time — and
  then run to completion.

The final portals are compared: every connector-owned contact and company property (semantically,
as HubSpot compares them), and every live task (by its `NPS feedback submission ID` line) with its
owner, due date, associations, subject, body, status, priority and type. A table goes to stdout and
the same figures, with every problem found, to benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.sandbox.demo import generate_portal
from connector.sandbox.limits import FAULT_KINDS
from connector.sandbox.server import SandboxHTTPServer, SandboxOptions, serve_in_thread

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "soak-token"
GROUP = "nps"  # the connector's property group (config default)
RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"
MARKER = re.compile(r"^NPS feedback submission ID: (\d+)$", re.MULTILINE)
# How the fault share is split across kinds (the proportions of the README's example spec).
FAULT_MIX = {"429": 0.25, "500": 0.15, "502": 0.10, "reset": 0.20, "lost": 0.15, "slow": 0.15}
# Route-key fragments of the writes a kill is aimed at; the same on every API version family.
WRITE_ROUTES = {"create": "batch/create", "update": "batch/update"}
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}
# Exit codes that mean "the signal stopped it". -15 is SIGTERM's default action, outside the window where
# the CLI handles it (interpreter start-up and shut-down); containers report it as 143 too.
KILL_EXITS = {"SIGKILL": {-signal.SIGKILL}, "SIGTERM": {143, -signal.SIGTERM}}
PHASES = ("backfill", "sync")
API_VERSIONS = ("2026-09", "v3", "2026-03")
# Generous limits as in the tests (TEST_OPTIONS): 429s come from the faults, not from the budget.
GENEROUS: dict[str, Any] = {
    "search_lag_ms": 0,
    "rate_limit": 1_000_000,
    "search_rate_limit": 1_000_000,
    "daily_limit": 1_000_000_000,
    "log_requests": False,
}
TASK_FIELDS = (
    "hubspot_owner_id",
    "hs_timestamp",
    "hs_task_subject",
    "hs_task_body",
    "hs_task_status",
    "hs_task_priority",
    "hs_task_type",
)


@dataclass(frozen=True)
class SoakOptions:
    """Knobs of one soak run."""

    size: int = 400
    fault_share: float = 0.2
    time_scale: float = 20.0  # shrinks slow faults and the rate-limit windows the client waits out
    kills_per_phase: tuple[int, int] = (1, 3)  # inclusive range, drawn per phase
    new_answers: int = 12
    timeout_s: float = 120.0  # per CLI subprocess
    max_attempts: int = 12  # per phase, kills included
    write_weight: float = 0.8  # share of kills aimed at a write (task create / push), the rest at a random time


@dataclass
class Attempt:
    """One CLI subprocess of a phase and how it ended."""

    phase: str
    trigger: str  # "none", "create#k" / "update#k" (k-th such request of this process), "time"
    signal: str | None  # the signal sent, None when the process ended first or none was planned
    delay_s: float
    exit_code: int | None
    outcome: str  # done, killed, late (ended before/despite the signal), retry (exit 1), failure, timeout
    started: str
    seconds: float


@dataclass
class RunResult:
    """What one seeded run did and what differed from the clean reference."""

    seed: int
    api_version: str
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    kills: dict[str, dict[str, int]] = field(default_factory=dict)
    kill_exits: dict[str, int] = field(default_factory=dict)  # "SIGTERM 143" -> n: how the killed processes ended
    late_kills: int = 0
    exit1_reruns: int = 0
    mismatches: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        """Everything that makes the run a finding."""
        return len(self.mismatches) + len(self.duplicates) + len(self.extra) + len(self.missing) + len(self.failures)


@dataclass(frozen=True)
class Profile:
    """A phase as the reference ran it: wall time and write requests by kind (to aim the kills)."""

    seconds: float
    writes: dict[str, int]


def fault_spec(share: float, seed: int) -> str:
    """A `--faults` spec giving `share` of all requests a fault, split by FAULT_MIX."""
    parts = [f"{kind}={share * FAULT_MIX[kind]:.4f}" for kind in FAULT_KINDS]
    return ",".join([*parts, f"seed={seed}"])


@contextmanager
def sandbox(fixture: dict[str, Any], faults: str | None, time_scale: float) -> Iterator[SandboxHTTPServer]:
    """A sandbox for a private copy of the fixture, in a thread, on 127.0.0.1."""
    options = SandboxOptions(token=TOKEN, faults=faults, time_scale=time_scale, **GENEROUS)
    with serve_in_thread(copy.deepcopy(fixture), options) as server:
        yield server


def _http(server: SandboxHTTPServer, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    req = urllib.request.Request(server.url + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def write_config(path: Path, url: str, api_version: str) -> None:
    """A config for the portal; 8 retries so a 20 % fault rate practically never exhausts them."""
    path.write_text(
        f'[hubspot]\nbase_url = "{url}"\napi_version = "{api_version}"\naccess_token = "{TOKEN}"\n'
        "max_retries = 8\ntimeout_seconds = 30\n"
        f'[ledger]\npath = "{path.parent / "ledger.sqlite"}"\n'
        '[log]\nlevel = "warning"\nformat = "json"\n',
        encoding="utf-8",
    )


def _env() -> dict[str, str]:
    # NPS_* from the caller's shell would override the config file.
    return {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}


def _command(config: Path, args: list[str]) -> list[str]:
    return [sys.executable, "-m", "connector", "--config", str(config), *args]


def _writes(stats: dict[str, Any]) -> dict[str, int]:
    """Write requests received so far by kind, from `/_sandbox/stats` by_route."""
    return {
        kind: sum(n for route, n in stats["by_route"].items() if fragment in route)
        for kind, fragment in WRITE_ROUTES.items()
    }


def _phase_args(phase: str) -> list[str]:
    return [phase, "--as-of", AS_OF.isoformat()]


def new_answers(fixture: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    """Answers that arrive between the backfill and the sync: a third of them recent detractors (tasks)."""
    rng = random.Random(f"answers-{seed}")
    live = [c["id"] for c in fixture["contacts"] if not c.get("archived")]
    # Explicit ids above every fixture id: both sandboxes get the same answers, whatever ids they handed out.
    base = max(int(r["id"]) for key in ("contacts", "companies", "feedback_submissions") for r in fixture[key])
    out = []
    for i in range(count):
        score = rng.randint(0, 6) if i < max(1, count // 3) else rng.randint(0, 10)
        at = AS_OF - timedelta(seconds=rng.randint(3600, 12 * 86400))
        out.append(
            {
                "id": str(base + 100_000 + i),
                "contact_id": rng.choice(live),
                "properties": {
                    "hs_survey_type": "NPS",
                    "hs_survey_name": "Quarterly NPS",
                    "hs_value": str(score),
                    "hs_content": f"soak answer {i}",
                    "hs_submission_timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
            }
        )
    return out


def _run_to_end(config: Path, args: list[str], log: Path, timeout: float) -> int | None:
    """Run one CLI command to its end; the exit code, or None on timeout."""
    with log.open("ab") as err:
        try:
            return subprocess.run(
                _command(config, args), env=_env(), stdout=err, stderr=err, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            return None


def _setup(config: Path, log: Path, opts: SoakOptions, result: RunResult) -> None:
    """`setup`, retried when a property failed under faults (exit 1)."""
    for _ in range(opts.max_attempts):
        code = _run_to_end(config, ["setup"], log, opts.timeout_s)
        if code == 0:
            return
        if code != 1:
            result.failures.append(f"setup: exit {code}: {_tail(log)}")
    result.failures.append("setup did not complete")


def reference(
    fixture: dict[str, Any], answers: list[dict[str, Any]], api_version: str, work: Path, opts: SoakOptions
) -> tuple[dict[str, Any], dict[str, Profile], list[str]]:
    """The clean run: final snapshot, each phase's profile, and any failure (a reference must not fail)."""
    failures: list[str] = []
    profiles: dict[str, Profile] = {}
    work.mkdir(parents=True, exist_ok=True)
    log = work / "cli.log"
    with sandbox(fixture, None, opts.time_scale) as server:
        config = work / "nps-connector.toml"
        write_config(config, server.url, api_version)
        for phase, args in (("setup", ["setup"]), *((p, _phase_args(p)) for p in PHASES)):
            if phase == "sync":
                _http(server, "/_sandbox/feedback_submissions", {"feedback_submissions": copy.deepcopy(answers)})
            before = _writes(server.sandbox.stats())
            started = time.monotonic()
            code = _run_to_end(config, args, log, opts.timeout_s)
            after = _writes(server.sandbox.stats())
            profiles[phase] = Profile(time.monotonic() - started, {k: after[k] - before[k] for k in after})
            if code != 0:
                failures.append(f"reference {phase}: exit {code}: {_tail(log)}")
        snap = _http(server, "/_sandbox/snapshot")
    return snap, profiles, failures


def _plan(rng: random.Random, profile: Profile, seen: dict[str, int], opts: SoakOptions) -> tuple[str, str, float]:
    """The next kill: (trigger, signal name, delay in seconds)."""
    # Aim only at write kinds the reference did in this phase and this phase has not yet done in full.
    kinds = [k for k, n in profile.writes.items() if n > seen[k]]
    sig = rng.choice(sorted(SIGNALS))
    if kinds and rng.random() < opts.write_weight:
        kind = rng.choice(kinds)
        k = rng.randint(1, profile.writes[kind] - seen[kind])
        # 0-30 ms after the request arrived: before, while or just after HubSpot applies it.
        return f"{kind}#{k}", sig, rng.uniform(0.0, 0.03)
    return "time", sig, rng.uniform(0.05, 1.0) * profile.seconds


def _watch_and_signal(
    proc: subprocess.Popen[bytes], server: SandboxHTTPServer, trigger: str, sig: str, delay: float, deadline: float
) -> bool:
    """Send `sig` when the trigger fires; False if the process ended (or the deadline passed) first."""
    started = time.monotonic()
    base = _writes(server.sandbox.stats())
    kind, _, nth = trigger.partition("#")
    while proc.poll() is None and time.monotonic() < deadline:
        if kind == "time":
            fired = time.monotonic() - started >= delay
        else:
            # In-process read of the same counters /_sandbox/stats serves (no HTTP round trip per poll).
            fired = _writes(server.sandbox.stats())[kind] - base[kind] >= int(nth)
            if fired:
                time.sleep(delay)
        if fired:
            if proc.poll() is not None:
                return False
            os.kill(proc.pid, SIGNALS[sig])
            return True
        time.sleep(0.002)
    return False


def run_phase(
    server: SandboxHTTPServer,
    config: Path,
    phase: str,
    profile: Profile,
    rng: random.Random,
    log: Path,
    opts: SoakOptions,
    result: RunResult,
) -> None:
    """Run a phase with kills until one attempt completes (bounded by max_attempts)."""
    kills_left = rng.randint(*opts.kills_per_phase)
    seen = dict.fromkeys(WRITE_ROUTES, 0)
    kills = result.kills.setdefault(phase, dict.fromkeys(SIGNALS, 0))
    for _ in range(opts.max_attempts):
        trigger, sig, delay = _plan(rng, profile, seen, opts) if kills_left else ("none", "", 0.0)
        before = _writes(server.sandbox.stats())
        started_at, started = datetime.now(UTC), time.monotonic()
        sent = False
        with log.open("ab") as err:
            proc = subprocess.Popen(_command(config, _phase_args(phase)), env=_env(), stdout=err, stderr=err)
            try:
                if trigger != "none":
                    sent = _watch_and_signal(proc, server, trigger, sig, delay, started + opts.timeout_s)
                code: int | None = proc.wait(timeout=max(1.0, started + opts.timeout_s - time.monotonic()))
            except subprocess.TimeoutExpired:
                code = None
            finally:
                if proc.poll() is None:  # timed out, or this script was interrupted: leave no CLI running
                    proc.kill()
                    proc.wait(timeout=30)
        after = _writes(server.sandbox.stats())
        for kind in seen:
            seen[kind] += after[kind] - before[kind]
        outcome = _classify(code, sig if sent else None)
        result.attempts.append(
            Attempt(
                phase,
                trigger,
                sig if sent else None,
                round(delay, 3),
                code,
                outcome,
                started_at.isoformat(timespec="milliseconds"),
                round(time.monotonic() - started, 3),
            )
        )
        if outcome in ("failure", "timeout"):
            result.failures.append(f"{phase}: {outcome}, exit {code} after {trigger}/{sig or '-'}: {_tail(log)}")
        if outcome == "retry":
            result.exit1_reruns += 1
        if trigger != "none":
            kills_left -= 1
        if outcome == "killed":
            kills[sig] += 1
            exit_key = f"{sig} {code}"
            result.kill_exits[exit_key] = result.kill_exits.get(exit_key, 0) + 1
            # A rerun comes later in production: let the sandbox finish a request the dead client left in flight.
            time.sleep(2.0 / opts.time_scale + 0.2)
            continue
        if trigger != "none" and outcome != "killed":
            result.late_kills += 1  # planned, but the process ended first or finished despite the signal
        if code == 0:
            return
    result.failures.append(f"{phase} did not complete in {opts.max_attempts} attempts")


def _classify(code: int | None, sent: str | None) -> str:
    if code is None:
        return "timeout"
    if sent and code in KILL_EXITS[sent]:
        return "killed"
    if code == 0:
        return "late" if sent else "done"
    if code == 1:
        return "retry"  # a record failed under faults: the next run retries it
    return "failure"


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(lines[-3:])[-600:]


def _same(a: str | None, b: str | None) -> bool:
    """Equal as HubSpot would see it: numbers as numbers, datetimes as instants, empty = unset."""
    a, b = a or "", b or ""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False


def _records(snap: dict[str, Any], object_type: str) -> dict[str, dict[str, str]]:
    merged = {m["from"] for m in snap.get("merges", [])}
    return {r["id"]: r["properties"] for r in snap[object_type] if not r.get("archived") and r["id"] not in merged}


def _owned(snap: dict[str, Any], object_type: str) -> list[str]:
    return sorted(p["name"] for p in snap["property_definitions"].get(object_type, []) if p.get("groupName") == GROUP)


def _tasks(snap: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Live tasks by submission marker (tasks without one, e.g. company at-risk, by subject)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for task in snap.get("tasks", []):
        if task.get("archived"):
            continue
        props = task["properties"]
        keys = MARKER.findall(props.get("hs_task_body", "")) or [f"unmarked:{props.get('hs_task_subject', '')}"]
        for key in keys:
            out.setdefault(key, []).append(task)
    return out


def compare(soak: dict[str, Any], ref: dict[str, Any], result: RunResult) -> None:
    """Record every difference between the soaked portal and the reference in `result`."""
    for object_type in ("contacts", "companies"):
        held, want = _records(soak, object_type), _records(ref, object_type)
        for rid in sorted(set(held) | set(want)):
            for prop in _owned(ref, object_type):
                got, exp = held.get(rid, {}).get(prop), want.get(rid, {}).get(prop)
                if not _same(got, exp):
                    result.mismatches.append(f"{object_type} {rid} {prop}: soak {got!r}, reference {exp!r}")
    held_tasks, want_tasks = _tasks(soak), _tasks(ref)
    for key in sorted(set(held_tasks) | set(want_tasks)):
        got_list, exp_list = held_tasks.get(key, []), want_tasks.get(key, [])
        if not exp_list:
            result.extra.append(f"task {key}: {_describe(got_list)}; the reference has none")
            continue
        if not got_list:
            result.missing.append(f"task {key}: none; the reference has {_describe(exp_list)}")
            continue
        if len(got_list) > len(exp_list):
            result.duplicates.append(f"task {key}: {_describe(got_list)}")
        for got_task, exp_task in zip(got_list, exp_list, strict=False):
            for name in TASK_FIELDS:
                if not _same(got_task["properties"].get(name), exp_task["properties"].get(name)):
                    result.mismatches.append(
                        f"task {key} {name}: soak {got_task['properties'].get(name)!r}, "
                        f"reference {exp_task['properties'].get(name)!r}"
                    )
            for otype in ("contacts", "companies"):
                g, e = sorted(got_task["associations"].get(otype, [])), sorted(exp_task["associations"].get(otype, []))
                if g != e:
                    result.mismatches.append(f"task {key} {otype}: soak {g}, reference {e}")


def _describe(tasks: list[dict[str, Any]]) -> str:
    return ", ".join(f"id {t['id']} created {t['properties'].get('hs_createdate')}" for t in tasks)


def soak_run(seed: int, opts: SoakOptions, work: Path) -> RunResult:
    """One seeded run: the reference, the soak with faults and kills, and the comparison."""
    started = time.monotonic()
    api_version = API_VERSIONS[seed % len(API_VERSIONS)]
    result = RunResult(seed, api_version)
    fixture = generate_portal(opts.size, seed=seed, now=AS_OF)
    answers = new_answers(fixture, opts.new_answers, seed)
    ref, profiles, failures = reference(fixture, answers, api_version, work / "reference", opts)
    result.failures.extend(failures)
    rng = random.Random(f"kills-{seed}")
    soak_dir = work / "soak"
    soak_dir.mkdir(parents=True, exist_ok=True)
    log = soak_dir / "cli.log"
    with sandbox(fixture, fault_spec(opts.fault_share, seed), opts.time_scale) as server:
        config = soak_dir / "nps-connector.toml"
        write_config(config, server.url, api_version)
        _setup(config, log, opts, result)
        for phase in PHASES:
            if phase == "sync":
                _http(server, "/_sandbox/feedback_submissions", {"feedback_submissions": copy.deepcopy(answers)})
            run_phase(server, config, phase, profiles[phase], rng, log, opts, result)
        snap = _http(server, "/_sandbox/snapshot")
        stats = server.sandbox.stats()
    result.requests = stats["calls"]
    result.faults = dict(stats["faults"])
    result.throttled = stats["throttled"]
    compare(snap, ref, result)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def summarize(results: list[RunResult], args: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Totals over all runs, plus each run in full (attempts, problems)."""
    faults: Counter[str] = Counter()
    kill_exits: Counter[str] = Counter()
    kills = {phase: dict.fromkeys(SIGNALS, 0) for phase in PHASES}
    for r in results:
        faults.update(r.faults)
        kill_exits.update(r.kill_exits)
        for phase, by_signal in r.kills.items():
            for sig, n in by_signal.items():
                kills[phase][sig] += n
    requests = sum(r.requests for r in results)
    return {
        "command": "python benchmarks/soak.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in args.items()),
        "as_of": AS_OF.isoformat(),
        "runs": len(results),
        "api_versions": dict(Counter(r.api_version for r in results)),
        "requests": requests,
        "faults": {k: faults[k] for k in FAULT_KINDS},
        "fault_share": round(sum(faults.values()) / requests, 4) if requests else 0.0,
        "kills": kills,
        "kill_exits": dict(sorted(kill_exits.items())),
        "late_kills": sum(r.late_kills for r in results),
        "429s": {"injected": faults["429"], "rate_limited": sum(r.throttled for r in results)},
        "exit1_reruns": sum(r.exit1_reruns for r in results),
        "mismatches": sum(len(r.mismatches) for r in results),
        "duplicates": sum(len(r.duplicates) for r in results),
        "extra": sum(len(r.extra) for r in results),
        "missing": sum(len(r.missing) for r in results),
        "failures": sum(len(r.failures) for r in results),
        "seconds": round(seconds, 1),
        "per_run": [{**asdict(r), "problems": r.problems} for r in results],
    }


def table(summary: dict[str, Any]) -> str:
    """The summary as a plain-text table."""
    f, k = summary["faults"], summary["kills"]
    rows = [
        ("runs", f"{summary['runs']}  (api versions: {summary['api_versions']})"),
        ("requests", f"{summary['requests']}  (soak sandboxes)"),
        (
            "faults",
            " · ".join(f"{kind} {f[kind]}" for kind in FAULT_KINDS)
            + f"  = {sum(f.values())} ({summary['fault_share']:.1%})",
        ),
        *((f"kills {phase}", " · ".join(f"{sig} {n}" for sig, n in k[phase].items())) for phase in PHASES),
        ("kill exits", " · ".join(f"{key}: {n}" for key, n in summary["kill_exits"].items())),
        ("kills late", f"{summary['late_kills']}  (planned; the process ended first or finished its work anyway)"),
        ("429s", f"{summary['429s']['injected']} injected, {summary['429s']['rate_limited']} rate-limited"),
        ("exit-1 reruns", str(summary["exit1_reruns"])),
        ("mismatches", str(summary["mismatches"])),
        ("duplicates", str(summary["duplicates"])),
        ("extra tasks", str(summary["extra"])),
        ("missing", str(summary["missing"])),
        ("failures", str(summary["failures"])),
        ("wall time", f"{summary['seconds']} s"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the table, write the JSON; exit 1 when any run found a problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--fault-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=20.0)
    parser.add_argument("--max-minutes", type=float, default=60.0, help="start no new run after this")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    opts = SoakOptions(size=args.size, fault_share=args.fault_share, time_scale=args.time_scale)
    started = time.monotonic()
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="nps-soak-") as tmp:
        for i in range(args.runs):
            if time.monotonic() - started > args.max_minutes * 60:
                print(f"stopping after {i} runs: --max-minutes {args.max_minutes} reached", flush=True)
                break
            r = soak_run(args.seed + i, opts, Path(tmp) / str(i))
            results.append(r)
            kills = sum(n for by_signal in r.kills.values() for n in by_signal.values())
            print(
                f"run {i + 1:>3} seed {r.seed:>4} {r.api_version:<8} {r.seconds:>6.1f} s  requests {r.requests:>5}  "
                f"faults {sum(r.faults.values()):>4}  kills {kills}  problems {r.problems}",
                flush=True,
            )
            for line in [*r.mismatches, *r.duplicates, *r.extra, *r.missing, *r.failures][:10]:
                print(f"    {line}", flush=True)
    shown = {"runs": args.runs, "size": args.size, "fault_share": args.fault_share, "seed": args.seed}
    summary = summarize(results, shown, time.monotonic() - started)
    print()
    print(table(summary))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
