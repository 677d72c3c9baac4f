"""Scoring at scale: ledger read + scorecard + diff over a million answers (a benchmark, not a test).

    python benchmarks/scoring_bench.py [--answers 1000000] [--contacts 300000] [--companies 100000]

Builds a ledger with seeded random answers (two years, every NPS value), then measures, in a fresh
process so the peak RSS is the scoring's own: reading the contacts, aliases and written values,
streaming the answers through `score_rows`, and diffing every contact and company against the
values last written. Prints the figures and writes them as JSON to `--json` (default
benchmarks/results/scoring.json).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def build(path: Path, answers: int, contacts: int, companies: int, seed: int) -> None:
    """A ledger of that size (the same seed gives the same ledger)."""
    from connector.ledger import Ledger
    from connector.model import AnswerRow, CompanyRow, ContactRow

    rng = random.Random(seed)
    with Ledger(path) as ledger:
        ledger.upsert_companies([CompanyRow(str(200_000 + i), f"Company {i}") for i in range(companies)])
        ledger.upsert_contacts(
            [ContactRow(str(300_000 + i), company_id=str(200_000 + rng.randrange(companies))) for i in range(contacts)]
        )
        batch: list[AnswerRow] = []
        for i in range(answers):
            at = AS_OF - timedelta(seconds=rng.randrange(2 * 365 * 86_400))
            contact = str(300_000 + rng.randrange(contacts))
            batch.append(AnswerRow(str(10_000_000 + i), contact, "NPS", "s1", "NPS", str(rng.randrange(11)), at, at))
            if len(batch) == 100_000:
                ledger.upsert_answers(batch)
                batch = []
        ledger.upsert_answers(batch)


def measure(path: Path) -> dict[str, float | int]:
    """Read, score and diff once; the figures of this process."""
    from connector.config import Settings
    from connector.core.diff import diff_values
    from connector.core.properties import property_kinds
    from connector.core.scorecard import score_rows
    from connector.ledger import Ledger

    settings = Settings()
    kinds = property_kinds(settings.properties)
    started = time.perf_counter()
    with Ledger(path) as ledger:
        contacts, aliases = ledger.contacts(), ledger.aliases()
        written = {t: ledger.written_values(t) for t in ("contacts", "companies")}
        read = time.perf_counter()
        card = score_rows(ledger.score_rows(), contacts, AS_OF, settings.scoring, settings.properties, aliases=aliases)
    scored = time.perf_counter()
    changed = len(diff_values(card.contact_values, written["contacts"], kinds)) + len(
        diff_values(card.company_values, written["companies"], kinds)
    )
    done = time.perf_counter()
    return {
        "read_s": round(read - started, 2),
        "score_s": round(scored - read, 2),
        "diff_s": round(done - scored, 2),
        "total_s": round(done - started, 2),
        "contacts_scored": len(card.contact_values),
        "companies_scored": len(card.company_values),
        "records_changed": changed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    """Build, then measure in a child process, print and store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "scoring.json")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="nps-scoring-") as tmp:
        ledger = Path(tmp) / "ledger.sqlite"
        started = time.perf_counter()
        build(ledger, args.answers, args.contacts, args.companies, args.seed)
        print(f"built a ledger of {args.answers:,} answers in {time.perf_counter() - started:.1f} s")
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(ledger)], capture_output=True, text=True, check=True
        )
    figures = {
        "answers": args.answers,
        "contacts": args.contacts,
        "companies": args.companies,
        **json.loads(child.stdout),
    }
    print(
        f"read {figures['read_s']} s + score {figures['score_s']} s + diff {figures['diff_s']} s = "
        f"{figures['total_s']} s; peak RSS {figures['peak_rss_mb']} MB; "
        f"{figures['contacts_scored']:,} contacts and {figures['companies_scored']:,} companies scored"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
