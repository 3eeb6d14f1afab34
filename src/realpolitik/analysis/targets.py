"""A crisis scenario as a vectorised model for the model-agnostic analyses:
which quantity is analysed (the *target*), over which parameters, and the
runs of ``realpolitik sensitivity`` and ``realpolitik discover``.

Why this module exists: :mod:`realpolitik.analysis.sensitivity`,
:mod:`~realpolitik.analysis.prim` and :mod:`~realpolitik.analysis.thresholds`
know nothing of games. They take a model ``f(X[draw, parameter]) ->
y[draw, output]``, an inverse CDF ``ppf(u) -> X`` and central values (SALib's
*problem -> sample -> evaluate -> analyze* shape, Herman and Usher 2017).
This module builds those from a scenario, compiled once:

- a **target** names what is measured, ``actor:action`` for the probability
  that the actor takes the action (:mod:`realpolitik.analysis.outcomes`:
  summed over every node where the actor makes that move), or
  ``metric:NAME`` for a metric's expected value. When an actor has the same
  action id in two moves, ``actor:move:action`` tells them apart.
  Unknown names are an :class:`~realpolitik.errors.InputError` listing the
  valid targets, with a did-you-mean;
- :func:`scenario_model` returns a :class:`ScenarioModel`: the model
  (``model(X)``, evaluated in chunks of :data:`DEFAULT_CHUNK` rows: per chunk,
  parameter values -> payoffs -> solve -> per-draw outcomes, every row at
  once), the inverse CDF mapping uniforms through each parameter's
  distribution, the central values (medians) and a classifier (the most
  likely choice of the target's actor at the target's move, in every row);
- :func:`scenario_sensitivity` runs Sobol' indices, Morris screening and the
  tornado on it; :func:`scenario_discovery` runs PRIM (with its resampling
  stability check) on draws from the scenario's own sampler, and the
  single-parameter flip thresholds of the most likely choice around the
  central values.

Parameters that are not analysed (``parameters=`` selects the others) stay
at their central values. Sobol' indices, Morris and the tornado treat the
parameters as independent even when the scenario declares correlations (the
result says so); discovery draws use the declared correlations.

References
----------
Herman, J., Usher, W. (2017). SALib: an open-source Python library for
sensitivity analysis. Journal of Open Source Software 2(9).
Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting &
Social Change 77:34-49.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from realpolitik.analysis.forecast import DEFAULT_CHUNK, Settings
from realpolitik.analysis.outcomes import DrawOutcomes, OutcomeLayout, draw_outcomes
from realpolitik.analysis.prim import PrimResult, PrimStability, prim, prim_stability
from realpolitik.analysis.sensitivity import morris_screening, sobol_indices, tornado
from realpolitik.analysis.thresholds import flip_thresholds
from realpolitik.errors import InputError
from realpolitik.limits import require_bytes
from realpolitik.scenario.compile import CompiledScenario, compile_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve
from realpolitik.uncertainty.sampling import Sampler, correlation_matrix, fresh_seed

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

#: Label of a draw in which the target's move never happens.
NOT_REACHED = "(not reached)"

#: Analyses run by :func:`scenario_sensitivity`.
SENSITIVITY_METHODS: tuple[str, ...] = ("sobol", "morris", "tornado")

#: ``progress(stage, done, total)``: rows evaluated so far in the current stage.
Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One analysed quantity of a scenario.

    Attributes
    ----------
    name : the canonical name, ``actor:action`` (``actor:move:action`` when
        the actor has that action id in several moves) or ``metric:NAME``.
    kind : ``"action"`` (the probability that the actor takes the action) or
        ``"metric"`` (the metric's expected value).
    column : index of the action in :attr:`OutcomeLayout.keys`, or of the
        metric in the scenario's metrics.
    actor, move, action : the action's actor, move and id (empty for a metric).
    choices : the action ids of the actor at that move, in order (the labels
        of the most likely choice); empty for a metric.
    block : the layout columns of those choices.
    description : a phrase for reports ("probability that China takes ...").
    """

    name: str
    kind: Literal["action", "metric"]
    column: int
    actor: str = ""
    move: str = ""
    action: str = ""
    choices: tuple[str, ...] = ()
    block: tuple[int, ...] = ()
    description: str = ""

    @property
    def position(self) -> int:
        """Index of the target's action among :attr:`choices` (-1 for a metric)."""
        return self.choices.index(self.action) if self.kind == "action" else -1

    @property
    def file_stem(self) -> str:
        """The name made safe for file names (``china-covert_assist``)."""
        return self.name.replace(":", "-")


