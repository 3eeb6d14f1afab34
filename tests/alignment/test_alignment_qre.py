"""The logit QRE solver against closed forms and an independent fixed-point solver.

Peers: the multinomial logit's closed form (``gamma = 0``); SciPy's
``optimize.fixed_point`` / ``optimize.root`` on the same equations written
with a dense peer matrix built here from the regions (not the solver's
region sums); the symmetric equilibrium of identical players, a 4-variable
equation solved by ``scipy.optimize.root``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from realpolitik.alignment.game import AlignmentGame
from realpolitik.alignment.qre import solve_qre


def _softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _dense_peers(region: np.ndarray) -> np.ndarray:
    n = len(region)
    W = np.zeros((n, n))
    for i in range(n):
        others = [j for j in range(n) if j != i and region[j] == region[i]]
        for j in others:
            W[i, j] = 1.0 / len(others)
    return W


def _game(n: int = 40, seed: int = 0) -> tuple[AlignmentGame, np.random.Generator]:
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 5, n)
    region[:5] = np.arange(5)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    return AlignmentGame(X, region), rng


def test_no_interaction_is_the_multinomial_logit() -> None:
    game, rng = _game()
    base = rng.normal(size=(7, game.n_countries, 4))
    solution = solve_qre(game, base, np.zeros(7))
    assert np.allclose(solution.prob, _softmax(base), atol=1e-14)
    assert solution.converged.all() and (solution.iterations <= 1).all()


@pytest.mark.parametrize("gamma", [0.7, 1.5, -1.2, 1.99])
def test_matches_scipy_fixed_point_with_a_dense_peer_matrix(gamma: float) -> None:
    game, rng = _game(seed=3)
    base = rng.normal(scale=1.5, size=(1, game.n_countries, 4))
    W = _dense_peers(game.region)

    def fixed_map(p: np.ndarray) -> np.ndarray:
        return _softmax(base[0] + gamma * (W @ p))

    peer = optimize.fixed_point(
        fixed_map, _softmax(base[0]), xtol=1e-13, maxiter=20000, method="iteration"
    )
    ours = solve_qre(game, base, np.array([gamma]), tol=1e-13)
    assert ours.converged[0] and not ours.multiple[0]
    assert np.abs(ours.prob[0] - peer).max() < 1e-10


def test_identical_players_reach_the_symmetric_equilibrium() -> None:
    n, gamma = 12, 1.6
    game = AlignmentGame(np.ones((n, 1)), np.zeros(n, dtype=np.intp))
    b = np.array([0.4, -0.3, 0.0, -1.0])
    # identical players: every peer share equals p, so p = softmax(b + gamma p)
    root = optimize.root(lambda p: p - _softmax(b + gamma * p), np.full(4, 0.25), tol=1e-14)
    solution = solve_qre(game, np.broadcast_to(b, (1, n, 4)).copy(), np.array([gamma]))
    assert np.allclose(solution.prob[0], root.x[None, :], atol=1e-10)


def test_draws_are_solved_as_if_one_at_a_time() -> None:
    game, rng = _game(seed=5)
    base = rng.normal(size=(1500, game.n_countries, 4))
    gamma = rng.uniform(-1.9, 1.9, 1500)
    together = solve_qre(game, base, gamma, threads=2)
    for d in (0, 511, 512, 1499):
        alone = solve_qre(game, base[d : d + 1], gamma[d : d + 1], threads=1)
        # a draw may iterate past its tolerance while its chunk finishes
        assert np.abs(alone.prob - together.prob[d]).max() < 1e-9
    assert np.allclose(together.prob.sum(axis=2), 1.0)


def test_strong_conformity_reports_several_equilibria() -> None:
    n = 30
    game = AlignmentGame(np.ones((n, 1)), np.zeros(n, dtype=np.intp))
    base = np.zeros((2, n, 4))
    solution = solve_qre(game, base, np.array([6.0, 1.0]))
    # with gamma = 6 everyone choosing the same option is self-fulfilling; the
    # uniform profile is an equilibrium too
    assert solution.multiple[0] and not solution.multiple[1]
    assert np.allclose(solution.prob[1], 0.25)
    everyone_yes = np.zeros((n, 4))
    everyone_yes[:, 0] = 1.0
    q = _softmax(6.0 * everyone_yes)
    fixed = optimize.fixed_point(lambda p: _softmax(6.0 * p), q[0], xtol=1e-14)
    assert fixed[0] > 0.9  # a near-unanimous equilibrium exists, as the flag says


def test_non_convergence_is_reported() -> None:
    game, rng = _game(seed=7)
    base = rng.normal(size=(3, game.n_countries, 4))
    solution = solve_qre(game, base, np.array([1.9, 1.9, 0.0]), max_iter=3, tol=1e-14)
    assert list(solution.converged) == [False, False, True]
    assert solution.summary().startswith("1/3 draws converged")
