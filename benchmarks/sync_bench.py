"""Benchmark (not a test): HubSpot calls, wall time and the rate-limit floor of each phase of a sync.

    python benchmarks/sync_bench.py [--sizes 1000,10000] [--rate 190] [--time-scale 1] [--json FILE]

For each portal size it starts `nps-connector sandbox --demo-portal SIZE` in its own process
(HubSpot's limits, divided by `--time-scale`), runs `setup`, a cold `backfill`, a quiet `sync` and
a `sync` after 1% new answers as real CLI subprocesses, and prints per phase:

- the calls by endpoint, and the documented minimum for the data each phase moved, with its
  formula (pages of 200 for search, 100 for lists and batches, 1,000 for association batches);
- wall time, the rate-limit floor (calls in each bucket / its allowed rate, the larger bucket)
  and wall / floor; 429s served; the command's peak RSS.

`--rate` is the client's `requests_per_10s` (the connector's default is 100, which leaves room for
the portal's other apps; HubSpot allows 190). `--time-scale X` shrinks the sandbox's windows and
raises the client's limits X times, for a quick look only: call counts hold, but the wall then
measures this machine's CPU (sandbox and connector share 2 cores), and the client's search window
stays 1 s while the sandbox's shrinks, so bursts get 429s. `make bench` and the README's figures
use time scale 1: HubSpot's real limits (a 100,000-answer backfill takes about 2.5 minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TOKEN = "bench-token"
SEARCH_PER_S = 4  # the client default; HubSpot allows 5 per account
AS_OF = datetime.now(UTC).replace(microsecond=0)


def _sandbox(size: int, time_scale: float) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "connector", "sandbox", "--demo-portal", str(size), "--seed", "1"]
    cmd += ["--token", TOKEN, "--quiet", "--search-lag-ms", "0", "--time-scale", str(time_scale)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip().removeprefix("listening on ")


def _call(url: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url + path, data=data, headers=headers)) as resp:
        return json.load(resp)


def _short(route: str) -> str:
    # "POST /crm/objects/2026-09/{objectType}/search" -> "search" (any version family)
    path = route.split(" ", 1)[1]
    path = re.sub(r"^/crm/(v3/)?objects(/[^/]+)?/\{objectType\}", "", path)
    path = re.sub(r"^/crm/(v4/)?associations(/[^/]+)?/\{fromObjectType\}/\{toObjectType\}", "associations", path)
    path = re.sub(r"^/crm/(v3/)?(properties|owners)(/[^/]+)?(/\{objectType\})?", r"\2", path)
    return path.strip("/") or "list"


def _run(config: Path, cmd: list[str]) -> tuple[int, float, int, dict[str, Any]]:
    """Run one CLI command; exit code, wall seconds, peak RSS (MB) and its run summary."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "connector", "--config", str(config), *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    rss = proc.returncode  # replaced below
    try:
        _, _, usage = os.wait4(proc.pid, os.WNOHANG)
        rss = usage.ru_maxrss
    except ChildProcessError:
        import resource

        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary: dict[str, Any] = {}
    for line in err.splitlines():
        if '"run.finished"' in line:
            summary = json.loads(line)
    if proc.returncode not in (0, 1):
        print(err[-2000:] + out[-500:])
    return proc.returncode, wall, rss // 1024, summary


PREFLIGHT = 4  # issue 11: 2 property lists + 2 write-scope probes before a run's first write


@dataclass(frozen=True)
class Context:
    """What the minimum of a phase depends on beyond the run summary."""

    nps: int  # scored submissions (NPS, CSAT, CES) in the portal
    open_followups: int = 0  # open follow-up tasks in the ledger before the phase
    reread_contacts: int = 0  # contacts with a new answer
    reread_companies: int = 0  # their primary companies
    deleted_contacts: int = 0  # contacts deleted in HubSpot (listed with archived=true)


