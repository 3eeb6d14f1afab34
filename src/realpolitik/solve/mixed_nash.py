"""All extreme Nash equilibria of two-player games, per draw (vertex enumeration).

Why this module: in a two-player stage (say, the West against the third state)
the full set of equilibria, mixed ones included, tells an analyst whether the
forecast hinges on an equilibrium-selection rule. Every parameter draw gives a
bimatrix game; this module enumerates all of them in one vectorised pass.

Method (von Stengel 2007, sec. 3.5; Avis, Rosenberg, Savani and von Stengel
2010). With payoffs made positive by a per-draw affine rescaling (which does
not change equilibria), the best-response polytopes are

    P = {x in R^m : x >= 0, B^T x <= 1},   Q = {y in R^n : A y <= 1, y >= 0}.

Label ``i < m`` is "``x_i = 0``" in ``P`` and "row ``i`` is a best response"
(``(A y)_i = 1``) in ``Q``; label ``m + j`` is "column ``j`` is a best response"
(``(B^T x)_j = 1``) in ``P`` and "``y_j = 0``" in ``Q``. A pair of non-zero
vertices ``(x, y)`` whose labels together cover all ``m + n`` labels
(*completely labelled*) is, after normalising ``x`` and ``y`` to sum to one, an
extreme Nash equilibrium, and every extreme equilibrium arises so; in
degenerate games, where equilibria form continua and vertices carry extra
labels, these are exactly the extreme points of the equilibrium components
(Avis et al. 2010), the set Gambit's ``enummixed_solve`` (lrsnash) returns.

Vertices are found by solving, for every support ``K`` of ``x`` and set ``J``
of tight columns with ``|K| = |J| = k``, the ``k x k`` system
``B[K, J]^T x_K = 1``, for all draws and all ``(K, J)`` of the same size in one
batched solve (likewise for ``Q``). Systems that are singular or badly
conditioned cannot give a vertex and are skipped; infeasible solutions are
dropped; repeats of a vertex (degenerate games) are merged by their label set.
Vertices of ``P`` and ``Q`` of the same draw are then paired by bit masks.
Cost: ``O(draws * C(m + n, m) * min(m, n)^3)`` plus the pairing, quadratic in
the number of vertices per draw; fine to about 10 x 10.

References
----------
von Stengel, B. (2007). Equilibrium computation for two-player games in
strategic and extensive form. In N. Nisan et al. (eds.), Algorithmic Game
Theory, ch. 3. Cambridge University Press.

Avis, D., Rosenberg, G. D., Savani, R. and von Stengel, B. (2010).
Enumeration of Nash equilibria for two-player games. Economic Theory 42, 9-37.

Gambit 16.7.0, ``enummixed_solve`` (the peer these results are tested against).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame, check_payoffs
from realpolitik.limits import require_bytes
from realpolitik.solve.homotopy import solve_batched
from realpolitik.solve.logit import logit_limit
from realpolitik.solve.profiles import StrategyProfile

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Tightness and feasibility tolerance on the rescaled polytopes (payoffs in
#: [1, 2], so vertex coordinates lie in [0, 1]).
LABEL_TOL = 1e-9
#: Reciprocal condition number below which a k x k system is treated as singular.
MIN_RCOND = 1e-11
#: Candidate systems (draws x label sets) solved per batch.
BATCH_SYSTEMS = 200_000


@dataclass(frozen=True, eq=False)
class ExtremeEquilibria:
    """All extreme Nash equilibria of a batch of two-player games, as flat arrays
    (``k`` equilibria in all, sorted by draw).

    Attributes
    ----------
    draw : ``(k,)`` which draw each equilibrium belongs to.
    row : ``(k, m)`` the row player's mixed strategy.
    col : ``(k, n)`` the column player's mixed strategy.
    payoffs : ``(k, 2)`` expected payoffs (row player, column player).
    n_draws : number of draws in the batch.
    """

    draw: IntArray
    row: FloatArray
    col: FloatArray
    payoffs: FloatArray
    n_draws: int

    def counts(self) -> IntArray:
        """``(n_draws,)`` number of extreme equilibria of each draw."""
        return np.bincount(self.draw, minlength=self.n_draws).astype(np.int64)


def _rescale(a: FloatArray) -> FloatArray:
    """Per-draw affine map of payoffs into [1, 2] (equilibria unchanged)."""
    flat = a.reshape(a.shape[0], -1)
    lo = flat.min(axis=1)[:, None, None]
    span = (flat.max(axis=1) - flat.min(axis=1))[:, None, None]
    out: FloatArray = 1.0 + (a - lo) / np.where(span > 0, span, 1.0)
    return out


def _label_sets(size: int, k: int) -> IntArray:
    return np.array(list(combinations(range(size), k)), dtype=np.int64).reshape(-1, k)


def _vertices(
    matrix: FloatArray, transpose: bool, m: int, n: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Non-zero vertices of ``{v >= 0, M v <= 1}`` for every draw.

    ``matrix`` is ``(B, r, c)``; the polytope lives in ``R^c`` when
    ``transpose`` is False (``Q``: ``A y <= 1``) and in ``R^r`` when True
    (``P``: ``B^T x <= 1``). Returns draw index, label bit mask (labels as in
    the module docstring) and coordinates of each distinct vertex.
    """
    mat = np.swapaxes(matrix, 1, 2) if transpose else matrix  # (B, constraints, dim)
    b, n_con, dim = mat.shape
    draws: list[IntArray] = []
    masks: list[IntArray] = []
    coords: list[FloatArray] = []
    # Label bit of "coordinate d is zero" and of "constraint c is tight".
    if transpose:  # P: coordinates are rows (labels 0..m-1), constraints columns (m..)
        zero_bit = np.left_shift(1, np.arange(m, dtype=np.int64))
        tight_bit = np.left_shift(1, m + np.arange(n, dtype=np.int64))
    else:  # Q: constraints are rows (labels 0..m-1), coordinates columns (m..)
        zero_bit = np.left_shift(1, m + np.arange(n, dtype=np.int64))
        tight_bit = np.left_shift(1, np.arange(m, dtype=np.int64))
    for k in range(1, min(n_con, dim) + 1):
        supports = _label_sets(dim, k)
        tights = _label_sets(n_con, k)
        pairs_s = np.repeat(np.arange(len(supports)), len(tights))
        pairs_t = np.tile(np.arange(len(tights)), len(supports))
        n_pairs = pairs_s.size
        per_batch = max(1, BATCH_SYSTEMS // max(1, n_pairs))
        for lo in range(0, b, per_batch):
            hi = min(lo + per_batch, b)
            require_bytes("vertex candidate systems", (hi - lo, n_pairs, k, k + dim + 1))
            sub = mat[lo:hi]
            rows_idx = tights[pairs_t]  # (n_pairs, k)
            cols_idx = supports[pairs_s]  # (n_pairs, k)
            system = sub[:, rows_idx[:, :, None], cols_idx[:, None, :]]  # (b', n_pairs, k, k)
            flat = system.reshape(-1, k, k)
            sol, singular = solve_batched(flat, np.ones((flat.shape[0], k, 1)))
            idx = np.flatnonzero(~singular)
            sol = sol[idx, :, 0]
            draw_local, pair = np.divmod(idx, n_pairs)
            v = np.zeros((idx.size, dim))
            np.put_along_axis(v, cols_idx[pair], sol, axis=1)
            slack = np.einsum("bcd,bd->bc", sub[draw_local], v)
            feasible = (v >= -LABEL_TOL).all(axis=1) & (slack <= 1.0 + LABEL_TOL).all(axis=1)
            # A nearly singular system does not define a vertex reliably: drop
            # it (checked on the few feasible candidates only; a vertex of a
            # degenerate polytope is also found from a well-conditioned set).
            cand = np.flatnonzero(feasible)
            if cand.size:
                sv = np.linalg.svd(flat[idx[cand]], compute_uv=False)
                feasible[cand] = sv[:, -1] > MIN_RCOND * sv[:, 0]
            v, slack, draw_local = v[feasible], slack[feasible], draw_local[feasible]
            v = np.clip(v, 0.0, None)
            mask = (np.where(v <= LABEL_TOL, zero_bit, 0).sum(axis=1)) + np.where(
                slack >= 1.0 - LABEL_TOL, tight_bit, 0
            ).sum(axis=1)
            draws.append(draw_local + lo)
            masks.append(mask.astype(np.int64))
            coords.append(v)
    if not draws:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, dim))
    d = np.concatenate(draws)
    mk = np.concatenate(masks)
    xs = np.concatenate(coords)
    # A vertex found from several label sets (degenerate games): keep one.
    _, first = np.unique(np.stack([d, mk], axis=1), axis=0, return_index=True)
    first = np.sort(first)
    order = np.lexsort((mk[first], d[first]))
    pick = first[order]
    return d[pick], mk[pick], xs[pick]


