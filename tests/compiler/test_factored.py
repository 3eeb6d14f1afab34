"""Expressions evaluated once per combination of the actions they test
(:mod:`realpolitik.compiler.factored`) give the same bits as evaluating
them at every terminal, and report a value that is not finite as the full
evaluation does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.compiler import factored
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.links import run_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "china-russia-2022",  # compound moves, types, a signal, derived values
    str(ROOT / "benchmarks" / "data" / "compound_types_rounds.yaml"),  # rounds
    LEGACY_FLAGSHIP,  # 28 terminals: too few to factor, evaluated in full
]


def _outputs(name: str, draws: int = 96) -> dict[str, np.ndarray]:
    scenario = resolve(name)
    compiled = compile_scenario(scenario)
    rows = run_sampler(scenario, Settings.resolve(scenario, draws=draws, seed=4)).draws(0, draws)
    params = compiled.parameter_values(rows)
    out = {
        "payoffs": compiled.payoffs(params),
        "terms": compiled.payoff_terms(params),
        **{f"metric:{k}": np.asarray(v) for k, v in compiled.metric_values(params).items()},
    }
    if len(compiled.tree.chance_edge):
        out["chance"] = compiled.chance_probabilities(params)
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_factored_evaluation_equals_full_evaluation_bit_for_bit(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factored_out = _outputs(name)
    monkeypatch.setattr(factored, "MIN_TERMINALS", 10**9)  # every expression in full
    full_out = _outputs(name)
    assert factored_out.keys() == full_out.keys()
    for key, value in full_out.items():
        assert np.array_equal(factored_out[key], value), key


def test_some_expressions_of_the_flagship_are_factored(monkeypatch: pytest.MonkeyPatch) -> None:
    reduced: list[int] = []
    original = factored._combinations

    def spy(actions: dict[str, np.ndarray]) -> factored.Factors | None:
        found = original(actions)
        if found is not None:
            reduced.append(next(iter(found.actions.values())).shape[1])
        return found

    monkeypatch.setattr(factored, "_combinations", spy)
    _outputs("china-russia-2022", draws=8)
    # at least a few distinct action sets, each with far fewer combinations than terminals
    assert len(reduced) >= 5 and max(reduced) <= 0.25 * 2048


BAD = """
id: factored-bad
title: a payoff that is infinite on one path
as_of: "2022-01-01"
actors:
  a: {name: A}
  b: {name: B}
parameters:
  x: {dist: uniform, low: 0, high: 1, judgement: "a test value"}
moves:
  - {id: first, actor: a, actions: [l0, l1, l2, l3, l4, l5, l6, l7]}
  - {id: second, actor: b, actions: [m0, m1, m2, m3, m4, m5, m6, m7]}
  - {id: third, actor: a, actions: [n0, n1]}
payoffs:
  a:
    blowup: "1 / (x - 0.5) * (b == m3)"
  b:
    flat: "x"
