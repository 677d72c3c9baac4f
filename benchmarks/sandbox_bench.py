"""Benchmark (not a test): how fast the sandbox answers the calls a sync makes most.

Starts `nps-connector sandbox --demo-portal SIZE` as a separate process with limits and search lag
out of the way, then measures from this process:

- batch read of 100 feedback submissions per call (calls/s, latency);
- one search page of 200 for the incremental-sync query (hs_lastmodifieddate GTE cursor AND
  hs_survey_type EQ NPS, sorted by hs_lastmodifieddate ASC), first call separately (cold);
- the same query with a different cursor on every call (nothing cached but the sort index);
- one deep page (after=9800, limit=200) of a broad query (hs_survey_type EQ NPS by hs_lastmodifieddate);
- the incremental query again right after each of a few answers arrived (POST /_sandbox/feedback_submissions);

first with a raw keep-alive client (one reused http.client.HTTPConnection), then through the
official SDK (hubspot-api-client over urllib3). Targets: >= 300 batch-read calls/s, search pages < 20 ms.

    python benchmarks/sandbox_bench.py [--size 100000] [--batch-calls 300] [--search-calls 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TOKEN = "bench-token"
PROPS = ["hs_value", "hs_survey_type", "hs_submission_timestamp", "hs_content", "hs_contact_id"]
DAY_MS = 86_400_000


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "nps-connector"
    if script.exists():
        return [str(script)]
    found = shutil.which("nps-connector")
    if found is None:
        sys.exit("nps-connector is not installed (make install)")
    return [found]


def start_sandbox(size: int) -> tuple[subprocess.Popen[str], str, float]:
    """The sandbox process, its URL and how long it took to start."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            *_cli(),
            "sandbox",
            "--port",
            "0",
            "--demo-portal",
            str(size),
            "--quiet",
            "--rate-limit",
            "1000000",
            "--search-rate-limit",
            "1000000",
            "--search-lag-ms",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"sandbox did not start: {line!r}")
    return proc, line.removeprefix("listening on "), time.perf_counter() - started


