"""The belief iteration in lanes (:mod:`realpolitik.solve._belief_lanes`)
gives every draw the very bits of the one-draw path
(:func:`realpolitik.solve._belief_kernels.solve_draw`), which the tests of
:mod:`tests.solve.test_belief_iteration` check against pygambit, the path
follower and hand-solved games: profiles, residuals, statuses and pass
counts, whatever the draws' number, lambdas, chance probabilities, threads
and however many draws need the one-draw path's continuation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from belief_trees import bayesian_tree
from realpolitik.games.tree import TreeBuilder, TreeGame
from realpolitik.solve import _belief_kernels as kernels
from realpolitik.solve import _belief_lanes as lanes_module
from realpolitik.solve._belief_lanes import CLASS_SAMPLE, LANES, value_rows
from realpolitik.solve.belief_iteration import (
    BeliefIteration,
    BeliefPlan,
    belief_plan,
    iterate_beliefs,
)
from realpolitik.solve.logit_limit import trace_limit


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


def _row_arrays(plan: BeliefPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`value_rows` reads of a plan beside the payoffs."""
    return plan.terminal_node, plan.inner_row, plan.terminal_valued


def draws_with_repeats(seed: int, n_draws: int, classes: int = 3) -> TreeGame:
    """A random Bayesian tree whose terminals' payoffs repeat, as compiled
    scenarios' do: each terminal takes, for each player, one of ``classes``
    payoff columns drawn per draw (the lanes then share value rows)."""
    base = bayesian_tree(seed)
    rng = np.random.default_rng(seed + 3)
    n_terminals, n_players = base.payoffs.shape[1:]
    klass = rng.integers(0, classes, size=(n_terminals, n_players))
    columns = rng.normal(0.0, 1.0, size=(n_draws, classes, n_players))
    payoffs = columns[:, klass, np.arange(n_players)]
    return TreeGame(base.tree, payoffs)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_draws=st.integers(1, 2 * LANES + 5))
def test_shared_value_rows_give_the_one_draw_bits(seed: int, n_draws: int) -> None:
    """Terminals with the same payoff column share a value row in the
    lanes (at most three rows per player here, against one per terminal),
    and every draw still gets the one-draw path's bits."""
    game = draws_with_repeats(seed, n_draws)
    plan = belief_plan(game.tree)
    node_row, terminal_rep, n_rows = value_rows(game.total_payoffs, *_row_arrays(plan))
    terminal_rows = n_rows - int((plan.inner_row >= 0).sum())
    assert terminal_rows <= 3 * game.tree.n_players
    shared = node_row[plan.terminal_node]
    for t, r in zip(*np.nonzero(terminal_rep >= 0), strict=True):
        assert shared[t, r] == shared[terminal_rep[t, r], r]
        np.testing.assert_array_equal(
            game.total_payoffs[:, t, r], game.total_payoffs[:, terminal_rep[t, r], r]
        )
    lams = np.random.default_rng(seed).uniform(0.0, 4.0, n_draws)
    one = iterate_beliefs(game, lams, threads=1, one_draw_at_a_time=True)
    assert_same_bits(one, iterate_beliefs(game, lams, threads=2))


def test_a_draw_that_breaks_a_class_goes_to_the_one_draw_path() -> None:
    """Two terminals equal in every sampled draw but one other: the rows
    still put them together (the sample cannot see the difference), the
    draw that differs is solved by the one-draw path, and every draw,
    that one included, has the one-draw path's bits."""
    n_draws = 3 * LANES + 5
    game = draws_with_repeats(8, n_draws)
    plan = belief_plan(game.tree)
    _, terminal_rep, _ = value_rows(game.total_payoffs, *_row_arrays(plan))
    members = np.flatnonzero(
        (terminal_rep[:, 0] >= 0) & (terminal_rep[:, 0] != np.arange(len(terminal_rep)))
    )
    assert members.size
    member = int(members[0])
    sampled = set(np.linspace(0, n_draws - 1, CLASS_SAMPLE).astype(int).tolist())
    odd = next(d for d in range(n_draws) if d not in sampled)
    payoffs = game.total_payoffs.copy()
    payoffs[odd, member, 0] += 1.0
    broken = TreeGame(game.tree, payoffs)
    _, rep_after, _ = value_rows(broken.total_payoffs, *_row_arrays(plan))
    assert rep_after[member, 0] == terminal_rep[member, 0]
    lams = np.linspace(0.3, 3.0, n_draws)
    one = iterate_beliefs(broken, lams, threads=1, one_draw_at_a_time=True)
    lanes = iterate_beliefs(broken, lams, threads=2)
    assert_same_bits(one, lanes)
    clean = iterate_beliefs(game, lams, threads=1, one_draw_at_a_time=True)
    assert not np.array_equal(lanes.profile[odd], clean.profile[odd])


