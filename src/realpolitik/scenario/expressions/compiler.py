"""Compiles a checked syntax tree to a tree of closures, each applying one
NumPy ufunc to whole arrays (parameter draws by paths), so that a formula
is evaluated on a million draws at once, never per draw; and checks every
name and type against the context on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.scenario.expressions.context import ExpressionContext, listing, suggest
from realpolitik.scenario.expressions.syntax import (
    ARITY,
    FUNCTIONS,
    Boolean,
    Call,
    Chain,
    Compare,
    ExpressionError,
    Kind,
    Membership,
    Name,
    Node,
    Not,
    Number,
    Power,
    Unary,
    brief,
)

# ---------------------------------------------------------------------------
# Compiler: syntax tree -> tree of closures over NumPy ufuncs
# ---------------------------------------------------------------------------
Values: TypeAlias = Mapping[str, NDArray[Any]]
Run: TypeAlias = Callable[[Values, Values], Any]
_EMPTY: dict[str, NDArray[Any]] = {}


@dataclass(frozen=True)
class Code:
    """A compiled subtree: its type, its kernel, its value if constant, and
    whether the kernel returns a new array the caller may overwrite."""

    kind: Kind
    run: Run
    const: NDArray[Any] | None = None
    fresh: bool = True


def _constant(value: ArrayLike, kind: Kind) -> Code:
    dtype = np.float64 if kind == "number" else np.bool_
    const: NDArray[Any] = np.asarray(value, dtype=dtype)

    def run(p: Values, a: Values) -> Any:
        return const

    return Code(kind, run, const, fresh=False)


def _built(kind: Kind, run: Run, children: Sequence[Code]) -> Code:
    """A node's code; folded to a constant when every child is constant."""
    if all(child.const is not None for child in children):
        with np.errstate(all="ignore"):
            return _constant(run(_EMPTY, _EMPTY), kind)
    return Code(kind, run)


#: Arrays smaller than this are not written in place (allocation is cheap).
_IN_PLACE_MIN = 4096
_FLOAT = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)


def _holds(target: Any, other: Any, dtype: np.dtype[Any]) -> bool:
    """Whether ``target op other`` can be written into ``target``: an array of
    the result's dtype whose shape is already the broadcast shape. Small
    arrays are not worth the check."""
    if type(target) is not np.ndarray or target.size < _IN_PLACE_MIN or target.dtype != dtype:
        return False
    shape = np.shape(other)
    if len(shape) > target.ndim:
        return False
    tail = target.shape[target.ndim - len(shape) :]
    return all(s == 1 or s == t for s, t in zip(shape, tail, strict=True))


def _chain_run(first: Code, rest: Sequence[tuple[np.ufunc, Code]], kind: Kind) -> Run:
    """``first op1 x1 op2 x2 ...`` left to right, one ufunc call per operator.

    A result is written into an operand that is our own temporary (``fresh``)
    and already has the result's shape and dtype, so that a long sum of
    products over ``(draws, terminals)`` allocates one or two full-size arrays
    instead of one per operator.
    """
    dtype = _FLOAT if kind == "number" else _BOOL
    head, head_fresh = first.run, first.fresh
    steps = tuple((ufunc, code.run, code.fresh) for ufunc, code in rest)

    def run(p: Values, a: Values) -> Any:
        acc = head(p, a)
        fresh = head_fresh
        for ufunc, operand, operand_fresh in steps:
            value = operand(p, a)
            if fresh and _holds(acc, value, dtype):
                acc = ufunc(acc, value, out=acc)
            elif operand_fresh and _holds(value, acc, dtype):
                acc = ufunc(acc, value, out=value)
            else:
                acc = ufunc(acc, value)
            fresh = True
        return acc

    return run


def _unary_run(ufunc: np.ufunc, operand: Code) -> Run:
    inner = operand.run
    if operand.fresh:

        def run_in_place(p: Values, a: Values) -> Any:
            value = inner(p, a)
            if type(value) is np.ndarray:
                return ufunc(value, out=value)
            return ufunc(value)

        return run_in_place

    def run(p: Values, a: Values) -> Any:
        return ufunc(inner(p, a))

    return run


_ARITHMETIC: dict[str, np.ufunc] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "and": np.logical_and,
    "or": np.logical_or,
}
_COMPARISONS: dict[str, np.ufunc] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


