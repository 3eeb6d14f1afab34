"""Forecast how every UN member votes in an alignment scenario, over parameter draws.

Why this module exists: it joins the pieces (scenario, covariate table, game,
solver) into the answer an analyst asks for: each member's probability of
voting yes, no, abstaining or staying away, with intervals over the draws; the
expected tally and its distribution; and, per member, the terms behind its
most likely vote against the runner-up.

Uncertainty: each draw takes the coefficients from the normal approximation
of their estimate (``N(estimate, covariance)``, the fit's sampling or
posterior uncertainty) and every crisis parameter from its distribution; the
equilibrium is solved for all draws at once. The tally's distribution adds
the votes' own randomness: roll calls are simulated from each draw's
equilibrium probabilities (members vote independently given the equilibrium;
at least 10^4 roll calls, cycling over the draws). The coefficient draws are
kept within ``|gamma| < 1.95``, where they were estimated.
Draw 1 alone (``draws=1``) is the central forecast: the estimates and the
crisis parameters' means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import (
    Design,
    ImputeRule,
    design_matrix,
    load_table,
    raw_covariates,
    table_path,
    vintage_rows,
)
from realpolitik.alignment.game import AlignmentGame, unpack
from realpolitik.alignment.likelihood import GAMMA_BOUND
from realpolitik.alignment.plots import plot_result
from realpolitik.alignment.qre import QRESolution, solve_qre
from realpolitik.alignment.scenario import AlignmentScenario, load_alignment_scenario
from realpolitik.errors import InputError
from realpolitik.estimation.simulate import draw_outcomes

__all__ = ["MAX_DRAWS", "AlignmentResult", "align"]

FloatArray = npt.NDArray[np.float64]
MAX_DRAWS = 200_000
#: Quantiles of the reported intervals.
LOW, HIGH = 0.05, 0.95
#: Fewest simulated roll calls behind the tally's distribution.
TALLY_SAMPLES = 10_000


@dataclass(frozen=True)
class AlignmentResult:
    """A forecast of every member's vote.

    Attributes
    ----------
    countries : one row per member: ``iso3, name, region``, the four mean
        probabilities, ``most_likely``, and ``<choice>_p05`` / ``<choice>_p95``.
    tally : one row per choice: ``expected`` (mean over draws of the expected
        count), and ``p05, p50, p95`` of the simulated count.
    reasons : per member, the most likely choice against the runner-up at the
        central values, split into terms (``iso3, choice, versus, term, value``;
        the values add up to the payoff difference).
    tally_samples : ``[sample, choice]`` simulated counts.
    meta : scenario, as_of, draws, seed and the solver's report.
    """

    countries: pd.DataFrame
    tally: pd.DataFrame
    reasons: pd.DataFrame
    tally_samples: npt.NDArray[np.int64]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``realpolitik align --format json`` (strict JSON)."""
        iso3 = [str(code) for code in self.countries["iso3"]]
        mean = self.countries[list(CHOICES)].to_numpy(dtype=float)
        low = self.countries[[f"{c}_p05" for c in CHOICES]].to_numpy(dtype=float)
        high = self.countries[[f"{c}_p95" for c in CHOICES]].to_numpy(dtype=float)
        countries = {
            iso: {c: float(mean[i, k]) for k, c in enumerate(CHOICES)} for i, iso in enumerate(iso3)
        }
        intervals = {
            iso: {c: [float(low[i, k]), float(high[i, k])] for k, c in enumerate(CHOICES)}
            for i, iso in enumerate(iso3)
        }
        tally = {
            column: dict(zip(CHOICES, self.tally[column].to_numpy().tolist(), strict=True))
            for column in ("expected", "p05", "p50", "p95")
        }
        reasons: dict[str, Any] = {}
        for iso, group in self.reasons.groupby("iso3", sort=True):
            top = group.reindex(group["value"].abs().sort_values(ascending=False).index)
            reasons[str(iso)] = {
                "choice": str(group["choice"].iloc[0]),
                "versus": str(group["versus"].iloc[0]),
                "margin": float(group["value"].sum()),
                "terms": {str(t): float(v) for t, v in zip(top["term"], top["value"], strict=True)},
            }
        counts = np.arange(len(self.countries) + 1)
        distribution = {
            c: np.bincount(self.tally_samples[:, k], minlength=len(counts)).tolist()
            for k, c in enumerate(CHOICES)
        }
        return {
            **self.meta,
            "countries": countries,
            "tally": {
                "expected": {c: float(v) for c, v in tally["expected"].items()},
                "p05": {c: int(v) for c, v in tally["p05"].items()},
                "p50": {c: int(v) for c, v in tally["p50"].items()},
                "p95": {c: int(v) for c, v in tally["p95"].items()},
                "distribution": distribution,
            },
            "intervals": intervals,
            "reasons": reasons,
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=1, allow_nan=False)

    def plot(self, folder: str | Path) -> list[Path]:
        """Write the charts (sorted probabilities, tally distribution) as PNG files."""
        return plot_result(self, Path(folder))


