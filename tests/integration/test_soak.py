"""A short soak: seeded runs under faults with SIGKILL/SIGTERM kills end exactly like a clean run.

The long version is the benchmark `benchmarks/soak.py`; this test reuses its functions.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


def _load_soak() -> ModuleType:
    """benchmarks/soak.py as a module, by path (benchmarks/ is no package; the cwd does not matter)."""
    spec = importlib.util.spec_from_file_location("nps_soak_benchmark", SOAK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_faults_and_kills_change_nothing_in_the_outcome(tmp_path: Path) -> None:
    """Three seeds (one per API version), ~20 % faults, a kill per phase: no mismatch, duplicate or missing task."""
    soak = _load_soak()
    opts = soak.SoakOptions(size=150, kills_per_phase=(1, 1), new_answers=6, timeout_s=60.0, max_attempts=8)
    results = [soak.soak_run(seed, opts, tmp_path / str(seed)) for seed in (1, 2, 3)]
    for r in results:
        context = f"seed {r.seed} ({r.api_version}); attempts: {r.attempts}"
        assert r.failures == [], context
        assert r.mismatches == [], context
        assert r.duplicates == [], context
        assert r.extra == [], context
        assert r.missing == [], context
    # The runs really went through failures and kills.
    assert sum(sum(r.faults.values()) for r in results) >= 10
    assert sum(n for r in results for by_signal in r.kills.values() for n in by_signal.values()) >= 3
