"""A scenario's game at its central values as Gambit ``.efg`` text, with the
solution concept and lambda recorded in the file's comment.

Why this module exists: ``realpolitik export-gambit`` and the Python API
(``rp.export_gambit``) write the same file; ``realpolitik solve`` reads the
``lambda=`` back (:func:`realpolitik.games.gambit_io.comment_lambda`), so
``solve --concept qre`` on the export agrees with ``forecast``.
"""

from __future__ import annotations

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.gambit_io import write_efg
from realpolitik.scenario.model import Scenario

__all__ = ["export_comment", "gambit_text"]


def export_comment(scenario: Scenario, lam: float | None = None) -> str:
    """The comment of an exported game: where it comes from, concept, lambda."""
    precision = scenario.solve.lam if lam is None else lam
    return (
        f"realpolitik export-gambit {scenario.id}: central parameter values; "
        f"concept={scenario.solve.concept} lambda={precision:.17g} (logit precision on this "
        "file's payoff scale; realpolitik solve reads it)"
    )


def gambit_text(scenario: Scenario, lam: float | None = None) -> tuple[str, int, int]:
    """The ``.efg`` text of the scenario's game at the central values, and the
    tree's numbers of nodes and outcomes."""
    compiled = compile_scenario(scenario)
    game = compiled.game(compiled.parameter_values(), terms=False, first_draw=None)
    text = write_efg(game, comment=export_comment(scenario, lam))
    return text, compiled.tree.n_nodes, compiled.tree.n_terminals
