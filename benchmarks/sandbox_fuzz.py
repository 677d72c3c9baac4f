"""Benchmark-style fuzz run (not a test): many generated requests against a real sandbox process.

Starts `nps-connector sandbox` (faults off, limits out of the way, request logs off) on the test
portal, sends `--cases` requests generated from the sandbox's own route table and request shapes
(tests/sandbox/fuzzing.py, hypothesis), then prints: cases, dropped connections, 5xx answers,
4xx answers without HubSpot's JSON error body, tracebacks in the sandbox's stderr, and the status
mix. Exits 1 when any of those counts is not 0. The bounded run of the same generator is
tests/sandbox/test_fuzz.py.

    python benchmarks/sandbox_fuzz.py [--cases 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the generator lives with the tests

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.sandbox import nps_contact_properties, small_portal  # noqa: E402
from tests.sandbox.fuzzing import FuzzRequest, fuzz_requests, send  # noqa: E402

TOKEN = "fuzz-token"
LISTENING = re.compile(r"listening on (http://\S+)\n")


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    """The sandbox process and its URL."""
    fixture = workdir / "portal.json"
    fixture.write_text(json.dumps({**small_portal(), **nps_contact_properties()}), encoding="utf-8")
    cli = Path(sys.executable).parent / "nps-connector"
    proc = subprocess.Popen(
        [
            str(cli),
            "sandbox",
            "--port",
            "0",
            "--fixture",
            str(fixture),
            "--token",
            TOKEN,
            "--quiet",
            "--search-lag-ms",
            "0",
            "--rate-limit",
            "100000000",
            "--search-rate-limit",
            "100000000",
            "--daily-limit",
            "1000000000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    match = LISTENING.fullmatch(proc.stdout.readline())
    if match is None:
        proc.kill()
        sys.exit(f"sandbox did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(1)


def run(cases: int, seed_value: int) -> int:
    """Run the fuzz cases; print the figures; 0 when every answer kept the sandbox's promise."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_sandbox(Path(tmp))
        statuses: Counter[str] = Counter()
        problems: Counter[str] = Counter()
        examples: dict[str, str] = {}
        started = time.perf_counter()

        @seed(seed_value)
        @settings(
            max_examples=cases,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=fuzz_requests(TOKEN))
        def case(request: FuzzRequest) -> None:
            outcome = send(url, request)
            statuses["dropped" if outcome.status is None else str(outcome.status)] += 1
            problem = outcome.problem()
            if problem is not None:
                kind = problem.split(":")[0]
                problems[kind] += 1
                examples.setdefault(kind, str(request))

        try:
            case()
        finally:
            elapsed = time.perf_counter() - started
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    total = sum(statuses.values())
    dropped = statuses["dropped"]
    server_errors = sum(n for s, n in statuses.items() if s.isdigit() and int(s) >= 500)
    bad_bodies = sum(n for kind, n in problems.items() if kind.startswith("4"))
    tracebacks = err.count("Traceback")
    internal = err.count("sandbox internal error") + err.count("sandbox connection error")
    print(f"cases:               {total} ({elapsed:.1f} s, {total / elapsed:.0f}/s)")
    print(f"dropped connections: {dropped}")
    print(f"5xx answers:         {server_errors}")
    print(f"4xx without JSON:    {bad_bodies}")
    print(f"tracebacks:          {tracebacks} (internal-error lines: {internal})")
    print("statuses:            " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    for kind, example in examples.items():
        print(f"example of {kind}: {example}")
    failed = dropped or server_errors or bad_bodies or tracebacks or internal or problems
    return 1 if failed else 0


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.exit(run(args.cases, args.seed))


if __name__ == "__main__":
    main()
