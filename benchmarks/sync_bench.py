"""Benchmark (not a test): wall time and HubSpot API calls of setup, backfill and sync runs.

Starts `nps-connector sandbox --demo-portal SIZE` as a separate process (HubSpot's default
limits: 190 requests / 10 s, 5 searches / s), runs the connector's commands as subprocesses
with their default client-side limits, and prints one line per step.

    python benchmarks/sync_bench.py [--size 20000]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TOKEN = "bench-token"


def _sandbox(size: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector",
            "sandbox",
            "--demo-portal",
            str(size),
            "--seed",
            "1",
            "--token",
            TOKEN,
            "--quiet",
            "--search-lag-ms",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    return proc, line.removeprefix("listening on ")


def _call(url: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url + path, data=data, headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


def main() -> None:
    """Run the steps and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    proc, url = _sandbox(args.size)
    work = Path(tempfile.mkdtemp(prefix="nps-bench-"))
    config = work / "nps-connector.toml"
    config.write_text(
        f'[hubspot]\nbase_url = "{url}"\naccess_token = "{TOKEN}"\n[ledger]\npath = "{work / "l.sqlite"}"\n'
        '[log]\nlevel = "warning"\nformat = "json"\n',
        encoding="utf-8",
    )
    print(f"portal: {args.size} answers; sandbox {url}; ledger {work}")
    print(f"{'step':<28}{'seconds':>9}{'calls':>8}{'writes':>8}{'429s':>6}  by route")
    try:
        steps: list[tuple[str, list[str]]] = [
            ("setup", ["setup"]),
            ("backfill", ["backfill"]),
            ("sync, nothing new", ["sync"]),
        ]
        for name, cmd in steps:
            _step(url, config, name, cmd)
        contact = _call(url, "/crm/v3/objects/contacts?limit=1")["results"][0]["id"]
        now = datetime.now(UTC)
        answers = [
            {
                "contact_id": contact,
                "properties": {
                    "hs_survey_type": "NPS",
                    "hs_value": str(i % 11),
                    "hs_submission_timestamp": (now - timedelta(minutes=i)).isoformat(),
                },
            }
            for i in range(50)
        ]
        _call(url, "/_sandbox/feedback_submissions", {"feedback_submissions": answers})
        _step(url, config, "sync, 50 new answers", ["sync"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _step(url: str, config: Path, name: str, cmd: list[str]) -> None:
    before = _call(url, "/_sandbox/stats")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "connector", "--config", str(config), *cmd], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = _call(url, "/_sandbox/stats")
    routes = {k: v - before["by_route"].get(k, 0) for k, v in after["by_route"].items()}
    # "POST /crm/objects/2026-09/{objectType}/search" -> "obj/search" (any version family)
    routes = {
        re.sub(r"^/crm/(v3/)?objects(/[^/]+)?/\{objectType\}", "obj", k.split(" ", 1)[1]): v
        for k, v in routes.items()
        if v
    }
    throttled = after["throttled"] - before["throttled"]
    print(
        f"{name:<28}{elapsed:>9.1f}{after['calls'] - before['calls']:>8}{after['writes'] - before['writes']:>8}"
        f"{throttled:>6}  {routes}  exit {result.returncode}"
    )
    if result.returncode not in (0, 1):
        print(result.stderr[-2000:])


if __name__ == "__main__":
    main()
