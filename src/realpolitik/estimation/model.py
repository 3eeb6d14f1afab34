"""A strategic model specified on a data set: which game, link and errors,
the equations, how columns are coded, and the coefficient names.

Why a module of its own: the specification outlives the fit. The same recipe
turns the estimation data into a likelihood and new data (a profile for
predicted probabilities) into regressors, and it names coefficients as
``games`` 1.1.2 does (``makeVarNames``): ``u1(no attack):lreserves``,
``u1(devaluation):(Intercept)``, ``log(sigma)`` or ``log(sigma1):balanc``,
and plain ``u1(war)`` for utilities fixed by ``fixed_utils``.

Options follow ``games`` (Kenkel and Signorino 2014, sec. 3):
``fixed_utils`` fixes every utility at a constant and estimates the error
scale only (with ``~ 1`` as the default scale equation); ``sd_formula`` gives
``log sigma`` (probit) or ``log lambda`` (logit) as a linear function of
columns, one equation shared by all players or, with ``sd_by_player``, one
per player. A regressor in all of one player's utility equations is not
identified (Lewis and Schultz 2003) and is refused before fitting.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.estimation.canonical import CANONICAL_GAMES, CanonicalGame
from realpolitik.estimation.design import (
    ColumnCoding,
    Outcome,
    check_columns,
    code_columns,
    decode_outcome,
    drop_missing,
    equation_matrix,
)
from realpolitik.estimation.formula import (
    Equation,
    parse_game_formula,
    parse_scale_formula,
)
from realpolitik.estimation.likelihood import GameLikelihood
from realpolitik.estimation.links import get_link
from realpolitik.estimation.tree import ErrorStructure

__all__ = ["PreparedData", "StrategicModel", "prepare"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_ONE = Equation("1", True, ())


@dataclass(frozen=True)
class StrategicModel:
    """Everything about a model but its data.

    Attributes
    ----------
    game : the canonical game.
    link : ``probit`` or ``logit``.
    errors : ``agent`` or ``private``.
    formula : the model formula as given.
    outcome_columns : columns coding the outcome.
    utility_equations : one per utility slot.
    scale_equations : none (unit scales), one shared, or one per player.
    sd_formula : the scale formula as given (or implied by ``fixed_utils``).
    fixed_utils : fixed utility values, or ``None``.
    coding : how each regressor column is coded.
    levels : outcome names, terminal nodes left to right.
    names : coefficient names, as ``games`` builds them.
    equation_of : for every coefficient, the index of its equation.
    equation_names : equation prefixes (``u1(no attack)``, ``log(sigma)``).
    """

    game: CanonicalGame
    link: str
    errors: ErrorStructure
    formula: str
    outcome_columns: tuple[str, ...]
    utility_equations: tuple[Equation, ...]
    scale_equations: tuple[Equation, ...]
    sd_formula: str | None
    fixed_utils: tuple[float, ...] | None
    coding: dict[str, ColumnCoding]
    levels: tuple[str, ...]
    names: tuple[str, ...]
    equation_of: tuple[int, ...]
    equation_names: tuple[str, ...]

    @property
    def sd_by_player(self) -> bool:
        return len(self.scale_equations) > 1

    @property
    def regressor_columns(self) -> tuple[str, ...]:
        """Columns the equations use, in order of first appearance."""
        seen: dict[str, None] = {}
        for eq in (*self.utility_equations, *self.scale_equations):
            for col in eq.columns:
                seen.setdefault(col, None)
        return tuple(seen)

    @property
    def free(self) -> BoolArray:
        """Which coefficients are estimated (all but fixed utilities)."""
        mask = np.ones(len(self.names), dtype=bool)
        if self.fixed_utils is not None:
            mask[: len(self.fixed_utils)] = False
        return mask

    def designs(self, frame: pd.DataFrame) -> tuple[tuple[FloatArray, ...], tuple[FloatArray, ...]]:
        """Utility and scale regressors for the rows of ``frame``."""
        util = tuple(equation_matrix(frame, eq, self.coding)[0] for eq in self.utility_equations)
        scale = tuple(equation_matrix(frame, eq, self.coding)[0] for eq in self.scale_equations)
        return util, scale

    def likelihood(self, frame: pd.DataFrame, outcome: Outcome) -> GameLikelihood:
        """The log-likelihood of ``outcome`` given the rows of ``frame``."""
        util, scale = self.designs(frame)
        groups = (
            tuple(range(self.game.n_players)) if self.sd_by_player else (0,) * self.game.n_players
        )
        return GameLikelihood(
            tree=self.game.tree,
            link=get_link(self.link),
            errors=self.errors,
            utility_designs=util,
            scale_designs=scale,
            scale_group=groups,
            outcome=outcome.terminal,
        )


@dataclass(frozen=True)
class PreparedData:
    """A model with the rows it is estimated on."""

    model: StrategicModel
    frame: pd.DataFrame
    outcome: Outcome
    n_rows: int
    n_dropped: int


def _names(
    game: CanonicalGame,
    levels: Sequence[str],
    utility_names: Sequence[list[str]],
    scale_names: Sequence[list[str]],
    link: str,
    fixed: bool,
) -> tuple[list[str], list[int], list[str]]:
    """Coefficient names by ``games``' rule: ``prefix:column``, except a
    scale equation (or a fixed utility) holding only an intercept is named by
    its prefix alone."""
    scale_word = "sigma" if link == "probit" else "lambda"
    prefixes = game.equation_prefixes(list(levels))
    if len(scale_names) == 1:
        prefixes.append(f"log({scale_word})")
    else:
        prefixes.extend(f"log({scale_word}{k + 1})" for k in range(len(scale_names)))
    all_names = [*utility_names, *scale_names]
    names: list[str] = []
    owner: list[int] = []
    for k, (prefix, cols) in enumerate(zip(prefixes, all_names, strict=True)):
        is_utility = k < len(utility_names)
        only_constant = cols == ["(Intercept)"]
        if only_constant and (not is_utility or fixed):
            names.append(prefix)
        else:
            names.extend(f"{prefix}:{c}" for c in cols)
        owner.extend([k] * len(cols))
    return names, owner, prefixes


def _check_identification(
    game: CanonicalGame, utility_names: Sequence[list[str]], prefixes: Sequence[str]
) -> None:
    for group in game.identification_groups:
        common = set(utility_names[group[0]])
        for slot in group[1:]:
            common &= set(utility_names[slot])
        if common:
            shown = ", ".join(c for c in utility_names[group[0]] if c in common)
            player = game.tree.slots[group[0]][0] + 1
            eqs = ", ".join(prefixes[s] for s in group)
            raise InputError(
                f"identification problem: {shown} appear(s) in all of player {player}'s "
                f"utility equations ({eqs}); only differences across them are identified "
                "(Lewis and Schultz 2003): drop it from one equation",
                field="formula",
            )


def prepare(
    game: str | CanonicalGame,
    data: pd.DataFrame,
    formula: str,
    *,
    link: str = "probit",
    errors: str = "agent",
    levels: Sequence[str] | None = None,
    sd_formula: str | None = None,
    sd_by_player: bool = False,
    fixed_utils: Sequence[float] | None = None,
    source: str | None = None,
) -> PreparedData:
    """Check a model against its data and build its specification.

    Raises :class:`~realpolitik.errors.InputError` for anything a user can get
    wrong: an unknown game, link or error structure, a formula with the wrong
    number of parts, unknown or non-numeric columns, outcome codes that match
    no terminal node, an unidentified regressor, too few cases.
    """
    if isinstance(game, str):
        if game not in CANONICAL_GAMES:
            raise InputError(
                f"unknown model {game!r}; use one of {', '.join(CANONICAL_GAMES)}", field="model"
            )
        game = CANONICAL_GAMES[game]
    if link not in ("probit", "logit"):
        raise InputError(f"unknown link {link!r}; use probit or logit", field="link")
    if errors not in ("agent", "private"):
        raise InputError(
            f"unknown error structure {errors!r}; use agent or private", field="errors"
        )
    if errors == "private" and link != "probit":
        raise InputError(
            "private-information errors are normal: use --link probit (logit is for agent errors)",
            field="link",
        )
    err: ErrorStructure = "agent" if errors == "agent" else "private"
    parsed = parse_game_formula(formula)
    n_slots = len(game.tree.slots)
    fixed: tuple[float, ...] | None = None
    if fixed_utils is not None:
        fixed = tuple(float(v) for v in fixed_utils)
        if len(fixed) != n_slots or not all(np.isfinite(fixed)):
            labels = ", ".join(game.utility_labels)
            raise InputError(
                f"{game.name} fixes {n_slots} finite utilities ({labels}), not {len(fixed)}",
                field="fixed_utils",
            )
        if any(eq.terms or not eq.intercept for eq in parsed.equations) or len(
            parsed.equations
        ) not in (1, n_slots):
            warnings.warn(
                "with fixed utilities the utility equations of the formula are not used; "
                "write the formula as 'OUTCOME ~ 1'",
                stacklevel=2,
            )
        utility_eqs: tuple[Equation, ...] = (_ONE,) * n_slots
        if sd_formula is None:
            sd_formula = " | ".join(["1"] * game.n_players) if sd_by_player else "1"
    else:
        if len(parsed.equations) != n_slots:
            labels = " | ".join(game.utility_labels)
            raise InputError(
                f"{game.name} needs {n_slots} utility equations separated by '|' "
                f"({labels}); the formula has {len(parsed.equations)}",
                field="formula",
            )
        utility_eqs = parsed.equations
    scale_eqs: tuple[Equation, ...] = ()
    if sd_formula is not None:
        scale_eqs = parse_scale_formula(sd_formula)
        wanted = game.n_players if sd_by_player else 1
        if len(scale_eqs) != wanted:
            raise InputError(
                f"the scale formula needs {wanted} part(s) "
                f"({'one per player' if sd_by_player else 'shared by all players'}), "
                f"not {len(scale_eqs)}",
                field="sd_formula",
            )
    elif sd_by_player:
        raise InputError(
            "scales by player need a scale formula (--sd-formula) or fixed utilities",
            field="sd_by_player",
        )
    regressors: dict[str, None] = {}
    for eq in (*utility_eqs, *scale_eqs):
        for col in eq.columns:
            regressors.setdefault(col, None)
    used = [*parsed.outcome, *regressors]
    check_columns(data, used, source)
    frame, n_dropped = drop_missing(data, used)
    coding = code_columns(frame, list(regressors), source)
    outcome = decode_outcome(frame, parsed.outcome, game, levels, source)
    util_names = [equation_matrix(frame.iloc[:0], eq, coding)[1] for eq in utility_eqs]
    scale_names = [equation_matrix(frame.iloc[:0], eq, coding)[1] for eq in scale_eqs]
    names, owner, prefixes = _names(
        game, outcome.levels, util_names, scale_names, link, fixed is not None
    )
    if fixed is None:
        _check_identification(game, util_names, prefixes)
    model = StrategicModel(
        game=game,
        link=link,
        errors=err,
        formula=parsed.text,
        outcome_columns=parsed.outcome,
        utility_equations=utility_eqs,
        scale_equations=scale_eqs,
        sd_formula=sd_formula,
        fixed_utils=fixed,
        coding=coding,
        levels=outcome.levels,
        names=tuple(names),
        equation_of=tuple(owner),
        equation_names=tuple(prefixes),
    )
    n_free = int(model.free.sum())
    if len(frame) <= n_free:
        raise InputError(
            f"too few cases: {len(frame)} usable (of {len(data)}; {n_dropped} with missing "
            f"values) for {n_free} coefficients",
            file=source,
        )
    return PreparedData(model, frame, outcome, len(data), n_dropped)
