"""The logit quantal response equilibrium as a solution concept: the entry
points named by :data:`realpolitik.concepts.CONCEPTS` for ``qre``.

Trees of perfect information (with chance nodes and simultaneous stages) are
solved exactly by one backward pass
(:func:`realpolitik.solve.backward_induction.solve_tree`); trees with other
information sets by following the principal logit branch of the whole game
(:func:`realpolitik.solve.agent_qre.agent_qre`, or, for larger trees, by
compiled belief iteration,
:func:`realpolitik.solve.belief_iteration.agent_qre_fixed_point`);
one normal-form game by the
path follower of :func:`realpolitik.solve.logit.logit_qre`. In every case each
mover plays ``p(a) ∝ exp(lam * v(a))`` on the raw payoff scale (McKelvey and
Palfrey 1995, 1998; Gambit's ``logit_solve_lambda``).
"""

from __future__ import annotations

from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import TreeClass, TreeGame
from realpolitik.solve.agent_qre import agent_qre, agent_qre_per_draw
from realpolitik.solve.backward_induction import Precision, common_lambda, lambda_row, solve_tree
from realpolitik.solve.belief_iteration import agent_qre_fixed_point
from realpolitik.solve.homotopy import TraceStatus
from realpolitik.solve.logit import logit_qre
from realpolitik.solve.profiles import StrategyProfile
from realpolitik.solve.tree_solution import TreeSolution

#: Trees with general information sets, at most this many actions (over all
#: information sets) and chance outcomes of positive probability are solved
#: by the exact path follower; others by belief iteration (which falls back
#: on the path follower where it does not converge and the tree allows).
PATH_FOLLOWER_MAX_ACTIONS = 24


def solve_qre(game: TreeGame, lam: Precision) -> TreeSolution:
    """The agent logit QRE of a tree at precision ``lam``, for every draw:
    one precision, or one per draw ``(draws,)`` (a drawn lambda)."""
    if game.tree.tree_class == TreeClass.GENERAL:
        shared = common_lambda(lam)
        positive = bool((game.edge_chance_probs() > 0).all())
        if game.tree.n_actions <= PATH_FOLLOWER_MAX_ACTIONS and positive:
            if shared is None:
                return agent_qre_per_draw(game, lambda_row(lam, game.n_draws))
            return agent_qre(game, shared)
        per_draw = lambda_row(lam, game.n_draws) if shared is None else shared
        return agent_qre_fixed_point(game, per_draw)
    return solve_tree(game, "qre", lam)


def normal_form_qre(game: NormalFormGame, lam: float) -> list[StrategyProfile]:
    """The logit QRE of a one-draw normal-form game on the principal branch."""
    qre = logit_qre(game.payoffs, lam)
    return [
        StrategyProfile(
            tuple(p[0] for p in qre.at(0)),
            {
                "lambda": float(qre.lam[0, 0]),
                "fixed_point_residual": float(qre.fixed_point_residual[0, 0]),
                # the principal branch crossed a bifurcation on its way from
                # lambda = 0: several QRE branches exist there (homotopy.py)
                "passed_bifurcation": bool(
                    qre.status[0, 0] == TraceStatus.REACHED_AFTER_BIFURCATION
                ),
            },
        )
    ]
