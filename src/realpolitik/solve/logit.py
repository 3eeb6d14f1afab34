"""Logit quantal response equilibrium (QRE) of normal-form games, and its limit.

Why this module: the QRE is realpolitik's probabilistic forecast of a
simultaneous-move stage ("each state picks each option with a probability
that rises with its payoff"), and the limit of the principal logit branch is
its rule for selecting one Nash equilibrium of a stage game.

Definition (McKelvey and Palfrey 1995), on Gambit's convention: at precision
``lam >= 0`` on the *raw payoff scale* (no normalisation), a profile ``p`` is a
logit QRE if for every player ``i`` and strategy ``s``

    p_i(s) = exp(lam * u_i(s, p_-i)) / sum_t exp(lam * u_i(t, p_-i)).

At ``lam = 0`` the unique QRE is the centroid; as ``lam`` grows the *principal
branch* starting there leads, in generic games, to a unique Nash equilibrium
(McKelvey and Palfrey 1995, Theorem 3). Per-draw precisions are obtained by
scaling: the QRE of payoffs ``u`` at ``lam`` is the QRE of ``lam * u`` at 1.

Method
------
The branch is followed with :mod:`realpolitik.solve.homotopy` in log-odds
coordinates against each player's first strategy, ``z_i(s) = log(p_i(s) /
p_i(1))`` for ``s >= 2`` (the log-probability coordinates of Turocy 2005 with
the normalisation eliminated, so ``m = sum(n_i - 1)`` unknowns), on the system

    H_i(z, lam) = z_i - lam * (u_i(s, p_-i) - u_i(1, p_-i))_{s >= 2} = 0,

with ``p_i = softmax(0, z_i)``: exactly Gambit's log-ratio equations with its
sum-to-one equations solved in closed form. The Jacobian is analytic:
``dH_i/dz_i = I`` and, for ``k != i``, entry ``(s, r)`` of ``dH_i/dz_k`` is
``-lam (D_ik[s, r] - D_ik[1, r] - g_i(s)) p_k(r)``, where ``D_ik = d u_i /
d p_k`` is player ``i``'s payoff table contracted with every player but ``i``
and ``k``, and ``g_i(s) = u_i(s) - u_i(1)``; ``dH_i/dlam = -g_i``. The arc
length of the branch differs from Gambit's (other coordinates), its points do
not. Cost per Newton iteration and draw: ``O(P^2 prod(n))`` for the
contractions plus one ``(m+1)``-square LU solve.

:func:`logit_qre` returns, for each requested lambda, the first point of the
principal branch where lambda reaches it (Gambit's ``logit_solve_lambda``).
:func:`logit_limit` follows the branch until the profile is an approximate
Nash equilibrium and polishes it to machine precision (see its docstring).

Bifurcations
------------
In games with symmetries or ties the principal branch can meet another branch
at a simple bifurcation point, beyond which "the" branch from ``lam = 0`` is
not unique. The tracer then goes straight through (it keeps to the branch
whose tangent it was following, the analytic continuation) and flags the
result (``REACHED_AFTER_BIFURCATION``; ``NASH_AFTER_BIFURCATION`` for the
limit). This rule makes no arbitrary choice and respects the game's
symmetries, as Harsanyi and Selten (1988) require of a selection rule.
Gambit 16.7 instead perturbs its first equation by 1e-7 where the orientation
flips, which either moves it onto one of the crossing branches or leaves it
stuck:

- Battle of the Sexes (``bos.nfg``, symmetric under swapping players and
  labels): bifurcation at ``lam = 0.808``; Gambit goes on to (Top, Left), we
  keep the symmetric branch to the mixed equilibrium ((3/5, 2/5), (2/5, 3/5)).
- ``deg1.nfg``: the centroid is a QRE for every ``lam``; at ``lam = 3`` Gambit
  leaves it, we stay.
- McKelvey and McLennan's 2x2x2 game: players 1 and 2 stay at (1/2, 1/2) and
  the branch meets a bifurcation at ``lam = 0.5968``, where Gambit stops (its
  ``logit_solve_lambda`` returns that point for every larger request and
  ``logit_solve`` returns it, with regret 0.21, as an "equilibrium"); we
  continue to the Nash equilibrium ((1/2, 1/2), (1/2, 1/2), (1, 0)).

Every point returned is a QRE (its fixed-point residual is reported).
``TraceOptions(bifurcation="stop")`` stops at the bifurcation instead.

References
----------
Harsanyi, J. C. and Selten, R. (1988). A General Theory of Equilibrium
Selection in Games. MIT Press.

McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for
normal form games. Games and Economic Behavior 10, 6-38.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.

Gambit 16.7.0, ``src/solvers/logit/nfglogit.cc`` (the peer these results are
tested against; GPL, not copied).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import GameClassError, InputError
from realpolitik.games.normal_form import (
    NormalFormGame,
    check_payoffs,
    cross_derivatives,
    payoff_range,
    strategy_values,
)
from realpolitik.limits import MAX_MAGNITUDE, require_bytes
from realpolitik.solve import _logit_kernels
from realpolitik.solve.dominance import push_down_dominated, surviving_strategies
from realpolitik.solve.homotopy import (
    BranchState,
    TraceOptions,
    TraceStatus,
    follow_to_lambdas,
    follow_until,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Profile = tuple[FloatArray, ...]

#: Draws solved together; bounds the working memory (Jacobians, contractions).
DEFAULT_CHUNK = 16_384

#: Which path follower runs: ``"auto"`` (the compiled one of
#: :mod:`realpolitik.solve._logit_kernels` for games it supports, else the
#: NumPy one), ``"compiled"`` or ``"numpy"``. Both follow the same branch with
#: the same steps; they differ in rounding only.
Method = Literal["auto", "compiled", "numpy"]


def _compiled(method: Method, dims: tuple[int, ...]) -> bool:
    if method not in ("auto", "compiled", "numpy"):
        raise InputError(
            f"method must be 'auto', 'compiled' or 'numpy', got {method!r}", field="method"
        )
    if method == "numpy":
        return False
    if method == "compiled" and not _logit_kernels.supports(dims):
        raise InputError(
            f"games of shape {dims} are too large for the compiled tracer "
            f"(at most {_logit_kernels.MAX_PLAYERS} players and "
            f"{_logit_kernels.MAX_STRATEGIES} strategies in all); use method='numpy'",
            field="method",
        )
    return _logit_kernels.supports(dims)


def probabilities_from_log_odds(z: FloatArray, dims: tuple[int, ...]) -> Profile:
    """Per player ``(b, n_i)`` probabilities from log-odds ``(b, m)`` against
    each player's first strategy (the tracers' coordinates)."""
    out = []
    lo = 0
    for n in dims:
        block = np.concatenate([np.zeros((z.shape[0], 1)), z[:, lo : lo + n - 1]], axis=1)
        e = np.exp(block - block.max(axis=1, keepdims=True))
        out.append(e / e.sum(axis=1, keepdims=True))
        lo += n - 1
    return tuple(out)


# ---------------------------------------------------------------------------
# The logit system H(z, lam) = 0 in log-odds coordinates
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Evaluation:
    """Quantities at one point, batch axis LAST (``(..., b)``)."""

    p: list[FloatArray]  # per player (n_i, b)
    d: list[list[FloatArray | None]]  # d[i][k]: (n_i, n_k, b) = d u_i / d p_k
    gaps: list[FloatArray]  # per player (n_i - 1, b): u_i(s) - u_i(first strategy)


class LogitSystem:
    """Residual and Jacobian of the logit QRE equations of a batch of games,
    for :mod:`realpolitik.solve.homotopy` (``pass_rows=True`` convention).

    Coordinates are log-odds against each player's first strategy,
    ``z_i(s) = log(p_i(s) / p_i(1))`` for ``s = 2..n_i``, so that the system
    has ``m = sum(n_i - 1)`` unknowns:
    ``H_i(z, lam) = z_i - lam * (u_i(s) - u_i(1))_{s >= 2}``. Internally the
    draws axis is kept last, so that the contractions over the small strategy
    axes run over long contiguous vectors.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` float64.
    """

    def __init__(self, payoffs: FloatArray) -> None:
        self.payoffs = payoffs
        self.dims = tuple(int(n) for n in payoffs.shape[2:])
        self.n_players = len(self.dims)
        self.offsets = np.concatenate([[0], np.cumsum([n - 1 for n in self.dims])]).astype(int)
        self.n = int(self.offsets[-1])
        self._tables = [
            np.ascontiguousarray(np.moveaxis(payoffs[:, i], 0, -1)) for i in range(self.n_players)
        ]
        self._rows_key: IntArray | None = None
        self._rows_tables: list[FloatArray] = self._tables
        self._cache_key: tuple[FloatArray, FloatArray, IntArray] | None = None
        self._cache: _Evaluation | None = None
        letters = "abcdefghijklmnopqrstuvwxy"[: self.n_players]
        # einsum specs: d u_i / d p_k contracts every player but i and k.
        self._specs: dict[tuple[int, int], tuple[str, list[int]]] = {}
        for i in range(self.n_players):
            for k in range(self.n_players):
                if k == i:
                    continue
                others = [m for m in range(self.n_players) if m not in (i, k)]
                terms = [letters + "z"] + [letters[m] + "z" for m in others]
                spec = ",".join(terms) + "->" + letters[i] + letters[k] + "z"
                self._specs[(i, k)] = (spec, others)

    # -- helpers ------------------------------------------------------------

    def start(self) -> FloatArray:
        """``(B, m)`` coordinates of the centroid (the QRE at lam = 0): zeros."""
        return np.zeros((self.payoffs.shape[0], self.n))

    def probabilities(self, z: FloatArray) -> Profile:
        """Per player ``(b, n_i)`` probabilities from log-odds ``(b, m)``."""
        return probabilities_from_log_odds(z, self.dims)

    def _probabilities_t(self, z: FloatArray) -> list[FloatArray]:
        """Per player ``(n_i, b)`` probabilities (draws last)."""
        zt = z.T
        out = []
        for i in range(self.n_players):
            block = np.empty((self.dims[i], z.shape[0]))
            block[0] = 0.0
            block[1:] = zt[self.offsets[i] : self.offsets[i + 1]]
            block -= block.max(axis=0)
            np.exp(block, out=block)
            block /= block.sum(axis=0)
            out.append(block)
        return out

    def _tables_of(self, rows: IntArray) -> list[FloatArray]:
        if rows.size == self.payoffs.shape[0]:
            return self._tables
        key = self._rows_key
        if key is None or key.shape != rows.shape or not np.array_equal(key, rows):
            self._rows_key = rows.copy()
            self._rows_tables = [np.take(t, rows, axis=-1) for t in self._tables]
        return self._rows_tables

    def _evaluate(self, z: FloatArray, lam: FloatArray, rows: IntArray) -> _Evaluation:
        """Probabilities, cross derivatives and payoff gaps at ``z`` (cached:
        the tracer asks for the residual and the Jacobian at the same point)."""
        key = self._cache_key
        if (
            key is not None
            and self._cache is not None
            and key[0].shape == z.shape
            and np.array_equal(key[0], z)
            and np.array_equal(key[1], lam)
            and np.array_equal(key[2], rows)
        ):
            return self._cache
        tables = self._tables_of(rows)
        with np.errstate(over="ignore", invalid="ignore"):
            p = self._probabilities_t(z)
        n_players = self.n_players
        d: list[list[FloatArray | None]] = [[None] * n_players for _ in range(n_players)]
        gaps: list[FloatArray] = []
        for i in range(n_players):
            if n_players == 1:
                u = tables[0]
            else:
                for k in range(n_players):
                    if k != i:
                        spec, others = self._specs[(i, k)]
                        d[i][k] = np.einsum(spec, tables[i], *(p[m] for m in others))
                k_any = 1 if i == 0 else 0
                dik = d[i][k_any]
                assert dik is not None
                u = np.einsum("stz,tz->sz", dik, p[k_any])
            gaps.append(u[1:] - u[0])
        result = _Evaluation(p, d, gaps)
        self._cache_key = (z.copy(), lam.copy(), rows.copy())
        self._cache = result
        return result

    # -- homotopy callbacks -------------------------------------------------

    def residual(self, z: FloatArray, lam: FloatArray, rows: IntArray) -> FloatArray:
        """``(b, m)``: ``z_i - lam * (u_i(s) - u_i(1))`` per player."""
        ev = self._evaluate(z, lam, rows)
        gaps = np.concatenate(ev.gaps, axis=0) if ev.gaps else np.zeros((0, z.shape[0]))
        out: FloatArray = z - (lam * gaps).T
        return out

    def jacobian(
        self, z: FloatArray, lam: FloatArray, rows: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """``dH/dz`` ``(b, m, m)`` and ``dH/dlam`` ``(b, m)``.

        ``dH/dz`` is returned as the leading block of a ``(b, m+1, m+1)``
        array, which the tracer then borders in place (no copy)."""
        ev = self._evaluate(z, lam, rows)
        b = z.shape[0]
        m = self.n
        off = self.offsets
        work = np.zeros((m + 1, m + 1, b))
        for i in range(self.n_players):
            if self.dims[i] == 1:
                continue
            g = ev.gaps[i]
            for k in range(self.n_players):
                dik = ev.d[i][k]
                if dik is None or self.dims[k] == 1:
                    continue
                # d/dz_k of lam * (D_ik[s] - D_ik[1]) . p_k, with
                # dp_k(t)/dz_k(r) = p_k(t) (delta_tr - p_k(r)):
                # lam * (D_ik[s, r] - D_ik[1, r] - g_i(s)) p_k(r)
                a = dik[1:, 1:] - dik[0, 1:]
                a -= g[:, None]
                a *= ev.p[k][1:]
                a *= -lam
                work[off[i] : off[i + 1], off[k] : off[k + 1]] = a
        diag = np.arange(m)
        work[diag, diag] = 1.0
        buffer = np.ascontiguousarray(work.transpose(2, 0, 1))
        jl = -np.concatenate(ev.gaps, axis=0).T if ev.gaps else np.zeros((b, 0))
        return buffer[:, :m, :m], np.ascontiguousarray(jl)

    def max_regret(self, z: FloatArray, rows: IntArray) -> FloatArray:
        """``(b,)`` max regret of the profile at ``z``."""
        tables = self._tables_of(rows)
        probs = self._probabilities_t(z)
        letters = "abcdefghijklmnopqrstuvwxy"[: self.n_players]
        worst = np.zeros(z.shape[0])
        for i in range(self.n_players):
            others = [m for m in range(self.n_players) if m != i]
            spec = ",".join([letters + "z"] + [letters[m] + "z" for m in others])
            u = np.einsum(spec + "->" + letters[i] + "z", tables[i], *(probs[m] for m in others))
            gap = u.max(axis=0) - np.einsum("sz,sz->z", u, probs[i])
            worst = np.maximum(worst, gap)
        return worst


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LogitQRE:
    """Logit QRE on the principal branch at each requested lambda.

    Shapes always carry the lambda axis, also for a single lambda: ``B`` draws,
    ``K`` requested lambdas.

    Attributes
    ----------
    probs : per player ``(B, K, n_i)`` strategy probabilities.
    lam : ``(B, K)`` the lambda actually reached: the requested one, or less
        where the branch ended first (then ``status`` says why).
    lam_requested : ``(K,)``.
    fixed_point_residual : ``(B, K)`` ``max |p - logit(lam * u(p))|``.
    max_regret : ``(B, K)`` largest gain from a unilateral deviation, in
        payoff units (pygambit's ``max_regret()``).
    status : ``(B, K)`` :class:`~realpolitik.solve.homotopy.TraceStatus` codes.
    steps : ``(B,)`` path-following steps taken.
    """

    probs: Profile
    lam: FloatArray
    lam_requested: FloatArray
    fixed_point_residual: FloatArray
    max_regret: FloatArray
    status: NDArray[np.int8]
    steps: IntArray

    def at(self, k: int = 0) -> Profile:
        """The profile at the ``k``-th requested lambda: per player ``(B, n_i)``."""
        return tuple(p[:, k] for p in self.probs)


class LimitStatus(IntEnum):
    """How :func:`logit_limit` obtained each draw's profile."""

    #: An exact Nash equilibrium (polished; regret within tolerance).
    NASH = 0
    #: As NASH, but the branch passed a simple bifurcation on the way (the
    #: game is degenerate; another rule could select another equilibrium).
    NASH_AFTER_BIFURCATION = 1
    #: Polishing failed: the traced profile, an approximate equilibrium whose
    #: ``max_regret`` is reported.
    APPROXIMATE = 2
    #: The branch ended (step size underflow, step limit) before the profile
    #: came near an equilibrium: the last point is returned.
    FAILED = 3
    #: The raw-scale branch could not be followed to an equilibrium (payoff
    #: scales many orders of magnitude apart make it turn too sharply for the
    #: tracer), so the limit was taken on a game with the same equilibria:
    #: strictly dominated strategies pushed down, each player's payoffs
    #: divided by their range. An exact Nash equilibrium of the game, selected
    #: by the branch of the better-conditioned game.
    NASH_RESCALED = 4


@dataclass(frozen=True, eq=False)
class NashProfile:
    """One Nash equilibrium per draw (the limit of the principal logit branch).

    Attributes
    ----------
    probs : per player ``(B, n_i)``.
    payoffs : ``(B, P)`` expected payoffs.
    max_regret : ``(B,)`` in payoff units.
    lam : ``(B,)`` lambda where the branch was left for polishing.
    status : ``(B,)`` :class:`LimitStatus` codes.
    bifurcations : ``(B,)`` simple bifurcations passed on the way.
    """

    probs: Profile
    payoffs: FloatArray
    max_regret: FloatArray
    lam: FloatArray
    status: NDArray[np.int8]
    bifurcations: IntArray


# ---------------------------------------------------------------------------
# QRE at given lambdas
# ---------------------------------------------------------------------------


def _payoff_table(game: NormalFormGame | ArrayLike) -> FloatArray:
    if isinstance(game, NormalFormGame):
        return game.payoffs
    return check_payoffs(game)


def _chunks(b: int, chunk: int | None, workers: int) -> list[slice]:
    if chunk is not None and int(chunk) < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk}", field="chunk_size")
    size = DEFAULT_CHUNK if chunk is None else int(chunk)
    if chunk is None and workers > 1:
        size = min(size, -(-b // workers))
    return [slice(lo, min(lo + size, b)) for lo in range(0, b, size)]


def _workers(workers: int | None) -> int:
    if workers is None:
        return max(1, min(os.cpu_count() or 1, 8))
    if int(workers) < 1:
        raise InputError(f"workers must be at least 1, got {workers}", field="workers")
    return int(workers)


def _run_chunks(fn: Callable[[slice], None], parts: list[slice], workers: int) -> None:
    """Run ``fn`` on every chunk, on a pool of threads when ``workers > 1``
    (NumPy releases the GIL in the array kernels and LAPACK calls)."""
    if workers == 1 or len(parts) == 1:
        for part in parts:
            fn(part)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(parts))) as pool:
        for future in [pool.submit(fn, part) for part in parts]:
            future.result()


def fixed_point_residual(payoffs: FloatArray, probs: Profile, lam: FloatArray) -> FloatArray:
    """``(B,)`` ``max_i,s |p_i(s) - logit_i(s; lam * u_i(p))|`` for per-draw ``lam``."""
    return _fixed_point_residual(strategy_values(payoffs, probs), probs, lam)


def _fixed_point_residual(values: Profile, probs: Profile, lam: FloatArray) -> FloatArray:
    worst = np.zeros(lam.shape[0])
    for v, q in zip(values, probs, strict=True):
        z = lam[:, None] * v
        e = np.exp(z - z.max(axis=1, keepdims=True))
        worst = np.maximum(worst, np.abs(q - e / e.sum(axis=1, keepdims=True)).max(axis=1))
    return worst


def logit_qre(
    payoffs: NormalFormGame | ArrayLike,
    lam: float | Sequence[float],
    *,
    options: TraceOptions | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    method: Method = "auto",
) -> LogitQRE:
    """Logit QRE on the principal branch at each requested lambda.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` payoffs, or a :class:`NormalFormGame`.
    lam : a precision or an ascending list of them, on the raw payoff scale
        (``p ∝ exp(lam * u)``, Gambit's convention).
    options : path-following settings (:class:`~realpolitik.solve.homotopy.TraceOptions`).
    chunk_size : draws solved together (bounds memory); default 16384, or
        fewer so that every worker gets a chunk.
    workers : threads solving chunks in parallel; default the number of CPUs
        (at most 8). Results do not depend on it.
    method : which path follower (:data:`Method`); results agree to rounding.

    Returns
    -------
    LogitQRE
        Probabilities shaped ``(B, K, n_i)`` per player (``K = 1`` for a scalar
        ``lam``), the lambda reached, residual, regret and status.

    Notes
    -----
    The first point of the branch where lambda reaches each target is
    returned, as Gambit's ``logit_solve_lambda`` does. Where the branch is
    monotone in lambda this is simply the QRE on the principal branch; where
    it bends back (Gambit's ``loopback.nfg``) it is the first crossing. A QRE
    at a per-draw precision ``lam_d`` is the QRE of ``lam_d * payoffs[d]`` at
    lambda = 1. Cost: ``O(steps * B * (P^2 prod(n) + m^3))``, ``m =
    sum(n_i - 1)``; about six steps reach lambda = 1 in 3x3x3 games with
    payoffs on [0, 10].

    Examples
    --------
    The Prisoner's Dilemma (Gambit's ``pd.nfg``): defecting earns 1 more
    whatever the other does, so at lambda = 1, P(C) = 1 / (1 + e) = 0.2689.

    >>> import numpy as np
    >>> a = np.array([[9.0, 0.0], [10.0, 1.0]])
    >>> q = logit_qre(np.stack([a, a.T])[None], 1.0)
    >>> round(float(q.probs[0][0, 0, 0]), 4)
    0.2689
    """
    table = _payoff_table(payoffs)
    targets = np.atleast_1d(np.asarray(lam, dtype=np.float64))
    if targets.ndim != 1 or targets.size == 0 or not np.isfinite(targets).all():
        raise InputError("lam must be a finite number or a list of finite numbers", field="lam")
    if targets.min() < 0 or np.any(np.diff(targets) < 0):
        raise InputError(
            f"lam must be non-negative and ascending, got {targets.tolist()}", field="lam"
        )
    require_logit_scale(table, float(targets.max()))
    b = table.shape[0]
    dims = table.shape[2:]
    n = int(sum(dims))
    k = targets.size
    require_bytes("logit QRE profiles", (b, k, n), hint="solve fewer draws at once")
    probs = [np.empty((b, k, m)) for m in dims]
    lam_out = np.empty((b, k))
    status = np.empty((b, k), dtype=np.int8)
    steps = np.empty(b, dtype=np.int64)
    n_workers = _workers(workers)
    compiled = _compiled(method, dims)

    def solve_part(part: slice) -> None:
        if compiled:
            pts = _logit_kernels.follow_logit_to_lambdas(
                table[part], targets, options=options, workers=n_workers
            )
        else:
            system = LogitSystem(table[part])
            pts = follow_to_lambdas(
                system.residual,
                system.jacobian,
                system.start(),
                targets,
                options=options,
                pass_rows=True,
            )
        for kk in range(k):
            for i, q in enumerate(probabilities_from_log_odds(pts.x[:, kk], dims)):
                probs[i][part, kk] = q
        lam_out[part] = pts.lam
        status[part] = pts.status
        steps[part] = pts.steps

    # The compiled tracer spreads each chunk over the cores itself.
    pool = 1 if compiled else n_workers
    _run_chunks(solve_part, _chunks(b, chunk_size, pool), pool)
    fpr = np.empty((b, k))
    regret = np.empty((b, k))
    for kk in range(k):
        prof = tuple(p[:, kk] for p in probs)
        values = strategy_values(table, prof)
        fpr[:, kk] = _fixed_point_residual(values, prof, lam_out[:, kk])
        regret[:, kk] = np.max(
            np.stack(
                [
                    v.max(axis=1) - np.einsum("bs,bs->b", v, q)
                    for v, q in zip(values, prof, strict=True)
                ],
                axis=1,
            ),
            axis=1,
        )
    return LogitQRE(tuple(probs), lam_out, targets, fpr, regret, status, steps)


def require_logit_scale(payoffs: FloatArray, lam: float) -> None:
    """Refuse a logit QRE whose ``lam * payoff`` exceeds :data:`MAX_MAGNITUDE`.

    Why: the logit response exponentiates ``lam`` times payoff differences;
    beyond this scale the branch cannot be followed in float64 (it stopped
    at lambda = 0 for a payoff of 9e307) and would come back as the centroid,
    a silent wrong answer. The QRE is not invariant to rescaling the payoffs
    (``QRE(lam, U / c) = QRE(lam * c, U)``), so the user must choose.

    Raises
    ------
    GameClassError
        Naming the largest payoff and the lambda.
    """
    if payoffs.size == 0 or lam == 0.0:
        return
    biggest = float(np.abs(payoffs).max())
    if lam * biggest > MAX_MAGNITUDE:
        raise GameClassError(
            f"payoffs: the logit QRE at lambda = {lam:g} with payoffs up to {biggest:.3g} "
            f"exponentiates numbers beyond {MAX_MAGNITUDE:.0e}, which float64 cannot "
            "follow; divide the payoffs by a large number (the QRE at lambda of payoffs "
            "U / c is the QRE at lambda / c of U) or use spe / pure-nash"
        )


# ---------------------------------------------------------------------------
# The limit: a Nash equilibrium selected by the principal branch
# ---------------------------------------------------------------------------

#: Relative regret levels (x payoff range) at which the trace pauses to try
#: polishing; draws that fail continue along the branch to the next level.
_STAGES = (1e-3, 1e-5, 1e-7, 1e-9, 1e-11)
#: Probability thresholds tried to read off the support at each pause.
_SUPPORT_THRESHOLDS = (1e-2, 1e-3, 1e-5, 1e-8)


def _regret_tolerance(table: FloatArray, tol: float) -> FloatArray:
    """``(B, P)`` accepted regret per player: ``tol`` times the player's own
    payoff range plus 64 ulp of the player's largest payoff (rounding), and
    never below :data:`_REGRET_FLOOR`. Per player, so that a player whose
    stakes are small next to another's is still required to best-respond on
    their own scale."""
    flat = table.reshape(table.shape[0], table.shape[1], -1)
    spread = flat.max(axis=2) - flat.min(axis=2)
    out: FloatArray = tol * spread + 64.0 * np.finfo(np.float64).eps * np.abs(flat).max(axis=2)
    return np.maximum(out, _REGRET_FLOOR)


#: Regrets below this are not resolved by float64 arithmetic: payoffs of
#: order 1e-300 times probabilities fall into subnormal numbers, which carry
#: fewer digits (found by the scenario fuzzer).
_REGRET_FLOOR = 1e-290


def polish_support(
    payoffs: FloatArray,
    probs: Profile,
    support: tuple[BoolArray, ...],
    *,
    iterations: int = 30,
) -> tuple[Profile, FloatArray]:
    """Solve the indifference conditions of a Nash equilibrium on a guessed
    support, by Newton's method from ``probs``.

    For every player ``i``: ``u_i(s, p_-i) = v_i`` for ``s`` in the support,
    ``p_i(s) = 0`` outside it, and ``sum_s p_i(s) = 1`` (unknowns ``p`` and the
    values ``v``). Steps use the pseudo-inverse, so where the equilibria form a
    continuum (degenerate games) the iteration converges to a nearby point of
    it. Vectorised over draws; the supports may differ per draw.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)``.
    probs : per player ``(B, n_i)`` starting profile.
    support : per player ``(B, n_i)`` bool.
    iterations : Newton iterations at most.

    Returns
    -------
    profile : per player ``(B, n_i)`` (not checked for non-negativity).
    residual : ``(B,)`` max-abs residual of the equations.
    """
    b = payoffs.shape[0]
    dims = tuple(int(m) for m in payoffs.shape[2:])
    n_players = len(dims)
    offsets = np.concatenate([[0], np.cumsum(dims)]).astype(int)
    n = int(offsets[-1])
    size = n + n_players
    require_bytes("support equations", (b, size, size))
    p = [np.where(s, q, 0.0) for q, s in zip(probs, support, strict=True)]
    p = [q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300) for q in p]
    values = strategy_values(payoffs, tuple(p))
    v = [np.einsum("bs,bs->b", u, q) for u, q in zip(values, p, strict=True)]
    sup = np.concatenate(support, axis=1)  # (B, n)
    residual = np.full(b, np.inf)
    live = np.arange(b)
    for _ in range(iterations):
        table = payoffs[live]
        pl = tuple(q[live] for q in p)
        vals = strategy_values(table, pl)
        bl = live.size
        eq = np.empty((bl, size))
        jac = np.zeros((bl, size, size))
        for i in range(n_players):
            lo, hi = offsets[i], offsets[i + 1]
            s_i = sup[live, lo:hi]
            eq[:, lo:hi] = np.where(s_i, vals[i] - v[i][live, None], pl[i])
            eq[:, n + i] = pl[i].sum(axis=1) - 1.0
            for k in range(n_players):
                if k == i:
                    continue
                dik = cross_derivatives(table, pl, i, k)
                jac[:, lo:hi, offsets[k] : offsets[k + 1]] = np.where(s_i[:, :, None], dik, 0.0)
            idx = np.arange(lo, hi)
            jac[:, idx, idx] = np.where(s_i, 0.0, 1.0)
            jac[:, lo:hi, n + i] = np.where(s_i, -1.0, 0.0)
            jac[:, n + i, lo:hi] = 1.0
        res = np.abs(eq).max(axis=1)
        residual[live] = res
        scale = 1.0 + np.abs(table.reshape(bl, -1)).max(axis=1)
        moving = res > 1e-15 * scale
        if not moving.any():
            break
        live = live[moving]
        jac = jac[moving]
        eq = eq[moving]
        with np.errstate(all="ignore"):
            step = -np.einsum("bij,bj->bi", np.linalg.pinv(jac, rcond=1e-11), eq)
        step = np.nan_to_num(step)
        for i in range(n_players):
            p[i][live] += step[:, offsets[i] : offsets[i + 1]]
            v[i][live] += step[:, n + i]
    # Final residual for the members still moving after the last iteration.
    if live.size:
        pl = tuple(q[live] for q in p)
        vals = strategy_values(payoffs[live], pl)
        worst = np.zeros(live.size)
        for i in range(n_players):
            s_i = sup[live, offsets[i] : offsets[i + 1]]
            e = np.where(s_i, vals[i] - v[i][live, None], pl[i])
            worst = np.maximum(worst, np.abs(e).max(axis=1))
            worst = np.maximum(worst, np.abs(pl[i].sum(axis=1) - 1.0))
        residual[live] = worst
    return tuple(p), residual


def logit_limit(
    payoffs: NormalFormGame | ArrayLike,
    *,
    tol: float = 1e-10,
    options: TraceOptions | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    method: Method = "numpy",
) -> NashProfile:
    """The Nash equilibrium at the end of the principal logit branch.

    This is realpolitik's rule for selecting one equilibrium of a stage game.

    Method: follow the principal branch from the centroid until the profile's
    regret falls below ``1e-3`` times the payoff range; read off the support
    (strategies with probability above a threshold); solve the indifference
    conditions on that support by Newton's method (:func:`polish_support`);
    accept if the result is a probability profile within ``tol`` x range of
    regret and close to the traced point. Draws that fail continue along the
    branch to regret ``1e-5``, ``1e-7``, ... and retry. Draws that never
    polish are solved again on a game with the same equilibria, strictly
    dominated strategies pushed down and each player's payoffs divided by
    their range (``NASH_RESCALED`` where that polishes); the rest return the traced
    profile (``APPROXIMATE``, or ``FAILED`` where the branch ended early).

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` payoffs or a :class:`NormalFormGame`.
    tol : accepted regret of each player relative to that player's payoff
        range in the draw (plus a rounding allowance of 64 ulp of the
        player's largest payoff).
    options : path-following settings.
    chunk_size : draws solved together (default 16384, or fewer so that every
        worker gets a chunk).
    workers : threads solving chunks in parallel (default: CPUs, at most 8).
    method : which path follower (:data:`Method`). The NumPy one by default:
        here most of the time goes to polishing, not tracing, and the compiled
        follower was no faster (1.57 against 1.31 s for 5000 3x3x3 games)
        while its first use compiles for about 10 s.

    Returns
    -------
    NashProfile

    Notes
    -----
    Why this rule: in generic games the principal branch is unique and leads to
    a unique equilibrium (McKelvey and Palfrey 1995), so the selection is well
    defined, depends continuously on payoffs away from bifurcations, and is the
    ``lam -> infinity`` end of the same QRE used for probabilistic forecasts.
    Alternatives and why not: *risk dominance* (Harsanyi and Selten 1988) is
    defined for 2x2 games and pure equilibria only; *payoff dominance* often
    does not exist (no profile best for all) and ties; the *first pure
    equilibrium* in some order depends on how strategies are listed and may
    not exist; the Harsanyi-Selten *tracing procedure* needs a prior and is
    costlier; Lemke-Howson's answer depends on the dropped label and covers
    two players only.

    Differences from Gambit's ``logit_solve`` (maxregret 1e-8 relative): the
    result is polished to an exact equilibrium instead of a point of the
    branch with small regret. Where the branch meets a simple bifurcation
    (module docstring) the tracer continues straight through and the draw is
    flagged ``NASH_AFTER_BIFURCATION``. On McKelvey and McLennan's 2x2x2 game
    (Gambit's ``2x2x2.nfg``) the branch keeps players 1 and 2 at (1/2, 1/2)
    and meets a bifurcation at lambda = 0.5968; we continue and return the
    Nash equilibrium ((1/2, 1/2), (1/2, 1/2), (1, 0)) (flagged), whereas
    Gambit's ``logit_solve`` stops at the bifurcation and returns that point,
    with player 3 at (0.574, 0.426) and regret 0.21, as its "equilibrium". In
    Battle of the Sexes we return the mixed equilibrium where Gambit returns
    (Top, Left). Where the centroid is itself an equilibrium (Gambit's
    ``deg1.nfg``) both stop at once and return it.

    Examples
    --------
    A coordination game (Gambit's ``coord3.nfg`` has the same structure):
    the branch selects the payoff-dominant equilibrium.

    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, 1.0]])
    >>> eq = logit_limit(np.stack([a, a])[None])
    >>> eq.probs[0][0].tolist(), LimitStatus(eq.status[0]).name
    ([1.0, 0.0], 'NASH')

    Battle of the Sexes (Gambit's ``bos.nfg``) is symmetric (swap the players
    and the strategy labels). Its principal branch keeps that symmetry until a
    symmetry-breaking bifurcation at lambda = 0.81; going straight through
    keeps it and selects the mixed equilibrium, flagged. (Gambit's
    perturbation breaks the symmetry and its ``logit_solve`` returns (Top,
    Left).)

    >>> a = np.array([[3.0, 0.0], [0.0, 2.0]]); b = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> eq = logit_limit(np.stack([a, b])[None])
    >>> np.round(eq.probs[0][0], 12).tolist(), np.round(eq.probs[1][0], 12).tolist()
    ([0.6, 0.4], [0.4, 0.6])
    >>> LimitStatus(eq.status[0]).name
    'NASH_AFTER_BIFURCATION'
    """
    table = _payoff_table(payoffs)
    if tol <= 0 or not np.isfinite(tol):
        raise InputError(f"tol must be a positive number, got {tol}", field="tol")
    b = table.shape[0]
    dims = table.shape[2:]
    require_bytes("Nash profiles", (b, int(sum(dims)) + len(dims) + 4))
    exponent = _huge_exponent(table)
    if exponent.any():
        # payoffs near the float limit: solve a copy with each player's payoffs
        # divided by a power of two (exact; the same Nash equilibria)
        raw = table
        table = np.ldexp(table, -exponent.reshape(exponent.shape + (1,) * (table.ndim - 2)))
    probs = [np.empty((b, m)) for m in dims]
    lam = np.empty(b)
    status = np.empty(b, dtype=np.int8)
    bifurcations = np.empty(b, dtype=np.int64)
    n_workers = _workers(workers)
    compiled = _compiled(method, dims)

    def solve_part(part: slice) -> None:
        out = _limit_chunk(table[part], tol, options, n_workers if compiled else None)
        for i in range(len(dims)):
            probs[i][part] = out[0][i]
        lam[part], status[part], bifurcations[part] = out[1], out[2], out[3]

    pool = 1 if compiled else n_workers
    _run_chunks(solve_part, _chunks(b, chunk_size, pool), pool)
    _retry_rescaled(table, tol, options, n_workers if compiled else None, probs, status)
    prof = tuple(probs)
    if exponent.any():
        table = raw
        lam = np.ldexp(lam, -exponent.max(axis=1))
    values = strategy_values(table, prof)
    pay = np.stack([np.einsum("bs,bs->b", v, q) for v, q in zip(values, prof, strict=True)], axis=1)
    regret = np.max(np.stack([v.max(axis=1) for v in values], axis=1) - pay, axis=1)
    return NashProfile(prof, pay, regret, lam, status, bifurcations)


#: Payoffs above ``2**HUGE_BITS`` in magnitude are solved on a rescaled copy.
HUGE_BITS = 128


def _huge_exponent(table: FloatArray) -> IntArray:
    """``(B, P)``: where a draw has a payoff beyond ``2**HUGE_BITS`` in
    magnitude, the binary exponent of each player's largest payoff (else 0).

    Why: the logit branch multiplies payoffs by lambda and takes their
    differences, which overflow near 1.8e308 (a stage game with a payoff of
    9e307 came back as a 50/50 mix over a dominant action). One common factor
    would keep the branch but push a player with small stakes into subnormal
    numbers (their dominant action lost), so each player is scaled on their
    own: the Nash equilibria are unchanged, the selection is that of the
    rescaled game (:class:`LimitStatus` notes the same for ``NASH_RESCALED``).
    """
    flat = np.abs(table.reshape(table.shape[0], table.shape[1], -1))
    biggest = flat.max(axis=2)
    _, exponent = np.frexp(biggest)
    huge = (biggest > 2.0**HUGE_BITS).any(axis=1, keepdims=True)
    out: IntArray = np.where(huge & (biggest > 0), exponent, 0).astype(np.int64)
    return out


def _retry_rescaled(
    table: FloatArray,
    tol: float,
    options: TraceOptions | None,
    compiled_workers: int | None,
    probs: list[FloatArray],
    status: NDArray[np.int8],
) -> None:
    """Solve the draws that did not polish again on a better-conditioned game
    with the same Nash equilibria: iteratively strictly dominated strategies
    pushed one payoff range below the rest (:mod:`realpolitik.solve.dominance`),
    then each player's payoffs divided by their range. Keep the exact
    equilibria found (``probs`` and ``status`` updated in place).

    Why: the logit branch is followed in log-odds, where a player whose
    payoffs are ``1e8`` times another's moves ``1e8`` times faster, and where
    a strategy is dominated by ``1e6`` against one reply and by ``1`` against
    another its log-odds fold back sharply as the other player's choice
    settles: the branch turns through a radius of curvature below the
    tracer's smallest step and ends. Neither change alters the equilibria,
    so the new game's limit is an equilibrium of the game itself."""
    redo = np.flatnonzero(status >= LimitStatus.APPROXIMATE)
    if redo.size == 0:
        return
    sub = push_down_dominated(table[redo], surviving_strategies(table[redo]))
    flat = sub.reshape(sub.shape[0], sub.shape[1], -1)
    spread = flat.max(axis=2) - flat.min(axis=2)
    scale = np.where(spread > 0, spread, 1.0)
    scaled = sub / scale.reshape(scale.shape + (1,) * (sub.ndim - 2))
    out = _limit_chunk(scaled, tol, options, compiled_workers)
    won = np.isin(out[2], (LimitStatus.NASH, LimitStatus.NASH_AFTER_BIFURCATION))
    for i, q in enumerate(out[0]):
        probs[i][redo[won]] = q[won]
    status[redo[won]] = LimitStatus.NASH_RESCALED


def _limit_chunk(
    table: FloatArray, tol: float, options: TraceOptions | None, compiled_workers: int | None
) -> tuple[Profile, FloatArray, NDArray[np.int8], IntArray]:
    """One chunk of :func:`logit_limit`; ``compiled_workers`` set means the
    compiled tracer on that many threads, ``None`` the NumPy one."""
    system = LogitSystem(table)
    b = table.shape[0]
    scale = payoff_range(table)
    accept = _regret_tolerance(table, tol)
    opts = options or TraceOptions()
    # The limit needs long steps (log-probabilities of unused strategies fall
    # linearly in lambda); nothing else changes.
    opts = replace(opts, max_steps=max(opts.max_steps, 20_000))
    done = np.zeros(b, dtype=bool)
    result = [np.zeros((b, m)) for m in system.dims]
    status = np.full(b, LimitStatus.FAILED, dtype=np.int8)
    state: BranchState | FloatArray = system.start()
    last: BranchState | None = None
    moving = np.ones(b, dtype=bool)  # not yet polished, branch still going
    for level in _STAGES:
        target = np.maximum(level * scale, accept.min(axis=1))

        def stop(
            x: FloatArray, lam: FloatArray, rows: IntArray, target: FloatArray = target
        ) -> BoolArray:
            return np.asarray(system.max_regret(x, rows) <= target[rows])

        if compiled_workers is not None:
            last = _logit_kernels.follow_logit_until_regret(
                table,
                last,
                target,
                members=moving,
                options=opts,
                workers=compiled_workers,
            )
        else:
            last = follow_until(
                system.residual,
                system.jacobian,
                state,
                stop,
                members=moving,
                options=opts,
                pass_rows=True,
            )
        state = last
        reached = moving & np.isin(
            last.status, (TraceStatus.REACHED, TraceStatus.REACHED_AFTER_BIFURCATION)
        )
        rows = np.flatnonzero(reached)
        if rows.size:
            traced = system.probabilities(last.x[rows])
            sub = table[rows]
            ok_rows = np.zeros(rows.size, dtype=bool)
            for threshold in _SUPPORT_THRESHOLDS:
                todo = np.flatnonzero(~ok_rows)
                if todo.size == 0:
                    break
                start = tuple(q[todo] for q in traced)
                support = tuple(q >= threshold * q.max(axis=1, keepdims=True) for q in start)
                cand, _ = polish_support(sub[todo], start, support)
                good = _acceptable(sub[todo], cand, start, accept[rows[todo]], level)
                for i, q in enumerate(cand):
                    clean = np.clip(q[good], 0.0, None)
                    result[i][rows[todo[good]]] = clean / clean.sum(axis=1, keepdims=True)
                ok_rows[todo[good]] = True
            won = rows[ok_rows]
            done[won] = True
            status[won] = np.where(
                last.bifurcations[won] > 0, LimitStatus.NASH_AFTER_BIFURCATION, LimitStatus.NASH
            )
        moving = reached & ~done
        if not moving.any():
            break
    assert last is not None
    rest = np.flatnonzero(~done)
    if rest.size:
        traced = system.probabilities(last.x[rest])
        for i, q in enumerate(traced):
            result[i][rest] = q
        fine = np.isin(
            last.status[rest], (TraceStatus.REACHED, TraceStatus.REACHED_AFTER_BIFURCATION)
        )
        status[rest] = np.where(fine, LimitStatus.APPROXIMATE, LimitStatus.FAILED)
    return tuple(result), last.lam.copy(), status, last.bifurcations.copy()


def _acceptable(
    table: FloatArray, cand: Profile, traced: Profile, accept: FloatArray, level: float
) -> BoolArray:
    """Candidates that are probability profiles, have regret within
    ``accept`` and lie near the traced point."""
    ok = np.ones(table.shape[0], dtype=bool)
    dist = np.zeros(table.shape[0])
    for q, t in zip(cand, traced, strict=True):
        ok &= np.isfinite(q).all(axis=1) & (q >= -1e-12).all(axis=1)
        dist = np.maximum(dist, np.abs(q - t).max(axis=1))
    clean = tuple(np.clip(np.nan_to_num(q), 0.0, None) for q in cand)
    clean = tuple(q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300) for q in clean)
    values = strategy_values(table, clean)
    regret = np.stack(
        [v.max(axis=1) - np.einsum("bs,bs->b", v, q) for v, q in zip(values, clean, strict=True)],
        axis=1,
    )
    ok &= (regret <= accept).all(axis=1)
    ok &= dist <= 10.0 * np.sqrt(level)
    return ok
