"""Find a concept's solvers and call them: the one place where the names in
:data:`realpolitik.concepts.CONCEPTS` meet the code that solves.

The registry names solvers by dotted path (``"package.module:function"``), so
that the scenario layer can list concepts without importing the engine; this
module imports them on first use and keeps them. Every tree solver takes the
game and the concept's parameters as keywords and returns a
:class:`~realpolitik.solve.tree_solution.TreeSolution` for all draws.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from realpolitik.concepts import Concept, forecast_concept
from realpolitik.concepts import concept as find_concept
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import TreeGame
from realpolitik.solve.profiles import StrategyProfile
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
TreeSolver = Callable[..., TreeSolution]
NormalFormSolver = Callable[..., list[StrategyProfile]]


@cache
def resolve(path: str) -> Callable[..., Any]:
    """The function at ``"package.module:function"``."""
    module, _, name = path.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return found


def tree_solver(concept: Concept) -> TreeSolver:
    """The concept's vectorised tree solver (it must have one)."""
    if concept.tree_solver is None:
        raise ValueError(f"concept {concept.name} has no tree solver")
    return cast(TreeSolver, resolve(concept.tree_solver))


def normal_form_solver(concept: Concept) -> NormalFormSolver:
    """The concept's one-game normal-form solver (it must have one)."""
    if concept.normal_form_solver is None:
        raise ValueError(f"concept {concept.name} has no normal-form solver")
    return cast(NormalFormSolver, resolve(concept.normal_form_solver))


def concept_arguments(
    concept: Concept, lam: float | FloatArray | None
) -> dict[str, float | FloatArray]:
    """The keyword arguments of ``concept``'s solvers: each of its parameters
    at the value given (``lam``, the only one any concept has today; one
    value, or one per draw for a parameter that allows it) or its default,
    checked."""
    given = {"lam": lam}
    out: dict[str, float | FloatArray] = {}
    for p in concept.parameters:
        value = given.get(p.keyword)
        if value is None:
            out[p.keyword] = p.default
        elif isinstance(value, np.ndarray) and value.ndim:
            out[p.keyword] = p.check_draws(value)
        else:
            out[p.keyword] = p.check(float(value) if isinstance(value, np.ndarray) else value)
    return out


def solve(
    game: TreeGame, concept: str = "spe", lam: float | FloatArray | None = None
) -> TreeSolution:
    """Solve a tree for every draw with ``concept``'s tree solver.

    ``lam`` is the logit precision of concepts that have one (ignored by the
    others): one for every draw, or ``(draws,)`` one per draw.
    """
    found = forecast_concept(concept)
    return tree_solver(found)(game, **concept_arguments(found, lam))


def solve_normal_form(
    game: NormalFormGame, concept: str, lam: float | None = None
) -> list[StrategyProfile]:
    """Solve one normal-form game with ``concept``'s normal-form solver."""
    found = find_concept(concept)
    return normal_form_solver(found)(game, **concept_arguments(found, lam))
