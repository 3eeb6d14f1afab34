"""Vectorised path following (homotopy continuation) for many systems at once.

Why this module: the logit quantal response equilibrium of a game is a curve
``H(x, lam) = 0`` that starts at a known point for ``lam = 0`` (everyone mixes
uniformly) and bends, sometimes back on itself, as the precision ``lam``
grows. Following it is the only reliable way to stay on the *principal*
branch (Turocy 2005). Every parameter draw of a scenario gives a different
curve, so this engine follows a batch of ``B`` independent curves at once:
the normal-form QRE (:mod:`realpolitik.solve.logit`) and the agent QRE of
trees both supply their own residual and Jacobian and reuse it.

Algorithm
---------
Predictor-corrector pseudo-arc-length continuation (Allgower and Georg 1990,
ch. 2 and 6; Keller 1977), the method of Gambit's ``PathTracer``
(``src/solvers/logit/path.cc``, after Turocy 2005), vectorised over the batch:

1. *Tangent.* At a point on the curve the unit tangent ``t`` spans the null
   space of ``[dH/dx, dH/dlam]`` (n x (n+1)). It is obtained by solving the
   bordered system ``[[dH/dx, dH/dlam], [t_prev^T]] z = e_{n+1}``; the border
   ``t_prev^T z = 1 > 0`` keeps the orientation consistent along the branch, so
   the tracer passes turning points (where ``lam`` decreases) without noticing
   them. At the start the border is ``e_lam`` (``lam`` increasing).
2. *Predictor.* A second-order step of arc length ``h``:
   ``(x, lam) + h t + h^2/2 c``, where ``c`` is the change of the tangent per
   unit arc length over the previous step (zero on the first step).
3. *Corrector.* Newton's method on the bordered system
   ``H(x, lam) = 0, t^T((x, lam) - predicted) = 0`` (corrections orthogonal to
   the tangent). One LAPACK call per iteration solves for the Newton
   correction and the new tangent together (two right-hand sides). It stops
   when the estimated remaining error (``d_k^2 / d_(k-1)``, Newton's
   quadratic contraction) is below ``corrector_tol``: intermediate points only
   guide the next step, and the points returned are polished separately.
4. *Step control.* A step is rejected (``h`` halved) if the first correction
   exceeds ``max_distance``, the corrector contracts worse than
   ``max_contraction``, it does not converge in ``max_corrector_iterations``,
   the tangent turns by more than ``arccos(min_tangent_cos)``, or values are
   not finite. Accepted steps are rescaled by the deceleration factor of
   Allgower and Georg (sec. 6.1): ``h /= clip(max(sqrt(d1/nominal_distance),
   sqrt(kappa/nominal_contraction)), 1/max_growth, max_growth)``. Each batch
   member has its own ``h``; members that finish are masked out and no longer
   evaluated.
5. *Bifurcations.* The sign of ``det [[dH/dx, dH/dlam], [t^T]]`` is an
   invariant of an oriented branch except at simple bifurcation points, where
   it changes (Allgower and Georg, sec. 8.1); the tracer computes it at every
   accepted point. A change over a long step may also mean the corrector
   jumped to another branch, so the step is shortened until the change
   persists over a step no longer than ``bifurcation_step``: then a
   bifurcation lies within that step. With ``bifurcation="continue"`` the
   tracer steps straight over it, staying on the branch whose tangent it was
   following, and counts it; with ``"stop"`` it ends there with
   ``STOPPED_AT_BIFURCATION`` and the last point before the bifurcation (what
   Gambit 16.7 effectively does on McKelvey and McLennan's 2x2x2 game; Gambit
   perturbs its first equation by 1e-7 to try to cross, see ``path.cc``).
6. *Targets.* :func:`follow_to_lambdas` records, for each requested
   ``lam_k`` (ascending), the *first* point of the branch where ``lam`` reaches
   ``lam_k``, as Gambit's ``logit_solve_lambda`` returns the first point
   reached at each lambda: the crossing within the step that passes ``lam_k``
   is located on the cubic Hermite interpolant of the step and polished by
   Newton's method at fixed ``lam = lam_k``; if Newton does not converge close
   to the interpolated point, the step is undone and retaken shorter. Like any
   tracer (Gambit's included) it resolves the branch only to its step length:
   where ``lam`` rises past ``lam_k`` by a tiny amount and turns back (a
   turning point just above the target), the excursion can be stepped over
   and a later crossing reported. A member whose branch ends first keeps its
   last point and says so in ``status`` (Gambit silently returns that point
   with its own ``lam``). :func:`follow_until` instead runs until a caller's
   stopping criterion holds (used for the limit ``lam -> infinity``), and can
   be resumed from its result.

Cost per step and member: one ``(n+1) x (n+1)`` LU solve per corrector
iteration (typically two), one determinant if bifurcations are watched, plus
the caller's residual and Jacobian; the logit QRE of a 3x3x3 game reaches
``lam = 1`` in about six steps. Batches are solved with NumPy's stacked
LAPACK calls; no Python loop runs over batch members.

Callbacks
---------
``residual(x, lam) -> (b, n)`` and ``jacobian(x, lam) -> ((b, n, n), (b, n))``
receive ``x`` of shape ``(b, n)`` and ``lam`` of shape ``(b,)``. A jacobian
may return ``dH/dx`` as the leading ``(n, n)`` block of a fresh C-ordered
``(b, n+1, n+1)`` array; the tracer then writes the border into that array
instead of copying (it must not be reused by the caller). By default
(``pass_rows=False``) they are always called for the whole batch (``b = B``;
members that are not moving are evaluated at their last point and the result
ignored). With ``pass_rows=True`` they are called only for the moving members
and receive a third argument ``rows``: the ``(b,)`` int64 indices of those
members in the batch, to select their data; this is faster when members finish
at different times.

References
----------
Allgower, E. L. and Georg, K. (1990). Numerical Continuation Methods: An
Introduction. Springer (reprinted by SIAM, 2003).

Keller, H. B. (1977). Numerical solution of bifurcation and nonlinear
eigenvalue problems. In P. Rabinowitz (ed.), Applications of Bifurcation
Theory, 359-384. Academic Press.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.

Gambit 16.7.0, ``src/solvers/logit/path.cc`` (GPL; read for the algorithm,
not copied).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: ``residual(x, lam[, rows]) -> (b, n)``.
ResidualFn = Callable[..., FloatArray]
#: ``jacobian(x, lam[, rows]) -> (dH/dx (b, n, n), dH/dlam (b, n))``.
JacobianFn = Callable[..., tuple[FloatArray, FloatArray]]
#: ``stop(x, lam[, rows]) -> (b,) bool``: True where the member may stop.
StopFn = Callable[..., BoolArray]
#: Internal: called after accepted steps with (rows, x_old, lam_old, t_old,
#: chord); returns (done, rollback) masks over the rows.
AcceptFn = Callable[
    [IntArray, FloatArray, FloatArray, FloatArray, FloatArray], tuple[BoolArray, BoolArray]
]


class TraceStatus(IntEnum):
    """How a batch member's trace ended (per member, or per member and target)."""

    #: The target ``lam`` (or the stopping criterion) was reached.
    REACHED = 0
    #: Reached, but the branch crossed a simple bifurcation on the way and the
    #: tracer went straight through it: the point is a solution, but beyond the
    #: bifurcation "the" branch from ``lam = 0`` is not unique.
    REACHED_AFTER_BIFURCATION = 1
    #: ``bifurcation="stop"``: the tracer stopped just before a bifurcation.
    STOPPED_AT_BIFURCATION = 2
    #: The step size fell below ``min_step``, a Jacobian was singular at the
    #: start, or ``lam`` fell below ``lam_min``: the last point is returned.
    BRANCH_ENDED = 3
    #: ``max_steps`` accepted steps without reaching the target.
    MAX_STEPS = 4


