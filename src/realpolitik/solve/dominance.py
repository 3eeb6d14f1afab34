"""Iterated elimination of strictly dominated pure strategies, for a batch of
normal-form games at once.

Why: a strategy strictly dominated by another pure strategy (against every
profile of the others' surviving strategies) is never played in a Nash
equilibrium, so removing such strategies, round after round, keeps every
equilibrium (Osborne and Rubinstein 1994, sec. 2.9; Fudenberg and Tirole 1991,
sec. 2.1). :func:`realpolitik.solve.logit.logit_limit` uses it to condition a
game whose logit branch its tracer cannot follow; analysts use it to read a
stage game. Vectorised over draws: every draw's survivors are found with array
operations over all pairs of a player's strategies, at most ``sum(n_i)``
rounds. Cost per round ``O(B * P * n_max^2 * prod(n))``.

Only domination by pure strategies is tested (not by mixtures, which needs a
linear programme per strategy); the survivors are therefore a superset of the
strategies that survive full iterated strict dominance.

References
----------
Fudenberg, D. and Tirole, J. (1991). Game Theory. MIT Press.

Osborne, M. J. and Rubinstein, A. (1994). A Course in Game Theory. MIT Press.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def surviving_strategies(payoffs: FloatArray) -> tuple[BoolArray, ...]:
    """Per player ``(B, n_i)``: whether the strategy survives iterated
    elimination of strategies strictly dominated by a pure strategy.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)``.

    Examples
    --------
    In the Prisoner's Dilemma cooperating is strictly dominated:

    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [4.0, 1.0]])
    >>> [s.tolist() for s in surviving_strategies(np.stack([a, a.T])[None])]
    [[[False, True]], [[False, True]]]
    """
    b, n_players = payoffs.shape[:2]
    dims = payoffs.shape[2:]
    n_max = max(dims)
    require_bytes(
        "strict-dominance comparisons", (b, n_max, n_max, int(np.prod(dims)) // min(dims))
    )
    alive = [np.ones((b, n), dtype=bool) for n in dims]
    # player i's payoffs with i's strategies on axis 1, the others' profiles
    # (in player order) flattened on axis 2
    tables = [
        np.moveaxis(payoffs[:, i], i + 1, 1).reshape(b, dims[i], -1) for i in range(n_players)
    ]
    for _ in range(sum(dims)):
        changed = False
        for i in range(n_players):
            others = np.ones((b, 1), dtype=bool)
            for k in range(n_players):
                if k != i:
                    others = (others[:, :, None] & alive[k][:, None, :]).reshape(b, -1)
            u = tables[i]
            # worst[b, t, s]: the least margin of t over s against surviving profiles
            margin = u[:, :, None, :] - u[:, None, :, :]
            worst = np.where(others[:, None, None, :], margin, np.inf).min(axis=3)
            dominated = ((worst > 0) & alive[i][:, :, None]).any(axis=1) & alive[i]
            if dominated.any():
                alive[i] = alive[i] & ~dominated
                changed = True
        if not changed:
            break
    return tuple(alive)


def push_down_dominated(payoffs: FloatArray, alive: tuple[BoolArray, ...]) -> FloatArray:
    """A copy of ``payoffs`` in which each player's eliminated strategies pay
    that player one payoff range below their least payoff, whatever the others
    do. The game keeps its Nash equilibria (the strategies stay strictly
    dominated, the survivors' payoffs are unchanged) and every eliminated
    strategy is now dominated by a uniform margin."""
    out = payoffs.copy()
    b, n_players = payoffs.shape[:2]
    for i in range(n_players):
        flat = payoffs[:, i].reshape(b, -1)
        spread = flat.max(axis=1) - flat.min(axis=1)
        low = flat.min(axis=1) - np.where(spread > 0, spread, 1.0)
        view = np.moveaxis(out[:, i], i + 1, 1)  # (B, n_i, ...) view into out
        dead = ~alive[i]
        shape = dead.shape + (1,) * (view.ndim - 2)
        low_b = low.reshape((b,) + (1,) * (view.ndim - 1))
        view[...] = np.where(dead.reshape(shape), low_b, view)
    return out
