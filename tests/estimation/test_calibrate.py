"""Calibrating lambda (and term weights) on observed choices.

- **Against pygambit** (GPL peer, tests only): ``logit_estimate`` on the
  action counts of the same data, for a sequential game and for a game with
  an information set (a simultaneous stage): lambda and the maximised
  log-likelihood agree.
- **Recovery**: a known lambda (and a known term weight) behind simulated
  choices is recovered within its standard errors, and the Wald interval
  covers it.
- The estimate in the scenario's ``solve`` form is a distribution whose 95%
  interval is the fit's, read by the distributions' own reader.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import realpolitik as rp
from realpolitik.errors import InputError
from realpolitik.scenario.load import load
from realpolitik.uncertainty.distributions import from_spec

SEQUENTIAL = """\
format: 1
id: sequential
sources: {s: "an illustration"}
actors: {a: A, b: B}
parameters:
  gain: {dist: uniform, low: 0, high: 2, source: s}
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {win: "gain * (second == yield)", war: "-(second == fight)"}
  b: {fight: "0.4 * (second == fight)", pride: "-0.3 * (second == yield)"}
solve: {concept: qre, lambda: 1}
"""

STAGE = """\
format: 1
id: stage
sources: {s: "an illustration"}
actors: {a: A, b: B}
moves:
  - id: stage
    actors: {a: [up, down], b: [left, right]}
payoffs:
  a: {x: "2 * (a == up) * (b == left) + (a == down) * (b == right)"}
  b: {y: "(a == up) * (b == right) + 3 * (a == down) * (b == left)"}
solve: {concept: qre, lambda: 1}
"""


def _gambit_fit(
    game_payoffs: dict[tuple[str, str], tuple[int | Fraction, int | Fraction]],
    stage: bool,
    counts: list[int],
) -> tuple[float, float]:
    """pygambit's agent logit estimate from action counts: (lambda, log-likelihood)."""
    gbt = pytest.importorskip("pygambit")
    # pygambit 16.7.0's logit_estimate fails building its result profile for
    # behaviour data ("Cannot create a MixedBehaviorProfile outside a Game")
    # and its global search can crash; the estimator it wraps, with
    # local_max=True (the first interior maximum on the principal branch: the
    # likelihoods here have one), returns lambda and the log-likelihood.
    from pygambit import gambit as libgbt

    game = gbt.Game.new_tree(players=["a", "b"])
    game.append_move(game.root, "a", ["up", "down"] if stage else ["stay", "go"])
    if stage:
        game.append_move(
            [game.root.children["up"], game.root.children["down"]], "b", ["left", "right"]
        )
    else:
        game.append_move(game.root.children["go"], "b", ["yield", "fight"])
    for (x, y), payoff in game_payoffs.items():
        node = game.root.children[x] if y == "" else game.root.children[x].children[y]
        game.set_outcome(node, game.add_outcome(f"{x}-{y}", [Fraction(v) for v in payoff]))
    data = game.mixed_behavior_profile(rational=False)
    actions = [a for p in game.players for i in p.infosets for a in i.actions]
    for action, count in zip(actions, counts, strict=True):
        data[action] = float(count)
    result = libgbt._logit_behavior_estimate(data, local_max=True, first_step=0.03, max_accel=1.1)
    return float(result.lam), float(result.log_like)


@pytest.mark.peer
def test_lambda_agrees_with_pygambit_on_a_sequential_game() -> None:
    scenario = load(text=SEQUENTIAL, name="sequential.yaml")
    cases = rp.simulate_cases(scenario, 600, lam=2.0, seed=11)
    fit = rp.calibrate(scenario, cases)  # gain at its central value, 1
    counts = [
        int((cases["first"] == "stay").sum()),
        int((cases["first"] == "go").sum()),
        int((cases["second"] == "yield").sum()),
        int((cases["second"] == "fight").sum()),
    ]
    payoffs = {
        ("stay", ""): (0, 0),
        ("go", "yield"): (1, Fraction(-3, 10)),
        ("go", "fight"): (-1, Fraction(2, 5)),
    }
    lam, loglik = _gambit_fit(payoffs, stage=False, counts=counts)
    assert fit.lam == pytest.approx(lam, rel=1e-6)
    assert fit.log_likelihood == pytest.approx(loglik, abs=1e-8)