@dataclass(frozen=True)
class TraceOptions:
    """Step-size and tolerance settings of the tracer.

    The defaults suit the logit QRE in log-odds coordinates, where arc length
    is measured in log-probability-ratio units and raw ``lam``.

    Attributes
    ----------
    first_step, max_step, min_step : arc-length step bounds; a member whose
        step falls below ``min_step`` ends (``BRANCH_ENDED``).
    max_growth : largest factor by which a step may grow (or shrink) after an
        accepted step.
    corrector_tol : estimated distance to the curve at which the corrector
        stops.
    max_corrector_iterations : Newton iterations per step at most.
    nominal_distance, nominal_contraction : first correction and contraction
        rate the step control aims at.
    max_distance, max_contraction : above these a step is rejected.
    min_tangent_cos : a step is rejected if the tangent turns by more than
        ``arccos(min_tangent_cos)``.
    max_steps : accepted steps per member at most (``MAX_STEPS``).
    final_tol, final_iterations : Newton polishing of returned points.
    crossing_tol : residual a polished crossing must reach to be accepted.
    lam_min : a member whose ``lam`` falls below this ends.
    bifurcation_step : step length over which a persisting sign change of the
        determinant counts as a bifurcation.
    bifurcation : ``"continue"`` (straight through, flagged) or ``"stop"``.
    detect_bifurcations : watch the determinant (one extra LU per step).
    """

    first_step: float = 0.3
    max_step: float = float("inf")
    min_step: float = 1e-9
    max_growth: float = 2.0
    corrector_tol: float = 1e-3
    max_corrector_iterations: int = 6
    nominal_distance: float = 0.2
    max_distance: float = 1.0
    nominal_contraction: float = 0.2
    max_contraction: float = 0.6
    min_tangent_cos: float = 0.6
    max_steps: int = 20_000
    final_tol: float = 1e-12
    final_iterations: int = 12
    crossing_tol: float = 1e-9
    lam_min: float = 0.0
    bifurcation_step: float = 1e-4
    bifurcation: Literal["continue", "stop"] = "continue"
    detect_bifurcations: bool = True

    def __post_init__(self) -> None:
        if self.bifurcation not in ("continue", "stop"):
            raise InputError(
                f"bifurcation must be 'continue' or 'stop', got {self.bifurcation!r}",
                field="bifurcation",
            )
        if not 0.0 < self.min_step <= self.first_step <= self.max_step:
            raise InputError(
                "step sizes must satisfy 0 < min_step <= first_step <= max_step", field="first_step"
            )
        if self.max_growth <= 1.0:
            raise InputError("max_growth must exceed 1", field="max_growth")


