"""Evaluate a scenario expression once per distinct combination of the
actions it tests, not once per terminal.

Why: a payoff term such as ``v_join * (china.sanctions == join)`` is
evaluated over every draw and every terminal, ``(D, T)`` values, although it
takes only as many values per draw as there are combinations of the actions
it tests (three levels of ``china.sanctions``, against 2048 terminals of the
rebuilt flagship). Evaluated on ``(D, U)`` values, one column per
combination, and gathered back to ``(D, T)``, the expression does ``T / U``
times less arithmetic; on the flagship the scenario's expressions took as
long as solving the game before this. The values are the same bits: every
element is computed by the same elementwise operations on the same numbers.

An expression is evaluated this way only when every value it reads other
than actions is constant across terminals (``(D, 1)`` parameters; a
derived quantity that varies across terminals is read in full), when the
actions it tests come as ``(1, T)`` arrays, and when the combinations are
few (at most a quarter of the terminals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.scenario.expressions import Expression, NonFiniteError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Terminals below which an expression is evaluated in full (nothing to gain).
MIN_TERMINALS = 64
#: Evaluated in full when the combinations exceed this share of the terminals.
MAX_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class Factors:
    """The distinct combinations of some actors' actions over the terminals.

    Attributes
    ----------
    actions : actor -> ``(1, U)`` its action in each combination.
    inverse : ``(T,)`` the combination of each terminal.
    """

    actions: dict[str, IntArray]
    inverse: IntArray


class FactoredEvaluator:
    """Evaluates expressions on the distinct combinations of their actions,
    remembering the combinations per action mapping and actor set.

    The action mappings a compiled scenario passes (its terminals' actions,
    each round's, each chance group's) live as long as the scenario; the
    cache keeps each mapping beside its combinations, so its identity cannot
    be reused while cached.
    """

    def __init__(self) -> None:
        self._cache: dict[
            tuple[int, tuple[str, ...]], tuple[Mapping[str, IntArray], Factors | None]
        ] = {}

    def evaluate(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
    ) -> FloatArray:
        """``expression.evaluate(params, actions, check_finite=True)``,
        computed per combination where that pays (see the module docstring);
        a value that is not finite is reported as the full evaluation
        reports it."""
        factors = self._factors(expression, params, actions)
        if factors is None:
            return np.asarray(expression.evaluate(params, actions, check_finite=True))
        try:
            reduced = expression.evaluate(params, factors.actions, check_finite=True)
        except NonFiniteError:
            # the message counts and places values over the terminals
            return np.asarray(expression.evaluate(params, actions, check_finite=True))
        out: FloatArray = np.take(reduced, factors.inverse, axis=-1)
        return out

    def _factors(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
    ) -> Factors | None:
        actors = tuple(sorted(expression.actors))
        if not actors or any(a not in actions for a in actors):
            return None
        for name in expression.parameters | expression.names:
            shape = np.shape(params.get(name, 0.0))
            if len(shape) >= 2 and shape[-1] != 1:
                return None  # a value that varies across terminals
        key = (id(actions), actors)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is actions:
            return cached[1]
        factors = _combinations({a: actions[a] for a in actors})
        if len(self._cache) >= 512:
            self._cache.clear()
        self._cache[key] = (actions, factors)
        return factors


def _combinations(actions: Mapping[str, IntArray]) -> Factors | None:
    """The distinct combinations of ``actions`` (each ``(1, T)``), or None
    where evaluating per combination would not pay."""
    arrays = [np.asarray(a) for a in actions.values()]
    shape = arrays[0].shape
    if len(shape) != 2 or shape[0] != 1 or any(a.shape != shape for a in arrays):
        return None
    n_terminals = shape[1]
    if n_terminals < MIN_TERMINALS:
        return None
    stacked = np.vstack(arrays)  # (actors, T)
    combos, inverse = np.unique(stacked, axis=1, return_inverse=True)
    if combos.shape[1] > MAX_SHARE * n_terminals:
        return None
    reduced = {
        actor: np.ascontiguousarray(combos[k : k + 1], dtype=arrays[k].dtype)
        for k, actor in enumerate(actions)
    }
    return Factors(reduced, np.asarray(inverse, dtype=np.int64).reshape(-1))
