"""The limiting logit equilibrium of a tree: the agent logit QRE's principal
branch followed to lambda -> infinity, for every draw.

Why: the subgame-perfect equilibrium (backward induction) is the
best-response forecast of trees of perfect information and simultaneous
stages, but has no backward induction on trees with other information sets
(private types, signals). The limit of the principal branch of the agent
logit QRE as lambda -> infinity is a sequential equilibrium of any finite
tree with perfect recall (McKelvey and Palfrey 1998, Theorem 5), selected the
way the forecast's own QRE selects one (by continuity from lambda = 0); it is
what Gambit's ``logit_solve`` returns (pygambit 16.7's
``pygambit.nash.logit_solve`` on trees: behaviour strategies, agent form).
Where a tree of perfect information has one SPE, the limit is that SPE (a
tie splits the tied actions equally, where the SPE takes the first).

Method (compiled, one draw at a time, blocks of draws over the cores:
:mod:`realpolitik.solve._limit_trace`): per draw, with ``S`` the draw's
payoff range (max minus min payoff over terminals and players) and ``mu =
lambda S``, the agent QRE is found at ``mu = 1`` from the centroid by the
belief iteration of :mod:`realpolitik.solve.belief_iteration` (Anderson
accelerated Gauss-Seidel sweeps). The branch may then fold back in lambda
(turning points, Turocy 2005), which no lambda schedule can follow: a step
past a turning point lands on another fixed point, possibly of another
branch. Hence:

* where the branch can fold (some information set has several nodes; with
  one node per set the QRE at each lambda is unique) and the tree has at
  most 96 actions, it is followed from ``mu = 1`` to ``mu = 10^4`` by
  pseudo-arc-length continuation in ``(log probabilities, log mu)``
  (Allgower and Georg 1990; Gambit's ``path.cc`` after Turocy 2005):
  tangent from the bordered Jacobian, predictor, chord corrector orthogonal
  to the tangent, step control; a turn of the tangent, a failed corrector
  or a change of the bordered determinant's sign over a long step shorten
  it. It passes turning points;
* beyond (and on larger trees from ``mu = 1``), a geometric schedule of
  ``mu`` whose ratio starts at 1.25, is squared after two good steps (at
  most 16) and square-rooted, i.e. the step in ``log mu`` halved, at a step
  that does not converge (up to 6 halvings in a row). Each step is warm
  started by the secant predictor of the logits in ``mu`` and solved by the
  sweeps and, where they fail or (where the branch can fold) land more
  than ``PREDICTOR_TOL`` (0.25, in some probability) from the prediction,
  by Newton's method from the prediction (every action on trees of at most
  96 actions, else the actions still mixing): the sweeps are drawn to
  stable fixed points, the branch may run along an unstable one (a mixed
  equilibrium). A step whose
  solution is that far from its prediction even so has left the branch and
  is refused (halved);
* where halving does not help, trees of at most 96 actions follow the
  branch by arc length again from the last good point (to 16 times its
  ``mu``, at most 3 times). Otherwise, or where that fails, the trace leaps
  by a ratio of 16, then 256; a draw that converges after a leap, or whose
  continuation failed or passed a sign change of the determinant (a
  bifurcation or a jump), is reported (``LimitTrace.jumped``, a warning):
  its limit is an equilibrium but may lie off the principal branch.

Reach probabilities are kept as logarithms, so beliefs at sets the limit
does not reach are still the ratios of vanishing reach probabilities that
Bayes' rule gives along the branch.

Stopping rule: a draw is at its limit at the first point of the schedule
where

1. the profile is an agent QRE at that lambda (fixed-point residual ``max |p
   - softmax(lambda v(p))| <= max(1e-10, 32 eps mu)``, the second term the
   rounding of logits of size ``mu``);
2. its conditional agent regret (the most any mover gains by changing the
   action at one information set, given reaching it, beliefs by Bayes' rule
   from the profile itself) is at most ``REGRET_TOL x S`` (1e-8); and
3. no action probability moved by more than ``STEP_TOL`` (1e-4) over the
   last step (a ratio of up to 16 in ``mu``).

At a logit QRE the conditional regret at a set of ``k`` actions is at most
``(k - 1) / (e lambda)``, so (2) holds once ``mu`` passes about ``(k - 1) /
(e REGRET_TOL)`` (``4e7`` for two actions), and much earlier where the limit
is pure: the regret bound is pygambit's ``maxregret=1e-8`` relative to the
payoff range, measured per information set and conditional on reaching it
(a sequential, not only Nash, criterion). Then every information set whose
largest probability is within ``VERTEX_TOL`` of 1 is rounded to that vertex
(its other actions have probability ``exp(-mu x gap / S)``, about 0 at such
``mu``). A draw whose trace fails (after the leaps), or whose ``mu`` passes
``1e13``, is not converged: it keeps its last point of the trace,
``residual`` ``inf``, and a warning says how many.

Checked against pygambit 16.7.0's ``logit_solve`` (``tests/solve/
test_logit_limit.py``): the Gambit example trees to 1e-5 where pygambit's
profile reaches a set (Selten's horse, a continuum of equilibria, flagged);
12 random Bayesian trees: 10 within 1.4e-7 (``bayes_7``, whose branch turns
five times, among them), one that mixes within 7e-4, one not converged
(reported); and against the normal-form tracer of
:mod:`realpolitik.solve.logit` on 400 random 3x3 games embedded as trees
(all within 1e-5; the lambda schedule alone ended elsewhere, silently, on
22).

Where it fails (measured on the flagship, first 512 of 2000 draws, seed 7,
2026-12-06): 26 draws (5.1%), all after both leaps, at ``mu`` 137 to 1296;
none at ``MU_MAX``. There the branch runs on a fixed point the sweeps cannot
hold (at ``mu`` 162 of one draw, 16 eigenvalues of the sweeps' map of
modulus 2.8 to 3.0), and Newton's method on the actions still mixing has
too many of them (more than 96) or diverges (it leaves out actions of
vanishing probability that move a belief). Arc length on all 410 actions
(a diagnostic, too dear to ship: 35,000 to 55,000 passes a draw) passes
23 of those points without a turning point; on 3 the branch turns nearly
vertical (``d log mu / ds`` falls to 2e-3, 3e-4 and 1e-6) and it stalls
too. With those actions in Newton's Jacobian (tried, not kept: with up to
96 columns the failing draws cost 80% more passes, with up to 256 nearly
four times as many, and none more converges) 22 of the 26 get to ``mu``
2e4 to 1e5 and stop there: their limits mix (``regret x mu`` stays near 0.25
from ``mu`` 700 to 1e5, so the stopping rule needs ``mu`` near 3e7) and the
steps crawl at the fixed-point tolerance. The draws
left out differ from the others (the forecast's mean probability of the
West's secondary sanctions 0.064 against 0.034); counted at the last
points that Newton reaches they would move the flagship's best-response
column by at most 0.006, below its sampling error (0.018).

Cost per draw: ``O(steps x iterations x (edges + players x edges))`` on
the schedule, about 11 steps and 53 tree passes for a flagship draw whose
limit is pure; the continuation costs ``actions + 3`` passes per step for
its Jacobian (about 800 passes for a 3x3 game, 2300 for a 38-action tree).

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

Allgower, E. L. and Georg, K. (1990). Numerical Continuation Methods: An
Introduction. Springer.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.games.recall import require_perfect_recall
from realpolitik.games.tree import TreeGame
from realpolitik.solve import _limit_trace as kernels
from realpolitik.solve.belief_iteration import (
    FIXED_POINT_TOL,
    MAX_SWEEPS,
    MEMORY,
    belief_plan,
)
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Conditional agent regret, over the payoff range, at which a draw is at its limit.
REGRET_TOL = 1e-8
#: Largest change of an action probability over the last step of a draw at its limit.
STEP_TOL = 1e-4
#: An information set whose best action has at least ``1 - VERTEX_TOL`` is rounded.
VERTEX_TOL = 1e-9

#: The concept's name in :data:`realpolitik.concepts.CONCEPTS`.
CONCEPT = "logit-limit"


@dataclass(frozen=True, eq=False)
class LimitTrace:
    """What the trace did per draw.

    Attributes
    ----------
    profile : ``(D, actions)`` the limit (vertices rounded where converged).
    converged : ``(D,)`` whether the draw met the stopping rule.
    jumped : ``(D,)`` whether it did so after leaping over a stretch of the
        branch that lambda steps could not follow (module docstring).
    lam : ``(D,)`` the lambda (raw payoff scale) of the last point traced.
    regret : ``(D,)`` conditional agent regret of that point over the payoff range.
    step : ``(D,)`` largest probability change over the last step.
    steps : ``(D,)`` lambda steps taken (including retried ones).
    passes : ``(D,)`` tree passes spent.
    arcs : ``(D,)`` stretches of the branch followed by arc length (folds).
    """

    profile: FloatArray
    converged: NDArray[np.bool_]
    jumped: NDArray[np.bool_]
    lam: FloatArray
    regret: FloatArray
    step: FloatArray
    steps: IntArray
    passes: IntArray
    arcs: IntArray


def trace_limit(
    game: TreeGame,
    *,
    regret_tol: float = REGRET_TOL,
    step_tol: float = STEP_TOL,
    threads: int | None = None,
) -> LimitTrace:
    """Trace every draw's principal logit branch to its limit (module
    docstring); no warning, see :func:`solve_logit_limit` for the solver."""
    require_perfect_recall(game.tree, "the logit limit")
    plan = belief_plan(game.tree)
    payoffs = np.ascontiguousarray(game.total_payoffs, dtype=np.float64)
    chance = np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64)
    profile, mu, regret, step, status, steps, passes, arcs = kernels.trace_draws(
        payoffs, chance, FIXED_POINT_TOL, regret_tol, step_tol, MAX_SWEEPS, MEMORY,
        plan.solve_arrays, plan.n_nodes, threads,
    )  # fmt: skip
    converged = status != kernels.NOT_CONVERGED
    jumped = status == kernels.CONVERGED_AFTER_JUMP
    span = payoffs.max(axis=(1, 2)) - payoffs.min(axis=(1, 2)) if payoffs.size else mu
    lam = np.divide(mu, span, out=np.zeros_like(mu), where=span > 0)
    rounded = round_vertices(game, profile, converged)
    return LimitTrace(rounded, converged, jumped, lam, regret, step, steps, passes, arcs)


def round_vertices(game: TreeGame, profile: FloatArray, where: NDArray[np.bool_]) -> FloatArray:
    """``profile`` ``(D, actions)`` with every information set whose best
    action has probability at least ``1 - VERTEX_TOL`` set to that action,
    in the draws ``where`` is True (a loop over information sets, not draws)."""
    tree = game.tree
    out = profile.copy()
    for infoset in range(tree.n_infosets):
        lo, hi = int(tree.action_offset[infoset]), int(tree.action_offset[infoset + 1])
        block = profile[:, lo:hi]
        best = block.argmax(axis=1)
        pure = where & (block.max(axis=1) >= 1.0 - VERTEX_TOL)
        vertex = np.arange(hi - lo)[None, :] == best[:, None]
        out[:, lo:hi] = np.where(pure[:, None], vertex, block)
    return out


def solve_logit_limit(game: TreeGame) -> TreeSolution:
    """The limiting logit equilibrium of every draw of a tree (the
    ``logit-limit`` entry of :data:`realpolitik.concepts.CONCEPTS`).

    Parameters
    ----------
    game : any tree with perfect recall, payoffs ``(draws, terminals,
        players[, terms])``.

    Returns
    -------
    TreeSolution
        ``concept`` ``"logit-limit"``; ``lam`` the lambda at which each draw
        met the stopping rule; ``residual`` the stopping measure, ``max(regret
        / S, last step change)`` (at most :data:`STEP_TOL` where converged),
        ``inf`` where the trace failed (a warning says how many; those draws
        keep the last point traced).

    Examples
    --------
    A variant of Selten's horse: player 3, not knowing whether 1 or 2 moved,
    must hold a belief. In the limit 1 continues (C) and 3 plays R; then 2
    gets 1 either way, and the branch splits 2's choice equally:

    >>> from realpolitik.games.tree import TreeBuilder
    >>> b = TreeBuilder(["1", "2", "3"])
    >>> c, d = b.decision(b.root, "1", ["C", "D"])
    >>> c2, d2 = b.decision(c, "2", ["c", "d"])
    >>> b.terminal(c2, [1, 1, 1])
    >>> for node in (d, d2):
    ...     left, right = b.decision(node, "3", ["L", "R"], infoset="3")
    ...     b.terminal(left, [3, 2, 2] if node == d else [4, 4, 0])
    ...     b.terminal(right, [0, 0, 0] if node == d else [1, 1, 1])
    >>> tree, payoffs = b.build()
    >>> limit = solve_logit_limit(TreeGame.single(tree, payoffs))
    >>> limit.behaviour.round(6).tolist()
    [[1.0, 0.0, 0.5, 0.5, 0.0, 1.0]]
    """
    trace = trace_limit(game)
    residual = np.where(trace.converged, np.maximum(trace.regret, trace.step), np.inf)
    failed = int((~trace.converged).sum())
    if failed:
        warnings.warn(
            f"the logit limit did not converge in {failed} of {game.n_draws} draws (the trace "
            f"stopped at lambda up to {float(trace.lam[~trace.converged].max()):.3g}); the "
            "last point traced is used there",
            UserWarning,
            stacklevel=2,
        )
    leaps = int(trace.jumped.sum())
    if leaps:
        warnings.warn(
            f"the logit limit leapt over a stretch of the branch it could not follow (a fold "
            f"in lambda the arc-length continuation could not pass, or a singular point) in "
            f"{leaps} of {game.n_draws} draws; their limits are equilibria but may lie on "
            "another branch than the principal one",
            UserWarning,
            stacklevel=2,
        )
    return TreeSolution(
        game=game,
        concept=CONCEPT,
        mixed_t=np.ascontiguousarray(trace.profile.T),
        lam=trace.lam,
        residual=residual,
    )
