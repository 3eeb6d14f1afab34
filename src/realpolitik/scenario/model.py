"""The validated, typed form of a crisis scenario.

A scenario is data (see ``docs/scenario-format.md``): actors, uncertain
parameters with distributions and sources, an ordered list of moves, each
actor's payoff as named terms, and metrics. It never knows how it will be
solved (OpenSpiel's lesson: a game is a small declarative object); the
compiler in :mod:`realpolitik.compiler.scenario_tree` turns it into a game tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from realpolitik.concepts import LAMBDA
from realpolitik.errors import InputError, Problem
from realpolitik.scenario.expressions import Expression
from realpolitik.uncertainty.distributions import Distribution

MoveKind = Literal["decision", "chance", "simultaneous"]


@dataclass(frozen=True)
class Source:
    """A reference that parameters cite."""

    id: str
    cite: str
    url: str = ""
    note: str = ""
    #: publication date as written (YYYY, YYYY-MM or YYYY-MM-DD), "" if undated
    date: str = ""
    #: where in the source (a page, a table)
    page: str = ""


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True, eq=False)
class Link:
    """A parameter taken, draw by draw, from another scenario's outcome.

    ``take`` names the outcome: ``metric:ID`` (the metric's expected value),
    ``ACTOR:ACTION`` or ``ACTOR:MOVE:ACTION`` (the action's probability),
    or ``belief:ACTOR:SUBJECT=LEVEL`` with ``given`` (the actor's posterior
    at the information set where it observed ``given``).
    """

    scenario: Scenario
    take: str
    given: tuple[tuple[str, str], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Parameter:
    """One uncertain number, its distribution and where it came from (or,
    for a linked parameter, the other scenario it is taken from)."""

    id: str
    distribution: Distribution
    description: str
    unit: str
    sources: tuple[str, ...]
    note: str = ""
    line: int | None = None
    link: Link | None = None
    #: why the value is the analyst's judgement ("" when it is sourced)
    judgement: str = ""

    @property
    def is_judgement(self) -> bool:
        """Whether the value rests on judgement rather than on its sources."""
        return bool(self.judgement)

    @property
    def central(self) -> float:
        return self.distribution.central()


#: The name of a linear predictor's intercept (R's, as ``games`` names it).
INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class LinearPredictor:
    """A parameter estimated from data: a linear function of data columns,
    ``value = sum_j b_j x_j`` (``estimate:`` in the file; see
    :mod:`realpolitik.scenario.linear`).

    ``terms`` lists each regressor as the columns multiplied together, the
    empty tuple being the intercept. Once fitted, each coefficient ``b_j`` is
    a parameter of the scenario named ``<id>:<term>`` (``resolve:(Intercept)``,
    ``resolve:trade_share``), drawn like any other, and every column is a
    parameter too (the case being forecast); before the fit the coefficients
    are unknown and the scenario can only be estimated.
    """

    id: str
    formula: str
    terms: tuple[tuple[str, ...], ...]
    fitted: bool
    line: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Each coefficient's term name: ``(Intercept)``, ``x``, ``x:z``."""
        return tuple(":".join(t) if t else INTERCEPT for t in self.terms)

    @property
    def coefficient_ids(self) -> tuple[str, ...]:
        """The coefficients as parameters: ``<id>:<term>``."""
        return tuple(f"{self.id}:{name}" for name in self.names)

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns used, in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for column in term:
                seen.setdefault(column, None)
        return tuple(seen)

    def regressors(self, columns: Mapping[str, NDArray[np.float64]]) -> list[NDArray[np.float64]]:
        """Each term's regressor from the columns' values (any shapes that
        broadcast; the intercept is 1)."""
        out: list[NDArray[np.float64]] = []
        for term in self.terms:
            value: NDArray[np.float64] = np.ones((1, 1))
            for column in term:
                value = value * np.asarray(columns[column], dtype=np.float64)
            out.append(value)
        return out

    def evaluate(
        self, values: Mapping[str, NDArray[np.float64]], file: str = ""
    ) -> NDArray[np.float64]:
        """The parameter's value from its coefficients and columns, both
        found in ``values`` (parameters by id, ``(D, 1)`` arrays)."""
        if not self.fitted:
            raise InputError(
                f"parameter '{self.id}' is estimated from data and has no coefficients yet; "
                f"fit it first (realpolitik estimate {file or 'SCENARIO'} --data CASES.csv "
                "--write FITTED.yaml) and use the fitted file",
                file=file or None,
                line=self.line,
                field=f"parameters.{self.id}.estimate",
            )
        total: NDArray[np.float64] = np.zeros((1, 1))
        for coefficient, regressor in zip(
            self.coefficient_ids, self.regressors(values), strict=True
        ):
            total = total + np.asarray(values[coefficient], dtype=np.float64) * regressor
        return total


@dataclass(frozen=True)
class Action:
    id: str
    label: str


@dataclass(frozen=True)
class Dimension:
    """One dimension of a compound move: a choice among levels made jointly
    with the move's other dimensions (say, ``sanctions: [join, abide,
    help_evade]`` beside ``un_stance``).

    ``observed_by`` lists the actors who see the level chosen (None: as the
    move's ``observed_by`` says); the mover always sees its own choice.
    """

    id: str
    levels: tuple[Action, ...]
    observed_by: tuple[str, ...] | None = None
    line: int | None = None

    def level_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.levels)


@dataclass(frozen=True)
class Move:
    """One stage of the crisis.

    ``kind`` is "decision" (one actor chooses), "simultaneous" (several actors
    choose without seeing each other) or "chance" (nature, with probability
    expressions). ``actions[actor]`` lists each mover's options; a chance
    move's outcomes are under the key "chance". ``when`` (a condition on
    earlier actions only) says on which paths the move happens.
    """

    id: str
    kind: MoveKind
    actors: tuple[str, ...]
    actions: MappingProxyType[str, tuple[Action, ...]]
    probabilities: MappingProxyType[str, Expression] = field(
        default_factory=lambda: MappingProxyType({})
    )
    when: Expression | None = None
    description: str = ""
    line: int | None = None
    #: line of each chance outcome's probability (for errors found on draws)
    probability_lines: MappingProxyType[str, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: per actor, the dimensions of a compound move (no entry: a plain move);
    #: its ``actions`` are then the joint actions, one per allowed combination
    dimensions: MappingProxyType[str, tuple[Dimension, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: per actor of a compound move, each joint action's level in every dimension
    joint_levels: MappingProxyType[str, tuple[tuple[int, ...], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: who sees the move's outcome (None: every actor); a mover sees its own
    #: choice, an actor its own type
    observed_by: tuple[str, ...] | None = None
    #: for the chance move that draws an actor's private type: that actor
    type_of: str | None = None

    def visible_to(self, actor: str, mover: str) -> tuple[bool, ...] | bool:
        """Whether ``actor`` sees ``mover``'s choice at this move: one flag per
        dimension of a compound move, else one flag."""
        if actor == mover:
            return True
        seen = self.observed_by is None or actor in self.observed_by
        dims = self.dimensions.get(mover)
        if dims:  # a dimension's own observers, else the move's
            return tuple(seen if d.observed_by is None else actor in d.observed_by for d in dims)
        return seen

    def action_ids(self, actor: str) -> tuple[str, ...]:
        return tuple(a.id for a in self.actions[actor])

    def label(self, actor: str, action: str) -> str:
        for a in self.actions[actor]:
            if a.id == action:
                return a.label or a.id
        return action


@dataclass(frozen=True)
class Term:
    """A named part of an actor's payoff: a cost or a benefit."""

    actor: str
    id: str
    expression: Expression
    description: str = ""
    line: int | None = None
    #: in a scenario with rounds: earned every round (discounted), rather than
    #: once at the end
    per_round: bool = False


@dataclass(frozen=True)
class StateVariable:
    """A value carried from round to round (say, the evidence of evasion or
    the sanctions packages in force): ``initial`` before the first round,
    then ``next`` of the round just played."""

    id: str
    initial: Expression
    next: Expression
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Rounds:
    """A stage of moves repeated over rounds: the moves ``stage`` (a block of
    consecutive moves of the scenario) are played ``count`` times, each
    round seeing the earlier rounds; ``discount`` weighs round ``r``'s
    per-round payoff terms by ``discount ** (r - 1)``; ``state`` carries
    values from round to round."""

    count: int
    stage: tuple[str, ...]
    discount: Expression
    state: tuple[StateVariable, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Derived:
    """A named intermediate quantity (a number or a condition) computed at
    each outcome from parameters, actions and earlier derived names, and
    usable in payoff terms and metrics."""

    id: str
    expression: Expression
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Metric:
    """A named quantity evaluated at each outcome (reported as an expectation)."""

    id: str
    expression: Expression
    unit: str = ""
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class IssueActor:
    """One actor's stance on a bargaining issue: position on the issue's
    scale, capability (> 0) and salience (in [0, 1]), each an expression of
    the scenario's parameters, so uncertain stances run through the same
    draws as the crisis model."""

    actor: str
    position: Expression
    capability: Expression
    salience: Expression
    line: int | None = None


@dataclass(frozen=True)
class Issue:
    """A bargaining issue (one dimension) among the scenario's actors, for
    the expected-utility and spatial bargaining models."""

    id: str
    description: str
    scale: tuple[float, float]
    actors: tuple[IssueActor, ...]
    line: int | None = None


@dataclass(frozen=True)
class SolveDefaults:
    """How the scenario is solved when the user does not say: a concept of
    :data:`realpolitik.concepts.CONCEPTS` that forecasts, and the logit
    precision of the concepts that have one."""

    concept: str = "qre"
    lam: float = LAMBDA.default
    #: whether lambda is drawn like a parameter (then the parameter ``lambda``)
    lam_varies: bool = False
    #: a declared mixture of concepts: ``((concept, weight), ...)``, weights
    #: summing to 1 (then :attr:`concept` is ``"mixture"``)
    mixture: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class ViewParameter:
    """A view's prior for one parameter (or for lambda), with its provenance."""

    id: str
    distribution: Distribution
    sources: tuple[str, ...] = ()
    judgement: str = ""
    line: int | None = None


@dataclass(frozen=True)
class View:
    """A named view of the crisis (``views:`` section): another analyst's
    priors for some parameters, weights on payoff terms (0 switches a term
    off), and solve settings. Everything not named is the scenario's.

    Attributes
    ----------
    parameters : parameter id -> the view's prior.
    term_weights : ``"actor.term"`` -> a multiplier of that payoff term.
    lam : the view's lambda (a fixed value or a distribution), or None.
    concept : ``((concept, weight), ...)``: one concept with weight 1, a
        mixture, or () when the view keeps the scenario's.
    """

    id: str
    description: str = ""
    parameters: MappingProxyType[str, ViewParameter] = field(
        default_factory=lambda: MappingProxyType({})
    )
    term_weights: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    lam: ViewParameter | None = None
    concept: tuple[tuple[str, float], ...] = ()
    line: int | None = None

    @property
    def elements(self) -> tuple[str, ...]:
        """What the view changes, one name each: ``parameter:<id>``,
        ``term:<actor>.<term>``, ``lambda``, ``concept``."""
        out = [f"parameter:{p}" for p in self.parameters]
        out += [f"term:{t}" for t in self.term_weights]
        if self.lam is not None:
            out.append("lambda")
        if self.concept:
            out.append("concept")
        return tuple(out)


@dataclass(frozen=True)
class Correlation:
    """A declared correlation between two parameters' draws (Gaussian copula,
    see :mod:`realpolitik.uncertainty.sampling`)."""

    a: str
    b: str
    rho: float
    line: int | None = None


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario (see :func:`realpolitik.scenario.load.load`)."""

    id: str
    title: str
    description: str
    as_of: str
    actors: MappingProxyType[str, Actor]
    parameters: MappingProxyType[str, Parameter]
    moves: tuple[Move, ...]
    derived: tuple[Derived, ...]
    terms: tuple[Term, ...]
    metrics: tuple[Metric, ...]
    sources: MappingProxyType[str, Source]
    solve: SolveDefaults
    file: str = ""
    content_hash: str = ""
    #: declared correlations between parameters (``correlations:`` section)
    correlations: tuple[Correlation, ...] = ()
    #: bargaining issues among the actors (``issues:`` section)
    issues: tuple[Issue, ...] = ()
    #: the file's text (workers of an ensemble re-load the scenario from it)
    source_text: str = field(default="", repr=False)
    #: named views of the crisis (``views:`` section)
    views: tuple[View, ...] = ()
    #: what validation warns about (post-dated or undated sources)
    warnings: tuple[Problem, ...] = ()
    #: a stage repeated over rounds (``rounds:`` section), or None
    rounds: Rounds | None = None
    #: parameters estimated from data (``estimate:``): computed from their
    #: coefficients (which are in :attr:`parameters` once fitted) and columns
    linear: tuple[LinearPredictor, ...] = ()

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(self.actors)

    @property
    def parameter_ids(self) -> tuple[str, ...]:
        return tuple(self.parameters)

    @property
    def term_ids(self) -> tuple[str, ...]:
        """Every term name, in order of first appearance (the terms axis)."""
        seen: dict[str, None] = {}
        for term in self.terms:
            seen.setdefault(term.id, None)
        return tuple(seen)

    def terms_of(self, actor: str) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.actor == actor)

    def view(self, view_id: str) -> View:
        for v in self.views:
            if v.id == view_id:
                return v
        raise KeyError(view_id)

    def move(self, move_id: str) -> Move:
        for m in self.moves:
            if m.id == move_id:
                return m
        raise KeyError(move_id)
