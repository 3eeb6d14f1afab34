"""Every reader under Hypothesis fuzzing, bounded for CI (issue 11).

For each target of :mod:`fuzz_targets` (Gambit .nfg/.efg, KTAB CSV/XML, BDM
CSV, DEU III, scenario YAML, expressions): no input raises anything but a
one-line :class:`~realpolitik.errors.RealpolitikError`, none takes over 5 s,
and none gives an answer the target's independent oracle rejects.
``scripts/fuzz.py`` runs 10^5 inputs per target and counts the outcomes
(docs/reliability.md); ``REALPOLITIK_FUZZ_SCALE`` multiplies the examples here.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz_targets import TARGETS, run_target

SCALE = int(os.environ.get("REALPOLITIK_FUZZ_SCALE", "1"))
HANG_SECONDS = 5.0

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_reader_never_crashes_hangs_or_lies(name: str, tmp_path: Path) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=150 * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(target.inputs)
    def check(text: str) -> None:
        started = time.perf_counter()
        outcome = run_target(target, text, tmp_path)
        assert time.perf_counter() - started < HANG_SECONDS, text[:200]
        assert outcome != "wrong", text[:500]

    check()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_is_read(name: str, tmp_path: Path) -> None:
    """The oracles only run on inputs that are read: the seeds must be."""
    target = TARGETS[name]
    assert [run_target(target, seed, tmp_path) for seed in target.seeds] == ["ok"] * len(
        target.seeds
    )


def test_targets_cover_every_reader() -> None:
    assert set(TARGETS) == {
        "nfg", "efg", "ktab-csv", "ktab-xml", "bdm", "deu", "scenario-yaml", "expression"
    }  # fmt: skip
