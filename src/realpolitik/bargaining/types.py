"""Input and result types shared by the bargaining models.

Both models (``eum``, ``smp``) read a :class:`BargainingProblem` and return a
:class:`BargainingRun`, so that the command line, the scoring on real outcomes
and the plots treat them alike. Positions are kept on the input's own scale
(0-100 for KTAB and DEU III files, the raw issue scale for BDM files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from realpolitik.plots.bargaining_plots import plot_trajectories
from realpolitik.plots.notebook import result_html

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class BargainingProblem:
    """Actors with capabilities, positions and saliences on D issue dimensions.

    Attributes
    ----------
    actors : names, one per actor (N).
    capability : (N,) positive capabilities (any scale).
    position : (N, D) positions on the input scale.
    salience : (N, D) saliences on the 0-1 scale (readers convert from 0-100).
    dimensions : names of the D dimensions.
    scale : (lo, hi) of the position scale, e.g. (0, 100).
    name, description : from the input file, for reports.
    """

    actors: tuple[str, ...]
    capability: FloatArray
    position: FloatArray
    salience: FloatArray
    dimensions: tuple[str, ...] = ("issue",)
    scale: tuple[float, float] = (0.0, 100.0)
    name: str = ""
    description: str = ""

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_dimensions(self) -> int:
        return len(self.dimensions)


@dataclass(frozen=True)
class Move:
    """Why one actor's position changed in one turn (for explanations)."""

    turn: int
    actor: str
    kind: str  # e.g. "conflict", "compromise", "capitulation", "bargain", "none"
    counterpart: str | None
    old: tuple[float, ...]
    new: tuple[float, ...]
    detail: str = ""


@dataclass(frozen=True, eq=False)
class BargainingRun:
    """Positions per turn, the forecast and the always-reported baselines.

    Attributes
    ----------
    model : "eum" or "smp".
    variant : the named variant of the model that ran.
    problem : the input.
    positions : (T + 1, N, D) positions on the input scale, turn 0 = input.
    forecast : (D,) the model's forecast on the input scale.
    baselines : name -> (D,) for "weighted_mean" and "weighted_median" of the
        initial positions, weights capability x salience.
    moves : per-turn records of who moved and why.
    extra : model-specific per-turn diagnostics (e.g. risk exponents,
        stopping ratios, win probabilities), arrays keyed by name.
    """

    model: str
    variant: str
    problem: BargainingProblem
    positions: FloatArray
    forecast: FloatArray
    baselines: dict[str, FloatArray]
    moves: tuple[Move, ...] = ()
    extra: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def n_turns(self) -> int:
        return int(self.positions.shape[0]) - 1

    def plot(self, *, title: str | None = None) -> Figure:
        """Every actor's position by turn, one panel per dimension."""
        return plot_trajectories(self, title=title)

    def _repr_html_(self) -> str:
        problem = self.problem
        final = pd.DataFrame(
            self.positions[-1], index=list(problem.actors), columns=list(problem.dimensions)
        ).reset_index(names="actor")
        forecast = pd.DataFrame(
            {
                "forecaster": [f"{self.model} forecast", *self.baselines],
                **{
                    dim: [float(self.forecast[d]), *(float(v[d]) for v in self.baselines.values())]
                    for d, dim in enumerate(problem.dimensions)
                },
            }
        )
        return result_html(
            f"{self.model} ({self.variant}) after {self.n_turns} turns",
            [],
            {"Forecast and baselines": forecast, "Positions at the last turn": final},
        )

    def to_json(self) -> dict[str, Any]:
        """The ``bargain run --format json`` document: per turn every actor's
        position and who moved and why, the forecast and the baselines."""
        problem = self.problem
        by_turn: dict[int, list[dict[str, Any]]] = {}
        for move in self.moves:
            by_turn.setdefault(move.turn, []).append(
                {
                    "actor": move.actor,
                    "kind": move.kind,
                    "with": move.counterpart,
                    "old": list(move.old),
                    "new": list(move.new),
                    "detail": move.detail,
                }
            )
        turns = [
            {
                "turn": t,
                "positions": {
                    actor: [float(v) for v in self.positions[t, a]]
                    for a, actor in enumerate(problem.actors)
                },
                "moves": by_turn.get(t, []),
            }
            for t in range(self.positions.shape[0])
        ]
        return {
            "model": self.model,
            "turns": turns,
            "forecast": [float(v) for v in self.forecast],
            "baselines": {
                name: [float(v) for v in value] for name, value in self.baselines.items()
            },
        }
