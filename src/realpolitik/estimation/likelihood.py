"""The log-likelihood of a strategic model over cases, with its gradient.

Why a module of its own: it binds a game tree, a link, an error structure and
the regressors of every utility and scale equation into the one object the
fitting machinery (:mod:`realpolitik.estimation.mle`, its ``CaseLikelihood``
protocol) needs: a function of
the coefficient vector returning per-case log-likelihoods, and the weighted
sum with its exact gradient. Weights make a bootstrap replicate a reweighting
of the cases (a resample is a vector of multinomial counts) instead of a copy
of the data.

The coefficient vector is laid out as ``games`` lays it out: the utility
equations in slot order (``u11``, ``u13``, ``u14``, ``u24`` for ``egame12``),
then the scale equations. A scale equation gives ``log v`` (``log sigma`` for
probit, ``log lambda`` for logit) as a linear function of its regressors; a
player without one has ``v = 1``. With ``sd_by_player`` each player has its
own equation, otherwise all share one (Kenkel and Signorino 2014, sec. 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from realpolitik.estimation.links import Link
from realpolitik.estimation.tree import (
    ErrorStructure,
    SequentialTree,
    TreeForward,
    tree_backward,
    tree_forward,
)

__all__ = ["GameLikelihood"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class GameLikelihood:
    """Log-likelihood of observed terminal nodes under a sequential game.

    Parameters
    ----------
    tree : the game; ``tree.slots`` are the utility equations.
    link : probit or logit.
    errors : ``agent`` or ``private``.
    utility_designs : one regressor matrix ``(n, k_s)`` per slot (``k_s = 0``
        fixes the utility at 0).
    scale_designs : one regressor matrix per scale equation; empty for unit
        scales.
    scale_group : for every player, the index of its scale equation.
    outcome : observed terminal of each case (0-based).
    """

    tree: SequentialTree
    link: Link
    errors: ErrorStructure
    utility_designs: tuple[FloatArray, ...]
    scale_designs: tuple[FloatArray, ...]
    scale_group: tuple[int, ...]
    outcome: IntArray
    _offsets: tuple[int, ...] = field(init=False, repr=False)
    _right: FloatArray = field(init=False, repr=False)
    _left: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sizes = [x.shape[1] for x in self.utility_designs] + [
            w.shape[1] for w in self.scale_designs
        ]
        self._offsets = tuple(int(v) for v in np.concatenate([[0], np.cumsum(sizes)]))
        # per node: 1 where the observed path takes the node's second
        # (right) or first (left) action, so that the log-likelihood is
        # sum_n right_n log P_n + left_n log(1 - P_n)
        n_nodes = len(self.tree.nodes)
        right = np.zeros((n_nodes, self.outcome.shape[0]))
        left = np.zeros_like(right)
        for t in range(self.tree.n_terminals):
            hit = self.outcome == t
            for node, side in self.tree.root_path(t):
                (right if side == 1 else left)[node, hit] = 1.0
        self._right, self._left = right, left

    @property
    def n_cases(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def n_params(self) -> int:
        return self._offsets[-1]

    def _block(self, theta: FloatArray, k: int) -> FloatArray:
        return theta[..., self._offsets[k] : self._offsets[k + 1]]

    def utilities(
        self, theta: FloatArray, designs: Sequence[FloatArray] | None = None
    ) -> list[FloatArray | float]:
        """Every slot's utility for every case (or for the rows of ``designs``).

        ``theta`` may be one coefficient vector or a ``(draws, k)`` matrix;
        then every utility is ``(rows, draws)``.
        """
        xs = self.utility_designs if designs is None else designs
        return [
            x @ np.moveaxis(self._block(theta, s), -1, 0) if x.shape[1] else 0.0
            for s, x in enumerate(xs)
        ]

    def scales(
        self, theta: FloatArray, designs: Sequence[FloatArray] | None = None
    ) -> list[FloatArray | float]:
        """Every player's error scale ``v_i`` for every case."""
        ws = self.scale_designs if designs is None else designs
        if not ws:
            return [1.0] * self.tree.n_players
        base = len(self.utility_designs)
        per_group = [
            np.exp(w @ np.moveaxis(self._block(theta, base + g), -1, 0)) for g, w in enumerate(ws)
        ]
        return [per_group[g] for g in self.scale_group]

    def forward(self, theta: FloatArray) -> TreeForward:
        """Node probabilities of every case at ``theta``."""
        return tree_forward(
            self.tree, self.link, self.errors, self.utilities(theta), self.scales(theta)
        )

    def loglik_cases(self, theta: FloatArray) -> FloatArray:
        """Log-likelihood of each case at ``theta``."""
        log_p = self.forward(theta).terminal_log_probs(self.tree)
        return np.asarray(log_p[self.outcome, np.arange(self.n_cases)], dtype=np.float64)

    def outcome_probabilities(self, theta: FloatArray) -> FloatArray:
        """``(n, n_terminals)`` probabilities of every outcome."""
        return self.forward(theta).terminal_probs(self.tree).T

    def value_and_gradient(
        self, theta: FloatArray, weights: FloatArray | None = None
    ) -> tuple[float, FloatArray]:
        """Weighted log-likelihood and its exact gradient (reverse pass of
        :func:`~realpolitik.estimation.tree.tree_backward`)."""
        fwd = self.forward(theta)
        value = 0.0
        d_p: list[FloatArray | float] = []
        for node, p in enumerate(fwd.p):
            right, left = self._right[node], self._left[node]
            if weights is not None:
                right, left = right * weights, left * weights
            q = 1.0 - p
            value += float(right @ np.log(p) + left @ np.log(q))
            d_p.append(right / p - left / q)
        d_u, d_v = tree_backward(self.tree, self.link, self.errors, fwd, d_p)
        grad = np.zeros(self.n_params)
        for s, x in enumerate(self.utility_designs):
            if x.shape[1]:
                grad[self._offsets[s] : self._offsets[s + 1]] = x.T @ np.broadcast_to(
                    d_u[s], (self.n_cases,)
                )
        if self.scale_designs:
            base = len(self.utility_designs)
            scales = fwd.scales
            for g, w in enumerate(self.scale_designs):
                d_eta: FloatArray | float = 0.0
                for player, group in enumerate(self.scale_group):
                    if group == g:
                        d_eta = d_eta + d_v[player] * scales[player]
                k = base + g
                grad[self._offsets[k] : self._offsets[k + 1]] = w.T @ np.broadcast_to(
                    d_eta, (self.n_cases,)
                )
        return value, grad

    def subset(self, rows: IntArray) -> GameLikelihood:
        """The likelihood of the cases ``rows`` only."""
        return GameLikelihood(
            tree=self.tree,
            link=self.link,
            errors=self.errors,
            utility_designs=tuple(x[rows] for x in self.utility_designs),
            scale_designs=tuple(w[rows] for w in self.scale_designs),
            scale_group=self.scale_group,
            outcome=self.outcome[rows],
        )
