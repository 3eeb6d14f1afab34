"""The ensemble runner: chunking, executors, bit-for-bit determinism, the
forecast summaries against independent computations, and scenario-declared
correlations.

Independent checks used here:

* a small scenario (CHOICE) whose SPE answer is known by hand: Alpha takes
  ``left`` iff ``x > w``, so the mean probability of ``left`` over draws is
  the share of draws with ``x > w``, computed from the sampler's draws with
  plain NumPy, and the metric ``m = x`` on every path has the draws' own
  mean and percentiles;
* the QRE version, whose choice probability is the logistic function
  ``1 / (1 + exp(-lam (x - w)))`` (McKelvey & Palfrey 1995);
* the flagship's per-draw outcomes from the older, independent code path
  (:func:`solve_chunks` with :func:`draw_outcomes`, which sums with a matrix
  product and ``einsum``), reduced with plain NumPy;
* the Spearman correlation of a Gaussian copula, ``(6 / pi) asin(rho / 2)``
  (Nelsen 2006, section 5.1).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy import stats

import realpolitik as rp
from realpolitik.analysis import forecast_runs as runs
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import (
    Forecast,
    reduce_chunk,
)
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import evaluate_draws, evaluate_settings
from realpolitik.run.outcomes import OutcomeLayout, action_and_path_probability
from realpolitik.run.sampling import settings_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load
from realpolitik.uncertainty.ensemble import (
    DaskExecutor,
    InProcess,
    ProcessPool,
    ThreadPool,
    chunk_ranges,
    make_executor,
    run_chunks,
)

CHOICE = """\
id: choice
title: Alpha picks the larger of two values
actors:
  a: {name: Alpha}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  w: {dist: pert, low: 0, mode: 0.3, high: 1, source: s}
  k: {dist: fixed, value: 2, source: s}
moves:
  - id: pick
    actor: a
    actions: [left, right]
payoffs:
  a:
    gain: "x * (a == left) + w * (a == right)"
metrics:
  m: {expr: "x", unit: share}
