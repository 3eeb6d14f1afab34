"""The many-actor alignment game: every UN member chooses yes, no, abstain or absent.

Why this module exists: it states the payoffs, once, for the solver, the
likelihood and the explanation. Member ``i``'s payoff for choice ``c`` is

.. math::

    u_{ic} = x_i^\\top \\beta_c + \\gamma \\, s_{ic}(p) + z_{ic}

- ``x_i``: its covariates (a constant and the standardised covariates of
  :mod:`realpolitik.alignment.data`), with choice-specific coefficients
  ``beta_c``; ``beta_abstain = 0`` (abstaining is the reference);
- ``s_ic(p) = sum_{j != i, region(j) = region(i)} p_jc / (n_region - 1)``: the
  expected share of the other members of its UN M49 region choosing ``c``,
  given everyone's choice probabilities ``p``; ``gamma > 0`` is bandwagoning
  (conformity with one's peer group: Brock and Durlauf 2001's discrete choice
  with social interactions; in IR, regional and bloc voting at the UNGA,
  Kim and Russett 1996);
- ``z_ic``: crisis terms that a scenario adds (severity of the violation,
  sanctions pressure), each a parameter times a loading per choice, optionally
  times a covariate (see :mod:`realpolitik.alignment.scenario`).

Each member plays a logit quantal response to the others' choice
probabilities: ``p_i = softmax(u_i(p))``; a logit QRE of the whole game
(McKelvey and Palfrey 1995) is a fixed point ``p = F(p)``, solved by
:mod:`realpolitik.alignment.qre`. The QRE precision ``lambda`` is not separately
identified from the scale of the payoffs, so it is set to 1 and the payoffs
are in units of the logit error (the usual normalisation of estimated QRE
models; Signorino 1999).

Arrays carry the draws first: ``beta[draw, covariate, choice]``,
``payoff[draw, country, choice]``.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for
normal form games. *Games and Economic Behavior* 10(1), 6-38.
Brock, W. A. and Durlauf, S. N. (2001). Discrete choice with social
interactions. *Review of Economic Studies* 68(2), 235-260.
Signorino, C. S. (1999). Strategic interaction and the statistical analysis of
international conflict. *APSR* 93(2), 279-297.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from realpolitik.alignment.choices import CHOICES, N_CHOICES, REFERENCE

__all__ = [
    "FREE_CHOICES",
    "AlignmentGame",
    "parameter_names",
    "unpack",
]

FloatArray = npt.NDArray[np.float64]

#: Choices with free coefficients (all but the reference), in :data:`CHOICES` order.
FREE_CHOICES: tuple[int, ...] = tuple(c for c, name in enumerate(CHOICES) if name != REFERENCE)


def parameter_names(columns: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the entries of the coefficient vector ``theta``: ``yes:const``,
    ``yes:affinity``, ..., then ``no:...``, ``absent:...``, and ``gamma``."""
    return (*(f"{CHOICES[c]}:{col}" for c in FREE_CHOICES for col in columns), "gamma")


def unpack(theta: FloatArray, n_columns: int) -> tuple[FloatArray, FloatArray]:
    """``beta[draw, covariate, choice]`` and ``gamma[draw]`` from ``theta[draw, parameter]``.

    Examples
    --------
    >>> beta, gamma = unpack(np.arange(10.0)[None, :], 3)
    >>> beta[0, :, 0], beta[0, :, 2], gamma
    (array([0., 1., 2.]), array([0., 0., 0.]), array([9.]))
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    draws = theta.shape[0]
    expected = n_columns * len(FREE_CHOICES) + 1
    if theta.shape[1] != expected:
        raise ValueError(f"theta has {theta.shape[1]} entries, expected {expected}")
    beta = np.zeros((draws, n_columns, N_CHOICES))
    free = theta[:, :-1].reshape(draws, len(FREE_CHOICES), n_columns)
    beta[:, :, list(FREE_CHOICES)] = free.transpose(0, 2, 1)
    return beta, theta[:, -1].copy()


@dataclass(frozen=True)
class AlignmentGame:
    """The players, their covariates and their peer groups.

    Parameters
    ----------
    X : ``X[country, covariate]``, first column the constant.
    region : ``region[country]``, the peer group index (0 .. n_regions-1).
    """

    X: FloatArray
    region: npt.NDArray[np.intp]

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.region.shape != (self.X.shape[0],):
            raise ValueError("X must be (countries, covariates) and region (countries,)")

    @property
    def n_countries(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_regions(self) -> int:
        return int(self.region.max()) + 1

    @property
    def region_onehot(self) -> FloatArray:
        """``G[region, country]``: 1 where the country is in the region."""
        onehot = np.zeros((self.n_regions, self.n_countries))
        onehot[self.region, np.arange(self.n_countries)] = 1.0
        return onehot

    @property
    def peers(self) -> FloatArray:
        """``1 / (n_region - 1)`` per country (0 for a country alone in its region)."""
        counts = np.bincount(self.region, minlength=self.n_regions)[self.region]
        return np.where(counts > 1, 1.0 / np.maximum(counts - 1, 1), 0.0)

    def peer_matrix(self) -> FloatArray:
        """``W[i, j]``: weight of ``j``'s choice in ``i``'s peer share (dense; for the
        likelihood's derivatives, which work on one parameter vector at a time)."""
        same = self.region[:, None] == self.region[None, :]
        np.fill_diagonal(same, False)
        return np.asarray(same * self.peers[:, None], dtype=np.float64)

    def base_payoffs(self, beta: FloatArray, crisis: FloatArray | None = None) -> FloatArray:
        """``x_i' beta_c (+ z_ic)`` for every draw: ``payoff[draw, country, choice]``."""
        base = np.matmul(self.X[None, :, :], beta)
        if crisis is not None:
            base = base + crisis
        return np.asarray(base)

    def peer_shares(self, prob: FloatArray) -> FloatArray:
        """``s[draw, country, choice]``: the others' expected share in the own region,
        from ``prob[draw, country, choice]`` (sums by region, then leave one out)."""
        sums = np.matmul(self.region_onehot[None, :, :], prob)
        return np.asarray((sums[:, self.region, :] - prob) * self.peers[None, :, None])
