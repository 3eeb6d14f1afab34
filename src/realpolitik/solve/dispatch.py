"""Pick the solver for a tree and a solution concept.

Backward induction handles perfect-information trees with chance nodes and
simultaneous stages, for both the SPE and the agent QRE. Trees with other
information sets are solved for the agent QRE by following the principal
logit branch of the whole game (:mod:`realpolitik.solve.agent_qre`); their
SPE is refused with a clear message, since "subgame perfect" needs proper
subgames the fast path cannot find.
"""

from __future__ import annotations

from realpolitik.games.tree import TreeClass, TreeGame
from realpolitik.solve.backward_induction import solve_tree
from realpolitik.solve.tree_solution import TreeSolution

CONCEPTS = ("spe", "qre")


def solve(game: TreeGame, concept: str = "spe", lam: float | None = None) -> TreeSolution:
    """Solve a tree game for every draw with the right solver for its class."""
    if concept == "qre" and game.tree.tree_class == TreeClass.GENERAL:
        from realpolitik.solve.agent_qre import agent_qre

        assert lam is not None
        return agent_qre(game, lam)
    return solve_tree(game, concept, lam)
