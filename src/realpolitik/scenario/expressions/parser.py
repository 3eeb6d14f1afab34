"""Precedence-climbing parser of the expression language (Pratt 1973; the
operator table is Python's): tokens to the syntax tree of
:mod:`realpolitik.scenario.expressions.syntax`, within the language's limits
on length, depth and size, and the free names of an expression.
"""

from __future__ import annotations

from realpolitik.scenario.expressions.syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    Boolean,
    Call,
    Chain,
    Compare,
    ExpressionError,
    Membership,
    Name,
    Node,
    Not,
    Number,
    Power,
    Token,
    Unary,
    brief,
    tokenize,
)

# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------
# Binding power of binary operators, loosest first (Python's order).
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _UNARY, _POW = 1, 2, 3, 4, 5, 6, 7, 8
_PRECEDENCE: dict[str, int] = {
    "or": _OR,
    "and": _AND,
    "==": _CMP,
    "!=": _CMP,
    "<": _CMP,
    "<=": _CMP,
    ">": _CMP,
    ">=": _CMP,
    "in": _CMP,
    "not in": _CMP,
    "+": _ADD,
    "-": _ADD,
    "*": _MUL,
    "/": _MUL,
    "**": _POW,
}


def _too_deep(start: int) -> ExpressionError:
    return ExpressionError(
        f"expression nests more than {MAX_DEPTH} levels deep (each operator, function call "
        "and pair of parentheses adds one); split it into smaller terms or metrics",
        column=start + 1,
    )


