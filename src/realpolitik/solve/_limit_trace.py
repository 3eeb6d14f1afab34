"""Compiled trace (numba) of the limiting logit equilibrium: each draw's
principal agent logit QRE followed up lambda, by arc length where the
branch can fold, until it sits at its limit; blocks of draws over the cores.

The algorithm per draw (see :mod:`realpolitik.solve.logit_limit` for the
why and the stopping rule):

* ``mu = lambda x S`` with ``S`` the draw's payoff range (max minus min over
  terminals and players), so that one schedule suits every draw;
* ``mu_0 = MU_START`` from the centroid; then, where the branch can fold
  (an information set of several nodes) and the tree has at most
  ``ARC_ALL_ACTIONS`` actions, :func:`arc_follow` (pseudo-arc-length
  continuation in ``w`` = log probabilities and ``t = log mu``, every
  action a variable scaled by ``max(1, |w|)``, forward-difference bordered
  Jacobian factorised by our own LU, chord corrector) to ``ARC_HANDOVER``;
* then ``mu_{k+1} = r mu_k``, each step started from the secant predictor of
  the logits in ``mu`` (exact for a set whose limit is pure, where logits
  grow as ``mu``), solved by the Anderson accelerated Gauss-Seidel sweeps of
  the belief iteration (at most ``ANDERSON_SWEEPS``), and where they fail,
  or (where the branch can fold) land more than ``PREDICTOR_TOL`` from the
  prediction (a stable fixed point of the sweeps beside an unstable
  branch), by Newton's method from
  the prediction on the log probabilities with a forward-difference
  Jacobian (every action on trees of at most ``NEWTON_MAX_ACTIVE``, else
  the actions still mixing); a step whose solution still misses the
  prediction by more than ``PREDICTOR_TOL`` is refused;
* a step's fixed-point tolerance is ``max(tol, 32 eps mu)``: logits of size
  ``mu`` carry about ``mu`` machine epsilons of rounding;
* a step that does not converge is retried from the last point with ``r``
  replaced by ``sqrt(r)`` (halving the step in ``log mu``), at most
  ``MAX_HALVINGS`` times in a row; after two good steps in a row ``r`` grows
  back (squared, at most ``RATIO_MAX``);
* where halving does not help, trees of at most ``ARC_ALL_ACTIONS`` actions
  follow the branch by arc length from the last good point (oriented by
  the secant it came along) to ``ARC_EXIT_RATIO`` times its ``mu``, at most
  ``MAX_ARCS`` times; otherwise, or where that fails, the trace leaps: the
  next step is by ``JUMP_RATIO`` (then its square; at most ``MAX_JUMPS``
  leaps). A leap that leaves from the point the last one left from (no step
  taken since) and is halved down to the last one's ratio would retry its
  steps one by one, the same predictions with the same failures: the draw is
  given up there (on the flagship the repeats were 17% of all passes of 512
  draws, all in draws that failed). A draw that converges after a leap, or
  after a continuation that failed or passed a change of the determinant's
  sign, has status
  ``CONVERGED_AFTER_JUMP``: its limit is an equilibrium (the stopping rule
  holds) but may lie on another branch than the principal one;
* the draw stops when the last point's conditional agent regret (the most any
  mover gains by changing the action at one set, given reaching it, beliefs
  of the profile itself) is at most ``regret_tol x S`` and no probability
  moved by more than ``step_tol`` over the last step; or fails (status 2)
  when a step cannot be made or ``mu`` passes ``MU_MAX``.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.solve._belief_kernels import TreeArrays, softmax_all, widest_set
from realpolitik.solve._limit_arc import ARC_ALL_ACTIONS, arc_follow
from realpolitik.solve._limit_kernels import (
    EPS,
    NEWTON_ITERATIONS,
    NOISE,
    iterate_log,
    log_probs,
    newton_log,
)
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws per block, and ranges of blocks per thread taken as threads finish:
#: a draw's trace takes from a few to hundreds of milliseconds (the
#: flagship's 128 draws of the noise note: 4.4 s of CPU, 3.2 s on two
#: threads with one range each, the slow draws on one side).
BLOCK = 4
BALANCE = 8
#: Status codes of a draw: converged along the branch, converged after
#: leaping over a part of it that lambda steps could not follow (the limit
#: may then lie on another branch), not converged.
CONVERGED = 0
CONVERGED_AFTER_JUMP = 1
NOT_CONVERGED = 2
#: Normalised precision (lambda x payoff range) of the first point.
MU_START = 1.0
#: The smallest first point tried when ``MU_START`` does not converge.
MU_FLOOR = 1e-3
#: First ratio of the geometric schedule, and the largest it grows to.
RATIO = 1.25
RATIO_MAX = 16.0
#: Leaps over a stretch the steps cannot follow: at most ``MAX_JUMPS`` per
#: draw, the ``k``-th by a ratio of ``JUMP_RATIO ** k``.
MAX_JUMPS = 2
JUMP_RATIO = 16.0
#: The largest distance (max-abs over action probabilities) of a step's
#: solution from its predictor: farther, the step has left the branch.
PREDICTOR_TOL = 0.25
#: Stretches followed by arc length (:func:`arc_follow`) per draw at most.
MAX_ARCS = 3
#: The smallest ratio a step is halved to before the draw is given up.
RATIO_MIN = 1.001
#: Halvings of the step (in log mu) in a row before a draw is given up.
MAX_HALVINGS = 6
#: A draw whose normalised precision passes this has not reached its limit.
MU_MAX = 1e13
#: Anderson sweeps at a step before Newton's method takes over.
ANDERSON_SWEEPS = 60
#: On trees of at most ``ARC_ALL_ACTIONS`` actions the branch is followed by
#: arc length from the first point to this ``mu``.
ARC_HANDOVER = 1e4
#: The continuation hands back to the schedule once it passes ``mu`` of the
#: point where the schedule stopped times this, going up.
ARC_EXIT_RATIO = 16.0


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _miss(  # pragma: no cover - compiled
    predicted: FloatArray, q: FloatArray, scratch: FloatArray, action_offset: IntArray
) -> float:
    """Largest distance between the profile ``q`` and that of the
    ``predicted`` logits (over action probabilities)."""
    softmax_all(predicted, scratch, action_offset)
    miss = 0.0
    for a in range(q.shape[0]):
        miss = max(miss, abs(q[a] - scratch[a]))
    return miss


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _trace_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    payoffs: FloatArray,
    chance: FloatArray,
    tol: float,
    regret_tol: float,
    step_tol: float,
    max_iter: int,
    memory: int,
    terminal_node: IntArray,
    tree: TreeArrays,
    n_nodes: int,
    out_profile: FloatArray,
    out_mu: FloatArray,
    out_regret: FloatArray,
    out_step: FloatArray,
    out_status: IntArray,
    out_steps: IntArray,
    out_passes: IntArray,
    out_arcs: IntArray,
) -> None:
    """The traced limit of draws ``[first_block * BLOCK, last_block * BLOCK)``.

    ``payoffs`` ``(D, terminals, players)``, ``chance`` ``(D or 1, chance
    edges)``. Writes per draw the last profile of the trace ``(D, actions)``,
    its normalised precision ``mu``, its conditional agent regret over the
    payoff range, the largest probability change over its last step, the
    status, the lambda steps taken and the tree passes spent.
    """
    action_offset = tree.action_offset
    set_node_offset = tree.set_node_offset
    n_draws = payoffs.shape[0]
    n_players = payoffs.shape[2]
    n = action_offset[action_offset.shape[0] - 1]
    widest = widest_set(action_offset)
    m = max(memory, 1)
    value = np.zeros((n_nodes, n_players))
    log_reach = np.zeros(n_nodes)
    x = np.empty(n)
    p = np.empty(n)
    logp = np.empty(n)
    q = np.empty(n)
    y = np.empty(n)
    f = np.empty(n)
    f_prev = np.empty(n)
    x_prev = np.empty(n)
    d_f = np.empty((m, n))
    d_g = np.empty((m, n))
    gram = np.zeros((m, m))
    coef = np.empty(m)
    rhs = np.empty(m)
    v = np.empty(widest)
    good_x = np.empty(n)
    good_p = np.empty(n)
    older_x = np.empty(n)
    predicted = np.empty(n)
    w = np.empty(n)
    ls = np.empty(n)
    g = np.empty(n)
    trial = np.empty(n)
    newton_step = np.empty(n)
    jac = np.empty((n, n))
    active = np.empty(n, dtype=np.int64)
    passes = np.zeros(1, dtype=np.int64)
    regret = np.zeros(1)
    log_chance = np.empty(chance.shape[1])
    hint = np.empty(n + 1)
    scratch = np.empty(n)
    # with one node per information set the agent QRE at each lambda is
    # unique (a backward pass of logit responses): the branch cannot fold
    can_fold = False
    for s in range(action_offset.shape[0] - 1):
        can_fold = can_fold or set_node_offset[s + 1] - set_node_offset[s] > 1
    for b in range(first_block, last_block):
        for d in range(b * BLOCK, min(n_draws, (b + 1) * BLOCK)):
            top = -np.inf
            bottom = np.inf
            for t in range(terminal_node.shape[0]):
                for r in range(n_players):
                    u = payoffs[d, t, r]
                    value[terminal_node[t], r] = u
                    top = max(top, u)
                    bottom = min(bottom, u)
            for node in tree.stale_nodes:  # read before computed: from 0
                for r in range(n_players):
                    value[node, r] = 0.0
            chance_row = chance[d] if chance.shape[0] > 1 else chance[0]
            for c in range(chance_row.shape[0]):
                log_chance[c] = math.log(chance_row[c]) if chance_row[c] > 0.0 else -np.inf
            passes[0] = 0
            steps = 0
            span = top - bottom
            if not span > 0.0:
                # every payoff equal (or not finite): every profile is an
                # equilibrium; the branch stays at the centroid
                for a in range(n):
                    x[a] = 0.0
                softmax_all(x, p, action_offset)
                for a in range(n):
                    out_profile[d, a] = p[a]
                finite = span == 0.0
                out_mu[d] = 0.0
                out_regret[d] = 0.0 if finite else np.inf
                out_step[d] = 0.0 if finite else np.inf
                out_status[d] = CONVERGED if finite else NOT_CONVERGED
                out_steps[d] = 0
                out_passes[d] = 0
                out_arcs[d] = 0
                continue
            # the first point, from the centroid
            mu = MU_START
            ok = False
            while mu >= MU_FLOOR:
                for a in range(n):
                    x[a] = 0.0
                    predicted[a] = 0.0
                residual = iterate_log(
                    mu / span, tol, max_iter, memory, 1.0, x, p, logp, q, y, f, f_prev,
                    x_prev, d_f, d_g, gram, coef, rhs, v, value, log_reach, chance_row,
                    log_chance, tree, passes, regret,
                )  # fmt: skip
                if not residual <= tol:
                    for a in range(n):
                        x[a] = predicted[a]
                    residual = newton_log(
                        mu / span, tol, NEWTON_ITERATIONS, x, w, p, logp, q, y, ls, g, trial,
                        newton_step, jac, active, v, value, log_reach, chance_row, log_chance,
                        tree, passes, regret,
                    )  # fmt: skip
                steps += 1
                if residual <= tol:
                    ok = True
                    break
                mu *= 0.125
            status = NOT_CONVERGED
            last_step = np.inf
            last_regret = np.inf
            good_mu = 0.0
            if ok:
                good_mu = mu
                for a in range(n):
                    good_x[a] = x[a]
                    good_p[a] = q[a]
                last_regret = regret[0] / span
                older_mu = 0.0  # no point before the first: scale the logits
                ratio = RATIO
                halvings = 0
                streak = 0
                jumps = 0
                # ratios at or below this, from this good point, were tried
                # by the last leap (0: none)
                tried_below = 0.0
                mu_leapt = -1.0
                ratio_leapt = 0.0
                arcs = 0
                flips = 0
                if can_fold and n <= ARC_ALL_ACTIONS and good_mu < ARC_HANDOVER:
                    # small trees: follow the branch by arc length to
                    # ARC_HANDOVER (where folds are), the schedule after
                    for a in range(n + 1):
                        hint[a] = 0.0
                    arcs += 1
                    reached, t_end, turned = arc_follow(
                        span, tol, math.log(good_mu), math.log(ARC_HANDOVER), x, hint, p, logp,
                        q, y, ls, v, value, log_reach, chance_row, log_chance, tree, passes, regret,
                    )  # fmt: skip
                    if reached:
                        flips += turned
                        good_mu = math.exp(t_end)
                        for a in range(n):
                            good_x[a] = x[a]
                            good_p[a] = q[a]
                        last_regret = regret[0] / span
                    else:
                        # not followed: the schedule's limit is flagged
                        flips += 1
                while True:
                    target = good_mu * ratio
                    if target > MU_MAX:
                        break
                    # predictor: the secant of the logits in mu through the
                    # last two points (the logits scaled by the ratio at first)
                    if older_mu > 0.0:
                        slope = (target - good_mu) / (good_mu - older_mu)
                        for a in range(n):
                            x[a] = good_x[a] + slope * (good_x[a] - older_x[a])
                    else:
                        for a in range(n):
                            x[a] = good_x[a] * ratio
                    for a in range(n):
                        predicted[a] = x[a]
                    step_tol_k = max(tol, NOISE * EPS * target)
                    residual = iterate_log(
                        target / span, step_tol_k, ANDERSON_SWEEPS, memory, 1.0, x, p, logp, q, y,
                        f, f_prev, x_prev, d_f, d_g, gram, coef, rhs, v, value, log_reach,
                        chance_row, log_chance, tree, passes, regret,
                    )  # fmt: skip
                    # a step that lands far from its prediction has left the
                    # branch (the sweeps are drawn to a stable fixed point,
                    # the branch may lie on an unstable one): Newton's method
                    # from the prediction, which converges to the nearest
                    if (
                        residual <= step_tol_k
                        and can_fold
                        and _miss(predicted, q, scratch, action_offset) > PREDICTOR_TOL
                    ):
                        residual = np.inf
                    if not residual <= step_tol_k:
                        for a in range(n):
                            x[a] = predicted[a]
                        residual = newton_log(
                            target / span, step_tol_k, NEWTON_ITERATIONS, x, w, p, logp, q, y,
                            ls, g, trial, newton_step, jac, active, v, value, log_reach, chance_row,
                            log_chance, tree, passes, regret,
                        )  # fmt: skip
                        if (
                            residual <= step_tol_k
                            and can_fold
                            and _miss(predicted, q, scratch, action_offset) > PREDICTOR_TOL
                        ):
                            residual = np.inf
                    steps += 1
                    if not residual <= step_tol_k:
                        halvings += 1
                        streak = 0
                        ratio = math.sqrt(ratio)
                        if ratio <= tried_below:
                            # a leap halved down to the ratios of the leap
                            # before it from the same point: the same steps,
                            # which failed (the draw is given up)
                            break
                        if halvings > MAX_HALVINGS or ratio < RATIO_MIN:
                            # the branch cannot be followed in lambda here (a
                            # fold, or a region the solvers do not make):
                            # follow it by arc length from the last good point
                            if arcs < MAX_ARCS and n <= ARC_ALL_ACTIONS:
                                arcs += 1
                                for a in range(n + 1):
                                    hint[a] = 0.0
                                if older_mu > 0.0:
                                    log_probs(good_x, hint[:n], action_offset)
                                    log_probs(older_x, scratch, action_offset)
                                    for a in range(n):
                                        hint[a] -= scratch[a]
                                    hint[n] = math.log(good_mu / older_mu)
                                for a in range(n):
                                    x[a] = good_x[a]
                                reached, t_end, turned = arc_follow(
                                    span, tol, math.log(good_mu),
                                    math.log(good_mu * ARC_EXIT_RATIO), x, hint, p, logp, q, y,
                                    ls, v, value, log_reach, chance_row, log_chance, tree, passes,
                                    regret,
                                )  # fmt: skip
                                if reached:
                                    flips += turned
                                    tried_below = 0.0
                                    older_mu = 0.0
                                    good_mu = math.exp(t_end)
                                    for a in range(n):
                                        good_x[a] = x[a]
                                        good_p[a] = q[a]
                                    last_step = np.inf
                                    last_regret = regret[0] / span
                                    ratio = RATIO
                                    halvings = 0
                                    streak = 0
                                    continue
                            # where that fails too, leap over the stretch, by
                            # JUMP_RATIO, then its square, ...
                            if jumps >= MAX_JUMPS:
                                break
                            # a leap from the point the last one left from
                            # (no step taken since) repeats it below its ratio
                            tried_below = ratio_leapt if good_mu == mu_leapt else 0.0
                            jumps += 1
                            ratio = JUMP_RATIO**jumps
                            mu_leapt = good_mu
                            ratio_leapt = ratio
                            halvings = 0
                            older_mu = 0.0  # no secant across a leap
                        continue
                    change = 0.0
                    for a in range(n):
                        change = max(change, abs(q[a] - good_p[a]))
                    tried_below = 0.0
                    older_mu = good_mu
                    for a in range(n):
                        older_x[a] = good_x[a]
                        good_x[a] = x[a]
                        good_p[a] = q[a]
                    good_mu = target
                    last_step = change
                    last_regret = regret[0] / span
                    halvings = 0
                    streak += 1
                    if streak >= 2 and ratio < RATIO_MAX:
                        ratio = min(ratio * ratio, RATIO_MAX)
                        streak = 0
                    if last_regret <= regret_tol and last_step <= step_tol:
                        status = CONVERGED if jumps + flips == 0 else CONVERGED_AFTER_JUMP
                        break
                for a in range(n):
                    out_profile[d, a] = good_p[a]
            else:
                softmax_all(x, p, action_offset)
                for a in range(n):
                    out_profile[d, a] = p[a]
            out_mu[d] = good_mu
            out_regret[d] = last_regret
            out_step[d] = last_step
            out_status[d] = status
            out_steps[d] = steps
            out_passes[d] = passes[0]
            out_arcs[d] = arcs


def trace_draws(
    payoffs: FloatArray,
    chance: FloatArray,
    tol: float,
    regret_tol: float,
    step_tol: float,
    max_iter: int,
    memory: int,
    plan: tuple[IntArray, TreeArrays],
    n_nodes: int,
    threads: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray, IntArray, IntArray]:
    """Every draw's traced limit on all cores (see :func:`_trace_blocks`);
    ``plan`` is the tree's arrays in that function's order ``terminal_node ..
    set_nodes`` (:attr:`realpolitik.solve.belief_iteration.BeliefPlan.solve_arrays`).

    Returns profiles ``(D, actions)``, ``mu``, relative regrets, last step
    changes, statuses, lambda steps and tree passes per draw."""
    n_draws = payoffs.shape[0]
    n_actions = int(plan[1].action_offset[-1])
    profile = np.empty((n_draws, n_actions))
    mu = np.empty(n_draws)
    regret = np.empty(n_draws)
    step = np.empty(n_draws)
    status = np.empty(n_draws, dtype=np.int64)
    steps = np.empty(n_draws, dtype=np.int64)
    passes = np.empty(n_draws, dtype=np.int64)
    arcs = np.empty(n_draws, dtype=np.int64)
    run_blocks(
        _trace_blocks,
        n_draws,
        BLOCK,
        (payoffs, chance, tol, regret_tol, step_tol, max_iter, memory, *plan, n_nodes,
         profile, mu, regret, step, status, steps, passes, arcs),
        threads,
        balance=BALANCE,
    )  # fmt: skip
    return profile, mu, regret, step, status, steps, passes, arcs


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
