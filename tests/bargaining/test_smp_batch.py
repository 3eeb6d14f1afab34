"""The batched spatial model against the per-problem one.

``run_smp_batch`` must give, for every problem of a batch, exactly what
``run_smp`` gives for that problem alone: the same forecast, the same final
win probabilities (KTAB's last "prob" line) and the same number of states,
compared bit for bit (``np.array_equal``), not to a tolerance. The reference
is ``run_smp`` itself, checked against KTAB's official log in
``test_smp.py``. Problems cover KTAB's SOE-Pol-Comp file, seeded random
problems of 3 to 20 actors on 1 to 3 dimensions with ties in positions,
capabilities and saliences (so that challenges, queues and distinct
positions differ between the problems of one batch), Hypothesis-generated
problems on coarse grids, and the draws of the flagship scenario's issue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.bargaining.ktab_io import read_ktab_csv
from realpolitik.bargaining.scenario_issues import find_issue, issue_draws, run_issue_draws
from realpolitik.bargaining.smp import SMPConfig, _seqsum, run_smp
from realpolitik.bargaining.smp_batch import SMPBatchRun, _movement, _ordered, run_smp_batch
from realpolitik.bargaining.types import BargainingProblem, BargainingRun
from realpolitik.errors import InputError

FloatArray = np.ndarray


def _alone(
    cap: FloatArray,
    pos: FloatArray,
    sal: FloatArray,
    *,
    scale: tuple[float, float] = (0.0, 100.0),
    config: SMPConfig | None = None,
    max_turns: int = 100,
) -> list[BargainingRun]:
    """run_smp on each problem of a batch, one at a time (the reference)."""
    n, n_dims = pos.shape[1:]
    return [
        run_smp(
            BargainingProblem(
                actors=tuple(f"a{k}" for k in range(n)),
                capability=cap[b],
                position=pos[b],
                salience=sal[b],
                dimensions=tuple(f"d{k}" for k in range(n_dims)),
                scale=scale,
            ),
            config=config,
            max_turns=max_turns,
        )
        for b in range(pos.shape[0])
    ]


def _assert_same(batch: SMPBatchRun, runs: list[BargainingRun], *, exact: bool = True) -> None:
    for b, run in enumerate(runs):
        if exact:
            assert np.array_equal(batch.forecast[b], run.forecast), b
        else:
            np.testing.assert_allclose(batch.forecast[b], run.forecast, rtol=0, atol=1e-12)
        assert np.array_equal(batch.win_probability[b], run.extra["win_probability"][-1]), b
        assert batch.states[b] == run.positions.shape[0], b


def _random_batch(
    rng: np.random.Generator, n_batch: int, n: int, n_dims: int, kind: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Problems with continuous values, or on coarse grids (ties everywhere:
    equal capabilities, shared positions, two-position states)."""
    if kind == "grid":
        cap = rng.choice([1.0, 2.0], size=(n_batch, n))
        pos = rng.choice([0.0, 50.0, 100.0], size=(n_batch, n, n_dims))
        sal = rng.choice([0.25, 0.5, 1.0], size=(n_batch, n, n_dims))
    elif kind == "two":
        cap = np.ones((n_batch, n))
        pos = np.where(rng.random((n_batch, n, 1)) < 0.5, 20.0, 80.0).repeat(n_dims, axis=2)
        sal = rng.choice([0.5, 1.0], size=(n_batch, n, n_dims))
    else:
        cap = rng.uniform(0.1, 10.0, size=(n_batch, n))
        pos = rng.uniform(0.0, 100.0, size=(n_batch, n, n_dims))
        sal = rng.uniform(0.01, 1.0, size=(n_batch, n, n_dims))
    sal = sal / np.maximum(sal.sum(axis=2, keepdims=True), 1.0)
    return cap, pos, sal


def test_soe_pol_comp_as_a_batch(reference_dir: Path) -> None:
    soe = read_ktab_csv(reference_dir / "bargaining" / "ktab_smp" / "SOE-Pol-Comp.csv")
    # the file, then variants that stop at other turns, in one batch
    rng = np.random.default_rng(0)
    cap = np.stack([soe.capability, soe.capability, soe.capability[::-1]])
    pos = np.stack(
        [
            soe.position,
            np.clip(soe.position + rng.normal(0, 5, soe.position.shape), 0, 100),
            soe.position,
        ]
    )
    sal = np.stack([soe.salience, soe.salience, soe.salience])
    batch = run_smp_batch(cap, pos, sal, scale=soe.scale)
    alone = run_smp(soe)
    assert batch.states[0] == 28  # KTAB's log: 28 states
    assert np.array_equal(batch.forecast[0], alone.forecast)
    _assert_same(batch, _alone(cap, pos, sal, scale=soe.scale))


@pytest.mark.parametrize("n_dims", [1, 2])
@pytest.mark.parametrize("n", [3, 4, 5, 7, 8, 9, 12, 16, 20])
def test_random_problems_bit_for_bit(n: int, n_dims: int) -> None:
    rng = np.random.default_rng(1000 * n + n_dims)
    parts = [_random_batch(rng, 3, n, n_dims, kind) for kind in ("continuous", "grid", "two")]
    cap, pos, sal = (np.concatenate(a) for a in zip(*parts, strict=True))
    batch = run_smp_batch(cap, pos, sal)
    runs = _alone(cap, pos, sal)
    _assert_same(batch, runs)
    # the batch really mixes problems that stop at different turns
    if n <= 9:
        assert len(set(batch.states.tolist())) > 1