solve: {concept: spe, lambda: 3}
"""


@pytest.fixture(scope="module")
def choice() -> rp.Scenario:
    return load(text=CHOICE, name="choice.yaml")


@pytest.fixture(scope="module")
def flagship() -> rp.Scenario:
    return rp.load("china-russia-2022")


def same_forecast(a: Forecast, b: Forecast) -> bool:
    """Exact equality of every number of two forecasts."""
    return (
        a.to_json() == b.to_json()
        and a.actions.equals(b.actions)
        and a.metrics.equals(b.metrics)
        and a.pathways.drop(columns=["steps"]).equals(b.pathways.drop(columns=["steps"]))
    )


# --------------------------------------------------------------------------
# Chunking and executors
# --------------------------------------------------------------------------


def test_chunk_ranges_by_hand() -> None:
    assert chunk_ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    # chunk 3 rounded up to the alignment 2 -> 4
    assert chunk_ranges(10, 3, align=2) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_ranges(10, 4, start=8) == [(8, 10)]
    assert chunk_ranges(10, 4, start=10) == []
    assert chunk_ranges(5, 100) == [(0, 5)]
    with pytest.raises(InputError, match="chunk size must be >= 1"):
        chunk_ranges(10, 0)
    with pytest.raises(ValueError, match="multiple of 4"):
        chunk_ranges(10, 4, start=2, align=4)


def _slow_pair(a: int, b: int) -> tuple[int, int]:
    time.sleep(0.001 * ((7 * a) % 5))  # finish out of order
    return (a, b)


@pytest.mark.parametrize("executor", [InProcess(), ThreadPool(3)], ids=["local", "threads"])
def test_results_come_back_in_order(executor: Any) -> None:
    with executor:
        got = list(run_chunks(_slow_pair, 50, chunk=4, executor=executor))
    assert got == chunk_ranges(50, 4)


def test_make_executor_names_and_errors() -> None:
    assert isinstance(make_executor(None), InProcess)
    assert isinstance(make_executor("threads", workers=2), ThreadPool)
    pool = make_executor("processes", workers=2)
    assert isinstance(pool, ProcessPool) and pool.workers == 2
    with pytest.raises(InputError, match="unknown executor 'gpu'; use one of local"):
        make_executor("gpu")
    with pytest.raises(InputError, match="--cluster runs on Dask"):
        make_executor("processes", cluster="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="--workers needs"):
        make_executor("local", workers=4)
    with pytest.raises(InputError, match="--workers must be >= 1"):
        ThreadPool(0)


def test_unreachable_cluster_is_a_clear_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(InputError) as caught:
        DaskExecutor(address=address)
    message = str(caught.value)
    # refused at once by the TCP probe, not after Dask's connection timeout
    assert f"cannot reach the Dask scheduler at {address} (Connection refused)" in message
    assert "drop --cluster" in message
    with pytest.raises(InputError, match="not a scheduler address; give tcp://host:port"):
        DaskExecutor(address="my-cluster")


# --------------------------------------------------------------------------
# Determinism: per-draw outputs and summaries, bit for bit
# --------------------------------------------------------------------------


def test_task_outputs_do_not_depend_on_the_partition(flagship: rp.Scenario) -> None:
    settings = Settings.resolve(flagship, draws=5000, seed=21)
    task = runs.ForecastTask.of(flagship, settings)
    whole = task(0, 5000)
    # uneven partitions at block boundaries, down to single-block chunks
    for cuts in ([0, 1024, 2048, 5000], [0, 4096, 5000], [0, 3072, 4096, 5000]):
        parts = [task(a, b) for a, b in itertools.pairwise(cuts)]
        for name in ("parameters", "action_probability", "modal_path", "metric_expectation"):
            joined = np.concatenate([getattr(p, name) for p in parts])
            assert np.array_equal(joined, getattr(whole, name)), name
        sums = np.concatenate([p.block_sums for p in parts])
        assert np.array_equal(sums, whole.block_sums)
        counts = np.sum([p.path_histogram for p in parts], axis=0)
        assert np.array_equal(counts, whole.path_histogram)
    with pytest.raises(ValueError, match="multiple of 1024"):
        task(100, 2000)


def test_a_single_draw_solved_alone_equals_it_in_a_batch(flagship: rp.Scenario) -> None:
    # per-draw values must not depend on which other draws share the arrays
    settings = Settings.resolve(flagship, draws=3000, seed=4)
    state = runs.ForecastTask.of(flagship, settings).state()
    draws = state.sampler.draws(0, 3000)

    def reduced(rows: np.ndarray, first: int) -> Any:
        solved = evaluate_draws(
            state.compiled, state.layout, settings.concept, settings.lam, rows, first_draw=first
        )
        return reduce_chunk(first, rows, solved.outcomes)

    batch = reduced(draws, 0)
    for i in (0, 1, 1234, 2999):
        alone = reduced(draws[i : i + 1], i)
        assert np.array_equal(alone.action_probability[0], batch.action_probability[i])
        assert np.array_equal(alone.modal_path[0], batch.modal_path[i])
        assert np.array_equal(alone.metric_expectation[0], batch.metric_expectation[i])


def test_forecast_is_identical_for_any_chunk_size_and_executor(flagship: rp.Scenario) -> None:
    base = forecast(flagship, draws=6000, seed=8, chunk=1)
    for chunk in (1024, 5000, 6000, 10**6):
        assert same_forecast(base, forecast(flagship, draws=6000, seed=8, chunk=chunk))
    with ThreadPool(2) as threads:
        assert same_forecast(
            base, forecast(flagship, draws=6000, seed=8, chunk=2048, executor=threads)
        )


def test_process_pool_equals_in_process(flagship: rp.Scenario) -> None:
    base = forecast(flagship, draws=4096, seed=3)
    with ProcessPool(2) as pool:
        other = forecast(flagship, draws=4096, seed=3, chunk=1024, executor=pool)
    assert same_forecast(base, other)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_local_cluster_equals_in_process(flagship: rp.Scenario, dask_client: Any) -> None:
    base = forecast(flagship, draws=5000, seed=17, method="lhs")
    on_cluster = forecast(
        flagship, draws=5000, seed=17, method="lhs", chunk=2048, executor=dask_client
    )
    assert same_forecast(base, on_cluster)
    by_address = forecast(
        flagship, draws=5000, seed=17, method="lhs", cluster=dask_client.scheduler.address
    )
    assert same_forecast(base, by_address)
    assert dask_client.status == "running"  # a client we were given is left open


# --------------------------------------------------------------------------
# Summaries against independent computations
# --------------------------------------------------------------------------


def test_spe_summaries_by_hand(choice: rp.Scenario) -> None:
    n = 5000
    result = forecast(choice, draws=n, seed=99, chunk=2048)
    draws = settings_sampler(choice, result.settings).draws(0, n)
    x, w = draws[:, 0], draws[:, 1]
    left = x > w  # SPE: the larger payoff
    actions = result.actions.set_index("action")
    # means of 0/1 probabilities are counts: exact
    assert actions.loc["left", "probability"] == left.mean()
    assert actions.loc["right", "probability"] == 1 - left.mean()
    assert actions.loc["left", "most_likely_share"] == left.mean()
    assert actions.loc["left", "p05"] == 0.0 and actions.loc["left", "p95"] == 1.0
    # the metric is x on both paths: its per-draw expectation is x itself
    metrics = result.metrics.set_index("metric")
    assert metrics.loc["m", "mean"] == pytest.approx(x.mean(), rel=1e-13)
    assert metrics.loc["m", "p05"] == np.percentile(x, 5)
    assert metrics.loc["m", "p95"] == np.percentile(x, 95)
    paths = result.pathways.set_index("path")
    assert paths.loc["a:left", "modal_share"] == left.mean()
    # 0/1 path probabilities: the 90% interval spans both
    assert (paths.loc["a:left", "p05"], paths.loc["a:left", "p95"]) == (0.0, 1.0)
    # metric along a path: mean of x over the draws that take it
    assert paths.loc["a:left", "m"] == pytest.approx(x[left].mean(), rel=1e-12)
    assert paths.loc["a:right", "m"] == pytest.approx(x[~left].mean(), rel=1e-12)


def test_qre_means_match_the_logistic_formula(choice: rp.Scenario) -> None:
    n = 4096
    result = forecast(choice, concept="qre", lam=3.0, draws=n, seed=5, method="sobol")
    draws = settings_sampler(choice, result.settings).draws(0, n)
    p_left = 1.0 / (1.0 + np.exp(-3.0 * (draws[:, 0] - draws[:, 1])))
    actions = result.actions.set_index("action")
    assert actions.loc["left", "probability"] == pytest.approx(p_left.mean(), rel=1e-12)
    assert actions.loc["left", "p05"] == pytest.approx(np.percentile(p_left, 5), rel=1e-12)
    assert actions.loc["left", "p95"] == pytest.approx(np.percentile(p_left, 95), rel=1e-12)
    assert actions.loc["left", "most_likely_share"] == (p_left > 0.5).mean()
    # path intervals come from 1/4000-wide histograms: within a bin of the exact ones
    paths = result.pathways.set_index("path")
    for q in (5, 95):
        assert abs(paths.loc["a:left", f"p{q:02d}"] - np.percentile(p_left, q)) <= 1 / 4000


def test_flagship_summaries_match_the_independent_reduction(flagship: rp.Scenario) -> None:
    n = 4000
    result = forecast(flagship, draws=n, seed=12)
    compiled = compile_scenario(flagship)
    chunks = list(evaluate_settings(compiled, result.settings, block=1500))
    p = np.concatenate([c.outcomes.action_probability for c in chunks])
    path = np.concatenate([c.outcomes.path_probability for c in chunks])
    metric = np.concatenate([c.outcomes.metric_expectation for c in chunks])
    likely = np.concatenate([c.outcomes.most_likely for c in chunks])
    modal = np.concatenate([c.outcomes.modal_path for c in chunks])
    np.testing.assert_allclose(result.actions["probability"], p.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.actions["p05"], np.percentile(p, 5, axis=0), atol=1e-14)
    np.testing.assert_allclose(result.actions["p95"], np.percentile(p, 95, axis=0), atol=1e-14)
    np.testing.assert_array_equal(result.actions["most_likely_share"], likely.mean(axis=0))
    np.testing.assert_allclose(result.metrics["mean"], metric.mean(axis=0), rtol=1e-12)
    layout = OutcomeLayout.of(compiled)
    labels = [" > ".join(f"{a}:{b}" for a, b in layout.path_label(t)) for t in range(path.shape[1])]
    table = result.pathways.set_index("path")
    np.testing.assert_allclose(table.loc[labels, "probability"], path.mean(axis=0), rtol=1e-12)
    counts = np.bincount(modal, minlength=path.shape[1]) / n
    np.testing.assert_array_equal(table.loc[labels, "modal_share"], counts)


def test_central_values_forecast_is_unchanged_in_form(flagship: rp.Scenario) -> None:
    result = forecast(flagship)
    assert result.settings.draws == 0
    sums = result.actions.groupby(["actor", "move"])["probability"].sum()
    assert sums.loc[("china", "alignment")] == pytest.approx(1.0, abs=1e-12)
    assert result.pathways["probability"].sum() == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------
# Correlations declared in scenario files
# --------------------------------------------------------------------------


def with_correlations(block: str) -> str:
    return CHOICE + block


def test_declared_correlation_reaches_the_sampler(choice: rp.Scenario) -> None:
    scenario = load(text=with_correlations("correlations:\n  - [x, w, 0.6]\n"), name="c.yaml")
    assert [(c.a, c.b, c.rho) for c in scenario.correlations] == [("x", "w", 0.6)]
    settings = Settings.resolve(scenario, draws=8192, seed=1)
    sampler = settings_sampler(scenario, settings)
    assert sampler.correlation is not None and sampler.correlation[0, 1] == 0.6
    draws = sampler.draws(0, 8192)
    rho = stats.spearmanr(draws[:, 0], draws[:, 1]).statistic
    # Gaussian copula: Spearman's rho = (6 / pi) asin(0.6 / 2) = 0.5804
    assert rho == pytest.approx(6 / math.pi * math.asin(0.3), abs=0.03)
    # the mapping form says the same
    other = load(
        text=with_correlations("correlations:\n  - {between: [w, x], rho: 0.6}\n"), name="c.yaml"
    )
    assert np.array_equal(settings_sampler(other, settings).draws(0, 100), sampler.draws(0, 100))
    # and the uncorrelated scenario differs
    assert not np.array_equal(
        settings_sampler(choice, settings).draws(0, 100), sampler.draws(0, 100)
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "correlations:\n  - [x, y, 0.5]\n",
            r"c.yaml:\d+: correlations\[0\]: unknown parameter 'y'.*parameters: x, w, k",
        ),
        ("correlations:\n  - [x, w, 1.5]\n", r"c.yaml:\d+: .*number in \[-1, 1\], got float 1.5"),
        ("correlations:\n  - [x, x, 0.5]\n", r"correlated with itself"),
        ("correlations:\n  - [x, k, 0.5]\n", r"'k' is fixed, so it cannot be correlated"),
        ("correlations:\n  - [x, w]\n", r"a correlation is \[parameter, parameter, coefficient\]"),
        ("correlations:\n  - [x, w, 0.2]\n  - [w, x, 0.3]\n", r"already given in entry 0"),
        ("correlations: {x: w}\n", r"expected a list of \[parameter, parameter, coefficient\]"),
    ],
)
def test_bad_correlations_are_located(block: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(text=with_correlations(block), name="c.yaml")


def test_contradictory_correlations_are_rejected_with_the_reason() -> None:
    three = CHOICE.replace(
        "  k: {dist: fixed, value: 2, source: s}",
        "  k: {dist: fixed, value: 2, source: s}\n  z: {dist: uniform, low: 0, high: 1, source: s}",
    )
    # x ~ w and x ~ z strongly, but w and z strongly opposed: not PSD
    text = three + "correlations:\n  - [x, w, 0.9]\n  - [x, z, 0.9]\n  - [w, z, -0.9]\n"
    with pytest.raises(InputError) as caught:
        load(text=text, name="c.yaml")
    line = caught.value.lines()[0]
    assert line.startswith("c.yaml:")
    assert "not positive semi-definite (smallest eigenvalue" in line
    assert "contradict each other" in line


def test_path_and_action_probabilities_are_path_products(flagship: rp.Scenario) -> None:
    """Each path's probability is the product of the choice and chance
    probabilities along it (computed here draw by draw, root to leaf, the
    same products in the same order, so exactly equal); each action's
    probability is the sum over its nodes of reach x choice probability."""
    from realpolitik.games.tree import NodeKind
    from realpolitik.solve.dispatch import solve

    settings = Settings.resolve(flagship, draws=300, seed=6)
    state = runs.ForecastTask.of(flagship, settings).state()
    params = state.compiled.parameter_values(state.sampler.draws(0, 300))
    game = state.compiled.game(params, terms=False)
    solution = solve(game, settings.concept, settings.lam)
    action, path = action_and_path_probability(state.layout, solution)
    tree = game.tree
    chance = np.broadcast_to(game.edge_chance_probs(), (300, len(tree.chance_edge)))
    column = {int(e): k for k, e in enumerate(tree.chance_edge)}
    behaviour = solution.behaviour
    expected_path = np.empty_like(path)
    expected_action = np.zeros_like(action)
    for t in range(tree.n_terminals):
        reach = np.ones(300)
        for node, a in tree.path(int(tree.terminal_node[t])):
            edge = int(tree.child_offset[node]) + a
            if tree.node_kind[node] == NodeKind.CHANCE:
                p = chance[:, column[edge]]
            else:
                p = behaviour[:, tree.edge_action[edge]]
            reach = reach * p
        expected_path[:, t] = reach
    for node in np.flatnonzero(tree.node_kind == NodeKind.DECISION):
        node_reach = np.ones(300)
        for parent, a in tree.path(int(node)):
            edge = int(tree.child_offset[parent]) + a
            if tree.node_kind[parent] == NodeKind.CHANCE:
                node_reach = node_reach * chance[:, column[edge]]
            else:
                node_reach = node_reach * behaviour[:, tree.edge_action[edge]]
        for a in range(len(tree.children(int(node)))):
            edge = int(tree.child_offset[node]) + a
            col = state.layout.edge_column[edge]
            expected_action[:, col] += node_reach * behaviour[:, tree.edge_action[edge]]
    assert np.array_equal(path, expected_path)
    np.testing.assert_allclose(action, expected_action, rtol=0, atol=1e-15)