@dataclass(frozen=True, eq=False)
class LambdaPoints:
    """Points of each member's branch at the requested lambdas.

    Attributes
    ----------
    x : ``(B, K, n)`` the point at each target (the last point of the branch
        where the target was not reached).
    lam : ``(B, K)`` the lambda of that point: the target where reached.
    residual_norm : ``(B, K)`` max-abs residual ``|H(x, lam)|`` there.
    status : ``(B, K)`` :class:`TraceStatus` codes (int8).
    steps : ``(B,)`` accepted predictor-corrector steps.
    bifurcations : ``(B,)`` simple bifurcations passed (``"continue"``).
    """

    x: FloatArray
    lam: FloatArray
    residual_norm: FloatArray
    status: NDArray[np.int8]
    steps: IntArray
    bifurcations: IntArray


@dataclass(frozen=True, eq=False)
class BranchState:
    """Where each member's trace stopped; pass it back to :func:`follow_until`
    to continue along the same branch.

    Attributes
    ----------
    x : ``(B, n)``; lam : ``(B,)``.
    tangent : ``(B, n + 1)`` unit tangent, oriented in the direction of travel.
    step : ``(B,)`` the arc-length step the tracer would try next.
    curvature : ``(B, n + 1)`` change of the tangent per unit arc length over
        the last step (for the second-order predictor).
    det_sign : ``(B,)`` sign of the bordered Jacobian's determinant (int8).
    residual_norm : ``(B,)`` max-abs residual at ``(x, lam)``.
    status : ``(B,)`` :class:`TraceStatus` codes (int8).
    steps : ``(B,)`` accepted steps so far (cumulative over resumptions).
    bifurcations : ``(B,)`` bifurcations passed so far.
    """

    x: FloatArray
    lam: FloatArray
    tangent: FloatArray
    step: FloatArray
    curvature: FloatArray
    det_sign: NDArray[np.int8]
    residual_norm: FloatArray
    status: NDArray[np.int8]
    steps: IntArray
    bifurcations: IntArray


# ---------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------


