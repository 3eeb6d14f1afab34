"""The solution concepts realpolitik knows: one table that the scenario
loader, the run settings, the command line, the web API (and through it the
dashboard) and the solvers all read.

Why a table, and why here: a concept's name, its own parameters (the logit
precision of the QRE), its description and where its solvers live were once
repeated in nine places. SALib finds a method by name and calls every one
with the same signature; OpenSpiel registers games by name. Here each entry
names its solvers by dotted path (``"package.module:function"``, the form of
Python's entry points) rather than importing them, so that this module sits on
the ground floor: the scenario layer reads the list of concepts without
importing the game engine, and :mod:`realpolitik.solve.dispatch` resolves the
paths when something is solved.

Adding a concept is one module in :mod:`realpolitik.solve` plus one entry in
:data:`CONCEPTS`. A concept may have

- a **tree solver** ``f(game: TreeGame, **parameters) -> TreeSolution``,
  vectorised over the game's draws: the concepts a scenario can be forecast
  with (:func:`forecast_concepts`);
- a **normal-form solver** ``f(game: NormalFormGame, **parameters) ->
  list[StrategyProfile]`` for one game: ``realpolitik solve`` on ``.nfg``
  files (a tree without a tree solver is solved on its reduced strategic form).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError, listing


@dataclass(frozen=True)
class ConceptParameter:
    """A parameter of a solution concept (say, the QRE's precision).

    Attributes
    ----------
    name : its name in files, on the command line and in JSON (``lambda``).
    keyword : its Python keyword argument (``lam``: ``lambda`` is reserved).
    description : what it means, for help texts and the API.
    default : its value when neither the scenario nor the user sets one.
    minimum : the smallest admissible value (inclusive); values must be finite.
    per_draw : whether the solvers accept one value per draw (an array
        ``(draws,)``), so that the parameter can be drawn like any other
        (a lambda with a distribution).
    """

    name: str
    keyword: str
    description: str
    default: float
    minimum: float = -math.inf
    per_draw: bool = False

    def check_draws(self, values: ArrayLike, where: str = "") -> NDArray[np.float64]:
        """Per-draw ``values`` ``(draws,)`` checked as :meth:`check` checks
        one; refused for a parameter that is not :attr:`per_draw`."""
        label = where or self.name
        if not self.per_draw:
            raise InputError(f"{label} takes one value, not one per draw")
        row = np.asarray(values, dtype=np.float64)
        if row.ndim != 1:
            raise InputError(f"{label}: one value per draw, shape (draws,), got {row.shape}")
        bad = ~np.isfinite(row) | (row < self.minimum)
        if bad.any():
            draw = int(np.argmax(bad))
            raise InputError(
                f"{label} must be a number >= {self.minimum:g}, got {row[draw]} at draw {draw}"
            )
        return row

    def check(self, value: object, where: str = "") -> float:
        """``value`` as a float, or an :class:`InputError` saying what is wrong."""
        label = where or self.name
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{label} must be a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            raise InputError(
                f"{label} must be a number >= {self.minimum:g}, got an integer "
                "beyond the float range"
            ) from None
        if not math.isfinite(number) or number < self.minimum:
            raise InputError(f"{label} must be a number >= {self.minimum:g}, got {number}")
        return number


@dataclass(frozen=True)
class Concept:
    """A solution concept: its name, what it means, its parameters and solvers.

    Attributes
    ----------
    name : the name users type (``spe``, ``qre``, ``pure-nash``, ...).
    title : a short title.
    description : one or two sentences for help texts, the API and the page.
    parameters : the concept's own parameters.
    tree_solver : dotted path of the vectorised tree solver, or None.
    normal_form_solver : dotted path of the one-game normal-form solver, or None.
    """

    name: str
    title: str
    description: str
    parameters: tuple[ConceptParameter, ...] = ()
    tree_solver: str | None = None
    normal_form_solver: str | None = None

    @property
    def forecasts(self) -> bool:
        """Whether a scenario can be forecast with this concept."""
        return self.tree_solver is not None

    def parameter(self, name: str) -> ConceptParameter:
        """The parameter called ``name`` (its file name or its keyword)."""
        for p in self.parameters:
            if name in (p.name, p.keyword):
                return p
        raise InputError(f"concept {self.name} has no parameter '{name}'")

    def defaults(self) -> dict[str, float]:
        """``keyword -> default`` of every parameter."""
        return {p.keyword: p.default for p in self.parameters}

    def describe(self) -> dict[str, object]:
        """The entry as plain data (for JSON and the dashboard)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "forecasts": self.forecasts,
            "parameters": [
                {
                    "name": p.name,
                    "description": p.description,
                    "default": p.default,
                    "minimum": p.minimum if math.isfinite(p.minimum) else None,
                }
                for p in self.parameters
            ],
        }


