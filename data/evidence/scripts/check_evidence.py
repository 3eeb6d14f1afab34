"""Check the evidence files for consistency.

Checks, each of which fails loudly:

1. every source id cited in ``flagship/quantities.csv``, ``cases/outcomes.csv``,
   ``cases/quantities.csv`` and ``flagship/citation_audit.csv`` exists in
   ``sources.csv``, and source ids are unique;
2. no flagship quantity cites a source marked ``REJECT_post_cutoff``;
3. every outcome level belongs to its dimension's levels, and each
   state-case decision has all four dimensions exactly once;
4. the derived flagship values equal the arithmetic stated in their
   ``derivation`` column, recomputed here from the sourced inputs;
5. the wide ``cases/decisions.csv`` agrees with the long ``cases/outcomes.csv``;
6. the UNGA roll-call totals in ``cases/unga_votes.csv`` equal the official
   counts for the votes listed in ``OFFICIAL_TOTALS`` (UN press releases).

Usage: ``python data/evidence/scripts/check_evidence.py`` (needs pandas).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parents[1]

LEVELS = {
    "un_stance": {"condemn", "abstain", "back_target", "absent", "not_observed"},
    "sanctions": {"join", "abide", "help_evade", "not_observed"},
    "military_aid": {"none", "dual_use", "lethal", "not_observed"},
    "mediation": {"none", "offer", "not_observed"},
}

# (yes, no, abstain) as announced by the UN for the roll calls kept here.
OFFICIAL_TOTALS = {
    "A/RES/68/262": (100, 11, 58),
    "A/RES/66/253": (137, 12, 17),
    "A/RES/66/176": (133, 11, 43),
    "A/RES/66/175": (89, 30, 64),
    "A/RES/67/182": (86, 32, 65),
    "A/RES/73/181": (84, 30, 67),
    "A/RES/74/168": (65, 23, 83),
}


def ids(cell: object) -> list[str]:
    """Split a ';'-separated list of source ids."""
    if not isinstance(cell, str):
        return []
    return [x.strip() for x in cell.split(";") if x.strip()]


def derived_values(q: pd.DataFrame) -> dict[str, float]:
    """Recompute the derived flagship quantities from their sourced inputs."""
    v = {r.qid: r.value for r in q.itertuples()}

    def f(key: str) -> float:
        return float(v[key])

    rate = 39.1 / (f("F03") / 1000)  # yuan per dollar: 39.1 tn yuan / 6.05 tn USD
    eu_trade = f("F07") / rate * 1000
    eu_exports = (eu_trade + f("F09")) / 2
    exp_ru = f("F12") * 40.804 / (40.804 + 48.193)
    gdp_usd = f("F16") / rate
    return {
        "F04": rate,
        "F08": eu_trade,
        "F10": eu_exports,
        "F11": (371.4 - 39.7) / 2,
        "F13": exp_ru,
        "F14": (f("F05") + eu_exports) / f("F01"),
        "F15": exp_ru / f("F01"),
        "F17": gdp_usd,
        "F18": (f("F05") + eu_exports) / (gdp_usd * 1000) * 100,
        "F19": f("F12") / (gdp_usd * 1000) * 100,
        "F20": exp_ru / (gdp_usd * 1000) * 100,
        "F21": 0.25 * (f("F05") + eu_exports),
        "F32": f("F30") / f("F31"),
        "F33": 40.29 / 257.3,
        "F37": (7.54 + 4.58) / (101.66 * 1.199),
    }


def main() -> int:
    errors: list[str] = []
    src = pd.read_csv(HERE / "sources.csv")
    if src.source_id.duplicated().any():
        errors.append(f"duplicate source ids: {sorted(src.source_id[src.source_id.duplicated()])}")
    known = set(src.source_id)
    rejected = set(src.source_id[src.date_status.str.startswith("REJECT")])

    fq = pd.read_csv(HERE / "flagship" / "quantities.csv", dtype={"value": str})
    for r in fq.itertuples():
        for s in ids(r.source_ids):
            if s[0] in "FJ" and s[1:2].isdigit():
                continue
            if s not in known:
                errors.append(f"flagship {r.qid}: unknown source {s}")
            if s in rejected:
                errors.append(f"flagship {r.qid}: cites rejected source {s}")
    for key, want in derived_values(fq).items():
        got = float(fq.set_index("qid").loc[key, "value"])
        if abs(got - want) > 0.006 * max(1.0, abs(want)):
            errors.append(f"flagship {key}: file says {got}, arithmetic gives {want:.4f}")

    audit = pd.read_csv(HERE / "flagship" / "citation_audit.csv")
    for r in audit.itertuples():
        errors += [
            f"audit {r.citation}: unknown source {s}" for s in ids(r.source_ids) if s not in known
        ]

    out = pd.read_csv(HERE / "cases" / "outcomes.csv", keep_default_na=False)
    for r in out.itertuples():
        if r.level not in LEVELS[r.dimension]:
            errors.append(f"outcome {r.case}/{r.state}/{r.dimension}: bad level {r.level}")
        if r.alt_level and r.alt_level not in LEVELS[r.dimension]:
            errors.append(f"outcome {r.case}/{r.state}/{r.dimension}: bad alt {r.alt_level}")
        errors += [
            f"outcome {r.case}/{r.state}: unknown source {s}"
            for s in ids(r.source_ids)
            if s not in known
        ]
    per = out.groupby(["case", "state"]).dimension.apply(sorted)
    for key, dims in per.items():
        if dims != sorted(LEVELS):
            errors.append(f"decision {key}: dimensions {dims}")

    wide = pd.read_csv(HERE / "cases" / "decisions.csv", keep_default_na=False)
    long_ = out.set_index(["case", "state", "dimension"]).level
    for r in wide.itertuples():
        for dim in LEVELS:
            if getattr(r, dim) != long_[(r.case, r.state, dim)]:
                errors.append(f"decisions.csv {r.case}/{r.state}/{dim} disagrees with outcomes.csv")

    cq = pd.read_csv(HERE / "cases" / "quantities.csv", keep_default_na=False)
    errors += [f"case quantity: unknown source {s}" for s in cq.source_id if s and s not in known]

    votes = pd.read_csv(HERE / "cases" / "unga_votes.csv")
    for res, (yes, no, abst) in OFFICIAL_TOTALS.items():
        c = votes[votes.resolution == res].vote.value_counts()
        got = (int(c.get("yes", 0)), int(c.get("no", 0)), int(c.get("abstain", 0)))
        if got != (yes, no, abst):
            errors.append(f"{res}: data {got}, official {(yes, no, abst)}")

    for e in errors:
        print(e)
    print(
        f"{len(errors)} problem(s); {len(known)} sources, {len(fq)} flagship quantities, "
        f"{len(per)} decisions, {len(out)} outcome rows"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