def test_options_the_batch_keeps() -> None:
    """Stopping rule, turn cap, position tolerance and forecast rule."""
    rng = np.random.default_rng(7)
    cap, pos, sal = _random_batch(rng, 10, 6, 2, "grid")
    for config, max_turns in [
        (SMPConfig(), 1),
        (SMPConfig(), 3),
        (SMPConfig(min_turns=4, min_delta_ratio=0.1, min_significant_delta=1e-3), 100),
        (SMPConfig(position_tolerance=0.3), 100),
    ]:
        batch = run_smp_batch(cap, pos, sal, config=config, max_turns=max_turns)
        _assert_same(batch, _alone(cap, pos, sal, config=config, max_turns=max_turns))
    expected = SMPConfig(forecast="expected")
    batch = run_smp_batch(cap, pos, sal, config=expected)
    # run_smp's probability-weighted mean is a BLAS product: equal to rounding
    _assert_same(batch, _alone(cap, pos, sal, config=expected), exact=False)


def test_chunks_do_not_change_the_result() -> None:
    rng = np.random.default_rng(3)
    cap, pos, sal = _random_batch(rng, 9, 5, 1, "continuous")
    whole = run_smp_batch(cap, pos, sal)
    for chunk in (1, 2, 4):
        part = run_smp_batch(cap, pos, sal, chunk=chunk)
        assert np.array_equal(part.forecast, whole.forecast)
        assert np.array_equal(part.win_probability, whole.win_probability)
        assert np.array_equal(part.states, whole.states)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(3, 8),
    n_dims=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
    levels=st.integers(2, 5),
)
def test_hypothesis_grid_problems(n: int, n_dims: int, seed: int, levels: int) -> None:
    """Positions, capabilities and saliences on grids of a few levels: many
    exact ties in challenges, bargains and distinct positions."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 100.0, levels)
    cap = rng.choice(grid[1:] / 10.0, size=(4, n))
    pos = rng.choice(grid, size=(4, n, n_dims))
    sal = rng.choice(np.linspace(0.1, 1.0, levels), size=(4, n, n_dims))
    sal = sal / np.maximum(sal.sum(axis=2, keepdims=True), 1.0)
    _assert_same(run_smp_batch(cap, pos, sal), _alone(cap, pos, sal))


def test_flagship_issue_draws_equal_the_per_draw_runs() -> None:
    """``realpolitik bargain run china-russia-2022 --model smp --draws 200``:
    the batched ensemble against run_smp on each draw's problem alone."""
    scenario = rp.load(LEGACY_FLAGSHIP)
    ensemble = run_issue_draws(scenario, draws=200, seed=1, model="smp")
    from realpolitik.run.sampling import settings_sampler as sampler_for
    from realpolitik.run.settings import Settings

    values = sampler_for(scenario, Settings.resolve(scenario, draws=200, seed=1)).draws(0, 200)
    params = {name: values[:, k : k + 1] for k, name in enumerate(scenario.parameter_ids)}
    stances = issue_draws(scenario, find_issue(scenario, None), params)
    per_draw = np.array([float(run_smp(stances.problem(d)).forecast[0]) for d in range(200)])
    assert np.array_equal(ensemble.forecast, per_draw)
    assert ensemble.n_draws == 200


def test_sums_in_run_smps_order() -> None:
    """The two places where run_smp's NumPy sums are not running sums."""
    rng = np.random.default_rng(11)
    # a round's movement: run_smp sums a 1-D array of N distances
    for n in (3, 8, 9, 20, 40):
        old = rng.random((5, n, 2))
        new = rng.random((5, n, 2))
        moved = _movement(old, new)
        for b in range(5):
            delta = np.sqrt(_seqsum(((new[b] - old[b]) ** 2).T))
            assert moved[b] == float(_seqsum(delta))
    # a single column still sums in index order
    x = rng.random((12, 1)) * 10.0 ** rng.uniform(-8, 0, (12, 1))
    running = x[0, 0]
    for v in x[1:, 0]:
        running = running + v
    assert _ordered(np.add, x)[0] == running


def test_other_model_options_are_refused() -> None:
    cap = np.ones((2, 3))
    pos = np.array([[[10.0], [50.0], [90.0]]] * 2)
    sal = np.full((2, 3, 1), 0.5)
    with pytest.raises(InputError, match="run run_smp per problem"):
        run_smp_batch(cap, pos, sal, config=SMPConfig(state_transitions="Stochastic"))
    with pytest.raises(InputError, match="at least 1"):
        run_smp_batch(cap, pos, sal, max_turns=0)


def test_bad_problems_are_refused() -> None:
    cap = np.ones((2, 3))
    pos = np.array([[[10.0], [50.0], [90.0]]] * 2)
    sal = np.full((2, 3, 1), 0.5)
    bad_cap = cap.copy()
    bad_cap[1, 2] = 0.0
    with pytest.raises(InputError, match=r"problem 1, actor 2"):
        run_smp_batch(bad_cap, pos, sal)
    with pytest.raises(InputError, match="salience"):
        run_smp_batch(cap, pos, np.full((2, 3, 1), 1.5))
    with pytest.raises(InputError, match="scale"):
        run_smp_batch(cap, pos + 20.0, sal)
    with pytest.raises(InputError, match="at least 3"):
        run_smp_batch(cap[:, :2], pos[:, :2], sal[:, :2])
    with pytest.raises(InputError, match="match"):
        run_smp_batch(cap[:, :2], pos, sal)


def test_large_problems_go_through_run_smp() -> None:
    """Beyond 44 actors run_smp's elections split into blocks; the batch then
    hands each problem to run_smp (two short runs here)."""
    rng = np.random.default_rng(5)
    cap, pos, sal = _random_batch(rng, 2, 45, 1, "continuous")
    batch = run_smp_batch(cap, pos, sal, max_turns=2)
    _assert_same(batch, _alone(cap, pos, sal, max_turns=2))