#: The logit precision shared by the QRE entries.
LAMBDA = ConceptParameter(
    name="lambda",
    keyword="lam",
    description="logit precision on the raw payoff scale: 0 is uniform play, "
    "large values approach best responses",
    default=1.0,
    minimum=0.0,
    per_draw=True,
)

#: Every solution concept, by name, in the order help texts list them.
CONCEPTS: Mapping[str, Concept] = MappingProxyType(
    {
        c.name: c
        for c in (
            Concept(
                name="pure-nash",
                title="Pure Nash equilibria",
                description="every pure-strategy Nash equilibrium (trees: of the reduced "
                "strategic form, as Gambit's enumpure)",
                normal_form_solver="realpolitik.solve.pure_nash:pure_nash_equilibria",
            ),
            Concept(
                name="mixed-nash",
                title="Mixed Nash equilibria",
                description="every extreme equilibrium of a two-player game (as Gambit's "
                "enummixed); for more players, the limit of the principal logit branch",
                normal_form_solver="realpolitik.solve.mixed_nash:mixed_nash_equilibria",
            ),
            Concept(
                name="spe",
                title="Subgame-perfect equilibrium",
                description="backward induction (first best action on ties; simultaneous "
                "stages by the limit of the logit branch); the deterministic forecast",
                tree_solver="realpolitik.solve.backward_induction:solve_spe",
            ),
            Concept(
                name="qre",
                title="Agent logit quantal response equilibrium",
                description="each mover plays each action with probability proportional to "
                "exp(lambda x its value), at every information set (McKelvey and Palfrey "
                "1998); the probabilistic forecast",
                parameters=(LAMBDA,),
                tree_solver="realpolitik.solve.qre:solve_qre",
                normal_form_solver="realpolitik.solve.qre:normal_form_qre",
            ),
            Concept(
                name="logit-limit",
                title="Limiting logit equilibrium",
                description="the agent logit QRE's principal branch followed to lambda -> "
                "infinity (McKelvey and Palfrey 1998; Gambit's logit_solve): a sequential "
                "equilibrium of any tree, information sets included; the best-response "
                "forecast where backward induction does not apply",
                tree_solver="realpolitik.solve.logit_limit:solve_logit_limit",
            ),
        )
    }
)


def concept(name: str) -> Concept:
    """The concept called ``name``, or an :class:`InputError` with a did-you-mean."""
    found = CONCEPTS.get(name)
    if found is None:
        raise InputError(_unknown(name, tuple(CONCEPTS)))
    return found


#: The concept name of a declared mixture of concepts in run settings.
MIXTURE = "mixture"


def uses_lambda(name: str, mixture: tuple[tuple[str, float], ...] = ()) -> bool:
    """Whether forecasting with concept ``name`` (for :data:`MIXTURE`, with
    any concept of ``mixture``) uses the logit precision: where it does not
    (the SPE, the logit limit), a drawn lambda is not part of the forecast."""
    names = [c for c, _ in mixture] if name == MIXTURE else [name]
    return any(p.keyword == LAMBDA.keyword for c in names for p in concept(c).parameters)


def forecast_concepts() -> tuple[str, ...]:
    """Names of the concepts a scenario can be forecast with."""
    return tuple(c.name for c in CONCEPTS.values() if c.forecasts)


def forecast_concept(name: str) -> Concept:
    """The concept called ``name`` if a scenario can be forecast with it."""
    if name not in CONCEPTS:
        raise InputError(_unknown(name, forecast_concepts()))
    found = CONCEPTS[name]
    if not found.forecasts:
        raise InputError(
            f"concept '{name}' does not forecast scenarios; use {listing(forecast_concepts())}"
        )
    return found


def _unknown(name: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown concept '{name}'{hint}; use {listing(valid)}"