class RawClient:
    """One keep-alive HTTP/1.1 connection, reused for every call."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=self.headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {payload[:200]!r}")
        return json.loads(payload)


@dataclass
class Row:
    """One line of the result table."""

    client: str
    what: str
    cold_ms: float | None
    times: list[float]

    def cells(self) -> list[str]:
        ms = sorted(t * 1000 for t in self.times)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        rate = len(ms) / sum(self.times)
        cold = "" if self.cold_ms is None else f"{self.cold_ms:.1f}"
        return [self.client, self.what, cold, f"{statistics.median(ms):.1f}", f"{p95:.1f}", f"{rate:.0f}"]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def incremental_body(cursor_ms: int, after: int = 0) -> dict[str, Any]:
    return {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(cursor_ms)},
                    {"propertyName": "hs_survey_type", "operator": "EQ", "value": "NPS"},
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": PROPS,
        "limit": 200,
        "after": str(after),
    }


DEEP_FILTER = {"propertyName": "hs_survey_type", "operator": "EQ", "value": "NPS"}
DEEP_BODY: dict[str, Any] = {
    "filterGroups": [{"filters": [DEEP_FILTER]}],
    "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
    "properties": PROPS,
    "limit": 200,
    "after": "9800",
}


def measure(
    client: str,
    batch_read: Callable[[list[str]], Any],
    search: Callable[[dict[str, Any]], Any],
    arrive: Callable[[], Any],
    ids: list[str],
    now_ms: int,
    args: argparse.Namespace,
    seed: int,
) -> list[Row]:
    """The measurements through one client; each search's first call is its cold call."""
    rng = random.Random(seed)
    rows = []
    batches = [rng.sample(ids, 100) for _ in range(args.batch_calls)]
    it = iter(batches)
    rows.append(Row(client, "batch read 100 ids", None, timed(lambda: batch_read(next(it)), len(batches))))

    # The cursor a daily incremental sync would hold: one week back, well over one page of answers.
    cursor = now_ms - 7 * DAY_MS - seed
    t0 = time.perf_counter()
    first = search(incremental_body(cursor))
    cold = (time.perf_counter() - t0) * 1000
    total = first["total"] if isinstance(first, dict) else first.total
    pages = [incremental_body(cursor, after) for after in range(0, max(1, min(total, 10_000)), 200)]
    page_iter = iter(pages * (args.search_calls // len(pages) + 1))
    times = timed(lambda: search(next(page_iter)), args.search_calls)
    rows.append(Row(client, f"incremental page of 200 (total {total})", cold, times))

    cursors = iter(range(cursor - 1, cursor - 1 - args.search_calls * 60_000, -60_000))
    times = timed(lambda: search(incremental_body(next(cursors))), args.search_calls)
    rows.append(Row(client, "incremental, new cursor each call", None, times))

    deep = DEEP_BODY
    if seed != 1:  # the same broad query in other words, so the second client's first call is not a cache hit
        deep = {**DEEP_BODY, "filterGroups": [{"filters": [{**DEEP_FILTER, "operator": "IN", "values": ["NPS"]}]}]}
    t0 = time.perf_counter()
    search(deep)
    cold = (time.perf_counter() - t0) * 1000
    rows.append(Row(client, "deep page after=9800 limit=200", cold, timed(lambda: search(deep), args.search_calls)))

    # A sync after answers arrived: the index changed since the last search.
    added, searched = [], []
    for _ in range(args.arrivals):
        added += timed(arrive, 1)
        searched += timed(lambda: search(incremental_body(cursor)), 1)
    rows.append(Row(client, "incremental, after 1 new answer", None, searched))
    rows.append(Row(client, "(add 1 answer via /_sandbox)", None, added))
    return rows


def main() -> None:
    """Start the sandbox, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="demo portal size (submissions)")
    parser.add_argument("--batch-calls", type=int, default=300)
    parser.add_argument("--search-calls", type=int, default=50)
    parser.add_argument("--arrivals", type=int, default=20, help="answers added one by one, each followed by a search")
    args = parser.parse_args()

    proc, url, startup = start_sandbox(args.size)
    try:
        raw = RawClient(url)
        ids: list[str] = []
        after = None
        while len(ids) < 20_000:
            query = "?limit=100" + (f"&after={after}" if after else "")
            page = raw.call("GET", "/crm/v3/objects/feedback_submissions" + query)
            ids += [r["id"] for r in page["results"]]
            if "paging" not in page:
                break
            after = page["paging"]["next"]["after"]
        now_ms = int(time.time() * 1000)
        answer = {"properties": {"hs_survey_type": "NPS", "hs_value": "9"}}

        def arrive() -> Any:
            return raw.call("POST", "/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})

        rows = measure(
            "raw keep-alive",
            lambda batch: raw.call(
                "POST",
                "/crm/v3/objects/feedback_submissions/batch/read",
                {"inputs": [{"id": i} for i in batch], "properties": PROPS},
            ),
            lambda body: raw.call("POST", "/crm/v3/objects/feedback_submissions/search", body),
            arrive,
            ids,
            now_ms,
            args,
            seed=1,
        )

        import hubspot  # the official SDK, measured second
        from urllib3.util.retry import Retry

        sdk = hubspot.HubSpot(access_token=TOKEN, host=url, base_url=url, retry=Retry(total=0))
        fs = sdk.crm.objects.feedback_submissions
        rows += measure(
            "official SDK",
            lambda batch: fs.batch_api.read({"inputs": [{"id": i} for i in batch], "properties": PROPS}),
            lambda body: fs.search_api.do_search(body),
            arrive,
            ids,
            now_ms,
            args,
            seed=2,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    header = ["client", "call", "cold ms", "median ms", "p95 ms", "calls/s"]
    table = [header, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(f"sandbox --demo-portal {args.size}: started in {startup:.1f} s; {len(ids)} submission ids sampled")
    for n, line in enumerate(table):
        cells = (
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    batch = next(r for r in rows if r.client == "raw keep-alive" and r.what.startswith("batch"))
    searches = [r for r in rows if r.client == "raw keep-alive" and not r.what.startswith("batch")]
    batch_rate = len(batch.times) / sum(batch.times)
    worst = max(statistics.median(r.times) * 1000 for r in searches)
    batch_ok = "ok" if batch_rate >= 300 else "MISSED"
    search_ok = "ok" if worst < 20 else "MISSED"
    print(
        f"targets (raw client, warm): batch read {batch_rate:.0f} calls/s (>= 300: {batch_ok}), "
        f"slowest search median {worst:.1f} ms (< 20: {search_ok})"
    )


if __name__ == "__main__":
    main()
