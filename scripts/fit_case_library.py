"""Fit the third state's term coefficients on all the past cases at once
(issue 14, part 2) and save the fit as package data.

Writes ``src/realpolitik/scenario/library/fits/third-state-cases.yaml``: the
case-free fragment (``fits/third-state.yaml``) with the fit written in by
``ScenarioEstimate.fitted_scenario()`` (the ``realpolitik estimate ...
--write`` format: each coefficient a normal distribution, the fit's
correlations, the formula columns added as fixed parameters), and prints the
coefficient table, the log-likelihood and the correlations. With ``--json
FILE`` it also writes the fit's JSON (``fit.to_json()``).

Equivalent command line (after ``python scripts/build_case_library.py``)::

    realpolitik estimate src/realpolitik/scenario/library/fits/third-state.yaml \
        --data pooled.csv --write third-state-cases.yaml

where ``pooled.csv`` is ``case_library.pooled_outcomes()`` written out.
The fit is the agent logit QRE likelihood at lambda = 1 (docs/estimation.md);
it takes about a minute on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import realpolitik as rp
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.scenario.case_library import CASE_NAMES, fragment_text, pooled_outcomes
from realpolitik.scenario.load import load

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "src" / "realpolitik" / "scenario" / "library" / "fits" / "third-state-cases.yaml"


def pooled_fit(names: tuple[str, ...] = CASE_NAMES) -> ScenarioEstimate:
    """The fragment fitted on the decisions of ``names``."""
    scenario = load(text=fragment_text(), name="third-state.yaml")
    fit = rp.estimate(scenario, pooled_outcomes(names))
    assert isinstance(fit, ScenarioEstimate)
    return fit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TARGET, help="the fitted scenario to write")
    parser.add_argument("--json", type=Path, default=None, help="also write the fit's JSON here")
    args = parser.parse_args(argv)
    fit = pooled_fit()
    print(fit.summary())
    cov = fit.covariance()
    names = list(fit.names)
    print("\ncorrelations (|rho| >= 0.3):")
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            rho = cov[i, j] / (cov[i, i] * cov[j, j]) ** 0.5
            if abs(rho) >= 0.3:
                print(f"  {a:24s} {names[j]:24s} {rho:+.3f}")
    header = (
        "# The pooled fit: written by scripts/fit_case_library.py (rp.estimate on the\n"
        "# fragment below with every case's decisions; the fitted_scenario() / --write\n"
        "# format). Regenerate with the script; do not edit the coefficients by hand.\n"
    )
    args.out.write_text(header + fit.fitted_scenario(), encoding="utf-8")
    print(f"\nwrote {args.out}")
    if args.json is not None:
        args.json.write_text(json.dumps(fit.to_json(), indent=2, allow_nan=False) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