"""


def test_a_value_that_is_not_finite_is_reported_as_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = load(text=BAD, name="bad.yaml")
    compiled = compile_scenario(scenario)
    assert compiled.tree.n_terminals >= factored.MIN_TERMINALS
    params = compiled.parameter_values(np.array([[0.2], [0.5]]))
    with pytest.raises(InputError) as factored_error:
        compiled.payoffs(params)
    monkeypatch.setattr(factored, "MIN_TERMINALS", 10**9)
    with pytest.raises(InputError) as full_error:
        compile_scenario(scenario).payoffs(params)
    assert str(factored_error.value) == str(full_error.value)
    assert "at draw 1" in str(full_error.value)


@pytest.mark.parametrize("name", SCENARIOS)
def test_payoffs_are_the_numpy_sums_of_their_terms_bit_for_bit(name: str) -> None:
    """The compiled payoff sums (``_payoff_kernels``) against the sum, in
    NumPy and in the scenario's term order from 0.0, of each player's terms
    at every terminal (with and without term weights)."""
    scenario = resolve(name)
    compiled = compile_scenario(scenario)
    rows = run_sampler(scenario, Settings.resolve(scenario, draws=70, seed=9)).draws(0, 70)
    params = compiled.parameter_values(rows)
    weights = np.random.default_rng(2).uniform(0.0, 2.0, (70, len(scenario.terms)))
    for term_weights in (None, weights):
        terms = compiled.payoff_terms(params, term_weights=term_weights)
        expected = np.zeros(terms.shape[:3])
        for term in scenario.terms:
            p = compiled.players.index(term.actor)
            expected[:, :, p] = expected[:, :, p] + terms[:, :, p, scenario.term_ids.index(term.id)]
        got = compiled.payoffs(params, term_weights=term_weights)
        assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("name", SCENARIOS)
def test_terms_from_the_payoff_pass_are_the_numpy_terms_bit_for_bit(name: str) -> None:
    """``payoffs_and_terms`` (each term written by the compiled payoff pass,
    what an explanation solves) against ``payoff_terms`` (each term
    gathered to every terminal in NumPy) and ``payoffs``, with and without
    term weights, into a new array and into a reused one."""
    scenario = resolve(name)
    compiled = compile_scenario(scenario)
    rows = run_sampler(scenario, Settings.resolve(scenario, draws=70, seed=5)).draws(0, 70)
    params = compiled.parameter_values(rows)
    weights = np.random.default_rng(3).uniform(0.0, 2.0, (70, len(scenario.terms)))
    shape = (70, compiled.tree.n_terminals, len(compiled.players), len(scenario.term_ids))
    reused = np.zeros(shape)
    for term_weights in (None, weights, None):
        expected = compiled.payoff_terms(params, term_weights=term_weights)
        totals, split = compiled.payoffs_and_terms(params, term_weights=term_weights)
        assert split.tobytes() == expected.tobytes()
        assert totals.tobytes() == compiled.payoffs(params, term_weights=term_weights).tobytes()
        _, into = compiled.payoffs_and_terms(params, term_weights=term_weights, terms_out=reused)
        assert into is reused
        assert reused.tobytes() == expected.tobytes()


def test_the_flagship_terms_and_metrics_are_all_factored_through_derived_values() -> None:
    """Every payoff term and metric of the flagship, including those that read
    derived values varying across terminals, is evaluated per combination."""
    scenario = resolve("china-russia-2022")
    compiled = compile_scenario(scenario)
    params = compiled.parameter_values(
        run_sampler(scenario, Settings.resolve(scenario, draws=8, seed=1)).draws(0, 8)
    )
    values = compiled.with_derived(params)
    assert any(np.shape(values[d.id])[-1] == 2048 for d in scenario.derived)
    for term in scenario.terms:
        pieces, _ = compiled._term_pieces(term, values, params, 0)
        assert all(inverse is not None for _, _, inverse in pieces), term.id
    for metric in scenario.metrics:
        _, inverse = compiled._evaluate_reduced(
            metric.expression,
            values,
            compiled.terminal_actions,
            "m",
            None,
            0,
            compiled.derived_subjects,
        )
        assert inverse is not None, metric.id


@pytest.mark.parametrize("name", SCENARIOS[:2])
def test_payoff_patterns_are_found_once_and_give_the_same_payoffs(name: str) -> None:
    """The payoff patterns are kept by the compiled scenario after the first
    block of draws; later blocks reuse them, with the payoffs of a scenario
    compiled afresh bit for bit."""
    scenario = resolve(name)
    compiled = compile_scenario(scenario)
    sampler = run_sampler(scenario, Settings.resolve(scenario, draws=128, seed=9))
    first = compiled.payoffs(compiled.parameter_values(sampler.draws(0, 64)))
    assert len(compiled._payoff_patterns) == 1
    patterns = next(iter(compiled._payoff_patterns.values()))
    again = compiled.payoffs(compiled.parameter_values(sampler.draws(64, 128)))
    assert next(iter(compiled._payoff_patterns.values())) is patterns
    fresh = compile_scenario(scenario)
    assert (
        again.tobytes() == fresh.payoffs(fresh.parameter_values(sampler.draws(64, 128))).tobytes()
    )
    assert first.shape == again.shape
    # fewer patterns than terminals for every player: the point of them
    _, inverse = patterns
    assert (inverse.max(axis=1) + 1 < compiled.tree.n_terminals).all()


@pytest.mark.parametrize("name", SCENARIOS)
def test_payoffs_written_into_a_given_array(name: str) -> None:
    """``out`` receives the very payoffs of a new array (the payoff sums
    overwrite every element, whatever the array held: here NaN), also as the
    first rows of a larger array, and is what the game holds; an array of
    another shape is refused."""
    scenario = resolve(name)
    compiled = compile_scenario(scenario)
    rows = run_sampler(scenario, Settings.resolve(scenario, draws=70, seed=9)).draws(0, 70)
    params = compiled.parameter_values(rows)
    fresh = compiled.payoffs(params)
    buffer = np.full((96, *fresh.shape[1:]), np.nan)
    got = compiled.payoffs(params, out=buffer[:70])
    assert np.shares_memory(got, buffer)
    assert got.tobytes() == fresh.tobytes()
    game = compiled.game(params, terms=False, payoffs_out=buffer[:70])
    assert np.shares_memory(game.payoffs, buffer)
    assert game.payoffs.tobytes() == fresh.tobytes()
    with pytest.raises(ValueError, match="C-contiguous float64"):
        compiled.payoffs(params, out=buffer[:69])


def test_derived_values_are_gathered_only_when_read_in_full() -> None:
    """The flagship's derived values computed per combination stay so
    through its game, chance probabilities and metrics (whose expressions
    read them at one terminal per combination); read in full, a value is
    ``np.take`` of its combinations, gathered once."""
    scenario = resolve("china-russia-2022")
    compiled = compile_scenario(scenario)
    params = compiled.parameter_values(
        run_sampler(scenario, Settings.resolve(scenario, draws=16, seed=3)).draws(0, 16)
    )
    values = compiled.with_derived(params)
    assert isinstance(values, factored.GatheredValues)
    kept = [d.id for d in scenario.derived if values.reduced(d.id) is not None]
    assert len(kept) >= 4  # e.g. severity, punishment, sanction damage
    compiled.game(params, terms=False, derived=values)
    compiled.metric_values(params, derived=values)
    assert all(values.reduced(name) is not None for name in kept)
    assert all(name in values for name in kept)  # membership gathers nothing
    assert all(values.reduced(name) is not None for name in kept)
    per_draw = {n: r for n in kept if (r := values.reduced(n)) is not None and r[0].shape[0] == 16}
    name, (combinations, inverse) = next(iter(per_draw.items()))
    full = values[name]
    assert values.reduced(name) is None
    assert full.shape == (16, compiled.tree.n_terminals)
    assert full.tobytes() == np.take(combinations, inverse, axis=-1).tobytes()
    assert values[name] is full
    assert set(values) == set(params) | {d.id for d in scenario.derived}
    with pytest.raises(KeyError):
        values["no_such_value"]
