"""Iterated strict dominance and the ill-conditioned stage games it rescues.

Checked against a plain per-game implementation written here from the
definition (Fudenberg and Tirole 1991, sec. 2.1) and against textbook games;
the logit limit's answers are checked by their regret, player by player.
"""

from __future__ import annotations

from itertools import product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.games.normal_form import regrets
from realpolitik.solve.dominance import push_down_dominated, surviving_strategies
from realpolitik.solve.logit import LimitStatus, logit_limit
from realpolitik.solve.pure_nash import pure_nash_mask


def survivors_one_game(u: np.ndarray) -> list[list[bool]]:
    """``u``: (P, n_1, ..., n_P). Remove, round after round, every strategy
    strictly worse than another surviving strategy against every surviving
    profile of the others."""
    dims = u.shape[1:]
    alive = [[True] * n for n in dims]
    changed = True
    while changed:
        changed = False
        for i, n in enumerate(dims):
            rest = [[s for s in range(m) if alive[k][s]] for k, m in enumerate(dims)]
            for s in range(n):
                if not alive[i][s]:
                    continue
                for t in rest[i]:
                    others = [rest[k] if k != i else [0] for k in range(len(dims))]
                    better = True
                    for prof in product(*others):
                        a = list(prof)
                        a[i] = t
                        c = list(prof)
                        c[i] = s
                        if not u[(i, *a)] > u[(i, *c)]:
                            better = False
                            break
                    if better and t != s:
                        alive[i][s] = False
                        changed = True
                        break
    return alive


@settings(max_examples=60, deadline=None)
@given(
    dims=st.sampled_from([(2, 2), (3, 3), (3, 2, 2), (4, 3), (2, 2, 2, 2)]),
    seed=st.integers(0, 2**31),
)
def test_survivors_equal_the_definition(dims: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    pay = rng.integers(0, 4, size=(12, len(dims), *dims)).astype(float)
    alive = surviving_strategies(pay)
    for d in range(pay.shape[0]):
        assert [a[d].tolist() for a in alive] == survivors_one_game(pay[d])


def test_textbook_games() -> None:
    # Prisoner's Dilemma: only defection survives
    a = np.array([[3.0, 0.0], [4.0, 1.0]])
    assert [s[0].tolist() for s in surviving_strategies(np.stack([a, a.T])[None])] == [
        [False, True],
        [False, True],
    ]
    # Three rounds: Column's R is dominated by M (2 < 4, 0 < 3); then Row's
    # D by U (0 < 1, 0 < 1 against L and M); then Column's L by M (3 < 4
    # against U): (U, M) remains
    row = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    col = np.array([[3.0, 4.0, 2.0], [1.0, 3.0, 0.0]])
    alive = surviving_strategies(np.stack([row, col])[None])
    assert [s[0].tolist() for s in alive] == [[True, False], [False, True, False]]
    # Matching Pennies: nothing is dominated
    mp = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert all(s.all() for s in surviving_strategies(np.stack([mp, -mp])[None]))


@settings(max_examples=40, deadline=None)
@given(dims=st.sampled_from([(2, 2), (3, 3), (2, 3, 2)]), seed=st.integers(0, 2**31))
def test_pushing_down_keeps_the_pure_equilibria(dims: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    pay = rng.integers(0, 4, size=(20, len(dims), *dims)).astype(float)
    pushed = push_down_dominated(pay, surviving_strategies(pay))
    assert np.array_equal(pure_nash_mask(pay), pure_nash_mask(pushed))
    # and nothing that survived was touched
    alive = surviving_strategies(pay)
    assert all(
        np.array_equal(a, b) for a, b in zip(alive, surviving_strategies(pushed), strict=True)
    )


def test_badly_scaled_stage_games_get_their_equilibrium() -> None:
    # Row: `up` strictly dominant, by 1e8 against `left` and by 1 against
    # `right`; Column best-responds to `up` with `right`. Unique equilibrium
    # (up, right), whatever Column's scale. The raw branch folds too sharply
    # for the tracer; the fallback game has the same equilibria.
    col = np.array([[0.0, 1.0], [1.0, 0.0]])
    games = [
        np.stack([np.array([[big, 1.0], [0.0, 0.0]]), col * scale])
        for big in (1e4, 1e6, 1e8)
        for scale in (1.0, 1e-6)
    ]
    out = logit_limit(np.stack(games))
    assert np.allclose(out.probs[0], [1.0, 0.0]) and np.allclose(out.probs[1], [0.0, 1.0])
    assert set(out.status.tolist()) <= {LimitStatus.NASH, LimitStatus.NASH_RESCALED}


@settings(max_examples=20, deadline=None)
@given(dims=st.sampled_from([(2, 2), (3, 3), (2, 2, 2)]), seed=st.integers(0, 2**31))
def test_every_reported_equilibrium_has_each_players_regret_on_their_own_scale(
    dims: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    pay = rng.uniform(0.0, 1.0, size=(30, len(dims), *dims))
    scale = 10.0 ** rng.uniform(-6, 6, size=(30, len(dims)))
    pay *= scale.reshape(scale.shape + (1,) * len(dims))
    tol = 1e-9
    out = logit_limit(pay, tol=tol)
    nash = np.isin(
        out.status,
        (LimitStatus.NASH, LimitStatus.NASH_AFTER_BIFURCATION, LimitStatus.NASH_RESCALED),
    )
    flat = pay.reshape(30, len(dims), -1)
    allowed = tol * (flat.max(axis=2) - flat.min(axis=2)) + 1e-12 * np.abs(flat).max(axis=2)
    assert (regrets(pay, out.probs)[nash] <= allowed[nash]).all()
    # generic games: every draw gets an exact equilibrium
    assert nash.mean() >= 0.95
