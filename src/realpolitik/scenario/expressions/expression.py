"""A checked, compiled expression (:class:`Expression`) and
:func:`parse_expression`, the one way scenario files build one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.limits import require_bytes
from realpolitik.scenario.expressions.compiler import Code, Compiler
from realpolitik.scenario.expressions.context import ExpressionContext
from realpolitik.scenario.expressions.parser import parse_tree
from realpolitik.scenario.expressions.syntax import (
    ExpressionError,
    Kind,
    Node,
    NonFiniteError,
    brief,
)


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Expression:
    """A checked expression, compiled to a NumPy kernel.

    Build one with :func:`parse_expression`. Two expressions are equal when
    their text, context and kind are.

    Attributes
    ----------
    text : the source text.
    kind : ``"number"`` or ``"boolean"``.
    tree : the syntax tree.
    context : the context names were resolved against.
    parameters : parameters used.
    names : extra names of the context used (its ``numbers`` and ``conditions``).
    actors : actors whose actions are tested.
    actions_tested : ``(actor, action)`` pairs named in tests.
    columns : every name used (parameters, extra names, actors) -> its columns.
    """

    text: str
    kind: Kind
    tree: Node
    context: ExpressionContext
    parameters: frozenset[str]
    names: frozenset[str]
    actors: frozenset[str]
    actions_tested: frozenset[tuple[str, str]]
    columns: Mapping[str, tuple[int, ...]]
    _code: Code = field(repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return (self.text, self.kind, self.context) == (other.text, other.kind, other.context)

    def __hash__(self) -> int:
        return hash((self.text, self.kind, self.context))

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the text: closures do not pickle, the text does.
        return (_rebuild, (self.text, self.context, self.kind))

    @property
    def constant(self) -> float | bool | None:
        """The value if the expression uses no parameter or action, else None."""
        const = self._code.const
        if const is None:
            return None
        return bool(const) if self.kind == "boolean" else float(const)

    def evaluate(
        self,
        parameters: Mapping[str, ArrayLike],
        actions: Mapping[str, ArrayLike] | None = None,
        *,
        check_finite: bool = False,
    ) -> NDArray[Any]:
        """Evaluate on whole arrays of draws and paths at once.

        Parameters
        ----------
        parameters : name -> values for every parameter (and extra name) the
            expression uses; any shapes that broadcast together, typically
            ``(draws, 1)``. Values of condition names must be boolean arrays.
            Other entries are ignored.
        actions : actor -> integer array of indices into that actor's actions
            (``-1``: the actor did not move on this path), typically shaped
            ``(1, terminals)``; needed for every actor the expression tests.
        check_finite : raise :class:`NonFiniteError` if any value of a numeric
            result is ``nan`` or infinite (values of booleans are always
            finite; a ``nan`` inside a comparison makes it false).

        Returns
        -------
        numpy.ndarray
            A new array (never a view of an input) with the broadcast shape of
            the inputs the expression uses (0-d for a constant): float64 for a
            number, bool for a boolean.

        Raises
        ------
        ExpressionError
            If a value is missing, not numeric, of shapes that do not
            broadcast, or an action index is out of range.
        NonFiniteError
            With ``check_finite=True``, see above.
        """
        values: dict[str, NDArray[Any]] = {}
        for name in sorted(self.parameters | self.names):
            if name not in parameters:
                raise ExpressionError(
                    f"`{brief(self.text, 60)}` needs a value for `{name}`, which was not given"
                )
            values[name] = self._value(name, parameters[name])
        moves: dict[str, NDArray[Any]] = {}
        for actor in sorted(self.actors):
            if actions is None or actor not in actions:
                raise ExpressionError(
                    f"`{brief(self.text, 60)}` tests the action of `{actor}`, "
                    "whose actions were not given"
                )
            moves[actor] = self._moves(actor, actions[actor])
        inputs = list(values.values()) + list(moves.values())
        try:
            shape = np.broadcast_shapes(*(array.shape for array in inputs))
        except ValueError:
            shapes = ", ".join(
                f"{name} {array.shape}" for name, array in (*values.items(), *moves.items())
            )
            raise ExpressionError(
                f"the values given to `{brief(self.text, 60)}` have shapes that do not "
                f"broadcast: {shapes}"
            ) from None
        itemsize = 8 if self.kind == "number" else 1
        require_bytes(
            f"the value of `{brief(self.text, 60)}`", shape, itemsize, "evaluate fewer draws"
        )
        with np.errstate(all="ignore"):
            raw = self._code.run(values, moves)
        result = np.asarray(raw, dtype=np.float64 if self.kind == "number" else np.bool_)
        if not self._code.fresh:
            result = result.copy()  # the kernel returned an input or a constant
        if result.shape != shape:
            result = np.array(np.broadcast_to(result, shape))
        if check_finite and self.kind == "number":
            self._check_finite(result)
        return result

    # -- helpers ---------------------------------------------------------------
    def _value(self, name: str, raw: ArrayLike) -> NDArray[Any]:
        if name in self.context.conditions:
            array = np.asarray(raw)
            if array.dtype != np.bool_:
                raise ExpressionError(
                    f"the value of condition `{name}` must be a boolean array, not {array.dtype}"
                )
            return array
        try:
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise ExpressionError(
                f"the value of `{name}` must be numeric; got {type(raw).__name__}"
            ) from None

    def _moves(self, actor: str, raw: ArrayLike) -> NDArray[Any]:
        array = np.asarray(raw)
        if not np.issubdtype(array.dtype, np.integer):
            raise ExpressionError(
                f"the actions of `{actor}` must be integer action indices, not {array.dtype}"
            )
        count = len(self.context.actors[actor])
        if array.size and (int(array.min()) < -1 or int(array.max()) >= count):
            raise ExpressionError(
                f"the action indices of `{actor}` must lie between -1 (did not move) "
                f"and {count - 1}; got {int(array.min())} to {int(array.max())}"
            )
        return array

    def _check_finite(self, result: NDArray[Any]) -> None:
        finite = np.isfinite(result)
        if finite.all():
            return
        count = int(finite.size - np.count_nonzero(finite))
        flat = int(np.argmin(finite))
        index = tuple(int(i) for i in np.unravel_index(flat, result.shape))
        value = result.reshape(-1)[flat]
        raise NonFiniteError(
            f"`{brief(self.text, 60)}` is {value} for {count} of {result.size} values "
            f"(first at index {index}); check the parameter ranges, or guard the "
            "formula with `clip`, `max` or `where`",
            index=index,
            count=count,
        )


def parse_expression(
    text: str, context: ExpressionContext, *, expect: Kind | None = None
) -> Expression:
    """Parse, check and compile an expression.

    Parameters
    ----------
    text : the expression, e.g. ``"clip(base + 0.2 * (west == harsh), 0, 1)"``.
    context : the names it may use.
    expect : ``"number"`` converts a boolean result to 0/1 (a payoff may be a
        bare condition); ``"boolean"`` requires a condition; None keeps the
        expression's own kind.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        With the column of the problem: syntax, limits, unknown names (with a
        did-you-mean), an action used outside a test, an action the actor does
        not have, a wrong number of function arguments, a number used as a
        condition.

    Examples
    --------
    >>> ctx = ExpressionContext(frozenset({"base"}), {"west": ("soft", "harsh")})
    >>> parse_expression("clip(base + 0.2 * (west == harsh), 0, 1)", ctx).kind
    'number'
    >>> parse_expression("west == hrash", ctx)
    Traceback (most recent call last):
    ...
    realpolitik.scenario.expressions.ExpressionError: `hrash` is not an action of west; \
did you mean `harsh`? (column 9)
    """
    tree = parse_tree(text)
    compiler = Compiler(text, context)
    code = compiler.compile(tree)
    if expect == "number":
        code = compiler.as_number(code)
    elif expect == "boolean":
        code = compiler.as_condition(tree, code, "this field")
    columns = {name: tuple(cols) for name, cols in compiler.columns.items()}
    used = frozenset(columns)
    return Expression(
        text=text,
        kind=code.kind,
        tree=tree,
        context=context,
        parameters=used & context.parameters,
        names=used & (context.numbers | context.conditions),
        actors=used & frozenset(context.actors),
        actions_tested=frozenset(compiler.tested),
        columns=columns,
        _code=code,
    )


def _rebuild(text: str, context: ExpressionContext, kind: Kind) -> Expression:
    return parse_expression(text, context, expect=kind)