class Compiler:
    """Checks a syntax tree against a context and compiles it, one node at a
    time, into a :class:`Code`; records the names and actions it meets."""

    def __init__(self, text: str, context: ExpressionContext) -> None:
        self.text = text
        self.context = context
        self.columns: dict[str, list[int]] = {}
        self.tested: set[tuple[str, str]] = set()

    def snippet(self, node: Node) -> str:
        return brief(self.text[node.start : node.end])

    def use(self, node: Name) -> None:
        self.columns.setdefault(node.name, []).append(node.column)

    def as_number(self, code: Code) -> Code:
        if code.kind == "number":
            return code
        if code.const is not None:
            return _constant(code.const, "number")
        inner = code.run

        def run(p: Values, a: Values) -> Any:
            return np.asarray(inner(p, a), dtype=np.float64)

        return Code("number", run)

    def as_condition(self, node: Node, code: Code, needed_by: str) -> Code:
        if code.kind == "boolean":
            return code
        shown = self.snippet(node)
        raise ExpressionError(
            f"{needed_by} needs a condition (true or false), but `{shown}` is a number; "
            f"compare it, e.g. `{shown} > 0`",
            column=node.column,
        )

    def number(self, node: Node) -> Code:
        return self.as_number(self.compile(node))

    # -- dispatch ------------------------------------------------------------
    def compile(self, node: Node) -> Code:
        if isinstance(node, Number):
            return _constant(node.value, "number")
        if isinstance(node, Boolean):
            return _constant(node.value, "boolean")
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Not):
            return self.negation(node)
        if isinstance(node, Chain):
            return self.chain(node)
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Membership):
            return self.membership(node)
        return self.call(node)

    # -- names -----------------------------------------------------------------
    def name(self, node: Name) -> Code:
        name, ctx = node.name, self.context
        if name in ctx._values:
            self.use(node)
            kind: Kind = "boolean" if name in ctx.conditions else "number"

            def run(p: Values, a: Values) -> Any:
                return p[name]

            return Code(kind, run, fresh=False)
        if name in ctx.actors:
            raise self.actor_as_value(node)
        if name in FUNCTIONS:
            raise ExpressionError(
                f"`{name}` is a function; call it as `{FUNCTIONS[name]}`", column=node.column
            )
        owners = ctx._owners.get(name)
        if owners:
            if len(owners) == 1:
                hint = f"test it with `{owners[0]} == {name}`"
                whose = f"an action of {owners[0]}"
            else:
                hint = f"test it against an actor, e.g. `{owners[0]} == {name}`"
                whose = f"an action (of {', '.join(owners)})"
            raise ExpressionError(f"`{name}` is {whose}, not a value; {hint}", column=node.column)
        raise self.unknown(node)

    def unknown(self, node: Name) -> ExpressionError:
        ctx = self.context
        known = ctx._values | frozenset(ctx.actors)
        suggestion = suggest(node.name, known | frozenset(FUNCTIONS))
        if suggestion:
            return ExpressionError(
                f"unknown name `{brief(node.name)}`{suggestion}", column=node.column
            )
        if "." in node.name:
            dotted = sorted(a for a in ctx.actors if "." in a)
            known_subjects = f"; here: {listing(dotted)}" if dotted else ""
            return ExpressionError(
                f"unknown name `{brief(node.name)}`: a dotted name is a subject, a compound "
                f"move's dimension (`china.sanctions`) or an actor's type (`china.type`)"
                f"{known_subjects}",
                column=node.column,
            )
        return ExpressionError(
            f"unknown name `{brief(node.name)}`: not a parameter, actor or function here "
            f"(parameters: {listing(ctx.parameters)})",
            column=node.column,
        )

    def actor_as_value(self, node: Name) -> ExpressionError:
        actions = self.context.actors[node.name]
        actor = node.name
        if actions:
            example = f"`{actor} == {actions[0]}`"
            if len(actions) > 1:
                example += f" or `{actor} in [{actions[0]}, {actions[1]}]`"
        else:
            example = f"`moved({actor})`"
        return ExpressionError(
            f"`{actor}` is an actor, not a value; test its action, e.g. {example}",
            column=node.column,
        )

    def actor(self, node: Node, where: str) -> str:
        """The actor named by ``node``, with an error saying what else it is."""
        ctx = self.context
        if isinstance(node, Name) and node.name in ctx.actors:
            self.use(node)
            return node.name
        if isinstance(node, Name):
            name = node.name
            if name in ctx.parameters:
                what = "a parameter"
            elif name in ctx.numbers or name in ctx.conditions:
                what = "a value, not an actor"
            else:
                suggestion = suggest(name, ctx.actors)
                raise ExpressionError(
                    f"{where} needs an actor, but `{brief(name)}` is not one{suggestion}"
                    + ("" if suggestion else f" (actors: {listing(ctx.actors)})"),
                    column=node.column,
                )
            raise ExpressionError(
                f"{where} needs an actor, but `{name}` is {what} (actors: {listing(ctx.actors)})",
                column=node.column,
            )
        raise ExpressionError(
            f"{where} needs an actor's name, not `{self.snippet(node)}` "
            f"(actors: {listing(ctx.actors)})",
            column=node.column,
        )

    def action(self, actor: str, node: Node, op: str) -> int:
        actions = self.context.actors[actor]
        if not isinstance(node, Name):
            raise ExpressionError(
                f"`{actor} {op} ...` needs one of {actor}'s actions on the right "
                f"({listing(actions, keep_order=True)}), not `{self.snippet(node)}`",
                column=node.column,
            )
        if node.name not in actions:
            suggestion = suggest(node.name, actions)
            raise ExpressionError(
                f"`{brief(node.name)}` is not an action of {actor}{suggestion}"
                + ("" if suggestion else f" (its actions: {listing(actions, keep_order=True)})"),
                column=node.column,
            )
        self.tested.add((actor, node.name))
        return actions.index(node.name)

    # -- operators -------------------------------------------------------------
    def unary(self, node: Unary) -> Code:
        operand = self.number(node.operand)
        if node.op == "+":
            return operand
        return _built("number", _unary_run(np.negative, operand), [operand])

    def negation(self, node: Not) -> Code:
        operand = self.as_condition(node.operand, self.compile(node.operand), "`not`")
        return _built("boolean", _unary_run(np.logical_not, operand), [operand])

    def chain(self, node: Chain) -> Code:
        logical = node.rest[0][0] in ("and", "or")
        operands = [node.first, *(operand for _, operand in node.rest)]
        codes: list[Code] = []
        for operand in operands:
            code = self.compile(operand)
            if logical:
                codes.append(self.as_condition(operand, code, f"`{node.rest[0][0]}`"))
            else:
                codes.append(self.as_number(code))
        rest = [(_ARITHMETIC[op], code) for (op, _), code in zip(node.rest, codes[1:], strict=True)]
        kind: Kind = "boolean" if logical else "number"
        return _built(kind, _chain_run(codes[0], rest, kind), codes)

    def power(self, node: Power) -> Code:
        base, exponent = self.number(node.base), self.number(node.exponent)
        return _built(
            "number", _chain_run(base, [(np.power, exponent)], "number"), [base, exponent]
        )

    def compare(self, node: Compare) -> Code:
        ctx = self.context
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Name) and left.name in ctx.actors:
            actor = self.actor(left, f"`{op}`")
            if op not in ("==", "!="):
                raise ExpressionError(
                    f"an actor's action can only be tested with `==`, `!=`, `in` or `not in`, "
                    f"not `{op}`",
                    column=node.op_start + 1,
                )
            index = self.action(actor, right, op)
            ufunc = np.equal if op == "==" else np.not_equal

            def test(p: Values, a: Values) -> Any:
                return ufunc(a[actor], index)

            return Code("boolean", test)
        if isinstance(right, Name) and right.name in ctx.actors:
            if op in ("==", "!=") and isinstance(left, Name):
                hint = f"write the actor first: `{right.name} {op} {left.name}`"
            else:
                hint = "write the actor first, as in `china == covert_assist`"
            raise ExpressionError(
                f"`{right.name}` is an actor; an action test has the actor on the left of "
                f"`{op}`; {hint}",
                column=right.column,
            )
        lhs, rhs = self.compile(left), self.compile(right)
        ufunc_cmp = _COMPARISONS[op]
        lrun, rrun = lhs.run, rhs.run

        def run(p: Values, a: Values) -> Any:
            return ufunc_cmp(lrun(p, a), rrun(p, a))

        return _built("boolean", run, [lhs, rhs])

    def membership(self, node: Membership) -> Code:
        op = "not in" if node.negated else "in"
        actor = self.actor(node.actor, f"`{op}`")
        indices: list[int] = []
        for item in node.actions:
            index = self.action(actor, item, op)
            if index in indices:
                raise ExpressionError(
                    f"`{brief(item.name)}` appears twice in the list; remove one",
                    column=item.column,
                )
            indices.append(index)
        if len(indices) == 1:
            ufunc = np.not_equal if node.negated else np.equal
            only = indices[0]

            def single(p: Values, a: Values) -> Any:
                return ufunc(a[actor], only)

            return Code("boolean", single)
        # A lookup table indexed by action + 1, so that -1 (did not move) reads slot 0.
        table = np.zeros(len(self.context.actors[actor]) + 1, dtype=np.bool_)
        table[np.asarray(indices) + 1] = True
        if node.negated:
            table = ~table
        table.setflags(write=False)

        def lookup(p: Values, a: Values) -> Any:
            return table[a[actor] + 1]

        return Code("boolean", lookup)

    # -- functions -------------------------------------------------------------
    def call(self, node: Call) -> Code:
        name, args = node.function, node.args
        if name not in FUNCTIONS:
            ctx = self.context
            if name in ctx._values or name in ctx.actors:
                raise ExpressionError(
                    f"`{name}` is not a function; write `{name} * (...)` to multiply "
                    f"(functions: {listing(FUNCTIONS)})",
                    column=node.column,
                )
            suggestion = suggest(name, FUNCTIONS)
            raise ExpressionError(
                f"unknown function `{brief(name)}`{suggestion}"
                + ("" if suggestion else f" (functions: {listing(FUNCTIONS)})"),
                column=node.column,
            )
        fewest, most = ARITY[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            if most is None:
                count = f"{fewest} or more arguments"
            elif fewest == 1:
                count = "1 argument"
            else:
                count = f"{fewest} arguments"
            raise ExpressionError(
                f"`{name}` takes {count}, `{FUNCTIONS[name]}`, but got {len(args)}",
                column=node.column,
            )
        if name == "moved":
            actor = self.actor(args[0], "`moved`")

            def moved(p: Values, a: Values) -> Any:
                return np.greater_equal(a[actor], 0)

            return Code("boolean", moved)
        if name == "where":
            return self.where(node)
        codes = [self.number(arg) for arg in args]
        if name in ("abs", "exp", "log"):
            ufunc = {"abs": np.absolute, "exp": np.exp, "log": np.log}[name]
            return _built("number", _unary_run(ufunc, codes[0]), codes)
        if name == "clip":
            low, high = codes[1].const, codes[2].const
            if low is not None and high is not None and low > high:
                raise ExpressionError(
                    f"the bounds of `clip` are reversed ({float(low):g} > {float(high):g}); "
                    "write `clip(x, lo, hi)` with lo <= hi",
                    column=node.column,
                )
            # clip(x, lo, hi) = min(max(x, lo), hi)
            steps = [(np.maximum, codes[1]), (np.minimum, codes[2])]
            return _built("number", _chain_run(codes[0], steps, "number"), codes)
        # min / max: elementwise, left to right, NaN-propagating.
        pick: np.ufunc = np.minimum if name == "min" else np.maximum
        return _built(
            "number", _chain_run(codes[0], [(pick, code) for code in codes[1:]], "number"), codes
        )

    def where(self, node: Call) -> Code:
        cond_node, yes_node, no_node = node.args
        cond = self.as_condition(
            cond_node, self.compile(cond_node), "the first argument of `where`"
        )
        yes, no = self.compile(yes_node), self.compile(no_node)
        kind: Kind = "boolean"
        if yes.kind != "boolean" or no.kind != "boolean":
            kind = "number"
            yes, no = self.as_number(yes), self.as_number(no)
        c, y, n = cond.run, yes.run, no.run

        def run(p: Values, a: Values) -> Any:
            return np.where(c(p, a), y(p, a), n(p, a))

        return _built(kind, run, [cond, yes, no])
