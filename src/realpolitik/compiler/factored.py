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
than actions is constant across terminals (``(D, 1)`` parameters) or is
known to be a function of some actions (``depends``: a derived quantity
computed from the same action arrays; the combinations then run over those
actions too, and the value is read at the first terminal of each
combination, where it is the same number as at every other terminal of the
combination), when the actions come as ``(1, T)`` arrays, and when the
combinations are few (at most a quarter of the terminals).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import cast

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
    first : ``(U,)`` the first terminal of each combination.
    """

    actions: dict[str, IntArray]
    inverse: IntArray
    first: IntArray


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
        depends: Mapping[str, frozenset[str]] | None = None,
    ) -> FloatArray:
        """``expression.evaluate(params, actions, check_finite=True)``,
        computed per combination where that pays (see the module docstring);
        a value that is not finite is reported as the full evaluation
        reports it."""
        return gathered(*self.evaluate_reduced(expression, params, actions, depends))

    def evaluate_reduced(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
        depends: Mapping[str, frozenset[str]] | None = None,
    ) -> tuple[FloatArray, IntArray | None]:
        """What :meth:`evaluate` gathers: ``(values, inverse)``, the values
        per combination ``(..., U)`` and the combination of each terminal
        ``(T,)``, whose ``np.take(values, inverse, axis=-1)`` is the
        expression at every terminal; ``(value, None)`` where the expression
        is evaluated in full. For callers that gather the values themselves
        (the payoffs, :mod:`realpolitik.compiler._payoff_kernels`).

        ``depends``: name -> the actors whose actions (in ``actions``) a
        value of ``params`` that varies across terminals is a function of
        (the derived quantities); other such values are read in full."""
        found = self._factors(expression, params, actions, depends)
        if found is None:
            return np.asarray(expression.evaluate(params, actions, check_finite=True)), None
        factors, varying = found
        if varying:
            # the varying values at each combination's first terminal, over
            # the others (a ChainMap, so that nothing else is gathered; it
            # writes only to its first map, so the cast is safe)
            taken = {n: _at_terminals(params, n, factors.first) for n in varying}
            params = ChainMap(taken, cast(MutableMapping[str, FloatArray], params))
        try:
            reduced = expression.evaluate(params, factors.actions, check_finite=True)
        except NonFiniteError:
            # the message counts and places values over the terminals
            return np.asarray(expression.evaluate(params, actions, check_finite=True)), None
        return np.asarray(reduced), factors.inverse

    def _factors(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
        depends: Mapping[str, frozenset[str]] | None,
    ) -> tuple[Factors, list[str]] | None:
        """The combinations to evaluate ``expression`` on and the names of
        the values to read at their first terminals, or None."""
        subjects = set(expression.actors)
        varying: list[str] = []
        for name in sorted(expression.parameters | expression.names):
            shape = _shape(params, name)
            if len(shape) >= 2 and shape[-1] != 1:
                # a value that varies across terminals
                if depends is None or name not in depends:
                    return None
                subjects |= depends[name]
                varying.append(name)
        actors = tuple(sorted(subjects))
        if not actors or any(a not in actions for a in actors):
            return None
        key = (id(actions), actors)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is actions:
            factors = cached[1]
        else:
            factors = _combinations({a: actions[a] for a in actors})
            if len(self._cache) >= 512:
                self._cache.clear()
            self._cache[key] = (actions, factors)
        if factors is None:
            return None
        if any(_shape(params, n)[-1] != len(factors.inverse) for n in varying):
            return None
        return factors, varying


def gathered(values: FloatArray, inverse: IntArray | None) -> FloatArray:
    """Values per combination at every terminal: ``np.take(values, inverse,
    axis=-1)``, or ``values`` as they are where ``inverse`` is None (an
    expression evaluated in full; see :meth:`FactoredEvaluator.evaluate_reduced`)."""
    if inverse is None:
        return values
    out: FloatArray = np.take(values, inverse, axis=-1)
    return out


class GatheredValues(Mapping[str, FloatArray]):
    """Named values, some kept per combination and gathered to every
    terminal only when someone reads them in full.

    Why: a derived quantity such as the flagship's ``severity`` is computed
    per combination of the actions it tests (:meth:`FactoredEvaluator.evaluate_reduced`);
    gathered to ``(D, T)`` it is 16 MB per 1024 draws, and the expressions
    that read it (payoff terms, metrics), themselves evaluated per
    combination, read it back at one terminal per combination. Kept as
    ``(values, inverse)``, those reads take the few columns they need
    (:func:`_at_terminals`), and the gather (``np.take``, the same bits)
    runs only for a reader of the whole array, once.
    """

    def __init__(self, full: Mapping[str, FloatArray]) -> None:
        self._full: dict[str, FloatArray] = dict(full)
        self._reduced: dict[str, tuple[FloatArray, IntArray]] = {}

    def put(self, name: str, values: FloatArray, inverse: IntArray | None) -> None:
        """Set ``name`` to ``values``, per combination when ``inverse`` (the
        combination of each terminal) is given, else in full."""
        self._full.pop(name, None)
        self._reduced.pop(name, None)
        if inverse is None:
            self._full[name] = values
        else:
            self._reduced[name] = (values, inverse)

    def reduced(self, name: str) -> tuple[FloatArray, IntArray] | None:
        """``(values, inverse)`` of a value kept per combination and not yet
        gathered, else None."""
        return self._reduced.get(name)

    def __getitem__(self, name: str) -> FloatArray:
        found = self._full.get(name)
        if found is not None:
            return found
        kept = self._reduced.get(name)
        if kept is None:
            raise KeyError(name)
        # stored before it is dropped from the kept values, so that a reader
        # in another thread finds it in one or the other
        full = gathered(*kept)
        self._full[name] = full
        self._reduced.pop(name, None)
        return full

    def __contains__(self, name: object) -> bool:
        return name in self._full or name in self._reduced

    def __iter__(self) -> Iterator[str]:
        yield from list(self._full)
        yield from list(self._reduced)

    def __len__(self) -> int:
        return len(self._full) + len(self._reduced)


def _shape(params: Mapping[str, FloatArray], name: str) -> tuple[int, ...]:
    """The shape of ``params[name]`` (``()`` if missing), without gathering
    a value kept per combination."""
    if isinstance(params, GatheredValues):
        kept = params.reduced(name)
        if kept is not None:
            values, inverse = kept
            return (*np.shape(values)[:-1], len(inverse))
    return tuple(np.shape(params.get(name, 0.0)))


def _at_terminals(params: Mapping[str, FloatArray], name: str, terminals: IntArray) -> FloatArray:
    """``np.take(params[name], terminals, axis=-1)``, read from the values per
    combination where ``params`` keeps them so (the same numbers)."""
    if isinstance(params, GatheredValues):
        kept = params.reduced(name)
        if kept is not None:
            values, inverse = kept
            out: FloatArray = np.take(values, inverse[terminals], axis=-1)
            return out
    taken: FloatArray = np.take(params[name], terminals, axis=-1)
    return taken


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
    combos, first, inverse = np.unique(stacked, axis=1, return_index=True, return_inverse=True)
    if combos.shape[1] > MAX_SHARE * n_terminals:
        return None
    reduced = {
        actor: np.ascontiguousarray(combos[k : k + 1], dtype=arrays[k].dtype)
        for k, actor in enumerate(actions)
    }
    return Factors(
        reduced,
        np.asarray(inverse, dtype=np.int64).reshape(-1),
        np.asarray(first, dtype=np.int64).reshape(-1),
    )