def extreme_equilibria(payoffs: NormalFormGame | ArrayLike) -> ExtremeEquilibria:
    """All extreme Nash equilibria of every draw of a two-player game.

    Parameters
    ----------
    payoffs : ``(B, 2, m, n)`` payoffs (row player, column player), or a
        two-player :class:`~realpolitik.games.normal_form.NormalFormGame`.

    Returns
    -------
    ExtremeEquilibria
        Flat arrays: draw index, row and column mixed strategies, payoffs.

    Raises
    ------
    InputError
        If the game does not have two players or a payoff is not finite.

    Notes
    -----
    In non-degenerate games these are all the Nash equilibria (finitely many,
    an odd number). In degenerate games the equilibria form convex components
    and the result lists their extreme points, deduplicated; every
    equilibrium is a convex combination of extreme equilibria that are
    pairwise "interchangeable" (Avis et al. 2010). Complexity
    ``O(B * C(m + n, m) * min(m, n)^3)``.

    Examples
    --------
    Battle of the Sexes (pygambit 16.7 ``enummixed_solve``: (T, L),
    ((3/5, 2/5), (2/5, 3/5)) and (B, R)):

    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, 2.0]]); b = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> eq = extreme_equilibria(np.stack([a, b])[None])
    >>> eq.counts().tolist()
    [3]
    >>> np.round(eq.row, 3).tolist()
    [[0.0, 1.0], [0.6, 0.4], [1.0, 0.0]]
    """
    table = payoffs.payoffs if isinstance(payoffs, NormalFormGame) else check_payoffs(payoffs)
    if table.shape[1] != 2:
        raise InputError(
            f"extreme_equilibria needs a two-player game, got {table.shape[1]} players; "
            "use logit_limit or pure_nash_mask for more players",
            field="payoffs",
        )
    b, _, m, n = table.shape
    if m + n > 62:
        raise InputError(
            f"a {m}x{n} game is too large for vertex enumeration here (m + n <= 62); "
            "export it to Gambit and use lrsnash",
            field="payoffs",
        )
    require_bytes(
        "vertex enumeration label sets",
        (comb(m + n, m), m + n),
        hint="the game has too many strategies for vertex enumeration",
    )
    a = _rescale(table[:, 0])
    bb = _rescale(table[:, 1])
    full = (1 << (m + n)) - 1
    pd, pm, px = _vertices(bb, True, m, n)  # P: B^T x <= 1, x in R^m
    qd, qm, qy = _vertices(a, False, m, n)  # Q: A y <= 1, y in R^n
    # Pair vertices of the same draw whose labels cover everything.
    counts_q = np.bincount(qd, minlength=b)
    start_q = np.concatenate([[0], np.cumsum(counts_q)])[:-1]
    nq = counts_q[pd]
    total = int(nq.sum())
    require_bytes("vertex pairs", (total, 3))
    pi = np.repeat(np.arange(pd.size), nq)
    within = np.arange(total) - np.repeat(np.cumsum(nq) - nq, nq)
    qi = start_q[pd[pi]] + within
    hit = (pm[pi] | qm[qi]) == full
    pi, qi = pi[hit], qi[hit]
    x = px[pi]
    y = qy[qi]
    x = x / x.sum(axis=1, keepdims=True)
    y = y / y.sum(axis=1, keepdims=True)
    draw = pd[pi]
    order = np.lexsort((*tuple(x[:, j] for j in range(m - 1, -1, -1)), draw))
    draw, x, y = draw[order], x[order], y[order]
    pay = np.stack(
        [
            np.einsum("ki,kij,kj->k", x, table[draw, 0], y),
            np.einsum("ki,kij,kj->k", x, table[draw, 1], y),
        ],
        axis=1,
    )
    return ExtremeEquilibria(draw.astype(np.int64), x, y, pay, b)


def mixed_nash_equilibria(game: NormalFormGame) -> list[StrategyProfile]:
    """The ``mixed-nash`` entry of :data:`realpolitik.concepts.CONCEPTS` for one
    game: every extreme equilibrium of a two-player game; for more players,
    the limit of the principal logit branch (one equilibrium, labelled so)."""
    if game.n_players == 2:
        eq = extreme_equilibria(game.payoffs)
        return [StrategyProfile((x, y)) for x, y in zip(eq.row, eq.col, strict=True)]
    limit = logit_limit(game.payoffs)
    return [
        StrategyProfile(
            tuple(p[0] for p in limit.probs),
            {"method": "logit-limit", "lambda_left": float(limit.lam[0])},
        )
    ]
