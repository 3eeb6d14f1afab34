"""Under which conditions a scenario's choice holds, and where it flips:
PRIM scenario discovery on draws from the scenario's own sampler, with its
resampling stability check, and single-parameter flip thresholds around the
central values; the run behind ``realpolitik discover``.

Discovery draws use the scenario's declared correlations.

References
----------
Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting &
Social Change 77:34-49.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from realpolitik.analysis.prim import PrimResult, PrimStability, prim, prim_stability
from realpolitik.analysis.scenario_model import Progress, ScenarioModel, scenario_model, staged
from realpolitik.analysis.targets import Target
from realpolitik.analysis.thresholds import flip_thresholds
from realpolitik.errors import InputError
from realpolitik.limits import require_bytes
from realpolitik.plots.notebook import result_html
from realpolitik.plots.sensitivity_plots import plot_prim_box, plot_prim_tradeoff
from realpolitik.run.links import linked_sampler
from realpolitik.scenario.load import ScenarioLike
from realpolitik.scenario.model import Scenario
from realpolitik.uncertainty.sampling import fresh_seed

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


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

    def plot(self) -> dict[str, Figure]:
        """PRIM's coverage-density trade-off and the box on its two most
        restrictive parameters (none without a box)."""
        if self.prim is None:
            return {}
        figures = {"tradeoff": plot_prim_tradeoff(self.prim)}
        if len(self.parameters) >= 2:
            figures["box"] = plot_prim_box(self.prim, self.X, self.y)
        return figures

    def _repr_html_(self) -> str:
        n_cases = int(self.y.sum())
        tables = {"Tipping points (one parameter moved alone)": self.thresholds}
        if self.prim is not None:
            tables = {"PRIM box": box_table(self), **tables}
        return result_html(
            f"When {self.target.name} holds: {self.scenario.title}",
            [f"Cases of interest: {n_cases} of {self.draws} draws", *self.notes],
            tables,
        )

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


def scenario_discovery(
    scenario: ScenarioLike,
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
    chunk: int | None = None,
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
    scenario : a loaded scenario, a built-in name or a path.
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
    chunk : rows solved at once (default: sized to the tree).
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
    sampler = linked_sampler(source, draws, method=method, seed=seed)
    all_draws = sampler.draws(0, draws)
    columns = [source.parameter_ids.index(n) for n in model.names]
    X = np.ascontiguousarray(all_draws[:, columns])
    evaluation = staged(model, progress, "draws").evaluate(X)
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
