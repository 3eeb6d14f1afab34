"""The game-tree likelihood: probabilities by hand (the formulas of Signorino
2003 and of ``games``' own test of ``egame12``) and the reverse-pass gradient
against central finite differences, for every game, link and error structure."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from realpolitik.estimation.canonical import CANONICAL_GAMES, EGAME12, EGAME122, EGAME123
from realpolitik.estimation.links import get_link
from realpolitik.estimation.tree import log_prob_adjoints, tree_backward, tree_forward

SQRT2 = np.sqrt(2.0)


def test_egame12_agent_probit_by_hand() -> None:
    # games' test_egame12.r: p4 = pnorm(u24, sd = sqrt 2),
    # p2 = pnorm(p4 u14 + p3 u13 - u11, sd = sqrt 2)
    u11, u13, u14, u24 = 0.3, -0.2, 0.9, -0.4
    fwd = tree_forward(EGAME12.tree, get_link("probit"), "agent", [u11, u13, u14, u24], [1.0, 1.0])
    p4 = stats.norm.cdf(u24 / SQRT2)
    p2 = stats.norm.cdf((p4 * u14 + (1 - p4) * u13 - u11) / SQRT2)
    probs = fwd.terminal_probs(EGAME12.tree)
    np.testing.assert_allclose(probs, [1 - p2, p2 * (1 - p4), p2 * p4], rtol=1e-14)


def test_egame12_private_probit_by_hand() -> None:
    # Signorino (2003): player 1's expected-utility difference has variance
    # sigma^2 (1 + p3^2 + p4^2); player 2's, 2 sigma^2
    u11, u13, u14, u24, sigma = 0.3, -0.2, 0.9, -0.4, 1.7
    fwd = tree_forward(
        EGAME12.tree, get_link("probit"), "private", [u11, u13, u14, u24], [sigma, sigma]
    )
    p4 = stats.norm.cdf(u24 / (SQRT2 * sigma))
    p3 = 1 - p4
    p2 = stats.norm.cdf((p3 * u13 + p4 * u14 - u11) / (sigma * np.sqrt(1 + p3**2 + p4**2)))
    np.testing.assert_allclose(
        fwd.terminal_probs(EGAME12.tree), [1 - p2, p2 * p3, p2 * p4], rtol=1e-14
    )


def test_egame122_agent_logit_by_hand() -> None:
    # logit: plogis(x, scale = sqrt(2) lambda) at every node
    u = [0.4, -0.3, 0.2, 0.7, 0.5, -0.6]
    lam = 0.8
    fwd = tree_forward(EGAME122.tree, get_link("logit"), "agent", u, [lam, lam])
    scale = SQRT2 * lam
    p4 = stats.logistic.cdf(u[4] / scale)
    p6 = stats.logistic.cdf(u[5] / scale)
    diff = (1 - p6) * u[2] + p6 * u[3] - (1 - p4) * u[0] - p4 * u[1]
    p2 = stats.logistic.cdf(diff / scale)
    expected = [(1 - p2) * (1 - p4), (1 - p2) * p4, p2 * (1 - p6), p2 * p6]
    np.testing.assert_allclose(fwd.terminal_probs(EGAME122.tree), expected, rtol=1e-14)


def test_egame123_private_probit_by_hand() -> None:
    u = [0.1, -0.5, 0.4, 0.8, 0.3, -0.2, 0.6, -0.7]  # u11 u13 u15 u16 u23 u25 u26 u36
    s1, s2, s3 = 1.0, 0.7, 1.3
    fwd = tree_forward(EGAME123.tree, get_link("probit"), "private", u, [s1, s2, s3])
    p6 = stats.norm.cdf(u[7] / (SQRT2 * s3))
    p5 = 1 - p6
    p4 = stats.norm.cdf((p5 * u[5] + p6 * u[6] - u[4]) / (s2 * np.sqrt(1 + p5**2 + p6**2)))
    p3 = 1 - p4
    var1 = 1 + p3**2 + (p4 * p5) ** 2 + (p4 * p6) ** 2
    p2 = stats.norm.cdf((p3 * u[1] + p4 * (p5 * u[2] + p6 * u[3]) - u[0]) / (s1 * np.sqrt(var1)))
    expected = [1 - p2, p2 * p3, p2 * p4 * p5, p2 * p4 * p6]
    np.testing.assert_allclose(fwd.terminal_probs(EGAME123.tree), expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("name", "link", "errors"),
    list(itertools.product(CANONICAL_GAMES, ("probit", "logit"), ("agent", "private"))),
)
def test_gradient_matches_finite_differences(name: str, link: str, errors: str) -> None:
    game = CANONICAL_GAMES[name]
    rng = np.random.default_rng(7)
    n = 6
    lk = get_link(link)
    u = [rng.normal(size=n) for _ in game.tree.slots]
    v = [np.exp(0.3 * rng.normal(size=n)) for _ in range(game.n_players)]
    y = rng.integers(0, game.n_outcomes, n)
    weights = rng.integers(0, 3, n).astype(float)

    def loglik(u: list[np.ndarray], v: list[np.ndarray]) -> float:
        fwd = tree_forward(game.tree, lk, errors, u, v)
        return float(np.sum(weights * fwd.terminal_log_probs(game.tree)[y, np.arange(n)]))

    fwd = tree_forward(game.tree, lk, errors, u, v)
    d_log = [weights * (y == t) for t in range(game.n_outcomes)]
    d_u, d_v = tree_backward(game.tree, lk, errors, fwd, log_prob_adjoints(game.tree, fwd, d_log))
    h = 1e-6
    for block, grad in ((u, d_u), (v, d_v)):
        for s in range(len(block)):
            for i in range(n):
                up = [x.copy() for x in block]
                dn = [x.copy() for x in block]
                up[s][i] += h
                dn[s][i] -= h
                args_up = (up, v) if block is u else (u, up)
                args_dn = (dn, v) if block is u else (u, dn)
                numeric = (loglik(*args_up) - loglik(*args_dn)) / (2 * h)
                analytic = np.broadcast_to(grad[s], (n,))[i]
                assert abs(numeric - analytic) < 1e-6 * (1 + abs(numeric))


def test_each_player_moves_once() -> None:
    from realpolitik.estimation.tree import ChoiceNode, SequentialTree, Terminal

    with pytest.raises(ValueError, match="moves twice"):
        SequentialTree(
            n_players=1,
            n_terminals=3,
            nodes=(ChoiceNode(0, (Terminal(0), 1)), ChoiceNode(0, (Terminal(1), Terminal(2)))),
            slots=((0, 0),),
        )
