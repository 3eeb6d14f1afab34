"""Fit the alignment game on the 2014 Crimea vote and write the estimates into the scenario.

Why a script: the built-in scenario ``unga-2022-aggression`` carries the
coefficients fitted on A/RES/68/262 (27 March 2014) with their covariance;
this recomputes them from the shipped covariate table and rewrites the block
between ``# BEGIN FIT`` and ``# END FIT`` of the scenario file. It also prints
the fit beside the multinomial logit (the game with ``gamma = 0``) for the
documentation.

Run: ``python scripts/fit_alignment_2014.py [--bootstrap N]``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from realpolitik.alignment.data import design_matrix, load_table, vintage_rows
from realpolitik.alignment.fit import FitResult, bootstrap, fit_vote

SCENARIO = (
    Path(__file__).resolve().parents[1]
    / "src/realpolitik/alignment/library/unga-2022-aggression.yaml"
)
COVARIATES = (
    "affinity", "related_votes", "absent_rate", "vdem_accountability", "ally_usa", "ally_rus",
)  # fmt: skip
PRIOR_SCALE = 2.5


def _num(x: float) -> str:
    return f"{x:.10g}"


def fit_block(fit: FitResult, mnl: FitResult) -> str:
    pad = "    "
    lines = [
        "  fit:",
        f'{pad}fitted_on: "A/RES/68/262, 27 March 2014, {fit.n} members, covariate vintage 2014"',
        f'{pad}method: "penalised maximum likelihood (Gaussian prior on slopes, scale '
        f'{PRIOR_SCALE}); covariance: inverse Hessian"',
        f"{pad}prior_scale: {PRIOR_SCALE}",
        f"{pad}loglik: {_num(fit.loglik)}",
        f"{pad}mnl_loglik: {_num(mnl.loglik)}",
        f"{pad}scaling:",
        f"{pad}  mean: [{', '.join(_num(v) for v in fit.scaling.mean)}]",
        f"{pad}  scale: [{', '.join(_num(v) for v in fit.scaling.scale)}]",
        f"{pad}names: [{', '.join(fit.names)}]",
        f"{pad}estimate: [{', '.join(_num(v) for v in fit.estimate)}]",
        f"{pad}covariance:",
    ]
    lines += [f"{pad}  - [{', '.join(_num(v) for v in row)}]" for row in fit.covariance]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=0, help="parametric bootstrap refits")
    parser.add_argument("--dry-run", action="store_true", help="print, do not rewrite")
    args = parser.parse_args()
    rows = vintage_rows(load_table(), 2014)
    design = design_matrix(rows, COVARIATES, vote_column="vote_68_262")
    fit = fit_vote(design, interaction=True, prior_scale=PRIOR_SCALE)
    mnl = fit_vote(design, interaction=False, prior_scale=PRIOR_SCALE)
    print(
        f"game: loglik {fit.loglik:.4f} (converged {fit.converged}, gamma at bound {fit.at_bound})"
    )
    print(f"MNL (gamma = 0): loglik {mnl.loglik:.4f}")
    table = fit.table().merge(mnl.table(), on="parameter", suffixes=("", "_mnl"))
    if args.bootstrap:
        boot = bootstrap(fit, design, replicates=args.bootstrap, seed=1, progress=True)
        table["se_bootstrap"] = boot.se
        print(f"bootstrap: {boot.extra}")
    print(
        "| parameter | game | (se) | MNL | (se) |" + (" bootstrap se |" if args.bootstrap else "")
    )
    print("| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if args.bootstrap else ""))
    for row in table.itertuples():
        extra = f" {row.se_bootstrap:.2f} |" if args.bootstrap else ""
        print(
            f"| {row.parameter} | {row.estimate:.2f} | ({row.se:.2f}) | "
            f"{row.estimate_mnl:.2f} | ({row.se_mnl:.2f}) |{extra}"
        )
    if args.dry_run:
        return
    text = SCENARIO.read_text()
    block = re.compile(r"(  # BEGIN FIT[^\n]*\n).*?(\n  # END FIT)", re.S)
    if not block.search(text):
        raise SystemExit(f"no BEGIN FIT / END FIT block in {SCENARIO}")
    text = block.sub(lambda m: m.group(1) + fit_block(fit, mnl) + m.group(2), text)
    SCENARIO.write_text(text)
    print(f"wrote the fit into {SCENARIO}")


if __name__ == "__main__":
    main()