@pytest.mark.peer
def test_lambda_agrees_with_pygambit_on_a_game_with_an_information_set() -> None:
    scenario = load(text=STAGE, name="stage.yaml")
    cases = rp.simulate_cases(scenario, 800, lam=1.5, seed=4)
    fit = rp.calibrate(scenario, cases)
    counts = [int((cases[c] == v).sum()) for c, v in (("a", "up"), ("a", "down"))]
    counts += [int((cases["b"] == v).sum()) for v in ("left", "right")]
    payoffs = {
        ("up", "left"): (2, 0),
        ("up", "right"): (0, 1),
        ("down", "left"): (0, 3),
        ("down", "right"): (1, 0),
    }
    lam, loglik = _gambit_fit(payoffs, stage=True, counts=counts)
    assert fit.lam == pytest.approx(lam, rel=1e-6)
    assert fit.log_likelihood == pytest.approx(loglik, abs=1e-8)


def test_a_known_lambda_is_recovered() -> None:
    scenario = load(text=SEQUENTIAL, name="sequential.yaml")
    gains = pd.DataFrame({"gain": np.random.default_rng(3).uniform(0, 2, 20_000)})
    cases = rp.simulate_cases(scenario, gains, lam=2.5, seed=5)
    fit = rp.calibrate(scenario, cases)
    assert fit.converged
    assert abs(fit.lam - 2.5) <= 3 * fit.lambda_se
    low, high = fit.lambda_interval()
    assert low < 2.5 < high
    plow, phigh = fit.profile_interval
    # the likelihood-ratio interval is close to the Wald one on this much data
    assert plow == pytest.approx(low, rel=0.02) and phigh == pytest.approx(high, rel=0.02)
    assert fit.lr_uniform[1] < 1e-10  # choices are far from uniform


def test_a_known_term_weight_is_recovered() -> None:
    halved = load(text=SEQUENTIAL.replace("-0.3 * (second", "-0.15 * (second"), name="half.yaml")
    gains = pd.DataFrame({"gain": np.random.default_rng(8).uniform(0, 2, 10_000)})
    cases = rp.simulate_cases(halved, gains, lam=3.0, seed=9)
    fit = rp.calibrate(load(text=SEQUENTIAL, name="s.yaml"), cases, weights=["b.pride"])
    weight = fit.coefficients.loc["w(b.pride)"]
    assert abs(weight["estimate"] - 0.5) <= 3 * weight["std_error"]
    assert abs(fit.lam - 3.0) <= 3 * fit.lambda_se
    assert fit.weights == {"b.pride": pytest.approx(weight["estimate"])}


def test_the_solve_form_is_a_distribution_with_the_fits_interval() -> None:
    scenario = load(text=SEQUENTIAL, name="sequential.yaml")
    fit = rp.calibrate(scenario, rp.simulate_cases(scenario, 2000, lam=2.0, seed=1))
    spec = fit.solve_spec()["lambda"]
    distribution = from_spec(spec, extra_keys=("source",))
    assert distribution.central() == pytest.approx(fit.lam, rel=1e-12)
    z = stats.norm.ppf(0.975)
    interval = (distribution.ppf(stats.norm.cdf(-z)), distribution.ppf(stats.norm.cdf(z)))
    assert interval == pytest.approx(fit.lambda_interval(), rel=1e-9)


def test_lambda_cannot_be_fitted_with_every_term_free() -> None:
    scenario = load(text=STAGE, name="stage.yaml")
    cases = rp.simulate_cases(scenario, 100, lam=1.0, seed=2)
    with pytest.raises(InputError, match="not identified"):
        rp.calibrate(scenario, cases, weights=["a.x", "b.y"])
    with pytest.raises(InputError, match=r"unknown payoff term 'a\.z'"):
        rp.calibrate(scenario, cases, weights=["a.z"])


def test_the_printed_solve_lines_make_lambda_a_drawn_parameter() -> None:
    """What ``realpolitik calibrate`` prints, pasted into the scenario, loads:
    lambda becomes the drawn parameter ``lambda`` with the fit's median, and
    forecasts and scores over draws vary it."""
    scenario = load(text=SEQUENTIAL, name="sequential.yaml")
    fit = rp.calibrate(scenario, rp.simulate_cases(scenario, 2000, lam=2.0, seed=1))
    solve_lines, source_lines = fit.solve_yaml().split("sources:\n")
    text = SEQUENTIAL.replace("solve: {concept: qre, lambda: 1}\n", solve_lines).replace(
        'sources: {s: "an illustration"}', 'sources:\n  s: "an illustration"\n' + source_lines
    )
    calibrated = load(text=text, name="calibrated.yaml")
    drawn = calibrated.parameters["lambda"]
    assert drawn.central == pytest.approx(fit.lam, rel=1e-12)
    assert drawn.sources == ("calibrated_lambda",)
    cases = rp.simulate_cases(scenario, 50, lam=2.0, seed=9)
    # the gain held fixed: only lambda varies over the draws
    result = rp.score(calibrated, cases, draws=200, seed=2, values={"gain": 1.0})
    low, high = result.scores.loc["forecast", ["log_score_low", "log_score_high"]]
    assert low < high
