"""The backtests' baselines counted straight from the evidence base
(``data/evidence/cases/decisions.csv``) with the csv module, independently of
realpolitik's case library files and of its scoring: for each reported
dimension of each held-out decision (with its covariates), the uniform log
score ``-log(levels)`` and the training cases' base rate with Laplace's rule,
``(count + 1) / (reported + levels)``."""

from __future__ import annotations

import csv
import math
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DECISIONS = REPO / "data" / "evidence" / "cases" / "decisions.csv"

LEVELS = {
    "un_stance": ["condemn", "abstain", "back_target"],
    "sanctions": ["join", "abide", "help_evade"],
    "military_aid": ["none", "dual_use", "lethal"],
    "mediation": ["none", "offer"],
}


def evidence_rows() -> list[dict[str, str]]:
    with DECISIONS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def baseline_log_scores(train_cases: list[str], held_out: str) -> tuple[list[float], list[float]]:
    """The base-rate and uniform log scores of every reported choice of
    ``held_out`` (case names as in the library, ``iran-2018``), the base
    rates counted on ``train_cases``; decisions without covariates skipped."""
    rows = [r for r in evidence_rows() if r["defense_pact_with_us"] != ""]
    train_ids = {c.replace("-", "_") for c in train_cases}
    train = [r for r in rows if r["case"] in train_ids]
    held = [r for r in rows if r["case"] == held_out.replace("-", "_")]
    logs, uniform = [], []
    for dim, options in LEVELS.items():
        seen = [r[dim] for r in train if r[dim] in options]
        for r in held:
            if r[dim] in options:
                p = (seen.count(r[dim]) + 1) / (len(seen) + len(options))
                logs.append(math.log(p))
                uniform.append(-math.log(len(options)))
    return logs, uniform
