"""What the plots read from a result: typing protocols, so that ``plots``
needs no import of ``analysis`` (which sits above it and calls it).

Each protocol lists the attributes a plot uses; the result classes of
:mod:`realpolitik.analysis` (``Forecast``, ``Explanation``, ``PrimResult``)
have them. Values are typed loosely (``Any``) where the plot only passes them
on; mypy checks that each result class satisfies its protocol where the
result calls its plot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray


class ForecastLike(Protocol):
    """A forecast: its scenario, settings and summary tables."""

    @property
    def scenario(self) -> Any: ...
    @property
    def settings(self) -> Any: ...
    @property
    def actions(self) -> pd.DataFrame: ...
    @property
    def pathways(self) -> pd.DataFrame: ...
    @property
    def metrics(self) -> pd.DataFrame: ...
    @property
    def dimensions(self) -> pd.DataFrame: ...
    @property
    def rounds(self) -> pd.DataFrame: ...


class AlternativeLike(Protocol):
    """The chosen action against one alternative, term by term."""

    @property
    def action(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def terms(self) -> Mapping[str, float]: ...
    @property
    def difference(self) -> float: ...


class DecisionLike(Protocol):
    """One decision on the path of play."""

    @property
    def actor(self) -> str: ...
    @property
    def history(self) -> Sequence[tuple[str, str]]: ...
    @property
    def chosen(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def value_terms(self) -> Mapping[str, float]: ...
    @property
    def alternatives(self) -> Sequence[AlternativeLike]: ...


class ExplanationLike(Protocol):
    """An explanation: its scenario and decisions."""

    @property
    def scenario(self) -> Any: ...
    @property
    def decisions(self) -> Sequence[DecisionLike]: ...


class PrimLike(Protocol):
    """A PRIM run: its peeling trajectory and the selected box."""

    @property
    def trajectory(self) -> pd.DataFrame: ...
    @property
    def selected_step(self) -> int: ...
    @property
    def coverage(self) -> float: ...
    @property
    def density(self) -> float: ...
    @property
    def base_density(self) -> float: ...
    @property
    def n_restricted(self) -> int: ...
    @property
    def names(self) -> Sequence[str]: ...
    @property
    def box(self) -> Any: ...
    @property
    def box_lower(self) -> NDArray[np.float64]: ...
    @property
    def box_upper(self) -> NDArray[np.float64]: ...


class BargainingRunLike(Protocol):
    """A bargaining model's run: the problem, positions per turn, forecast."""

    @property
    def problem(self) -> Any: ...
    @property
    def positions(self) -> NDArray[np.float64]: ...
    @property
    def model(self) -> str: ...
    @property
    def variant(self) -> str: ...
    @property
    def forecast(self) -> NDArray[np.float64]: ...
    @property
    def baselines(self) -> Mapping[str, NDArray[np.float64]]: ...
    @property
    def extra(self) -> Mapping[str, Any]: ...