def _action_names(layout: OutcomeLayout) -> list[str]:
    """Each action column's target name: ``actor:action``, qualified by the
    move when the actor has that action id in several moves."""
    count: dict[tuple[str, str], int] = {}
    for key in layout.keys:
        count[(key.actor, key.action)] = count.get((key.actor, key.action), 0) + 1
    return [
        key.name if count[(key.actor, key.action)] == 1 else f"{key.actor}:{key.move}:{key.action}"
        for key in layout.keys
    ]


def valid_targets(layout: OutcomeLayout) -> list[str]:
    """Every valid target name of a compiled scenario: actions, then metrics."""
    metrics = [f"metric:{m.id}" for m in layout.compiled.scenario.metrics]
    return _action_names(layout) + metrics


def _unknown(kind: str, text: str, valid: Sequence[str]) -> InputError:
    close = difflib.get_close_matches(text, list(valid), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return InputError(f"unknown {kind} '{text}'{hint}; valid {kind}s: {', '.join(valid)}")


def parse_target(text: str, layout: OutcomeLayout) -> Target:
    """Resolve a target name against a compiled scenario.

    Parameters
    ----------
    text : ``actor:action``, ``actor:move:action`` or ``metric:NAME``.
    layout : the scenario's outcome layout.

    Returns
    -------
    The :class:`Target`.

    Raises
    ------
    InputError
        For an unknown or ambiguous name; the message lists the valid targets.
    """
    scenario = layout.compiled.scenario
    valid = valid_targets(layout)
    names = _action_names(layout)
    raw = text.strip()
    parts = raw.split(":")
    metric_ids = [m.id for m in scenario.metrics]
    if len(parts) == 2 and parts[0] == "metric" and parts[1] in metric_ids:
        index = metric_ids.index(parts[1])
        metric = scenario.metrics[index]
        unit = f" ({metric.unit})" if metric.unit else ""
        return Target(
            name=f"metric:{metric.id}",
            kind="metric",
            column=index,
            description=f"expected {metric.id}{unit}",
        )
    matches: list[int] = []
    if len(parts) == 2:
        matches = [
            k
            for k, key in enumerate(layout.keys)
            if (key.actor, key.action) == (parts[0], parts[1])
        ]
    elif len(parts) == 3:
        matches = [
            k
            for k, key in enumerate(layout.keys)
            if (key.actor, key.move, key.action) == tuple(parts)
        ]
    if len(matches) > 1:
        options = ", ".join(names[k] for k in matches)
        raise InputError(
            f"target '{raw}' is ambiguous: the actor has that action in several moves; "
            f"use one of {options}",
        )
    if not matches:
        bare = [names[k] for k, key in enumerate(layout.keys) if key.action == raw]
        bare += [f"metric:{raw}"] if raw in metric_ids else []
        if len(parts) == 1 and bare:
            raise InputError(
                f"unknown target '{raw}' (a target is actor:action or metric:NAME: did you "
                f"mean '{bare[0]}'?); valid targets: {', '.join(valid)}",
            )
        raise _unknown("target", raw, valid)
    column = matches[0]
    key = layout.keys[column]
    block = tuple(layout.moves_of_keys[(key.move, key.actor)])
    actor_name = scenario.actors[key.actor].name if key.actor in scenario.actors else key.actor
    return Target(
        name=names[column],
        kind="action",
        column=column,
        actor=key.actor,
        move=key.move,
        action=key.action,
        choices=tuple(layout.keys[c].action for c in block),
        block=block,
        description=f"probability that {actor_name} chooses {key.action} at {key.move}",
    )


def parse_targets(texts: Iterable[str], layout: OutcomeLayout) -> tuple[Target, ...]:
    """Resolve several target names (at least one, no repeats); see :func:`parse_target`."""
    items = list(texts)
    if not items:
        raise InputError(
            f"give a target (--target); valid targets: {', '.join(valid_targets(layout))}",
        )
    targets = tuple(parse_target(t, layout) for t in items)
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise InputError(f"target '{target.name}' is given twice; give each once")
        seen.add(target.name)
    return targets


def select_parameters(
    scenario: Scenario, requested: Iterable[str] | None = None
) -> tuple[str, ...]:
    """The analysed parameters: all of the scenario's, or the requested ones.

    Parameters
    ----------
    scenario : the scenario.
    requested : parameter ids (each may also be a comma-separated list), or
        None (or empty) for all of them.

    Returns
    -------
    The ids in the scenario's order.

    Raises
    ------
    InputError
        For an unknown id (the message lists the valid names) or a repeat.
    """
    valid = list(scenario.parameter_ids)
    if requested is None:
        return tuple(valid)
    items = [p.strip() for text in requested for p in str(text).split(",") if p.strip()]
    if not items:
        return tuple(valid)
    for item in items:
        if item not in scenario.parameters:
            raise _unknown("parameter", item, valid)
    repeated = sorted({p for p in items if items.count(p) > 1})
    if repeated:
        raise InputError(f"parameter '{repeated[0]}' is given twice; give each once")
    chosen = set(items)
    return tuple(p for p in valid if p in chosen)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The targets on a batch of rows.

    Attributes
    ----------
    values : ``(n, m)`` each target's value (probability or expected metric).
    choice : ``(n, m)`` index into each action target's :attr:`Target.choices`
        of its actor's most likely choice at that move (first on exact ties,
        as :attr:`DrawOutcomes.most_likely`); -1 where the move never happens
        and for metric targets.
    """

    values: FloatArray
    choice: IntArray


@dataclass(frozen=True, eq=False)
class ScenarioModel:
    """A compiled scenario as a vectorised model of some of its parameters.

    Calling the model, ``model(X)``, maps ``(n, k)`` values of the analysed
    parameters :attr:`names` (in that order; the other parameters at their
    central values) to ``(n, m)`` target values, in chunks of :attr:`chunk`
    rows. Build it with :func:`scenario_model`.

    Attributes
    ----------
    compiled : the compiled scenario.
    layout : its outcome layout.
    targets : the ``m`` targets.
    names : the ``k`` analysed parameter ids (the scenario's order).
    concept, lam : the solution concept and the logit precision (None for SPE).
    chunk : rows solved at once.
    progress : called as ``progress(done, total)`` after each chunk.
    """

    compiled: CompiledScenario
    layout: OutcomeLayout
    targets: tuple[Target, ...]
    names: tuple[str, ...]
    concept: str
    lam: float | None
    chunk: int = DEFAULT_CHUNK
    progress: Callable[[int, int], None] | None = None
    _columns: IntArray = field(init=False, repr=False)
    _central_all: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = self.compiled.scenario.parameter_ids
        object.__setattr__(
            self, "_columns", np.array([ids.index(n) for n in self.names], dtype=np.intp)
        )
        parameters = self.compiled.scenario.parameters
        object.__setattr__(
            self, "_central_all", np.array([parameters[n].central for n in ids], dtype=np.float64)
        )
        if self.chunk < 1:
            raise InputError(f"chunk must be at least 1, got {self.chunk}")

    # -- the parameter space ------------------------------------------------
    @property
    def output_names(self) -> tuple[str, ...]:
        """The targets' names, one per output column."""
        return tuple(t.name for t in self.targets)

    @property
    def central(self) -> FloatArray:
        """``(k,)`` central values (medians) of the analysed parameters."""
        values: FloatArray = self._central_all[self._columns].copy()
        return values

    def ppf(self, u: ArrayLike) -> FloatArray:
        """Map uniforms ``(n, k)`` through each analysed parameter's inverse CDF.

        A fixed parameter maps every uniform to its value.
        """
        q = np.asarray(u, dtype=np.float64)
        if q.ndim != 2 or q.shape[1] != len(self.names):
            raise InputError(
                f"uniforms must have shape (n, {len(self.names)}), one column per "
                f"analysed parameter; got {q.shape}"
            )
        parameters = self.compiled.scenario.parameters
        out = np.empty_like(q)
        for j, name in enumerate(self.names):  # parameters are few; each column is vectorised
            out[:, j] = parameters[name].distribution.ppf(q[:, j])
        return out

    def full(self, X: ArrayLike) -> FloatArray:
        """``(n, all parameters)`` values: ``X`` in the analysed columns, the
        central values elsewhere."""
        values = np.asarray(X, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.names):
            raise InputError(
                f"parameter values must have shape (n, {len(self.names)}), one column per "
                f"analysed parameter ({', '.join(self.names)}); got {values.shape}"
            )
        out = np.tile(self._central_all, (values.shape[0], 1))
        out[:, self._columns] = values
        return out

    # -- evaluation -------------------------------------------------------------
    def _outcomes(self, rows: FloatArray, first: int) -> DrawOutcomes:
        params = self.compiled.parameter_values(rows)
        game = self.compiled.game(params, terms=False, first_draw=first)
        solution = solve(game, self.concept, self.lam)
        metrics = self.compiled.metric_values(params, first_draw=first)
        return draw_outcomes(self.layout, solution, metrics)

    def evaluate(self, X: ArrayLike) -> Evaluation:
        """Target values and most likely choices on ``(n, k)`` parameter values."""
        full = self.full(X)
        n = full.shape[0]
        m = len(self.targets)
        values = np.empty((n, m))
        choice = np.full((n, m), -1, dtype=np.intp)
        actions = [j for j, t in enumerate(self.targets) if t.kind == "action"]
        metrics = [j for j, t in enumerate(self.targets) if t.kind == "metric"]
        for start in range(0, n, self.chunk):  # chunks bound memory; each is vectorised
            stop = min(start + self.chunk, n)
            outcomes = self._outcomes(full[start:stop], start)
            for j in actions:
                target = self.targets[j]
                values[start:stop, j] = outcomes.action_probability[:, target.column]
                most = outcomes.most_likely[:, list(target.block)]
                choice[start:stop, j] = np.where(most.any(axis=1), np.argmax(most, axis=1), -1)
            for j in metrics:
                values[start:stop, j] = outcomes.metric_expectation[:, self.targets[j].column]
            if self.progress is not None:
                self.progress(stop, n)
        return Evaluation(values, choice)

    def __call__(self, X: ArrayLike) -> FloatArray:
        """``(n, m)`` target values (the model ``f`` of the analyses)."""
        return self.evaluate(X).values

    # -- labels -------------------------------------------------------------------
    def choice_labels(self, evaluation: Evaluation, index: int = 0) -> NDArray[np.object_]:
        """``(n,)`` the most likely choice (action id, or :data:`NOT_REACHED`) of
        action target ``index``'s actor at its move."""
        target = self.targets[index]
        if target.kind != "action":
            raise InputError(
                f"{target.name} is a metric: it has no most likely choice; give a threshold"
            )
        labels = np.array([*target.choices, NOT_REACHED], dtype=object)
        out: NDArray[np.object_] = labels[evaluation.choice[:, index]]  # -1 -> NOT_REACHED
        return out

    def classifier(
        self, index: int = 0, threshold: float | None = None
    ) -> Callable[[FloatArray], NDArray[np.object_]]:
        """A vectorised classifier for :func:`~realpolitik.analysis.thresholds.flip_thresholds`.

        Without ``threshold``: the most likely choice of action target
        ``index``'s actor at its move. With it: ``"above <t>"`` or ``"at or
        below <t>"`` as target ``index``'s value exceeds ``threshold`` or not.
        """

        def most_likely(X: FloatArray) -> NDArray[np.object_]:
            return self.choice_labels(self.evaluate(X), index)

        def side(X: FloatArray) -> NDArray[np.object_]:
            assert threshold is not None
            above = self.evaluate(X).values[:, index] > threshold
            labels = np.array([f"at or below {threshold:g}", f"above {threshold:g}"], dtype=object)
            out: NDArray[np.object_] = labels[above.astype(np.intp)]
            return out

        if threshold is None:
            if self.targets[index].kind != "action":
                raise InputError(
                    f"{self.targets[index].name} is a metric: give a threshold (--threshold) "
                    "to split its values into cases"
                )
            return most_likely
        return side

    def cases(
        self, evaluation: Evaluation, index: int = 0, threshold: float | None = None
    ) -> BoolArray:
        """``(n,)`` the cases of interest of target ``index``: its value above
        ``threshold``, or (no threshold, action targets) its action being the
        actor's most likely choice at that move."""
        target = self.targets[index]
        if threshold is not None:
            above: BoolArray = evaluation.values[:, index] > threshold
            return above
        if target.kind != "action":
            raise InputError(
                f"{target.name} is a metric: give a threshold (--threshold) to say which "
                "values are the cases of interest"
            )
        chosen: BoolArray = evaluation.choice[:, index] == target.position
        return chosen


def scenario_model(
    scenario: Scenario | CompiledScenario,
    targets: str | Target | Sequence[str | Target],
    *,
    concept: str | None = None,
    lam: float | None = None,
    parameters: Iterable[str] | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> ScenarioModel:
    """A scenario (compiled once) as a vectorised model of its parameters.

    Parameters
    ----------
    scenario : a loaded scenario, or one already compiled.
    targets : one or several target names (see :func:`parse_target`).
    concept : "spe" or "qre" (default: the scenario's).
    lam : logit precision for "qre" (default: the scenario's).
    parameters : the analysed parameter ids (default all); the others stay at
        their central values.
    chunk : rows solved at once.

    Returns
    -------
    :class:`ScenarioModel`: ``model`` is ``f``, ``model.names``,
    ``model.ppf`` and ``model.central`` the parameter space of
    :mod:`realpolitik.analysis.sensitivity`, ``model.classifier()`` the
    classifier of :mod:`realpolitik.analysis.thresholds`.

    Examples
    --------
    >>> import realpolitik as rp
    >>> model = scenario_model(rp.load("china-russia-2022"), "china:covert_assist")
    >>> model(model.central[None, :]).shape
    (1, 1)
    """
    compiled = scenario if isinstance(scenario, CompiledScenario) else compile_scenario(scenario)
    source = compiled.scenario
    settings = Settings.resolve(source, concept, lam)
    layout = OutcomeLayout.of(compiled)
    items: Sequence[str | Target] = [targets] if isinstance(targets, str | Target) else targets
    resolved = parse_targets([t.name if isinstance(t, Target) else t for t in items], layout)
    names = select_parameters(source, parameters)
    return ScenarioModel(compiled, layout, resolved, names, settings.concept, settings.lam, chunk)


# --------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------


def _independence_notes(scenario: Scenario, names: Sequence[str]) -> tuple[str, ...]:
    pairs = [c for c in scenario.correlations if c.a in names and c.b in names]
    if not pairs:
        return ()
    listed = ", ".join(f"{c.a}~{c.b} ({c.rho:g})" for c in pairs)
    return (
        f"the scenario declares correlations ({listed}); these analyses treat the "
        "parameters as independent",
    )


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """What :func:`scenario_sensitivity` found.

    Attributes
    ----------
    scenario : the scenario.
    targets : the targets (outputs).
    parameters : the analysed parameter ids.
    concept, lam : solution concept and logit precision.
    seed : seed of the Sobol' and Morris designs.
    samples : Sobol' base sample size N (0 if not run).
    trajectories : Morris trajectories (0 if not run).
    central_values : ``(m,)`` each target at the central values.
    sobol, morris, tornado : the tables of
        :mod:`realpolitik.analysis.sensitivity` (None if not run).
    notes : caveats (declared correlations treated as independent).
    """

    scenario: Scenario
    targets: tuple[Target, ...]
    parameters: tuple[str, ...]
    concept: str
    lam: float | None
    seed: int
    samples: int
    trajectories: int
    central_values: FloatArray
    sobol: pd.DataFrame | None
    morris: pd.DataFrame | None
    tornado: pd.DataFrame | None
    notes: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """One row per (target, parameter) with every statistic computed:
        ``output, parameter`` then Sobol' ``S1, S1_conf, ST, ST_conf``, Morris
        ``mu, mu_star, mu_star_conf, sigma``, tornado ``low_value,
        high_value, y_low, y_high, y_central, swing``, in the targets' and
        parameters' order."""
        frame = pd.DataFrame(
            {
                "output": np.repeat(np.array(self.outputs, dtype=object), len(self.parameters)),
                "parameter": np.tile(np.array(self.parameters, dtype=object), len(self.targets)),
            }
        )
        for part in (self.sobol, self.morris, self.tornado):
            if part is not None:
                frame = frame.merge(part, on=["output", "parameter"], how="left", sort=False)
        return frame

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        """The document printed by ``realpolitik sensitivity --format json``."""

        def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if frame is None:
                return None
            return [
                {str(k): (v if isinstance(v, str) else float(v)) for k, v in row.items()}
                for row in frame.to_dict(orient="records")
            ]

        return {
            "scenario": self.scenario.id,
            "targets": [
                {"target": t.name, "description": t.description, "central": float(v)}
                for t, v in zip(self.targets, self.central_values, strict=True)
            ],
            "parameters": list(self.parameters),
            "concept": self.concept,
            "lambda": self.lam,
            "seed": self.seed,
            "samples": self.samples or None,
            "trajectories": self.trajectories or None,
            "sobol": records(self.sobol),
            "morris": records(self.morris),
            "tornado": records(self.tornado),
            "notes": list(self.notes),
        }


def _staged(model: ScenarioModel, progress: Progress | None, stage: str) -> ScenarioModel:
    """The model, reporting its chunks to ``progress`` under ``stage``."""
    if progress is None:
        return model
    report = progress

    def tick(done: int, total: int) -> None:
        report(stage, done, total)

    return replace(model, progress=tick)


def scenario_sensitivity(
    scenario: Scenario,
    targets: str | Sequence[str],
    *,
    methods: Sequence[str] = SENSITIVITY_METHODS,
    samples: int = 1024,
    trajectories: int = 50,
    parameters: Iterable[str] | None = None,
    concept: str | None = None,
    lam: float | None = None,
    seed: int | None = None,
    conf_level: float = 0.95,
    low_q: float = 0.05,
    high_q: float = 0.95,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> SensitivityResult:
    """Which parameters drive the targets: Sobol' indices, Morris, tornado.

    Parameters
    ----------
    scenario : a loaded scenario.
    targets : target names (see :func:`parse_target`).
    methods : any of ``"sobol"``, ``"morris"``, ``"tornado"``.
    samples : Sobol' base sample size N, a power of two; cost ``N (d + 2)``
        solves for ``d`` non-fixed parameters.
    trajectories : Morris trajectories; cost ``trajectories (d + 1)`` solves.
    parameters : the analysed parameter ids (default all; others central).
    concept, lam : solution concept and logit precision (default the scenario's).
    seed : seed of the designs (drawn and recorded when None).
    conf_level : level of the Sobol' and Morris intervals.
    low_q, high_q : the tornado's low and high quantiles.
    chunk : rows solved at once.
    progress : ``progress(stage, done, total)`` after each chunk.

    Returns
    -------
    :class:`SensitivityResult`.
    """
    unknown = [m for m in methods if m not in SENSITIVITY_METHODS]
    if unknown or not methods:
        raise InputError(
            f"unknown sensitivity method '{unknown[0] if unknown else ''}'; "
            f"use {', '.join(SENSITIVITY_METHODS)}"
        )
    model = scenario_model(
        scenario, targets, concept=concept, lam=lam, parameters=parameters, chunk=chunk
    )
    seed = fresh_seed() if seed is None else int(seed)
    names, outputs = model.names, model.output_names
    central_values = model(model.central[None, :])[0]
    sobol = morris = swings = None
    if "sobol" in methods:
        sobol = sobol_indices(
            _staged(model, progress, "sobol"),
            names,
            model.ppf,
            samples,
            seed=seed,
            conf_level=conf_level,
            output_names=outputs,
        )
    if "morris" in methods:
        morris = morris_screening(
            _staged(model, progress, "morris"),
            names,
            model.ppf,
            n_trajectories=trajectories,
            seed=seed,
            conf_level=conf_level,
            output_names=outputs,
        )
    if "tornado" in methods:
        swings = tornado(
            _staged(model, progress, "tornado"),
            names,
            model.ppf,
            model.central,
            low_q=low_q,
            high_q=high_q,
            output_names=outputs,
        )
    return SensitivityResult(
        scenario=model.compiled.scenario,
        targets=model.targets,
        parameters=names,
        concept=model.concept,
        lam=model.lam,
        seed=seed,
        samples=samples if sobol is not None else 0,
        trajectories=trajectories if morris is not None else 0,
        central_values=central_values,
        sobol=sobol,
        morris=morris,
        tornado=swings,
        notes=_independence_notes(model.compiled.scenario, names),
    )


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DiscoveryResult:
    """What :func:`scenario_discovery` found.

    Attributes
    ----------
    scenario : the scenario.
    target : the target.
    threshold : the value threshold defining the cases, or None (the target's
        action is its actor's most likely choice).
    parameters : the analysed parameter ids (PRIM's dimensions).
    concept, lam : solution concept and logit precision.
    seed, method, draws : how the draws were made.
    X : ``(draws, k)`` the draws of the analysed parameters.
    values : ``(draws,)`` the target's value in each draw.
    y : ``(draws,)`` the cases of interest.
    prim : the PRIM result (None when no draw, or every draw, is a case).
    stability : PRIM on resamples (None with ``prim``).
    thresholds : single-parameter flips of the classification around the
        central values (:func:`~realpolitik.analysis.thresholds.flip_thresholds`),
        ordered from the nearest to the central value (in quantile) to the farthest.
    central_label : the classification at the central values.
    central_value : the target's value at the central values.
    notes : caveats.
    """

    scenario: Scenario
    target: Target
    threshold: float | None
    parameters: tuple[str, ...]
    concept: str
    lam: float | None
    seed: int
    method: str
    draws: int
    X: FloatArray
    values: FloatArray
    y: BoolArray
    prim: PrimResult | None
    stability: PrimStability | None
    thresholds: pd.DataFrame
    central_label: str
    central_value: float
    notes: tuple[str, ...] = ()

    @property
    def case_text(self) -> str:
        """What a case of interest is, in words."""
        t = self.target
        if self.threshold is not None:
            return f"{t.name} above {self.threshold:g}"
        return f"{t.action} is {t.actor}'s most likely choice at {t.move}"

    def to_json(self) -> dict[str, Any]:
        """The document printed by ``realpolitik discover --format json``."""

        def number(x: Any) -> float | None:
            value = float(x)
            return value if np.isfinite(value) else None

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for row in frame.to_dict(orient="records"):
                out.append(
                    {
                        str(k): (
                            v
                            if isinstance(v, str)
                            else bool(v)
                            if isinstance(v, bool | np.bool_)
                            else int(v)
                            if isinstance(v, int | np.integer)
                            else number(v)
                        )
                        for k, v in row.items()
                    }
                )
            return out

        doc: dict[str, Any] = {
            "scenario": self.scenario.id,
            "target": self.target.name,
            "cases": self.case_text,
            "threshold": self.threshold,
            "parameters": list(self.parameters),
            "concept": self.concept,
            "lambda": self.lam,
            "draws": self.draws,
            "method": self.method,
            "seed": self.seed,
            "n_cases": int(self.y.sum()),
            "case_share": float(self.y.mean()),
            "central": {"label": self.central_label, "value": self.central_value},
            "box": None,
            "trajectory": None,
            "stability": None,
            "thresholds": records(self.thresholds),
            "notes": list(self.notes),
        }
        if self.prim is not None:
            p = self.prim
            doc["box"] = {
                "coverage": p.coverage,
                "density": p.density,
                "mass": p.mass,
                "n_points": p.n_points,
                "n_restricted": p.n_restricted,
                "base_density": p.base_density,
                "selected_step": p.selected_step,
                "steps": len(p.trajectory),
                "pasted": p.pasted,
                "dropped": list(p.dropped),
                "limits": records(box_table(self)),
            }
            doc["trajectory"] = records(
                p.trajectory[
                    [
                        "step",
                        "n_points",
                        "mass",
                        "coverage",
                        "density",
                        "n_restricted",
                        "restricted",
                    ]
                ]
            )
        if self.stability is not None:
            boxes = self.stability.boxes
            doc["stability"] = {
                "resamples": len(boxes),
                "coverage_mean": float(boxes["coverage"].mean()),
                "density_mean": float(boxes["density"].mean()),
                "parameters": records(self.stability.summary),
            }
        return doc


def box_table(result: DiscoveryResult) -> pd.DataFrame:
    """The restricted parameters of the PRIM box, with their limits also as
    quantiles of each parameter's distribution: ``parameter, lower, upper,
    lower_quantile, upper_quantile, quasi_p`` (infinite limit: open side,
    quantile 0 or 1)."""
    if result.prim is None:
        return pd.DataFrame(
            columns=["parameter", "lower", "upper", "lower_quantile", "upper_quantile", "quasi_p"]
        )
    box = result.prim.box
    box = box.loc[box["restricted"]].reset_index(drop=True)
    parameters = result.scenario.parameters
    lower_q = [
        float(parameters[p].distribution.cdf(lo)) if np.isfinite(lo) else 0.0
        for p, lo in zip(box["parameter"], box["lower"], strict=True)
    ]
    upper_q = [
        float(parameters[p].distribution.cdf(hi)) if np.isfinite(hi) else 1.0
        for p, hi in zip(box["parameter"], box["upper"], strict=True)
    ]
    return pd.DataFrame(
        {
            "parameter": box["parameter"],
            "lower": box["lower"],
            "upper": box["upper"],
            "lower_quantile": lower_q,
            "upper_quantile": upper_q,
            "quasi_p": box["quasi_p"],
        }
    )


def _discovery_sampler(scenario: Scenario, draws: int, method: str, seed: int) -> Sampler:
    """The scenario's sampler, with its declared correlations."""
    names = scenario.parameter_ids
    correlation = None
    if scenario.correlations:
        correlation = correlation_matrix(names, {(c.a, c.b): c.rho for c in scenario.correlations})
    return Sampler(
        names,
        tuple(scenario.parameters[n].distribution for n in names),
        n=draws,
        method=method,
        seed=seed,
        correlation=correlation,
    )


def scenario_discovery(
    scenario: Scenario,
    target: str | Sequence[str],
    *,
    draws: int = 4000,
    threshold: float | None = None,
    parameters: Iterable[str] | None = None,
    concept: str | None = None,
    lam: float | None = None,
    seed: int | None = None,
    method: str = "mc",
    resamples: int = 20,
    prim_options: dict[str, Any] | None = None,
    n_grid: int = 101,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> DiscoveryResult:
    """Under which conditions the target's choice holds, and where it flips.

    1. Draw ``draws`` parameter sets from the scenario's sampler (its
       distributions and declared correlations; parameters not analysed set
       to their central values), solve each, and mark the cases of interest:
       the target's action is its actor's most likely choice at that move (or,
       with ``threshold``, the target's value exceeds it).
    2. PRIM (:func:`~realpolitik.analysis.prim.prim`, the documented box
       selection rule) on the analysed parameters, and its stability on
       ``resamples`` half-samples (:func:`~realpolitik.analysis.prim.prim_stability`).
    3. Single-parameter flip thresholds
       (:func:`~realpolitik.analysis.thresholds.flip_thresholds`) of the actor's
       most likely choice (metric targets: of the side of ``threshold``)
       around the central values.

    Parameters
    ----------
    scenario : a loaded scenario.
    target : one target name (a sequence must hold exactly one).
    draws : parameter draws for PRIM (at least 2).
    threshold : cases are draws whose value exceeds this (needed for metrics).
    parameters : the analysed parameter ids (default all).
    concept, lam : solution concept and logit precision (default the scenario's).
    seed : sampling seed (drawn and recorded when None); also seeds the resampling.
    method : sampling method, "mc", "lhs" or "sobol".
    resamples : PRIM stability resamples (0 to skip the check).
    prim_options : extra options of :func:`~realpolitik.analysis.prim.prim`.
    n_grid : grid points per parameter of the threshold sweep.
    chunk : rows solved at once.
    progress : ``progress(stage, done, total)`` after each chunk.

    Returns
    -------
    :class:`DiscoveryResult`.
    """
    if isinstance(target, str):
        target_list: list[str] = [target]
    else:
        target_list = list(target)
    if len(target_list) > 1:
        raise InputError(
            f"discover takes one target, got {len(target_list)}: {', '.join(target_list)}"
        )
    if isinstance(draws, bool) or draws < 2:
        raise InputError(f"--draws must be at least 2, got {draws}")
    if threshold is not None and not np.isfinite(threshold):
        raise InputError(f"--threshold must be a finite number, got {threshold}")
    if resamples < 0 or resamples == 1:
        raise InputError(f"--resamples must be 0 (no check) or at least 2, got {resamples}")
    model = scenario_model(
        scenario, target_list, concept=concept, lam=lam, parameters=parameters, chunk=chunk
    )
    source = model.compiled.scenario
    classify = model.classifier(0, threshold if model.targets[0].kind == "metric" else None)
    seed = fresh_seed() if seed is None else int(seed)
    require_bytes("discovery draws", (draws, len(source.parameter_ids)), hint="use fewer --draws")
    sampler = _discovery_sampler(source, draws, method, seed)
    all_draws = sampler.draws(0, draws)
    columns = [source.parameter_ids.index(n) for n in model.names]
    X = np.ascontiguousarray(all_draws[:, columns])
    evaluation = _staged(model, progress, "draws").evaluate(X)
    y = model.cases(evaluation, 0, threshold)
    values = evaluation.values[:, 0]

    central_eval = model.evaluate(model.central[None, :])
    central_value = float(central_eval.values[0, 0])
    central_label = str(classify(model.central[None, :])[0])

    found: PrimResult | None = None
    stable: PrimStability | None = None
    options = dict(prim_options or {})
    notes: list[str] = []
    if y.any() and not y.all():
        found = prim(X, y, names=model.names, **options)
        if resamples:
            stable = prim_stability(
                X, y, names=model.names, n_resamples=resamples, seed=seed, **options
            )
    elif not y.any():
        notes.append(f"no draw is a case ({_case_words(model.targets[0], threshold)}): no box")
    else:
        notes.append(f"every draw is a case ({_case_words(model.targets[0], threshold)}): no box")

    flips = flip_thresholds(
        _staged_classifier(model, classify, progress),
        model.names,
        model.ppf,
        model.central,
        n_grid=n_grid,
    )
    if len(flips):
        distance = (flips["quantile"] - 0.5).abs().to_numpy()
        order = np.lexsort((flips["value"].to_numpy(), distance))
        flips = flips.iloc[order].reset_index(drop=True)
    return DiscoveryResult(
        scenario=source,
        target=model.targets[0],
        threshold=threshold,
        parameters=model.names,
        concept=model.concept,
        lam=model.lam,
        seed=seed,
        method=method,
        draws=draws,
        X=X,
        values=values,
        y=y,
        prim=found,
        stability=stable,
        thresholds=flips,
        central_label=central_label,
        central_value=central_value,
        notes=tuple(notes),
    )


def _case_words(target: Target, threshold: float | None) -> str:
    if threshold is not None:
        return f"{target.name} above {threshold:g}"
    return f"{target.action} the most likely choice of {target.actor} at {target.move}"


def _staged_classifier(
    model: ScenarioModel,
    classify: Callable[[FloatArray], NDArray[np.object_]],
    progress: Progress | None,
) -> Callable[[FloatArray], NDArray[np.object_]]:
    """The classifier, reporting its evaluations as the stage "thresholds"."""
    if progress is None:
        return classify
    report = progress

    def run(X: FloatArray) -> NDArray[np.object_]:
        labels = classify(X)
        report("thresholds", X.shape[0], X.shape[0])
        return labels

    return run
