"""Views side by side: each view's forecast on the same draws, what in each
view makes its forecast differ from the reference's, and which observable
actions would tell them apart.

Why: the two seed articles are two analysts' views of one crisis. A view
(``views:`` in the scenario, :class:`~realpolitik.scenario.model.View`)
changes a few priors, term weights and solve settings; a comparison must
show both forecasts and say which of those changes produces the difference.

Method
------
- **Common random numbers.** One set of uniforms ``U`` (draws x parameters,
  the scenario's sampler with its correlations, plus ``lambda`` when a view
  draws it) is mapped through each view's inverse CDFs, so every view is
  solved on the same underlying draws and differences are not sampling
  noise. In Monte Carlo mode each parameter's stream depends on its name
  alone, so a view's forecast equals, draw for draw, the forecast of the
  scenario file edited by hand.
- **Decomposition.** Between the reference ``X`` and a view ``Y`` the
  changed elements are ``N`` (a parameter's prior, a term's weight, lambda,
  the concept). For a coalition ``S`` of them, ``v(S)`` is the mean over the
  draws of each output with the elements of ``S`` as in ``Y`` and the others
  as in ``X``. With few elements (at most :data:`EXACT_ELEMENTS`) the
  contribution of element ``i`` is its exact Shapley value (Shapley 1953),
  ``phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! (v(S + i) -
  v(S))``, which sums to ``v(N) - v(empty)`` exactly; every coalition is one
  more block of rows of one batch, solved through the run layer (rows with
  the same concept together; term weights and lambda per row). With more
  elements, each element's one-at-a-time effect ``v({i}) - v(empty)`` is
  reported and the rest of the difference as an unattributed interaction.
- **What tells the views apart.** The observable actions (decisions, not
  chance outcomes) ranked by the absolute difference of their probabilities,
  with the log-likelihood ratio ``log(p_Y / p_X)`` that seeing the action
  adds for ``Y`` against ``X``.

References
----------
Shapley, L. S. (1953). A value for n-person games. In Contributions to the
Theory of Games II, 307-317.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.analysis.forecast_summary import json_number
from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.concepts import LAMBDA, MIXTURE
from realpolitik.errors import InputError, listing
from realpolitik.run.evaluate import block_draws, evaluate_draws
from realpolitik.run.links import linked_sampler
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Scenario, View
from realpolitik.uncertainty.distributions import Distribution, Fixed
from realpolitik.uncertainty.sampling import Sampler

FloatArray = NDArray[np.float64]

#: The scenario as written, as a view.
BASE = "base"
#: Most changed elements decomposed exactly (2**n coalitions).
EXACT_ELEMENTS = 6
#: Default number of draws.
DEFAULT_DRAWS = 1000
#: Interval reported around means (percentiles).
INTERVAL = (5.0, 95.0)
#: Probabilities are floored at this in log-likelihood ratios.
FLOOR = 1e-12

#: ``progress(done, total)`` rows solved so far.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Config:
    """Everything a view fixes: priors, term weights, lambda, concept."""

    priors: dict[str, Distribution]
    weights: dict[str, float]
    lam: Distribution
    concept: tuple[tuple[str, float], ...]

    def element(self, name: str) -> Any:
        kind, _, key = name.partition(":")
        if kind == "parameter":
            return self.priors[key]
        if kind == "term":
            return self.weights[key]
        return self.lam if name == "lambda" else self.concept


def _base_config(scenario: Scenario) -> _Config:
    lam: Distribution = (
        scenario.parameters[LAMBDA.name].distribution
        if scenario.solve.lam_varies
        else Fixed(scenario.solve.lam)
    )
    concept = scenario.solve.mixture or ((scenario.solve.concept, 1.0),)
    return _Config(
        {n: p.distribution for n, p in scenario.parameters.items() if n != LAMBDA.name},
        {f"{t.actor}.{t.id}": 1.0 for t in scenario.terms},
        lam,
        tuple(concept),
    )


def _view_config(scenario: Scenario, view: View) -> _Config:
    base = _base_config(scenario)
    priors = dict(base.priors)
    priors.update({n: p.distribution for n, p in view.parameters.items()})
    weights = dict(base.weights)
    weights.update(view.term_weights)
    return _Config(
        priors,
        weights,
        view.lam.distribution if view.lam is not None else base.lam,
        view.concept or base.concept,
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Distribution) and isinstance(b, Distribution):
        return a.describe() == b.describe() and type(a) is type(b)
    return bool(a == b)


def changed_elements(scenario: Scenario, x: _Config, y: _Config) -> tuple[str, ...]:
    """The elements in which two configurations differ, in a fixed order:
    parameters (the scenario's order), terms, lambda, concept."""
    names = [f"parameter:{n}" for n in x.priors]
    names += [f"term:{t}" for t in x.weights]
    names += ["lambda", "concept"]
    return tuple(n for n in names if not _same(x.element(n), y.element(n)))


def _mixed(x: _Config, y: _Config, switched: set[str]) -> _Config:
    """``x`` with the elements in ``switched`` taken from ``y``."""
    return _Config(
        {n: (y if f"parameter:{n}" in switched else x).priors[n] for n in x.priors},
        {t: (y if f"term:{t}" in switched else x).weights[t] for t in x.weights},
        y.lam if "lambda" in switched else x.lam,
        y.concept if "concept" in switched else x.concept,
    )


@dataclass(frozen=True, eq=False)
class Decomposition:
    """How a view's difference from the reference splits into its elements.

    ``contributions``: one row per element, one column per output; with
    ``method == "shapley"`` they sum to ``total`` exactly; with
    ``"one-at-a-time"`` the rest is ``interaction``.
    """

    view: str
    method: str
    elements: tuple[str, ...]
    contributions: pd.DataFrame
    total: pd.Series
    interaction: pd.Series | None = None

    def contribution(self, element: str, output: str) -> float:
        """Element ``element``'s contribution to output ``output``."""
        row = self.elements.index(element)
        column = list(self.contributions.columns).index(output)
        return float(self.contributions.to_numpy()[row, column])


@dataclass(frozen=True, eq=False)
class Comparison:
    """What :func:`compare` found (see the module docstring).

    Attributes
    ----------
    forecasts : one row per (view, output): ``view``, ``kind`` ("action" or
        "metric"), ``name``, ``mean``, ``p05``, ``p95``.
    decompositions : per compared view (not the reference), its
        :class:`Decomposition`.
    tells_apart : per compared view, the observable actions ranked by
        ``|difference|``: ``name``, ``reference``, ``view``, ``difference``,
        ``log_ratio``.
    """

    scenario: Scenario
    views: tuple[str, ...]
    draws: int
    seed: int
    method: str
    forecasts: pd.DataFrame
    decompositions: dict[str, Decomposition]
    tells_apart: dict[str, pd.DataFrame]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return self.views[0]

    def side_by_side(self) -> pd.DataFrame:
        """Outputs in rows, each view's mean in a column."""
        wide = self.forecasts.pivot(index="name", columns="view", values="mean")
        order = list(dict.fromkeys(self.forecasts["name"]))
        return wide.loc[order, list(self.views)]

    def to_markdown(self, top: int = 8) -> str:
        """The comparison as a Markdown document (``--format markdown``):
        forecasts side by side, each view's decomposition and the actions
        that tell it from the reference (``top`` rows each, 0: all)."""
        lines = [
            f"# {self.scenario.title}: views compared",
            "",
            f"{len(self.views)} views on {self.draws} common draws (seed {self.seed}, "
            f"{self.method}); reference: `{self.reference}`.",
            "",
        ]
        lines += [f"- `{v}`: {self.descriptions.get(v, '')}" for v in self.views]
        wide = self.side_by_side()
        lines += ["", "## Forecasts side by side", ""]
        lines += [
            _md_row(["action or metric", *self.views]),
            _md_row(["---"] * (1 + len(self.views))),
        ]
        for name, row in wide.iterrows():
            lines.append(_md_row([f"`{name}`", *(f"{float(row[v]):.3f}" for v in self.views)]))
        for v, d in self.decompositions.items():
            shown = self.tells_apart[v] if top == 0 else self.tells_apart[v].head(top)
            how = (
                "exact Shapley values: the contributions sum to the difference"
                if d.method == "shapley"
                else "one element at a time; the rest is interaction"
            )
            extra = ["interaction"] if d.interaction is not None else []
            lines += ["", f"## `{v}` against `{self.reference}` ({how})", ""]
            lines.append(_md_row(["action", "difference", *d.elements, *extra]))
            lines.append(_md_row(["---"] * (2 + len(d.elements) + len(extra))))
            for name in shown["name"]:
                cells = [f"{float(d.total[name]):+.3f}"]
                cells += [f"{d.contribution(e, str(name)):+.3f}" for e in d.elements]
                if d.interaction is not None:
                    cells.append(f"{float(d.interaction[name]):+.3f}")
                lines.append(_md_row([f"`{name}`", *cells]))
            lines += ["", f"What would tell `{v}` from `{self.reference}`:", ""]
            lines.append(_md_row(["action", self.reference, v, "difference", "log ratio"]))
            lines.append(_md_row(["---"] * 5))
            for r in shown.to_dict("records"):
                lines.append(
                    _md_row(
                        [
                            f"`{r['name']}`",
                            f"{float(r['reference']):.3f}",
                            f"{float(r['view']):.3f}",
                            f"{float(r['difference']):+.3f}",
                            f"{float(r['log_ratio']):+.2f}",
                        ]
                    )
                )
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """The document printed by ``realpolitik compare --format json``."""
        forecasts: dict[str, dict[str, Any]] = {}
        for r in self.forecasts.to_dict("records"):
            forecasts.setdefault(str(r["view"]), {})[str(r["name"])] = {
                "kind": str(r["kind"]),
                "mean": json_number(r["mean"]),
                "p05": json_number(r["p05"]),
                "p95": json_number(r["p95"]),
            }
        decompositions = {}
        for name, d in self.decompositions.items():
            decompositions[name] = {
                "method": d.method,
                "elements": list(d.elements),
                "total": {str(k): json_number(v) for k, v in d.total.items()},
                "contributions": {
                    str(e): {str(k): json_number(v) for k, v in d.contributions.loc[e].items()}
                    for e in d.elements
                },
                "interaction": None
                if d.interaction is None
                else {str(k): json_number(v) for k, v in d.interaction.items()},
            }
        apart = {
            name: [
                {
                    "action": str(r["name"]),
                    "reference": float(r["reference"]),
                    "view": float(r["view"]),
                    "difference": float(r["difference"]),
                    "log_ratio": json_number(r["log_ratio"]),
                }
                for r in frame.to_dict("records")
            ]
            for name, frame in self.tells_apart.items()
        }
        return {
            "scenario": self.scenario.id,
            "views": list(self.views),
            "reference": self.reference,
            "descriptions": dict(self.descriptions),
            "draws": self.draws,
            "seed": self.seed,
            "method": self.method,
            "forecasts": forecasts,
            "decompositions": decompositions,
            "tells_apart": apart,
        }


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


class _Rows:
    """Evaluates configurations on the common draws, as batches of rows."""

    def __init__(
        self,
        compiled: CompiledScenario,
        layout: OutcomeLayout,
        uniforms: FloatArray,
        names: tuple[str, ...],
        block: int,
        progress: Progress | None,
        total_rows: int,
        linked: Mapping[str, FloatArray],
    ) -> None:
        self.compiled = compiled
        self.linked = linked
        self.layout = layout
        self.uniforms = uniforms
        self.names = names
        self.block = block
        self.progress = progress
        self.total_rows = total_rows
        self.done = 0

    def values(self, config: _Config) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(D, k)`` parameters, ``(D, terms)`` weights, ``(D,)`` lambdas."""
        scenario = self.compiled.scenario
        d = self.uniforms.shape[0]
        columns = []
        for name in scenario.parameter_ids:
            dist = config.lam if name == LAMBDA.name else config.priors[name]
            if name in self.linked and dist is scenario.parameters[name].distribution:
                columns.append(self.linked[name])  # still linked in this view
                continue
            columns.append(self._column(dist, name, d))
        params = np.column_stack(columns) if columns else np.zeros((d, 0))
        weights = np.tile(
            np.array([config.weights[f"{t.actor}.{t.id}"] for t in scenario.terms]), (d, 1)
        )
        return params, weights, self._column(config.lam, LAMBDA.name, d)

    def _column(self, dist: Distribution, name: str, d: int) -> FloatArray:
        if dist.is_fixed:
            return np.full(d, dist.central())
        column: FloatArray = dist.ppf(self.uniforms[:, self.names.index(name)])
        return column

    def outputs(self, configs: Sequence[_Config]) -> list[FloatArray]:
        """Per configuration, ``(D, outputs)`` action probabilities then
        expected metrics; configurations with the same concept share batches."""
        d = self.uniforms.shape[0]
        out: list[FloatArray] = [np.empty(0)] * len(configs)
        by_concept: dict[tuple[tuple[str, float], ...], list[int]] = {}
        for i, c in enumerate(configs):
            by_concept.setdefault(c.concept, []).append(i)
        for concept, members in by_concept.items():
            parts = [self.values(configs[i]) for i in members]
            params = np.vstack([p for p, _, _ in parts])
            weights = np.vstack([w for _, w, _ in parts])
            lams = np.concatenate([lam for _, _, lam in parts])
            name = concept[0][0] if len(concept) == 1 else MIXTURE
            blocks = []
            for lo, hi in _aligned_blocks(params.shape[0], d, self.block):
                outcomes = evaluate_draws(
                    self.compiled,
                    self.layout,
                    name,
                    lams[lo:hi],
                    params[lo:hi],
                    first_draw=lo % d,
                    term_weights=weights[lo:hi],
                    mixture=concept if name == MIXTURE else None,
                ).outcomes
                blocks.append(np.hstack([outcomes.action_probability, outcomes.metric_expectation]))
                self.done += hi - lo
                if self.progress is not None:
                    self.progress(self.done, self.total_rows)
            result = np.vstack(blocks)
            for k, i in enumerate(members):
                out[i] = result[k * d : (k + 1) * d]
        return out


def _aligned_blocks(n: int, d: int, block: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``block`` rows that never straddle two
    configurations of ``d`` rows each (so ``lo % d`` numbers a block's first
    draw): whole configurations together when ``d <= block``, else each
    configuration in slices of ``block``."""
    if d <= block:
        step = (block // d) * d
        return [(lo, min(lo + step, n)) for lo in range(0, n, step)]
    return [
        (start + lo, start + min(lo + block, d))
        for start in range(0, n, d)
        for lo in range(0, d, block)
    ]


def _shapley(values: FloatArray, m: int) -> FloatArray:
    """``(m, outputs)`` Shapley values from ``values[mask]`` ``(2**m, outputs)``."""
    phi = np.zeros((m, values.shape[1]))
    for i in range(m):
        bit = 1 << i
        for mask in range(1 << m):
            if mask & bit:
                continue
            size = bin(mask).count("1")
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            phi[i] += weight * (values[mask | bit] - values[mask])
    return phi


def compare(
    scenario: ScenarioLike,
    *,
    views: Sequence[str] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    method: str = "mc",
    exact_elements: int = EXACT_ELEMENTS,
    block: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Lay a scenario's views side by side (see the module docstring).

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    views : view ids to compare, the first being the reference; ``"base"``
        is the scenario as written. Default: ``base`` and every declared view.
    draws, seed, method : the common draws (``method`` "mc", "lhs" or "sobol").
    exact_elements : decompose exactly (Shapley) up to this many changed
        elements; one at a time beyond.
    block : rows solved at once (default: sized to the tree,
        :func:`~realpolitik.run.evaluate.block_draws`).
    progress : called as ``progress(rows done, rows in all)``.

    Examples
    --------
    >>> import realpolitik as rp
    >>> result = rp.compare("china-russia-2022", draws=64, seed=1)
    >>> result.views
    ('base', 'hung', 'techoutlook')
    """
    sc = as_scenario(scenario)
    declared = {v.id: v for v in sc.views}
    chosen = list(views) if views else [BASE, *declared]
    problems = [v for v in chosen if v != BASE and v not in declared]
    if problems:
        known = [BASE, *declared]
        close = difflib.get_close_matches(problems[0], known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(
            f"unknown view {listing(problems, quote=True)}{hint}; the scenario's views: "
            f"{listing(known, quote=True)}",
            field="views",
        )
    if len(chosen) < 2 or len(set(chosen)) != len(chosen):
        raise InputError(
            f"compare needs at least two different views, got {', '.join(chosen) or 'none'}"
            + ("" if sc.views else "; this scenario declares no views (add a 'views:' section)"),
            field="views",
        )
    if draws < 1:
        raise InputError(f"--draws must be >= 1, got {draws}")
    if exact_elements < 0:
        raise InputError(f"exact_elements must be >= 0, got {exact_elements}")
    configs = {v: _base_config(sc) if v == BASE else _view_config(sc, declared[v]) for v in chosen}
    compiled = compile_scenario(sc)
    layout = OutcomeLayout.of(compiled)
    uniforms, names = _common_uniforms(sc, list(configs.values()), draws, seed, method)
    reference = configs[chosen[0]]
    plans: dict[str, tuple[tuple[str, ...], list[_Config], str]] = {}
    for v in chosen[1:]:
        elements = changed_elements(sc, reference, configs[v])
        m = len(elements)
        if m <= exact_elements:
            coalitions = [
                {elements[i] for i in range(m) if mask >> i & 1} for mask in range(1 << m)
            ]
            how = "shapley"
        else:
            coalitions = [set(), set(elements), *({e} for e in elements)]
            how = "one-at-a-time"
        plans[v] = (elements, [_mixed(reference, configs[v], c) for c in coalitions], how)
    every = [reference] + [c for _, cs, _ in plans.values() for c in cs]
    rows = _Rows(
        compiled,
        layout,
        uniforms,
        names,
        block if block is not None else block_draws(compiled),
        progress,
        draws * len(every),
        _linked_columns(sc, draws, seed, method),
    )
    evaluated = rows.outputs(every)
    output_names = [f"{k.actor}:{k.move}:{k.action}" for k in layout.keys] + [
        m.id for m in sc.metrics
    ]
    kinds = ["action"] * len(layout.keys) + ["metric"] * len(sc.metrics)
    per_view: dict[str, FloatArray] = {chosen[0]: evaluated[0]}
    position = 1
    decompositions: dict[str, Decomposition] = {}
    for v, (elements, configs_v, how) in plans.items():
        outs = evaluated[position : position + len(configs_v)]
        position += len(configs_v)
        means = np.array([o.mean(axis=0) for o in outs])
        m = len(elements)
        if how == "shapley":
            per_view[v] = outs[-1]
            total = means[-1] - means[0]
            contributions = _shapley(means, m)
            interaction = None
        else:
            per_view[v] = outs[1]
            total = means[1] - means[0]
            contributions = means[2:] - means[0]
            interaction = pd.Series(total - contributions.sum(axis=0), index=output_names)
        decompositions[v] = Decomposition(
            v,
            how,
            elements,
            pd.DataFrame(contributions, index=list(elements), columns=output_names),
            pd.Series(total, index=output_names),
            interaction,
        )
    lo, hi = INTERVAL
    frames = [
        pd.DataFrame(
            {
                "view": v,
                "kind": kinds,
                "name": output_names,
                "mean": per_view[v].mean(axis=0),
                "p05": np.percentile(per_view[v], lo, axis=0),
                "p95": np.percentile(per_view[v], hi, axis=0),
            }
        )
        for v in chosen
    ]
    forecasts = pd.concat(frames, ignore_index=True)
    n_actions = len(layout.keys)
    apart = {}
    ref_mean = per_view[chosen[0]].mean(axis=0)[:n_actions]
    for v in chosen[1:]:
        mean = per_view[v].mean(axis=0)[:n_actions]
        frame = pd.DataFrame(
            {
                "name": output_names[:n_actions],
                "reference": ref_mean,
                "view": mean,
                "difference": mean - ref_mean,
                "log_ratio": np.log(np.maximum(mean, FLOOR)) - np.log(np.maximum(ref_mean, FLOOR)),
            }
        )
        order = np.argsort(-np.abs(frame["difference"].to_numpy()), kind="stable")
        apart[v] = frame.iloc[order].reset_index(drop=True)
    descriptions = {BASE: "the scenario as written"} | {
        v: declared[v].description for v in chosen if v in declared
    }
    return Comparison(
        sc, tuple(chosen), draws, seed, method, forecasts, decompositions, apart, descriptions
    )


def _common_uniforms(
    scenario: Scenario, configs: Sequence[_Config], draws: int, seed: int, method: str
) -> tuple[FloatArray, tuple[str, ...]]:
    """``(D, k)`` uniforms shared by every view: the scenario's sampler over
    every parameter that varies in some view (each keeps its declared
    correlations), plus ``lambda`` when some view draws it."""
    names = [n for n in scenario.parameter_ids if n != LAMBDA.name] + [LAMBDA.name]
    placeholders: dict[str, Distribution] = {}
    for name in names:
        options = [c.lam if name == LAMBDA.name else c.priors[name] for c in configs]
        varying = [d for d in options if not d.is_fixed]
        placeholders[name] = varying[0] if varying else options[0]
    pairs = {
        (c.a, c.b): c.rho
        for c in scenario.correlations
        if not placeholders[c.a].is_fixed and not placeholders[c.b].is_fixed
    }
    sampler = Sampler.from_mapping(
        placeholders, draws, method=method, seed=seed, correlation=pairs or None
    )
    return sampler.uniforms(0, draws), tuple(names)


def _linked_columns(
    scenario: Scenario, draws: int, seed: int, method: str
) -> dict[str, FloatArray]:
    """Per linked parameter, its ``(D,)`` values: the upstream scenario's
    outcome draw by draw (the same in every view that keeps the link)."""
    linked = [n for n, p in scenario.parameters.items() if p.link is not None]
    if not linked:
        return {}
    rows = linked_sampler(scenario, draws, method=method, seed=seed).draws(0, draws)
    return {n: rows[:, scenario.parameter_ids.index(n)] for n in linked}


def coalition_count(elements: int, exact_elements: int = EXACT_ELEMENTS) -> int:
    """Configurations solved for a view with this many changed elements."""
    return 2**elements if elements <= exact_elements else elements + 2