class _System:
    """The caller's callbacks, evaluated on a subset of the batch."""

    def __init__(
        self,
        residual: ResidualFn,
        jacobian: JacobianFn,
        pass_rows: bool,
        x_full: FloatArray,
        lam_full: FloatArray,
    ) -> None:
        self._residual = residual
        self._jacobian = jacobian
        self._pass_rows = pass_rows
        self._x = x_full  # shared with the tracer's state; read only here
        self._lam = lam_full

    def _full(
        self, x: FloatArray, lam: FloatArray, rows: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        xf = self._x.copy()
        lf = self._lam.copy()
        xf[rows] = x
        lf[rows] = lam
        return xf, lf

    def residual(self, x: FloatArray, lam: FloatArray, rows: IntArray) -> FloatArray:
        if self._pass_rows:
            return np.asarray(self._residual(x, lam, rows), dtype=np.float64)
        xf, lf = self._full(x, lam, rows)
        return np.asarray(self._residual(xf, lf), dtype=np.float64)[rows]

    def jacobian(
        self, x: FloatArray, lam: FloatArray, rows: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        if self._pass_rows:
            jx, jl = self._jacobian(x, lam, rows)
            return np.asarray(jx, dtype=np.float64), np.asarray(jl, dtype=np.float64)
        xf, lf = self._full(x, lam, rows)
        jx, jl = self._jacobian(xf, lf)
        return np.asarray(jx, dtype=np.float64)[rows], np.asarray(jl, dtype=np.float64)[rows]

    def stop(self, fn: StopFn, x: FloatArray, lam: FloatArray, rows: IntArray) -> BoolArray:
        if self._pass_rows:
            return np.asarray(fn(x, lam, rows), dtype=bool)
        xf, lf = self._full(x, lam, rows)
        return np.asarray(fn(xf, lf), dtype=bool)[rows]


def solve_batched(matrix: FloatArray, rhs: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Solve ``matrix @ sol = rhs`` for a stack of small systems.

    Parameters
    ----------
    matrix : ``(b, m, m)``; rhs : ``(b, m, r)``.

    Returns
    -------
    sol : ``(b, m, r)``; NaN where the system is singular or not finite.
    singular : ``(b,)`` True where no solution was computed.
    """
    sol: FloatArray
    singular: BoolArray
    try:
        with np.errstate(all="ignore"):
            sol = np.asarray(np.linalg.solve(matrix, rhs), dtype=np.float64)
        singular = np.asarray(~np.isfinite(sol).all(axis=(1, 2)), dtype=bool)
    except np.linalg.LinAlgError:
        finite = np.asarray(np.isfinite(matrix).all(axis=(1, 2)), dtype=bool)
        safe = np.where(finite[:, None, None], matrix, 0.0)
        sign, _ = np.linalg.slogdet(safe)
        singular = np.asarray((sign == 0) | ~finite, dtype=bool)
        eye = np.eye(matrix.shape[1])
        fixed = np.where(singular[:, None, None], eye, safe)
        try:
            with np.errstate(all="ignore"):
                sol = np.asarray(np.linalg.solve(fixed, rhs), dtype=np.float64)
        except np.linalg.LinAlgError:  # pragma: no cover - slogdet missed one
            sol = np.stack(
                [np.linalg.lstsq(m, r, rcond=None)[0] for m, r in zip(fixed, rhs, strict=True)]
            )
        singular |= ~np.isfinite(sol).all(axis=(1, 2))
    sol[singular] = np.nan
    return sol, singular


def _bordered(jx: FloatArray, jl: FloatArray, border: FloatArray) -> FloatArray:
    """``[[jx, jl], [border]]``, ``(b, n+1, n+1)``. If ``jx`` is the leading
    block of a ``(b, n+1, n+1)`` float64 array (a jacobian may return it so),
    that array is filled in place instead of copied."""
    b, n = jl.shape
    base = jx.base
    if (
        isinstance(base, np.ndarray)
        and base.shape == (b, n + 1, n + 1)
        and base.dtype == np.float64
        and base.flags.c_contiguous
        and jx.strides == base.strides
        and jx.ctypes.data == base.ctypes.data
    ):
        m: FloatArray = base
    else:
        m = np.empty((b, n + 1, n + 1))
        m[:, :n, :n] = jx
    m[:, :n, n] = jl
    m[:, n, :] = border
    return m


def _det_sign(matrix: FloatArray) -> NDArray[np.int8]:
    with np.errstate(all="ignore"):
        sign, _ = np.linalg.slogdet(matrix)
    out: NDArray[np.int8] = np.nan_to_num(np.asarray(sign, dtype=np.float64)).astype(np.int8)
    return out


def _start_tangent(
    system: _System, x: FloatArray, lam: FloatArray, rows: IntArray, detect: bool
) -> tuple[FloatArray, NDArray[np.int8], BoolArray]:
    """Unit tangent at a start point, oriented with ``lam`` increasing."""
    b, n = x.shape
    jx, jl = system.jacobian(x, lam, rows)
    border = np.zeros((b, n + 1))
    border[:, n] = 1.0
    mat = _bordered(jx, jl, border)
    rhs = np.zeros((b, n + 1, 1))
    rhs[:, n, 0] = 1.0
    sol, singular = solve_batched(mat, rhs)
    z = sol[:, :, 0]
    t = z / np.linalg.norm(z, axis=1, keepdims=True)
    t[singular] = 0.0
    sign = np.zeros(b, dtype=np.int8)
    if detect and b:
        mat[:, n, :] = np.where(singular[:, None], border, t)
        sign = _det_sign(mat)
    return t, sign, singular


def _newton_fixed_lambda(
    system: _System,
    x: FloatArray,
    lam: FloatArray,
    rows: IntArray,
    tol: float,
    iterations: int,
) -> tuple[FloatArray, FloatArray]:
    """Newton's method on ``H(., lam) = 0`` at fixed ``lam``; returns the best
    iterate per member and its max-abs residual."""
    x = x.copy()
    best = x.copy()
    with np.errstate(all="ignore"):
        f = system.residual(x, lam, rows)
    best_res = np.where(np.isfinite(f).all(axis=1), np.abs(f).max(axis=1, initial=0.0), np.inf)
    live = np.flatnonzero(best_res > tol)
    for _ in range(iterations):
        if live.size == 0:
            break
        jx, _ = system.jacobian(x[live], lam[live], rows[live])
        step, singular = solve_batched(jx, -f[live][:, :, None])
        x[live] += np.where(singular[:, None], 0.0, step[:, :, 0])
        with np.errstate(all="ignore"):
            f_live = system.residual(x[live], lam[live], rows[live])
        f[live] = f_live
        res = np.where(
            np.isfinite(f_live).all(axis=1), np.abs(f_live).max(axis=1, initial=0.0), np.inf
        )
        better = res < best_res[live]
        best[live[better]] = x[live[better]]
        best_res[live[better]] = res[better]
        keep = (res > tol) & ~singular & np.isfinite(res)
        live = live[keep]
    return best, best_res


class _Tracer:
    """State of a batch of traces and the predictor-corrector loop."""

    def __init__(
        self,
        system: _System,
        x: FloatArray,
        lam: FloatArray,
        tangent: FloatArray,
        step: FloatArray,
        det_sign: NDArray[np.int8],
        steps: IntArray,
        bifurcations: IntArray,
        active: BoolArray,
        status: NDArray[np.int8],
        options: TraceOptions,
        curvature: FloatArray | None = None,
    ) -> None:
        self.system = system
        self.x = x
        self.lam = lam
        self.tangent = tangent
        self.step = step
        self.det_sign = det_sign
        self.steps = steps
        self.bifurcations = bifurcations
        self.active = active
        self.status = status
        self.opts = options
        # Change of the tangent per unit arc length over the last step, for the
        # second-order predictor x + h t + h^2/2 c.
        self.curvature = np.zeros_like(tangent) if curvature is None else curvature

    def _correct(
        self, rows: IntArray, u: FloatArray, lu: FloatArray, t: FloatArray
    ) -> tuple[BoolArray, FloatArray, NDArray[np.int8], FloatArray, FloatArray]:
        """Newton corrector from the predicted points (``u``, ``lu`` updated in
        place). Returns success, new tangent, det sign, first correction and
        worst contraction."""
        opts = self.opts
        b, n = u.shape
        ok = np.zeros(b, dtype=bool)
        t_new = np.zeros((b, n + 1))
        sign = np.zeros(b, dtype=np.int8)
        first = np.zeros(b)
        kappa = np.zeros(b)
        previous = np.full(b, np.inf)
        live = np.arange(b)
        for k in range(opts.max_corrector_iterations):
            if live.size == 0:
                break
            with np.errstate(all="ignore"):
                f = self.system.residual(u[live], lu[live], rows[live])
                jx, jl = self.system.jacobian(u[live], lu[live], rows[live])
            mat = _bordered(jx, jl, t[live])
            rhs = np.zeros((live.size, n + 1, 2))
            rhs[:, :n, 0] = -f
            rhs[:, n, 1] = 1.0
            sol, singular = solve_batched(mat, rhs)
            d = sol[:, :, 0]
            dist = np.linalg.norm(d, axis=1)
            bad = singular | ~np.isfinite(dist) | (dist > opts.max_distance)
            # Estimated distance to the curve after applying this correction:
            # Newton's error contracts like dist^2 / previous dist.
            if k == 0:
                first[live] = np.where(bad, np.inf, dist)
                remaining = dist
            else:
                contraction = dist / (previous[live] + 1e-3 * opts.corrector_tol)
                kappa[live] = np.maximum(kappa[live], np.nan_to_num(contraction, nan=np.inf))
                bad |= contraction > opts.max_contraction
                remaining = dist * contraction
            good = ~bad
            u[live[good]] += d[good, :n]
            lu[live[good]] += d[good, n]
            done = good & ((remaining <= opts.corrector_tol) | (dist <= opts.corrector_tol))
            if done.any():
                z = sol[done, :, 1]
                norm = np.linalg.norm(z, axis=1)
                fin = np.isfinite(norm) & (norm > 0)
                idx = live[done]
                t_new[idx] = z / np.where(fin, norm, 1.0)[:, None]
                ok[idx] = fin
                if opts.detect_bifurcations:
                    sign[idx] = _det_sign(mat[done])
            previous[live] = dist
            live = live[good & ~done]
        return ok, t_new, sign, first, kappa

    def step_once(self, on_accept: AcceptFn) -> None:
        """One predictor-corrector step for every active member."""
        opts = self.opts
        rows = np.flatnonzero(self.active)
        n = self.x.shape[1]
        h = self.step[rows]
        t = self.tangent[rows]
        c = self.curvature[rows]
        z = h[:, None] * t + (0.5 * h * h)[:, None] * c
        u = self.x[rows] + z[:, :n]
        lu = self.lam[rows] + z[:, n]
        ok, t_new, sign, first, kappa = self._correct(rows, u, lu, t)
        cos = np.einsum("bi,bi->b", t, t_new)
        ok &= cos >= opts.min_tangent_cos
        flipped = np.zeros(rows.size, dtype=bool)
        at_bifurcation = np.zeros(rows.size, dtype=bool)
        if opts.detect_bifurcations:
            flipped = ok & (sign != 0) & (self.det_sign[rows] != 0) & (sign != self.det_sign[rows])
            # A flip over a long step may be a jump to another branch: shorten
            # the step until the flip persists over a step of bifurcation_step.
            at_bifurcation = flipped & (h <= opts.bifurcation_step)
            ok &= ~flipped | (at_bifurcation & (opts.bifurcation == "continue"))
        stop_here = rows[at_bifurcation & ~ok]
        self.status[stop_here] = TraceStatus.STOPPED_AT_BIFURCATION
        self.active[stop_here] = False
        # Rejected steps: halve the step, end members whose step underflows.
        rej = rows[~ok & ~at_bifurcation]
        if rej.size:
            self.step[rej] *= 0.5
            under = rej[self.step[rej] < opts.min_step]
            self.status[under] = TraceStatus.BRANCH_ENDED
            self.active[under] = False
        acc = rows[ok]
        if acc.size == 0:
            return
        x_old = self.x[acc].copy()
        lam_old = self.lam[acc].copy()
        t_old = t[ok]
        saved = (
            self.curvature[acc].copy(),
            self.det_sign[acc].copy(),
            self.bifurcations[acc].copy(),
        )
        self.x[acc] = u[ok]
        self.lam[acc] = lu[ok]
        self.tangent[acc] = t_new[ok]
        chord = np.sqrt(
            np.einsum("bi,bi->b", u[ok] - x_old, u[ok] - x_old) + (lu[ok] - lam_old) ** 2
        )
        self.curvature[acc] = (t_new[ok] - t_old) / np.maximum(chord, 1e-300)[:, None]
        self.bifurcations[acc] += flipped[ok]
        if opts.detect_bifurcations:
            self.det_sign[acc] = np.where(sign[ok] != 0, sign[ok], self.det_sign[acc])
        with np.errstate(divide="ignore", invalid="ignore"):
            decel = np.maximum(
                np.sqrt(first[ok] / opts.nominal_distance),
                np.sqrt(kappa[ok] / opts.nominal_contraction),
            )
        decel = np.clip(np.nan_to_num(decel, nan=1.0), 1.0 / opts.max_growth, opts.max_growth)
        self.step[acc] = np.minimum(h[ok] / decel, opts.max_step)
        self.steps[acc] += 1
        done, rollback = on_accept(acc, x_old, lam_old, t_old, chord)
        if rollback.any():
            # The caller could not use the step (e.g. the crossing of a target
            # did not polish): undo it and retry with half its length.
            back = acc[rollback]
            self.x[back] = x_old[rollback]
            self.lam[back] = lam_old[rollback]
            self.tangent[back] = t_old[rollback]
            self.curvature[back] = saved[0][rollback]
            self.det_sign[back] = saved[1][rollback]
            self.bifurcations[back] = saved[2][rollback]
            self.steps[back] -= 1
            self.step[back] = 0.5 * chord[rollback]
            under = back[self.step[back] < opts.min_step]
            self.status[under] = TraceStatus.BRANCH_ENDED
            self.active[under] = False
        self.active[acc[done]] = False
        still = acc[~done & ~rollback]
        below = still[self.lam[still] < opts.lam_min]
        self.status[below] = TraceStatus.BRANCH_ENDED
        self.active[below] = False
        capped = still[self.steps[still] >= opts.max_steps]
        capped = capped[self.active[capped]]
        self.status[capped] = TraceStatus.MAX_STEPS
        self.active[capped] = False

    def run(self, on_accept: AcceptFn) -> None:
        # Each loop accepts or halves the step of every active member; bound the
        # loop so that a pathological callback cannot spin forever.
        limit = self.opts.max_steps * 4 + 200
        for _ in range(limit):
            if not self.active.any():
                return
            self.step_once(on_accept)
        left = np.flatnonzero(self.active)
        self.status[left] = TraceStatus.MAX_STEPS
        self.active[left] = False


def _hermite_crossing(
    x0: FloatArray,
    l0: FloatArray,
    t0: FloatArray,
    x1: FloatArray,
    l1: FloatArray,
    t1: FloatArray,
    chord: FloatArray,
    target: FloatArray,
) -> FloatArray:
    """Point where the cubic Hermite interpolant of a step reaches ``lam =
    target`` (a starting guess for Newton at fixed lambda)."""
    n = x0.shape[1]
    h = chord

    def lam_at(s: FloatArray) -> tuple[FloatArray, FloatArray]:
        s2, s3 = s * s, s * s * s
        h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
        d00, d10, d01, d11 = 6 * s2 - 6 * s, 3 * s2 - 4 * s + 1, -6 * s2 + 6 * s, 3 * s2 - 2 * s
        val = h00 * l0 + h10 * h * t0[:, n] + h01 * l1 + h11 * h * t1[:, n]
        der = d00 * l0 + d10 * h * t0[:, n] + d01 * l1 + d11 * h * t1[:, n]
        return val, der

    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(np.nan_to_num((target - l0) / (l1 - l0), nan=1.0), 0.0, 1.0)
        for _ in range(4):
            val, der = lam_at(s)
            new = s - (val - target) / der
            s = np.clip(np.where(np.isfinite(new), new, s), 0.0, 1.0)
    s2, s3 = s * s, s * s * s
    h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
    out: FloatArray = (
        h00[:, None] * x0
        + (h10 * h)[:, None] * t0[:, :n]
        + h01[:, None] * x1
        + (h11 * h)[:, None] * t1[:, :n]
    )
    return out


def _as_batch(x0: ArrayLike) -> FloatArray:
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"start points have shape {x.shape}; expected (batch, n)", field="x0")
    if not np.isfinite(x).all():
        raise InputError("start points must be finite", field="x0")
    return x


def _reached_code(bifurcations: IntArray) -> NDArray[np.int8]:
    return np.where(
        bifurcations > 0, TraceStatus.REACHED_AFTER_BIFURCATION, TraceStatus.REACHED
    ).astype(np.int8)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def follow_to_lambdas(
    residual: ResidualFn,
    jacobian: JacobianFn,
    x0: ArrayLike,
    lams: float | Sequence[float] | ArrayLike,
    *,
    lam0: float = 0.0,
    options: TraceOptions | None = None,
    pass_rows: bool = False,
) -> LambdaPoints:
    """Follow each member's branch from ``(x0, lam0)`` and return the first
    point where ``lam`` reaches each target.

    Parameters
    ----------
    residual, jacobian : the system ``H`` and its derivatives (module docstring).
    x0 : ``(B, n)`` solutions at ``lam0``.
    lams : target lambdas, ascending, each ``>= lam0``.
    lam0 : the start's lambda (0 for the logit QRE).
    options : step-size and tolerance settings.
    pass_rows : call the callbacks with the moving members only, plus their
        indices (module docstring).

    Returns
    -------
    LambdaPoints
        ``x`` ``(B, K, n)``, ``lam`` ``(B, K)`` and status per target.

    Examples
    --------
    The circle ``x^2 + (lam - 1)^2 = 1.21`` from ``(sqrt(0.21), 0)``: ``lam``
    rises to 2.1, turns back, and never reaches 3.

    >>> import numpy as np
    >>> res = lambda x, lam: x**2 + (lam[:, None] - 1.0) ** 2 - 1.21
    >>> jac = lambda x, lam: (2.0 * x[:, :, None], 2.0 * (lam[:, None] - 1.0))
    >>> out = follow_to_lambdas(res, jac, np.array([[0.21**0.5]]), [1.0, 3.0])
    >>> round(float(out.x[0, 0, 0]), 9), TraceStatus(out.status[0, 1]).name
    (1.1, 'BRANCH_ENDED')
    """
    opts = options or TraceOptions()
    x = _as_batch(x0)
    b, n = x.shape
    targets = np.atleast_1d(np.asarray(lams, dtype=np.float64))
    if targets.ndim != 1 or targets.size == 0 or not np.isfinite(targets).all():
        raise InputError("target lambdas must be a non-empty list of finite numbers", field="lam")
    if np.any(np.diff(targets) < 0) or targets[0] < lam0:
        raise InputError(f"target lambdas must be ascending and at least {lam0}", field="lam")
    k_targets = targets.size
    require_bytes(
        "points on the branch at the target lambdas",
        (b, k_targets, n + 2),
        hint="solve fewer draws or lambdas at once",
    )
    lam = np.full(b, float(lam0))
    system = _System(residual, jacobian, pass_rows, x, lam)
    all_rows = np.arange(b, dtype=np.int64)

    out_x = np.empty((b, k_targets, n))
    out_lam = np.empty((b, k_targets))
    out_res = np.empty((b, k_targets))
    out_status = np.empty((b, k_targets), dtype=np.int8)
    pointer = np.zeros(b, dtype=np.int64)

    tangent, det_sign, singular = _start_tangent(system, x, lam, all_rows, opts.detect_bifurcations)
    steps = np.zeros(b, dtype=np.int64)
    bifurcations = np.zeros(b, dtype=np.int64)
    status = np.full(b, TraceStatus.REACHED, dtype=np.int8)
    status[singular] = TraceStatus.BRANCH_ENDED
    active = ~singular

    # Targets equal to the start lambda are reached at the start.
    at_start = targets <= lam0
    if at_start.any():
        x_fix, res_fix = _newton_fixed_lambda(
            system, x, lam, all_rows, opts.final_tol, opts.final_iterations
        )
        for kk in np.flatnonzero(at_start):
            out_x[:, kk] = x_fix
            out_lam[:, kk] = lam0
            out_res[:, kk] = res_fix
            out_status[:, kk] = TraceStatus.REACHED
        pointer[:] = int(at_start.sum())
        active &= pointer < k_targets

    tracer = _Tracer(
        system,
        x,
        lam,
        tangent,
        np.full(b, opts.first_step),
        det_sign,
        steps,
        bifurcations,
        active,
        status,
        opts,
    )

    def on_accept(
        acc: IntArray, x_old: FloatArray, lam_old: FloatArray, t_old: FloatArray, chord: FloatArray
    ) -> tuple[BoolArray, BoolArray]:
        rollback = np.zeros(acc.size, dtype=bool)
        local = np.arange(acc.size)
        while True:
            p = pointer[acc[local]]
            has = p < k_targets
            cross = local[has][tracer.lam[acc[local[has]]] >= targets[p[has]]]
            if cross.size == 0:
                break
            rows = acc[cross]
            tau = targets[pointer[rows]]
            guess = _hermite_crossing(
                x_old[cross],
                lam_old[cross],
                t_old[cross],
                tracer.x[rows],
                tracer.lam[rows],
                tracer.tangent[rows],
                chord[cross],
                tau,
            )
            x_fix, res_fix = _newton_fixed_lambda(
                system, guess, tau, rows, opts.final_tol, opts.final_iterations
            )
            # Trust the polished point only if Newton converged close to the
            # interpolated guess; otherwise the step was too long to tell which
            # solution at this lambda lies on the branch: retake it shorter.
            moved = np.abs(x_fix - guess).max(axis=1, initial=0.0)
            good = (res_fix <= opts.crossing_tol) & (
                moved <= np.maximum(0.25 * chord[cross], 10.0 * opts.corrector_tol)
            )
            rollback[cross[~good]] = True
            cross, rows, x_fix, res_fix = cross[good], rows[good], x_fix[good], res_fix[good]
            kk = pointer[rows]
            out_x[rows, kk] = x_fix
            out_lam[rows, kk] = targets[kk]
            out_res[rows, kk] = res_fix
            out_status[rows, kk] = _reached_code(tracer.bifurcations[rows])
            pointer[rows] += 1
            local = cross
        return np.asarray(pointer[acc] >= k_targets) & ~rollback, rollback

    tracer.run(on_accept)

    # Members that stopped early keep their last point for the remaining targets.
    unfinished = np.flatnonzero(pointer < k_targets)
    if unfinished.size:
        with np.errstate(all="ignore"):
            f = system.residual(x[unfinished], lam[unfinished], unfinished)
        res_last = np.abs(f).max(axis=1, initial=0.0)
        for k in range(k_targets):
            rows = unfinished[pointer[unfinished] <= k]
            sel = pointer[unfinished] <= k
            out_x[rows, k] = x[rows]
            out_lam[rows, k] = lam[rows]
            out_res[rows, k] = res_last[sel]
            out_status[rows, k] = status[rows]
    return LambdaPoints(out_x, out_lam, out_res, out_status, steps, bifurcations)


def follow_until(
    residual: ResidualFn,
    jacobian: JacobianFn,
    start: ArrayLike | BranchState,
    stop: StopFn,
    *,
    lam0: float = 0.0,
    members: ArrayLike | None = None,
    options: TraceOptions | None = None,
    pass_rows: bool = False,
) -> BranchState:
    """Follow each member's branch until ``stop`` holds at an accepted point.

    Parameters
    ----------
    residual, jacobian : the system ``H`` and its derivatives (module docstring).
    start : ``(B, n)`` solutions at ``lam0``, or a :class:`BranchState` from an
        earlier call to continue from (its tangent orientation is kept).
    stop : ``stop(x, lam[, rows]) -> (b,) bool``, checked at the start and at
        every accepted point (same ``pass_rows`` convention as the residual).
    lam0 : the start's lambda when ``start`` is an array.
    members : ``(B,)`` bool, which members to move (default all); the others
        are returned as they were.
    options, pass_rows : as in :func:`follow_to_lambdas`.

    Returns
    -------
    BranchState
        Status ``REACHED`` (or ``REACHED_AFTER_BIFURCATION``) where ``stop``
        held.
    """
    opts = options or TraceOptions()
    if isinstance(start, BranchState):
        x = start.x.copy()
        lam = start.lam.copy()
        b, n = x.shape
        system = _System(residual, jacobian, pass_rows, x, lam)
        tangent = start.tangent.copy()
        step = start.step.copy()
        curvature = start.curvature.copy()
        det_sign = start.det_sign.copy()
        steps = start.steps.copy()
        bifurcations = start.bifurcations.copy()
        status = start.status.copy()
        singular = np.zeros(b, dtype=bool)
    else:
        x = _as_batch(start)
        b, n = x.shape
        lam = np.full(b, float(lam0))
        system = _System(residual, jacobian, pass_rows, x, lam)
        tangent, det_sign, singular = _start_tangent(
            system, x, lam, np.arange(b, dtype=np.int64), opts.detect_bifurcations
        )
        step = np.full(b, opts.first_step)
        curvature = np.zeros((b, n + 1))
        steps = np.zeros(b, dtype=np.int64)
        bifurcations = np.zeros(b, dtype=np.int64)
        status = np.full(b, TraceStatus.REACHED, dtype=np.int8)
        status[singular] = TraceStatus.BRANCH_ENDED
    require_bytes("branch tracer state", (b, 3 * n + 8))
    move = np.ones(b, dtype=bool) if members is None else np.asarray(members, dtype=bool).copy()
    if move.shape != (b,):
        raise InputError(f"members has shape {move.shape}, expected ({b},)", field="members")
    move &= ~singular
    rows0 = np.flatnonzero(move)
    if rows0.size:
        stopped = system.stop(stop, x[rows0], lam[rows0], rows0)
        move[rows0[stopped]] = False
        status[rows0[stopped]] = _reached_code(bifurcations[rows0[stopped]])
        status[rows0[~stopped]] = TraceStatus.REACHED
    tracer = _Tracer(
        system, x, lam, tangent, step, det_sign, steps, bifurcations, move, status, opts, curvature
    )

    def on_accept(
        acc: IntArray, x_old: FloatArray, lam_old: FloatArray, t_old: FloatArray, chord: FloatArray
    ) -> tuple[BoolArray, BoolArray]:
        done = system.stop(stop, tracer.x[acc], tracer.lam[acc], acc)
        tracer.status[acc[done]] = _reached_code(tracer.bifurcations[acc[done]])
        return done, np.zeros(acc.size, dtype=bool)

    tracer.run(on_accept)
    with np.errstate(all="ignore"):
        f = system.residual(x, lam, np.arange(b, dtype=np.int64))
    res = np.where(np.isfinite(f).all(axis=1), np.abs(f).max(axis=1, initial=0.0), np.inf)
    return BranchState(
        x, lam, tangent, tracer.step, tracer.curvature, det_sign, res, status, steps, bifurcations
    )
