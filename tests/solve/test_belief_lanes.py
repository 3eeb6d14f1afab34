"""The belief iteration in lanes (:mod:`realpolitik.solve._belief_lanes`)
gives every draw the very bits of the one-draw path
(:func:`realpolitik.solve._belief_kernels.solve_draw`), which the tests of
:mod:`tests.solve.test_belief_iteration` check against pygambit, the path
follower and hand-solved games: profiles, residuals, statuses and pass
counts, whatever the draws' number, lambdas, chance probabilities, threads
and however many draws need the one-draw path's continuation."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belief_trees import bayesian_tree
from realpolitik.games.tree import TreeGame
from realpolitik.solve import _belief_kernels as kernels
from realpolitik.solve._belief_lanes import LANES
from realpolitik.solve.belief_iteration import BeliefIteration, iterate_beliefs


def draws_of(seed: int, n_draws: int, per_draw_chance: bool) -> TreeGame:
    """``n_draws`` perturbed copies of a random Bayesian tree, with chance
    probabilities per draw when asked."""
    base = bayesian_tree(seed)
    rng = np.random.default_rng(seed + 7)
    payoffs = base.payoffs + rng.normal(0.0, 0.5, size=(n_draws, *base.payoffs.shape[1:]))
    chance = None
    if per_draw_chance:
        tree = base.tree
        chance = np.empty((n_draws, len(tree.chance_edge)))
        parents = tree.edge_parent[tree.chance_edge]
        for node in np.unique(parents):
            columns = np.flatnonzero(parents == node)
            chance[:, columns] = rng.dirichlet(np.ones(len(columns)) * 2.0, size=n_draws)
    return TreeGame(base.tree, payoffs, chance_probs=chance)


def assert_same_bits(one: BeliefIteration, lanes: BeliefIteration) -> None:
    np.testing.assert_array_equal(lanes.profile, one.profile)
    np.testing.assert_array_equal(lanes.residual, one.residual)
    np.testing.assert_array_equal(lanes.status, one.status)
    np.testing.assert_array_equal(lanes.passes, one.passes)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_draws=st.integers(1, 3 * LANES + 5),
    top=st.floats(0.0, 8.0),
    per_draw_chance=st.booleans(),
    threads=st.sampled_from([1, 2]),
)
def test_lanes_give_the_one_draw_bits(
    seed: int, n_draws: int, top: float, per_draw_chance: bool, threads: int
) -> None:
    game = draws_of(seed, n_draws, per_draw_chance)
    lams = np.random.default_rng(seed).uniform(0.0, top, n_draws)
    one = iterate_beliefs(game, lams, threads=1, one_draw_at_a_time=True)
    assert_same_bits(one, iterate_beliefs(game, lams, threads=threads))


def test_draws_handed_to_the_one_draw_path() -> None:
    """With few sweeps allowed, draws converge in the lanes, by continuation
    (the one-draw path, after the lanes give up), or not at all: each gets
    the one-draw path's bits, and all three statuses occur."""
    game = draws_of(5, 3 * LANES, per_draw_chance=False)
    lams = np.linspace(0.2, 6.0, 3 * LANES)
    found: set[int] = set()
    for sweeps in (2, 4, 8):
        one = iterate_beliefs(game, lams, max_sweeps=sweeps, one_draw_at_a_time=True)
        lanes = iterate_beliefs(game, lams, max_sweeps=sweeps)
        assert_same_bits(one, lanes)
        found |= set(lanes.status.tolist())
    assert found == {kernels.CONVERGED, kernels.CONTINUED, kernels.NOT_CONVERGED}


def test_an_overflowing_draw_leaves_the_other_lanes_alone() -> None:
    """A draw whose logits overflow (lambda 4 times payoffs of 1e308 is
    infinite, and the logit response NaN) fails in its lane and goes to the one-draw path
    (status 2); the lanes beside it are unaffected."""
    game = draws_of(11, LANES + 3, per_draw_chance=False)
    payoffs = game.payoffs.copy()
    payoffs[4, :, 0] = 1e308
    broken = TreeGame(game.tree, payoffs)
    lams = np.full(LANES + 3, 1.5)
    lams[4] = 4.0
    one = iterate_beliefs(broken, lams, one_draw_at_a_time=True)
    lanes = iterate_beliefs(broken, lams)
    assert_same_bits(one, lanes)
    assert lanes.status[4] == kernels.NOT_CONVERGED
    clean = iterate_beliefs(game, np.full(LANES + 3, 1.5))
    rest = np.arange(LANES + 3) != 4
    np.testing.assert_array_equal(lanes.profile[rest], clean.profile[rest])