def _crisis_terms(
    scenario: AlignmentScenario, rows: pd.DataFrame, values: FloatArray
) -> tuple[FloatArray, list[FloatArray]]:
    """``z[draw, country, choice]`` and each parameter's part, from ``values[draw, param]``."""
    n = len(rows)
    parts = []
    for j, param in enumerate(scenario.crisis):
        times = np.ones(n)
        if param.times is not None:
            times = raw_covariates(rows, (param.times,))[:, 0]
        parts.append(values[:, j, None, None] * times[None, :, None] * param.effect[None, None, :])
    total = np.sum(parts, axis=0) if parts else np.zeros((values.shape[0], n, len(CHOICES)))
    return total, parts


def _draw_parameters(
    scenario: AlignmentScenario, draws: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    if draws == 1:
        theta = scenario.estimate[None, :]
        crisis = np.array([[p.central for p in scenario.crisis]]).reshape(1, -1)
        return theta, crisis
    theta = _coefficient_draws(scenario, draws, rng)
    crisis = np.column_stack([p.sample(rng, draws) for p in scenario.crisis] or [np.zeros(draws)])
    return theta, crisis[:, : len(scenario.crisis)]


def _coefficient_draws(
    scenario: AlignmentScenario, draws: int, rng: np.random.Generator
) -> FloatArray:
    """``N(estimate, covariance)`` truncated to ``|gamma| < GAMMA_BOUND``, the region
    in which the coefficients were estimated (unique equilibrium); rejection
    sampling, in rounds of whole arrays."""
    kept: list[FloatArray] = []
    have = 0
    for _ in range(100):
        batch = rng.multivariate_normal(
            scenario.estimate, scenario.covariance, max(2 * (draws - have), 64), method="eigh"
        )
        batch = batch[np.abs(batch[:, -1]) < GAMMA_BOUND]
        kept.append(batch)
        have += len(batch)
        if have >= draws:
            return np.concatenate(kept)[:draws]
    raise InputError(
        f"the coefficient distribution puts almost no mass inside |gamma| < {GAMMA_BOUND}",
        file=scenario.file, field="model.fit.covariance",
    )  # fmt: skip


def _reasons(
    scenario: AlignmentScenario, design: Design, game: AlignmentGame, rows: pd.DataFrame
) -> pd.DataFrame:
    """Terms of the most likely choice against the runner-up, at the central values."""
    theta, crisis = _draw_parameters(scenario, 1, np.random.default_rng(0))
    beta, gamma = unpack(theta, design.X.shape[1])
    z, parts = _crisis_terms(scenario, rows, crisis)
    solution = solve_qre(game, game.base_payoffs(beta, z), gamma)
    prob = solution.prob[0]
    order = np.argsort(-prob, axis=1, kind="stable")
    best, second = order[:, 0], order[:, 1]
    idx = np.arange(design.n_countries)
    terms: dict[str, FloatArray] = {}
    for k, column in enumerate(design.columns):
        contrib = design.X[:, k, None] * beta[0, k][None, :]
        terms[column] = contrib[idx, best] - contrib[idx, second]
    shares = game.peer_shares(solution.prob)[0] * gamma[0]
    terms["bandwagon"] = shares[idx, best] - shares[idx, second]
    for param, part in zip(scenario.crisis, parts, strict=True):
        terms[param.name] = part[0][idx, best] - part[0][idx, second]
    frame = pd.DataFrame(terms)
    frame.insert(0, "iso3", design.iso3)
    frame.insert(1, "choice", [CHOICES[c] for c in best])
    frame.insert(2, "versus", [CHOICES[c] for c in second])
    return frame.melt(id_vars=["iso3", "choice", "versus"], var_name="term", value_name="value")


def align(
    scenario: str | Path | AlignmentScenario = "unga-2022-aggression",
    *,
    draws: int = 1000,
    seed: int = 0,
    table: str | Path | None = None,
    impute: ImputeRule = "error",
    countries: list[str] | None = None,
) -> AlignmentResult:
    """Forecast every member's vote in an alignment scenario.

    Parameters
    ----------
    scenario : a built-in name, a YAML file, or a loaded scenario.
    draws : parameter draws (1: the central forecast only).
    seed : seed of the draws.
    table : a covariate table to use instead of the scenario's (or the shipped one).
    impute : what to do with missing covariates (see :func:`load_table`).
    countries : keep only these ISO3 codes in ``countries`` (all are solved:
        every member's vote depends on the others'); an unknown code is refused.

    Examples
    --------
    >>> result = align("unga-2022-aggression", draws=1)
    >>> list(result.countries.columns[:7])
    ['iso3', 'name', 'region', 'yes', 'no', 'abstain', 'absent']
    >>> result.countries.set_index("iso3").loc["RUS", "most_likely"]
    'no'
    """
    if not 1 <= draws <= MAX_DRAWS:
        raise InputError(f"draws must be between 1 and {MAX_DRAWS}", field="draws")
    sc = scenario if isinstance(scenario, AlignmentScenario) else load_alignment_scenario(scenario)
    source = table if table is not None else sc.table
    frame = load_table(source, impute=impute)
    file = str(source) if source is not None else str(table_path())
    rows = vintage_rows(frame, sc.vintage, file=file)
    design = design_matrix(rows, sc.covariates, scaling=sc.scaling, region_column=sc.peer_groups)
    keep = [design.index_of(c, file=file) for c in countries] if countries else None
    game = AlignmentGame(design.X, design.region)
    rng = np.random.default_rng(seed)
    theta, crisis = _draw_parameters(sc, draws, rng)
    beta, gamma = unpack(theta, design.X.shape[1])
    z, _ = _crisis_terms(sc, rows, crisis)
    solution = solve_qre(game, game.base_payoffs(beta, z), gamma)
    out = _countries_frame(design, rows, solution)
    samples = _simulate_tallies(solution.prob, rng)
    tally = pd.DataFrame(
        {
            "choice": CHOICES,
            "expected": solution.prob.sum(axis=1).mean(axis=0),
            "p05": np.quantile(samples, LOW, axis=0, method="inverted_cdf").astype(int),
            "p50": np.quantile(samples, 0.5, axis=0, method="inverted_cdf").astype(int),
            "p95": np.quantile(samples, HIGH, axis=0, method="inverted_cdf").astype(int),
        }
    )
    reasons = _reasons(sc, design, game, rows)
    if keep is not None:
        chosen = [design.iso3[i] for i in keep]
        out = out[out["iso3"].isin(chosen)].reset_index(drop=True)
        reasons = reasons[reasons["iso3"].isin(chosen)].reset_index(drop=True)
    meta = {
        "scenario": sc.id,
        "title": sc.title,
        "as_of": sc.as_of.isoformat(),
        "draws": draws,
        "seed": seed,
        "solver": {
            "converged": int(solution.converged.sum()),
            "multiple_equilibria": int(solution.multiple.sum()),
            "max_iterations": int(solution.iterations.max()),
            "summary": solution.summary(),
        },
    }
    return AlignmentResult(out, tally, reasons, samples, meta)


def _countries_frame(design: Design, rows: pd.DataFrame, solution: QRESolution) -> pd.DataFrame:
    prob = solution.prob
    mean = prob.mean(axis=0)
    frame = pd.DataFrame({"iso3": design.iso3, "name": design.names,
                          "region": rows["region"].astype(str).to_numpy()})  # fmt: skip
    for k, c in enumerate(CHOICES):
        frame[c] = mean[:, k]
    frame["most_likely"] = [CHOICES[k] for k in mean.argmax(axis=1)]
    low = np.quantile(prob, LOW, axis=0)
    high = np.quantile(prob, HIGH, axis=0)
    for k, c in enumerate(CHOICES):
        frame[f"{c}_p05"] = low[:, k]
        frame[f"{c}_p95"] = high[:, k]
    return frame


def _simulate_tallies(prob: FloatArray, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Simulated roll calls, ``counts[sample, choice]``: at least :data:`TALLY_SAMPLES`,
    cycling over the draws (one roll call per draw and round)."""
    rounds = -(-TALLY_SAMPLES // prob.shape[0])
    samples, countries, choices = rounds * prob.shape[0], prob.shape[1], prob.shape[2]
    votes = draw_outcomes(np.tile(prob, (rounds, 1, 1)).reshape(-1, choices), rng)
    votes = votes.reshape(samples, countries)
    counts = np.stack([(votes == k).sum(axis=1) for k in range(choices)], axis=1)
    return counts.astype(np.int64)
