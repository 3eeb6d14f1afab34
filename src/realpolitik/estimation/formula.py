"""The formula of a strategic model: outcome columns, then one linear
equation per utility, separated by ``|`` (the ``Formula`` syntax of the R
package ``games``; Kenkel and Signorino 2014, sec. 3).

``esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2`` reads:
the outcome is coded by the binary columns ``esc`` and ``war``; ``u11`` is an
intercept plus ``s_wt_re1`` and ``revis1``; ``u13`` is fixed at 0; ``u14`` an
intercept plus the dummies of ``regime1``; ``u24`` an intercept plus
``balanc`` and the dummies of ``regime2``. Within an equation: ``1`` is the
intercept (present unless ``- 1`` or ``0``), ``a:b`` an interaction and
``a*b`` its expansion ``a + b + a:b``; a column name with spaces goes in
backticks. Terms are ordered as R orders them (by interaction order, then as
written).

Why a module of its own, and why only the parser comes from ``formulaic``:
``formulaic`` (PyPI) parses each part into terms, but its model matrices name
columns differently from R (``regime1[T.dem]`` against ``regime1dem``) and it
evaluates Python expressions inside formulas. Coefficient names must be those
``games`` builds, and realpolitik never evaluates user text, so terms are
restricted to column names and the matrices are built in
:mod:`realpolitik.estimation.design`.
"""

from __future__ import annotations

from dataclasses import dataclass

from formulaic.errors import FormulaicError
from formulaic.parser import DefaultFormulaParser
from formulaic.parser.types import Term as FormulaicTerm

from realpolitik.errors import InputError

__all__ = ["Equation", "GameFormula", "parse_game_formula", "parse_scale_formula"]

#: Longest formula accepted (characters); a bound, not a modelling limit.
MAX_FORMULA_CHARS = 10_000
#: Most equations (parts) in one formula.
MAX_PARTS = 32

_PARSER = DefaultFormulaParser()


@dataclass(frozen=True)
class Equation:
    """One linear equation: an optional intercept and terms, each term the
    tuple of columns multiplied together (one column for a main effect)."""

    text: str
    intercept: bool
    terms: tuple[tuple[str, ...], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns used, in order of first appearance (R's variable order)."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for col in term:
                seen.setdefault(col, None)
        return tuple(seen)

    @property
    def is_empty(self) -> bool:
        """True when the equation has no coefficient (``0``: fixed at 0)."""
        return not self.intercept and not self.terms


@dataclass(frozen=True)
class GameFormula:
    """A parsed model formula: outcome columns and utility equations."""

    text: str
    outcome: tuple[str, ...]
    equations: tuple[Equation, ...]


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside backticks and parentheses."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(text):
        if ch == "`":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _strip_name(raw: str, what: str, field: str) -> str:
    name = raw.strip()
    if len(name) >= 2 and name[0] == name[-1] == "`":
        name = name[1:-1]
    elif any(ch in name for ch in "~|()*:+-^/%` "):
        name = ""
    if not name:
        raise InputError(f"{what} {raw.strip()!r} is not a column name", field=field)
    return name


def _parse_equation(text: str, where: str, field: str) -> Equation:
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{where} is empty; write 0 to fix a utility at 0", field=field)
    if "~" in stripped:
        raise InputError(f"{where} ({stripped!r}) holds a second '~'", field=field)
    try:
        parsed = list(_PARSER.get_terms(stripped))
    except (FormulaicError, AttributeError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"{where} ({stripped!r}) cannot be parsed: {first}", field=field) from None
    intercept = False
    terms: list[tuple[str, ...]] = []
    for term in parsed:
        assert isinstance(term, FormulaicTerm)
        names: list[str] = []
        for factor in term.factors:
            method = factor.eval_method.value
            if method == "literal" and factor.expr == "1" and len(term.factors) == 1:
                intercept = True
                continue
            if method != "lookup":
                raise InputError(
                    f"{where} ({stripped!r}): {factor.expr!r} is not a column name; "
                    "only column names, ':' and '*' interactions, 1, 0 and - 1 are "
                    "allowed (compute transformed columns in the data first)",
                    field=field,
                )
            names.append(str(factor.expr))
        if names:
            terms.append(tuple(names))
    order: dict[str, int] = {}
    for term in terms:
        for col in term:
            order.setdefault(col, len(order))
    unique: dict[tuple[str, ...], None] = {}
    for term in terms:
        unique.setdefault(tuple(sorted(set(term), key=order.__getitem__)), None)
    ranked = sorted(unique, key=len)  # stable: R orders terms by degree, then as written
    return Equation(stripped, intercept, tuple(ranked))


def _check_length(text: str, field: str) -> None:
    if len(text) > MAX_FORMULA_CHARS:
        raise InputError(f"formula longer than {MAX_FORMULA_CHARS} characters", field=field)


def parse_game_formula(text: str, field: str = "formula") -> GameFormula:
    """Parse ``OUTCOME ~ EQ1 | EQ2 | ...``.

    Parameters
    ----------
    text : the formula; the outcome is one column (a factor or a numeric
        code) or binary action columns joined by ``+``.
    field : name of the argument, for error messages.

    Raises
    ------
    InputError
        A missing ``~``, an empty part, a term that is not a column name.

    Examples
    --------
    >>> f = parse_game_formula("esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc")
    >>> f.outcome
    ('esc', 'war')
    >>> [(e.intercept, e.terms) for e in f.equations][:2]
    [(True, (('s_wt_re1',), ('revis1',))), (False, ())]
    """
    _check_length(text, field)
    sides = _split_top_level(text, "~")
    if len(sides) != 2:
        raise InputError(
            f"formula {text.strip()!r} needs exactly one '~' between the outcome and the "
            "utility equations",
            field=field,
        )
    lhs, rhs = sides
    if not lhs.strip():
        raise InputError("formula has no outcome left of '~'", field=field)
    outcome = tuple(_strip_name(part, "outcome", field) for part in _split_top_level(lhs, "+"))
    parts = _split_top_level(rhs, "|")
    if len(parts) > MAX_PARTS:
        raise InputError(f"formula has more than {MAX_PARTS} parts", field=field)
    equations = tuple(
        _parse_equation(part, f"formula part {k + 1}", field) for k, part in enumerate(parts)
    )
    return GameFormula(text.strip(), outcome, equations)


def parse_scale_formula(text: str, field: str = "sd_formula") -> tuple[Equation, ...]:
    """Parse a one-sided scale formula, ``~ W - 1`` or ``~ W | Z`` (one part
    per player); the leading ``~`` is optional.

    >>> [e.terms for e in parse_scale_formula("~ balanc - 1")]
    [(('balanc',),)]
    """
    _check_length(text, field)
    body = text.strip()
    if body.startswith("~"):
        body = body[1:]
    if "~" in body:
        raise InputError(f"scale formula {text.strip()!r} must be one-sided", field=field)
    parts = _split_top_level(body, "|")
    if len(parts) > MAX_PARTS:
        raise InputError(f"scale formula has more than {MAX_PARTS} parts", field=field)
    return tuple(
        _parse_equation(part, f"scale formula part {k + 1}", field) for k, part in enumerate(parts)
    )