def _minimum(phase: str, s: dict[str, Any], ctx: Context) -> tuple[int, str]:
    """The fewest calls the documented page and batch sizes allow for what the phase moved.

    Data reads at the documented sizes (search 200, batch read 100, association batch read
    1,000, batch write 100), plus what correctness and safety need: the preflight before the
    first write (issue 11), the company contact counts for coverage (issue 13), the deleted
    contacts list of a sync, and one read per 100 open follow-ups.
    """
    c, k = s.get("contacts_scored", 0), s.get("companies_scored", 0)
    cu, ku, t = s.get("contacts_updated", 0), s.get("companies_updated", 0), s.get("tasks_created", 0)
    new, nps = s.get("new_answers", 0), ctx.nps
    ceil = math.ceil
    tasks = 1 + 1 + ceil(t / 100) if t else 0
    tasks_text = f" + owners + task check + ⌈{t}/100⌉ creates" if t else ""
    writes = ceil(cu / 100) + ceil(ku / 100)
    if phase == "backfill":
        calls = ceil(nps / 200) + ceil(nps / 1000) + ceil(c / 100) + ceil(c / 1000) + ceil(k / 100) + ceil(k / 1000)
        calls += writes + tasks + PREFLIGHT
        formula = (
            f"⌈{nps}/200⌉+⌈{nps}/1000⌉ submissions + ⌈{c}/100⌉+⌈{c}/1000⌉ contacts + ⌈{k}/100⌉+⌈{k}/1000⌉ companies"
            f" + ⌈{cu}/100⌉+⌈{ku}/100⌉ writes{tasks_text} + {PREFLIGHT} preflight"
        )
        return calls, formula
    statuses = ceil(ctx.open_followups / 100)
    deleted = max(1, ceil(ctx.deleted_contacts / 100))  # HubSpot lists deleted contacts for 90 days
    searches = ceil(max(new, 1) / 200) + 1  # changed submissions, then contacts changed by others
    base = f"{searches} searches + {deleted} deleted-contacts list + ⌈{ctx.open_followups}/100⌉ task statuses"
    if phase.startswith("sync") and not new:
        return searches + deleted + statuses, base + f" (the issue's budget, without the list: {2 + statuses})"
    if phase.startswith("sync"):
        rc, rk = ctx.reread_contacts, ctx.reread_companies
        calls = searches + deleted + statuses + ceil(new / 1000) + ceil(rc / 100) + ceil(rc / 1000) + ceil(rk / 100)
        calls += ceil(rk / 1000) + writes + tasks + (PREFLIGHT if cu or ku or t else 0)
        formula = (
            f"{base} + ⌈{new}/1000⌉ answers' contacts + ⌈{rc}/100⌉+⌈{rc}/1000⌉ contacts"
            f" + ⌈{rk}/100⌉+⌈{rk}/1000⌉ companies + ⌈{cu}/100⌉+⌈{ku}/100⌉ writes{tasks_text}"
            + (f" + {PREFLIGHT} preflight" if cu or ku or t else "")
        )
        return calls, formula
    return 33, "fresh portal: 2 group lists + 2 group creates + 2 property lists + 27 property creates"


def _open_followups(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    with sqlite3.connect(ledger) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM tasks WHERE state = 'created' AND status = 'open' AND submission_id IS NOT NULL"
        ).fetchone()
    return int(n)


def _phase(
    url: str, config: Path, name: str, cmd: list[str], rate: float, ctx: Context, search_rate: float = SEARCH_PER_S
) -> dict[str, Any]:
    # Scheduled runs are minutes apart: start each phase with HubSpot's 10-second window clear, or
    # the previous phase's calls would (rightly) make the connector wait for "the other apps".
    time.sleep(10 * SEARCH_PER_S / search_rate)  # one window at this time scale
    ctx = replace(ctx, open_followups=_open_followups(config.parent / "l.sqlite"))
    before = _call(url, "/_sandbox/stats")
    code, wall, rss, summary = _run(config, cmd)
    after = _call(url, "/_sandbox/stats")
    routes: dict[str, int] = {}
    for key, value in after["by_route"].items():
        if value - before["by_route"].get(key, 0):
            routes[_short(key)] = routes.get(_short(key), 0) + value - before["by_route"].get(key, 0)
    calls = after["calls"] - before["calls"]
    searches = routes.get("search", 0)
    floor = max((calls - searches) / (rate / 10), searches / search_rate)
    minimum, formula = _minimum(name.split(",")[0], summary, ctx)
    return {
        "phase": name,
        "exit": code,
        "calls": calls,
        "by_endpoint": routes,
        "minimum": minimum,
        "minimum_formula": formula,
        "calls_per_minimum": round(calls / minimum, 2) if minimum else None,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "wall_per_floor": round(wall / floor, 2) if floor else None,
        "writes": after["writes"] - before["writes"],
        "throttled": after["throttled"] - before["throttled"],
        "peak_rss_mb": rss,
    }


