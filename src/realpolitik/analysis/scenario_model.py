"""A crisis scenario as a vectorised model of its parameters, for the
model-agnostic analyses.

Why this module exists: :mod:`realpolitik.analysis.sensitivity`,
:mod:`~realpolitik.analysis.prim` and :mod:`~realpolitik.analysis.thresholds`
know nothing of games. They take a model ``f(X[draw, parameter]) ->
y[draw, output]``, an inverse CDF ``ppf(u) -> X`` and central values (SALib's
*problem -> sample -> evaluate -> analyze* shape, Herman and Usher 2017).
:func:`scenario_model` builds those from a scenario, compiled once: the model
(``model(X)``, evaluated in blocks of rows through
:func:`realpolitik.run.evaluate.evaluate_draws`, every row of a block at
once), the inverse CDF mapping uniforms through each parameter's
distribution, the central values (medians) and a classifier (the most likely
choice of the target's actor at the target's move, in every row).

Parameters that are not analysed (``parameters=`` selects the others) stay
at their central values.

References
----------
Herman, J., Usher, W. (2017). SALib: an open-source Python library for
sensitivity analysis. Journal of Open Source Software 2(9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.analysis.targets import Target, parse_targets, select_parameters
from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import block_draws, evaluate_draws
from realpolitik.run.links import central_row
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import ScenarioLike, as_scenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

#: Label of a draw in which the target's move never happens.
NOT_REACHED = "(not reached)"

#: ``progress(stage, done, total)``: rows evaluated so far in the current stage.
Progress = Callable[[str, int, int], None]


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
    chunk : rows solved at once (None: sized to the tree,
        :func:`~realpolitik.run.evaluate.block_draws`).
    progress : called as ``progress(done, total)`` after each chunk.
    """

    compiled: CompiledScenario
    layout: OutcomeLayout
    targets: tuple[Target, ...]
    names: tuple[str, ...]
    concept: str
    lam: float | None
    chunk: int | None = None
    progress: Callable[[int, int], None] | None = None
    _columns: IntArray = field(init=False, repr=False)
    _central_all: FloatArray = field(init=False, repr=False)
    _chunk: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = self.compiled.scenario.parameter_ids
        object.__setattr__(
            self, "_columns", np.array([ids.index(n) for n in self.names], dtype=np.intp)
        )
        scenario = self.compiled.scenario
        # linked parameters take their upstream scenario's central outcome
        central = central_row(scenario, Settings.resolve(scenario))[0]
        object.__setattr__(self, "_central_all", np.asarray(central, dtype=np.float64))
        if self.chunk is not None and self.chunk < 1:
            raise InputError(f"chunk must be at least 1, got {self.chunk}")
        size = block_draws(self.compiled) if self.chunk is None else self.chunk
        object.__setattr__(self, "_chunk", size)

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
    def evaluate(self, X: ArrayLike) -> Evaluation:
        """Target values and most likely choices on ``(n, k)`` parameter values."""
        full = self.full(X)
        n = full.shape[0]
        m = len(self.targets)
        values = np.empty((n, m))
        choice = np.full((n, m), -1, dtype=np.intp)
        actions = [j for j, t in enumerate(self.targets) if t.kind == "action"]
        metrics = [j for j, t in enumerate(self.targets) if t.kind == "metric"]
        for start in range(0, n, self._chunk):  # chunks bound memory; each is vectorised
            stop = min(start + self._chunk, n)
            outcomes = evaluate_draws(
                self.compiled,
                self.layout,
                self.concept,
                self.lam,
                full[start:stop],
                first_draw=start,
            ).outcomes
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
    scenario: ScenarioLike | CompiledScenario,
    targets: str | Target | Sequence[str | Target],
    *,
    concept: str | None = None,
    lam: float | None = None,
    parameters: Iterable[str] | None = None,
    chunk: int | None = None,
) -> ScenarioModel:
    """A scenario (compiled once) as a vectorised model of its parameters.

    Parameters
    ----------
    scenario : a scenario (loaded, a built-in name or a path), or one
        already compiled.
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
    >>> model = scenario_model(rp.load("china-russia-2022"), "metric:china_helps_evade")
    >>> model(model.central[None, :]).shape
    (1, 1)
    """
    compiled = (
        scenario
        if isinstance(scenario, CompiledScenario)
        else compile_scenario(as_scenario(scenario))
    )
    source = compiled.scenario
    settings = Settings.resolve(source, concept, lam)
    layout = OutcomeLayout.of(compiled)
    items: Sequence[str | Target] = [targets] if isinstance(targets, str | Target) else targets
    resolved = parse_targets([t.name if isinstance(t, Target) else t for t in items], layout)
    names = select_parameters(source, parameters)
    return ScenarioModel(compiled, layout, resolved, names, settings.concept, settings.lam, chunk)


def staged(model: ScenarioModel, progress: Progress | None, stage: str) -> ScenarioModel:
    """The model, reporting its chunks to ``progress`` under ``stage``."""
    if progress is None:
        return model
    report = progress

    def tick(done: int, total: int) -> None:
        report(stage, done, total)

    return replace(model, progress=tick)
