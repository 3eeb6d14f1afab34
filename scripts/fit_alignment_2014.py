"""Fit the alignment game on the 2014 Crimea vote and write the estimates into the scenario.

Why a script: the built-in scenario ``unga-2022-aggression`` carries the
coefficients fitted on A/RES/68/262 (27 March 2014) with their covariance;
this recomputes them from the shipped covariate table with
:func:`realpolitik.alignment.fit_vote` (the shared estimation machinery) and
rewrites the block between ``# BEGIN FIT`` and ``# END FIT`` of the scenario
file. It also prints the fit beside the multinomial logit (the game with
``gamma = 0``) for the documentation, optionally with case-bootstrap
standard errors and the likelihood profile of ``gamma``.

Run: ``python scripts/fit_alignment_2014.py [--bootstrap N] [--profile] [--dry-run]``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from realpolitik.alignment.data import design_matrix, load_table, vintage_rows
from realpolitik.alignment.fit import VoteEstimate, fit_vote

SCENARIO = (
    Path(__file__).resolve().parents[1]
    / "src/realpolitik/alignment/library/unga-2022-aggression.yaml"
)
COVARIATES = (
    "affinity", "related_votes", "absent_rate", "vdem_accountability", "ally_usa", "ally_rus",
)  # fmt: skip
VOTE = "vote_68_262"
VINTAGE = 2014
PRIOR_SCALE = 2.5


def _num(x: float) -> str:
    return f"{x:.10g}"


def fit_block(fit: VoteEstimate, mnl: VoteEstimate) -> str:
    pad = "    "
    lines = [
        "  fit:",
        f"{pad}vote: {VOTE}",
        f"{pad}vintage: {VINTAGE}",
        f"{pad}interaction: {'true' if fit.interaction else 'false'}",
        f'{pad}fitted_on: "A/RES/68/262, 27 March 2014, {fit.n} members, covariate vintage '
        f'{VINTAGE}"',
        f'{pad}method: "penalised maximum likelihood (Gaussian prior on slopes, scale '
        f'{PRIOR_SCALE}), realpolitik.estimation; covariance: inverse Hessian"',
        f"{pad}prior_scale: {PRIOR_SCALE}",
        f"{pad}loglik: {_num(fit.log_likelihood)}",
        f"{pad}mnl_loglik: {_num(mnl.log_likelihood)}",
        f"{pad}scaling:",
        f"{pad}  mean: [{', '.join(_num(v) for v in fit.scaling.mean)}]",
        f"{pad}  scale: [{', '.join(_num(v) for v in fit.scaling.scale)}]",
        f"{pad}names: [{', '.join(fit.names)}]",
        f"{pad}estimate: [{', '.join(_num(v) for v in fit.estimates)}]",
        f"{pad}covariance:",
    ]
    lines += [
        f"{pad}  - [{', '.join(_num(v) for v in row)}]"
        for row in fit.full_covariance(use_bootstrap=False)
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=0, help="case-bootstrap refits")
    parser.add_argument("--profile", action="store_true", help="profile gamma")
    parser.add_argument("--dry-run", action="store_true", help="print, do not rewrite")
    args = parser.parse_args()
    rows = vintage_rows(load_table(), VINTAGE)
    design = design_matrix(rows, COVARIATES, vote_column=VOTE)
    fit = fit_vote(design, interaction=True, prior_scale=PRIOR_SCALE, label=VOTE)
    mnl = fit_vote(design, interaction=False, prior_scale=PRIOR_SCALE, label=VOTE)
    print(fit.summary(use_bootstrap=False))
    print(f"\nMNL (gamma = 0): log-likelihood {mnl.log_likelihood:.4f}, AIC {mnl.aic:.2f}")
    game_se = fit.std_errors(use_bootstrap=False)
    mnl_se = mnl.std_errors(use_bootstrap=False)
    boot_se = None
    if args.bootstrap:
        fit.with_bootstrap(args.bootstrap, seed=1, progress=True)
        boot_se = fit.std_errors()
        print(f"bootstrap: {fit.bootstrap_json()}")
    if args.profile:
        print(fit.profile(["gamma"], progress=True).intervals())
    extra = " se, case bootstrap |" if boot_se is not None else ""
    print(f"\n| parameter | game | (se) | MNL | (se) |{extra}")
    print("| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if boot_se is not None else ""))
    for k, name in enumerate(fit.names):
        tail = f" {boot_se[k]:.2f} |" if boot_se is not None else ""
        print(
            f"| {name} | {fit.estimates[k]:.2f} | ({game_se[k]:.2f}) | "
            f"{mnl.estimates[k]:.2f} | ({mnl_se[k]:.2f}) |{tail}"
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