def bench(size: int, rate: int, time_scale: float) -> list[dict[str, Any]]:
    """All phases on one portal size."""
    proc, url = _sandbox(size, time_scale)
    work = Path(tempfile.mkdtemp(prefix="nps-bench-"))
    config = work / "nps-connector.toml"
    scaled = rate * time_scale
    config.write_text(
        f'[hubspot]\nbase_url = "{url}"\naccess_token = "{TOKEN}"\nrequests_per_10s = {int(scaled)}\n'
        f"search_requests_per_second = {SEARCH_PER_S * time_scale}\n"
        f'[ledger]\npath = "{work / "l.sqlite"}"\n[log]\nlevel = "info"\nformat = "json"\n',
        encoding="utf-8",
    )
    try:
        snapshot = _call(url, "/_sandbox/snapshot")
        # The submissions that feed a score (NPS, CSAT, CES): what the backfill must read.
        scored = ("NPS", "CSAT", "CES")
        nps = sum(1 for s in snapshot["feedback_submissions"] if s["properties"].get("hs_survey_type") in scored)
        ctx = Context(nps, deleted_contacts=sum(1 for c in snapshot["contacts"] if c.get("archived")))
        search = SEARCH_PER_S * time_scale
        phases = [_phase(url, config, "setup", ["setup"], scaled, ctx, search)]
        phases.append(_phase(url, config, "backfill", ["backfill"], scaled, ctx, search))
        phases.append(_phase(url, config, "sync, quiet", ["sync"], scaled, ctx, search))
        live = [c for c in snapshot["contacts"] if not c.get("archived")][: max(1, size // 100)]
        contacts = [c["id"] for c in live]
        fresh = [
            {
                "contact_id": contacts[i % len(contacts)],
                "properties": {
                    "hs_survey_type": "NPS",
                    "hs_value": str(i % 11),
                    "hs_submission_timestamp": (AS_OF - timedelta(minutes=i + 1)).isoformat(),
                },
            }
            for i in range(max(1, size // 100))
        ]
        _call(url, "/_sandbox/feedback_submissions", {"feedback_submissions": fresh})
        answering = {contacts[i % len(contacts)] for i in range(len(fresh))}
        companies = {
            str(link["id"]) for c in live if c["id"] in answering for link in c.get("companies", []) if link["primary"]
        }
        ctx = replace(ctx, reread_contacts=len(answering), reread_companies=len(companies))
        phases.append(_phase(url, config, f"sync, {len(fresh)} new", ["sync"], scaled, ctx, search))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return phases


def main() -> None:
    """Run every size, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rate", type=int, default=190, help="client requests_per_10s (connector default 100)")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "sync.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"rate_per_10s": args.rate, "time_scale": args.time_scale, "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\nportal of {size:,} answers, {args.rate} requests / 10 s, time scale {args.time_scale}")
        print(
            f"{'phase':<16}{'calls':>7}{'min':>6}{'×min':>6}{'wall s':>8}{'floor s':>9}{'×floor':>7}{'429':>5}{'MB':>6}"
        )
        phases = bench(size, args.rate, args.time_scale)
        for p in phases:
            print(
                f"{p['phase']:<16}{p['calls']:>7}{p['minimum']:>6}{p['calls_per_minimum'] or '':>6}{p['wall_s']:>8}"
                f"{p['floor_s']:>9}{p['wall_per_floor'] or '':>7}{p['throttled']:>5}{p['peak_rss_mb']:>6}"
            )
            print(f"    {p['by_endpoint']}\n    minimum: {p['minimum_formula']}")
        results["sizes"][str(size)] = phases
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