def test_a_player_who_never_moves_changes_nothing() -> None:
    """A bystander's payoffs cannot move anyone's logit response (an agent
    QRE weighs only the mover's own payoffs): the passes skip the values of
    a player who moves nowhere above a node, and replacing the bystander's
    payoffs by anything leaves every profile's bits unchanged, in the lanes
    and one draw at a time."""
    b = TreeBuilder(["A", "B", "C"])
    rng = np.random.default_rng(4)
    for node in b.decision(b.root, "A", ["x", "y", "z"]):
        for end in b.decision(node, "B", ["l", "r"], infoset="B"):
            b.terminal(end, [float(v) for v in rng.integers(-4, 5, size=3)])
    tree, payoffs = b.build()
    n_draws = LANES + 3
    draws = payoffs + rng.normal(0.0, 0.5, size=(n_draws, *payoffs.shape))
    other = draws.copy()
    other[:, :, 2] = rng.normal(0.0, 1e6, size=other.shape[:2])
    plan = belief_plan(tree)
    arrays = plan.arrays
    assert 2 not in set(arrays.value_players.tolist())
    assert set(arrays.value_players.tolist()) == {0, 1}
    lams = np.linspace(0.5, 4.0, n_draws)
    for one_draw in (True, False):
        first = iterate_beliefs(TreeGame(tree, draws), lams, one_draw_at_a_time=one_draw)
        second = iterate_beliefs(TreeGame(tree, other), lams, one_draw_at_a_time=one_draw)
        assert_same_bits(first, second)


@pytest.mark.parametrize("collide", [False, True])
def test_same_columns_are_numpys_classes(monkeypatch: pytest.MonkeyPatch, collide: bool) -> None:
    """The hashed classes of identical rows are NumPy's ``unique(axis=0)``
    classes (the same partition and first rows), also when every hash
    collides (multipliers of zero) and the rows must be sorted instead."""
    if collide:
        monkeypatch.setattr(lanes_module, "_HASH_MULTIPLIERS", np.zeros(CLASS_SAMPLE, np.uint64))
    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(40, CLASS_SAMPLE))
    distinct[3] = -0.0  # bits, not values: -0.0 and 0.0 are apart
    distinct[4] = 0.0
    rows = distinct[rng.integers(0, 40, size=500)].view(np.int64)
    first, klass = lanes_module._same_columns(rows)
    _, np_first, np_klass = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(rows, rows[first[klass]])
    np.testing.assert_array_equal(np.sort(first), np.sort(np_first))
    np.testing.assert_array_equal(first[klass], np_first[np_klass.reshape(-1)])


@pytest.mark.parametrize("count", [0, 1, 3, 5, 6, 11])
def test_row_dots_are_dot_products_summed_in_order(count: int) -> None:
    """Five dot products at a time give each the bits of its own sum from
    0.0 in the order of the elements (Python's float additions, one by
    one), for any number of rows, with rows beyond ``count`` left alone."""
    rng = np.random.default_rng(count)
    rows = rng.normal(size=(12, 37)) * np.exp(rng.normal(0.0, 8.0, size=(12, 37)))
    vector = rng.normal(size=37)
    out = np.full(12, np.nan)
    kernels._row_dots(rows, vector, count, out)
    for j in range(count):
        total = 0.0
        for a in range(37):
            total += float(rows[j, a]) * float(vector[a])
        assert out[j] == total
    assert np.isnan(out[count:]).all()


def _unknown_order_game(n_draws: int) -> TreeGame:
    """Chance decides who moves first; neither player learns the order, so
    player 1's set and player 2's set each lie above the other on one branch:
    a cycle the backward order must break."""
    b = TreeBuilder(["1", "2"])
    first, second = b.chance(b.root, ["one_first", "two_first"], [0.5, 0.5])
    rng = np.random.default_rng(0)
    for node in b.decision(first, "1", ["u", "d"], infoset="A"):
        for end in b.decision(node, "2", ["l", "r"], infoset="B"):
            b.terminal(end, [float(v) for v in rng.integers(-4, 5, 2)])
    for node in b.decision(second, "2", ["l", "r"], infoset="B"):
        for end in b.decision(node, "1", ["u", "d"], infoset="A"):
            b.terminal(end, [float(v) for v in rng.integers(-4, 5, 2)])
    tree, payoffs = b.build()
    return TreeGame(tree, payoffs + rng.normal(0.0, 1.0, size=(n_draws, *payoffs.shape)))


def test_a_draw_does_not_depend_on_the_draws_before_it_where_sets_form_a_cycle() -> None:
    """Where the backward order breaks a cycle, a pass reads some values
    before computing them; they start from 0 for every draw, so a draw's
    bits are the same solved alone or after others, in the lanes (more
    draws than lanes, so lanes are reused), one draw at a time and in the
    logit limit's trace; without a cycle nothing is reset."""
    n_draws = 2 * LANES + 3
    game = _unknown_order_game(n_draws)
    assert belief_plan(game.tree).arrays.stale_nodes.size > 0
    assert belief_plan(bayesian_tree(3).tree).arrays.stale_nodes.size == 0
    lams = np.linspace(0.5, 3.0, n_draws)
    lanes = iterate_beliefs(game, lams, threads=1)
    one = iterate_beliefs(game, lams, threads=1, one_draw_at_a_time=True)
    assert_same_bits(one, lanes)
    last = np.array([n_draws - 1])
    alone = iterate_beliefs(game.take(last), lams[last], threads=1)
    one_alone = iterate_beliefs(game.take(last), lams[last], threads=1, one_draw_at_a_time=True)
    np.testing.assert_array_equal(lanes.profile[-1], alone.profile[0])
    np.testing.assert_array_equal(one.profile[-1], one_alone.profile[0])
    traced = trace_limit(game.take(np.arange(8)), threads=1)
    traced_alone = trace_limit(game.take(np.array([7])), threads=1)
    np.testing.assert_array_equal(traced.profile[7], traced_alone.profile[0])