class _Parser:
    """Precedence climbing over the token list.

    Each parsing function returns ``(node, depth)`` where ``depth`` is the
    nesting depth of the node counted bottom-up (parentheses included). A
    separate top-down ``level`` bounds the recursion before any node is built,
    so that ``((((...`` fails with the depth error, never ``RecursionError``:
    every increment of ``level`` is a parenthesis or a tree edge on the way
    down, so ``level`` never exceeds the final depth.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.count = 0

    # -- helpers -------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def previous(self) -> Token | None:
        return self.tokens[self.pos - 1] if self.pos > 0 else None

    def made(self, node: Node, depth: int) -> tuple[Node, int]:
        self.count += 1
        if self.count > MAX_NODES:
            raise ExpressionError(
                f"expression has more than {MAX_NODES} parts (numbers, names, operators); "
                "split it into smaller terms or metrics",
                column=node.column,
            )
        if depth > MAX_DEPTH:
            raise _too_deep(node.start)
        return node, depth

    def binary_op(self) -> tuple[str | None, int]:
        tok = self.peek()
        if tok.kind == "op" and tok.text in _PRECEDENCE:
            return tok.text, 1
        if tok.kind == "keyword":
            if tok.text in ("and", "or", "in"):
                return tok.text, 1
            nxt = self.peek(1)
            if tok.text == "not" and nxt.kind == "keyword" and nxt.text == "in":
                return "not in", 2
        return None, 0

    def unclosed(self, opener: Token, closer: str) -> ExpressionError:
        return ExpressionError(
            f"`{opener.text}` at column {opener.start + 1} is never closed; add `{closer}`",
            column=opener.start + 1,
        )

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError(
                "expression is empty; write a number, a parameter or a condition", column=1
            )
        node, _ = self.expression(0, 1)
        tok = self.peek()
        if tok.kind != "end":
            if tok.text in (")", "]"):
                opener = "(" if tok.text == ")" else "["
                message = f"unmatched `{brief(tok.text)}`; remove it or add `{opener}` before it"
            elif tok.text == ",":
                message = "unexpected `,` outside a function call or a list of actions"
            else:
                prev = self.previous()
                after = f" after `{brief(prev.text)}`" if prev is not None else ""
                message = f"unexpected `{brief(tok.text)}`{after}; is an operator missing?"
            raise ExpressionError(message, column=tok.start + 1)
        return node

    def expression(self, min_prec: int, level: int) -> tuple[Node, int]:
        tok = self.peek()
        if level > MAX_DEPTH:
            raise _too_deep(tok.start)
        left: Node
        if tok.kind == "keyword" and tok.text == "not":
            if min_prec > _NOT:
                prev = self.previous()
                after = f"`{brief(prev.text)}`" if prev is not None else "an operator"
                raise ExpressionError(
                    f"`not` cannot follow {after} directly; put it in parentheses: `(not ...)`",
                    column=tok.start + 1,
                )
            self.pos += 1
            operand, depth = self.expression(_NOT, level + 1)
            left, depth = self.made(Not(operand, tok.start, operand.end), depth + 1)
        elif tok.kind == "op" and tok.text in ("-", "+"):
            self.pos += 1
            operand, depth = self.expression(_UNARY, level + 1)
            left, depth = self.made(Unary(tok.text, operand, tok.start, operand.end), depth + 1)
        else:
            left, depth = self.primary(level)

        compared = False
        while True:
            op, width = self.binary_op()
            if op is None:
                break
            prec = _PRECEDENCE[op]
            if prec < min_prec:
                break
            op_tok = self.peek()
            if prec == _CMP:
                if compared:
                    raise ExpressionError(
                        "comparisons cannot be chained; write `a < b and b < c` "
                        "or put one comparison in parentheses",
                        column=op_tok.start + 1,
                    )
                self.pos += width
                if op in ("in", "not in"):
                    left, depth = self.membership(left, depth, op, op_tok, level + 1)
                else:
                    right, rdepth = self.expression(_CMP + 1, level + 1)
                    node = Compare(op, left, right, left.start, right.end, op_tok.start)
                    left, depth = self.made(node, max(depth, rdepth) + 1)
                compared = True
            elif op == "**":
                self.pos += 1
                right, rdepth = self.expression(_UNARY, level + 1)
                left, depth = self.made(
                    Power(left, right, left.start, right.end), max(depth, rdepth) + 1
                )
                compared = False
            else:
                rest: list[tuple[str, Node]] = []
                deepest = depth
                current: str | None = op
                while current is not None and _PRECEDENCE[current] == prec:
                    self.pos += 1
                    right, rdepth = self.expression(prec + 1, level + 1)
                    rest.append((current, right))
                    deepest = max(deepest, rdepth)
                    current, _ = self.binary_op()
                chain = Chain(left, tuple(rest), left.start, rest[-1][1].end)
                left, depth = self.made(chain, deepest + 1)
                compared = False
        return left, depth

    def membership(
        self, left: Node, depth: int, op: str, op_tok: Token, level: int
    ) -> tuple[Node, int]:
        opener = self.peek()
        if not (opener.kind == "op" and opener.text == "["):
            raise ExpressionError(
                f"`{op}` needs a list of actions after it, as in "
                f"`china {op} [covert_assist, overt_support]`",
                column=opener.start + 1,
            )
        if level > MAX_DEPTH:
            raise _too_deep(opener.start)
        self.pos += 1
        items: list[Name] = []
        while True:
            tok = self.peek()
            if tok.kind == "end":
                raise self.unclosed(opener, "]")
            if not items and tok.kind == "op" and tok.text == "]":
                raise ExpressionError(
                    f"the list after `{op}` is empty; name at least one action",
                    column=opener.start + 1,
                )
            if tok.kind != "name":
                raise ExpressionError(
                    f"expected an action name in the list after `{op}`, found `{brief(tok.text)}`",
                    column=tok.start + 1,
                )
            self.pos += 1
            item, _ = self.made(Name(tok.text, tok.start, tok.start + len(tok.text)), 1)
            assert isinstance(item, Name)
            items.append(item)
            tok = self.peek()
            if tok.kind == "op" and tok.text == ",":
                self.pos += 1
                continue
            if tok.kind == "op" and tok.text == "]":
                self.pos += 1
                break
            if tok.kind == "end":
                raise self.unclosed(opener, "]")
            raise ExpressionError(
                f"expected `,` or `]` in the list after `{op}`, found `{brief(tok.text)}`",
                column=tok.start + 1,
            )
        close = self.tokens[self.pos - 1]
        node = Membership(
            left, tuple(items), op == "not in", left.start, close.start + 1, op_tok.start
        )
        result = self.made(node, max(depth, 1) + 1)
        follow, _ = self.binary_op()
        if follow is not None and _PRECEDENCE[follow] > _CMP:
            raise ExpressionError(
                f"put the action test in parentheses before `{follow}`: "
                f"`(... {op} [...]) {follow} ...`",
                column=self.peek().start + 1,
            )
        return result

    def primary(self, level: int) -> tuple[Node, int]:
        tok = self.peek()
        if tok.kind == "number":
            self.pos += 1
            return self.made(Number(tok.value, tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.pos += 1
            return self.made(Boolean(tok.text == "true", tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "name":
            self.pos += 1
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text == "(":
                return self.call(tok, level)
            return self.made(Name(tok.text, tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "op" and tok.text == "(":
            self.pos += 1
            inner, depth = self.expression(0, level + 1)
            close = self.peek()
            if not (close.kind == "op" and close.text == ")"):
                if close.kind == "end":
                    raise self.unclosed(tok, ")")
                raise ExpressionError(
                    f"expected `)` to close the `(` at column {tok.start + 1}, "
                    f"found `{close.text}`; is an operator missing?",
                    column=close.start + 1,
                )
            self.pos += 1
            if depth + 1 > MAX_DEPTH:
                raise _too_deep(tok.start)
            return inner, depth + 1
        if tok.kind == "op" and tok.text == "[":
            raise ExpressionError(
                "a list `[...]` can only follow `in` or `not in`, as in "
                "`china in [covert_assist, overt_support]`",
                column=tok.start + 1,
            )
        prev = self.previous()
        if tok.kind == "end":
            after = f"`{brief(prev.text)}`" if prev is not None else "the start"
            raise ExpressionError(
                f"expression ends after {after}; a number, a name or `(` should follow",
                column=tok.start + 1,
            )
        where = f"after `{brief(prev.text)}`" if prev is not None else "at the start"
        raise ExpressionError(
            f"expected a number, a name or `(` {where}, found `{brief(tok.text)}`",
            column=tok.start + 1,
        )

    def call(self, name: Token, level: int) -> tuple[Node, int]:
        opener = self.peek()
        self.pos += 1
        args: list[Node] = []
        deepest = 0
        close = self.peek()
        if close.kind == "op" and close.text == ")":
            self.pos += 1
        else:
            while True:
                arg, depth = self.expression(0, level + 1)
                args.append(arg)
                deepest = max(deepest, depth)
                tok = self.peek()
                if tok.kind == "op" and tok.text == ",":
                    self.pos += 1
                    continue
                if tok.kind == "op" and tok.text == ")":
                    close = tok
                    self.pos += 1
                    break
                if tok.kind == "end":
                    raise self.unclosed(opener, ")")
                raise ExpressionError(
                    f"expected `,` or `)` in the call of `{name.text}`, found `{brief(tok.text)}`",
                    column=tok.start + 1,
                )
        node = Call(name.text, tuple(args), name.start, close.start + 1)
        return self.made(node, deepest + 1)


def parse_tree(text: str) -> Node:
    """Parse ``text`` into a syntax tree without resolving any name.

    Parameters
    ----------
    text : the expression.

    Returns
    -------
    Node
        The root of an immutable tree of :class:`Number`, :class:`Boolean`,
        :class:`Name`, :class:`Unary`, :class:`Not`, :class:`Chain`,
        :class:`Power`, :class:`Compare`, :class:`Membership`, :class:`Call`.

    Raises
    ------
    ExpressionError
        For a syntax error or when a limit (:data:`MAX_LENGTH`,
        :data:`MAX_DEPTH`, :data:`MAX_NODES`) is exceeded.

    Examples
    --------
    >>> parse_tree("-2 ** 2")
    Unary(op='-', operand=Power(base=Number(value=2.0, start=1, end=2), \
exponent=Number(value=2.0, start=6, end=7), start=1, end=7), start=0, end=7)
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be text, not {type(text).__name__}; quote it in the file"
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long, above the limit of {MAX_LENGTH}; "
            "split it into smaller terms or metrics",
            column=MAX_LENGTH + 1,
        )
    return _Parser(text).parse()


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary | Not):
        return (node.operand,)
    if isinstance(node, Chain):
        return (node.first, *(operand for _, operand in node.rest))
    if isinstance(node, Power):
        return (node.base, node.exponent)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Membership):
        return (node.actor, *node.actions)
    if isinstance(node, Call):
        return node.args
    return ()


def free_names(text: str) -> dict[str, tuple[int, ...]]:
    """Names an expression refers to, with the columns where each occurs.

    Purely syntactic (no context needed), for a loader's dependency order
    between metrics and its "unused parameter" warnings. Function names and
    the actions listed after ``in`` are left out. Without a context the parser
    cannot tell whether ``y`` in ``x == y`` is an action or a value, so both
    sides of ``==`` and ``!=`` are reported; a parsed :class:`Expression`
    gives the resolved names in ``columns``.

    Parameters
    ----------
    text : the expression.

    Returns
    -------
    dict
        name -> 1-based columns, names in order of first occurrence.

    Raises
    ------
    ExpressionError
        For a syntax error.

    Examples
    --------
    >>> free_names("clip(base + 0.2 * (west == harsh), 0, base)")
    {'base': (6, 39), 'west': (20,), 'harsh': (28,)}
    """
    found: dict[str, list[int]] = {}
    stack: list[Node] = [parse_tree(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.setdefault(node.name, []).append(node.column)
        elif isinstance(node, Membership):
            stack.append(node.actor)
        else:
            stack.extend(_children(node))
    order = sorted(found, key=lambda name: min(found[name]))
    return {name: tuple(sorted(found[name])) for name in order}
