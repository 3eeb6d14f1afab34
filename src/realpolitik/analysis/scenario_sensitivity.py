"""Which parameters drive a scenario's forecast: Sobol' indices, Morris
screening and the tornado on the scenario as a vectorised model
(:mod:`realpolitik.analysis.scenario_model`); the run behind
``realpolitik sensitivity``.

Sobol' indices, Morris and the tornado treat the parameters as independent
even when the scenario declares correlations (the result says so).

References
----------
Herman, J., Usher, W. (2017). SALib: an open-source Python library for
sensitivity analysis. Journal of Open Source Software 2(9).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from realpolitik.analysis.scenario_model import Progress, scenario_model, staged
from realpolitik.analysis.sensitivity import morris_screening, sobol_indices, tornado
from realpolitik.analysis.targets import Target
from realpolitik.errors import InputError
from realpolitik.plots.notebook import result_html
from realpolitik.plots.sensitivity_plots import plot_morris, plot_sobol, plot_tornado
from realpolitik.scenario.load import ScenarioLike
from realpolitik.scenario.model import Scenario
from realpolitik.uncertainty.sampling import fresh_seed

FloatArray = NDArray[np.float64]

#: Analyses run by :func:`scenario_sensitivity`.
SENSITIVITY_METHODS: tuple[str, ...] = ("sobol", "morris", "tornado")


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

    def plot(self, target: str | None = None, *, top: int = 15) -> dict[str, Figure]:
        """Sobol', Morris and tornado plots of one target (default: the
        first), the ``top`` parameters by total index and swing."""
        name = self.targets[0].name if target is None else target
        if name not in {t.name for t in self.targets}:
            raise InputError(
                f"no target {name!r}; the targets are {[t.name for t in self.targets]}"
            )
        figures: dict[str, Figure] = {}
        if self.sobol is not None:
            rows = self.sobol.loc[self.sobol["output"] == name].nlargest(top, "ST", keep="first")
            figures["sobol"] = plot_sobol(rows)
        if self.morris is not None:
            figures["morris"] = plot_morris(self.morris, output=name)
        if self.tornado is not None:
            figures["tornado"] = plot_tornado(self.tornado, output=name, top=top)
        return figures

    def _repr_html_(self) -> str:
        return result_html(
            f"What drives {', '.join(t.name for t in self.targets)}: {self.scenario.title}",
            [f"{len(self.parameters)} parameters; seed {self.seed}", *self.notes],
            {"Indices per target and parameter": self.table()},
        )

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


def scenario_sensitivity(
    scenario: ScenarioLike,
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
    chunk: int | None = None,
    progress: Progress | None = None,
) -> SensitivityResult:
    """Which parameters drive the targets: Sobol' indices, Morris, tornado.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
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
    chunk : rows solved at once (default: sized to the tree).
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
            staged(model, progress, "sobol"),
            names,
            model.ppf,
            samples,
            seed=seed,
            conf_level=conf_level,
            output_names=outputs,
        )
    if "morris" in methods:
        morris = morris_screening(
            staged(model, progress, "morris"),
            names,
            model.ppf,
            n_trajectories=trajectories,
            seed=seed,
            conf_level=conf_level,
            output_names=outputs,
        )
    if "tornado" in methods:
        swings = tornado(
            staged(model, progress, "tornado"),
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
