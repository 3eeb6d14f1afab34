"""Design matrices and outcome codes from a data frame, named as R names them.

Why a module of its own: turning columns into regressors has rules of its
own that decide the coefficient names users compare with ``games`` (R's
``model.frame`` and ``model.matrix`` with default treatment contrasts):

* rows with a missing value in any used column are dropped (``na.omit``) and
  counted; factor levels absent from the kept rows are dropped;
* a text, boolean or categorical column is a factor; with an intercept it
  enters as one dummy per level but the first (``regime1dem``,
  ``regime1mixed``); without one, the first factor main effect enters with
  every level. In an interaction a factor is coded by contrasts when the
  term without it is also in the equation, and fully otherwise (R's rule);
* levels of a text column are sorted; of a categorical column, kept in their
  order.

Everything is checked before a matrix is allocated: unknown columns, columns
mixing numbers and text, outcome codes that match no terminal node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.estimation.canonical import CanonicalGame
from realpolitik.estimation.formula import Equation
from realpolitik.limits import require_bytes

__all__ = [
    "ColumnCoding",
    "Outcome",
    "check_columns",
    "code_columns",
    "decode_outcome",
    "drop_missing",
    "equation_matrix",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Most distinct levels a factor may have (a bound against coding an ID column).
MAX_LEVELS = 1000


@dataclass(frozen=True)
class ColumnCoding:
    """How a column enters the equations: numeric, or a factor with levels."""

    name: str
    levels: tuple[str, ...] | None = None

    @property
    def is_factor(self) -> bool:
        return self.levels is not None


@dataclass(frozen=True)
class Outcome:
    """The observed terminal node of each case (0-based) and the outcome names."""

    terminal: IntArray
    levels: tuple[str, ...]


def check_columns(data: pd.DataFrame, columns: Sequence[str], source: str | None) -> None:
    """Raise an :class:`InputError` naming every column absent from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        shown = ", ".join(map(str, list(data.columns)[:12]))
        more = " ..." if data.shape[1] > 12 else ""
        raise InputError(
            f"unknown column(s) {', '.join(repr(c) for c in missing)}; the data has {shown}{more}",
            file=source,
        )


def _level_name(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _numeric_or_fail(series: pd.Series, source: str | None) -> None:
    """Text columns become factors, but a column mixing numbers and words is a
    typo in a numeric column: name the first offending row."""
    values = series.dropna()
    if values.empty:
        return
    numeric = pd.to_numeric(values, errors="coerce")
    share = float(numeric.notna().mean())
    if 0.0 < share < 1.0 and share >= 0.5:
        bad = values[numeric.isna()]
        row = bad.index[0]
        line = int(row) + 2 if isinstance(row, int | np.integer) else None
        raise InputError(
            f"column {series.name!r} is not numeric: {bad.iloc[0]!r} among numbers",
            file=source,
            line=line if source else None,
            field=str(series.name),
        )


def code_columns(
    data: pd.DataFrame, columns: Sequence[str], source: str | None = None
) -> dict[str, ColumnCoding]:
    """Decide numeric or factor for each used column (after dropping rows)."""
    out: dict[str, ColumnCoding] = {}
    for name in columns:
        series = data[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            present = set(series.dropna().unique())
            levels = tuple(_level_name(c) for c in series.cat.categories if c in present)
        elif pd.api.types.is_bool_dtype(series.dtype):
            levels = tuple(_level_name(v) for v in sorted(series.dropna().unique()))
        elif pd.api.types.is_numeric_dtype(series.dtype):
            out[name] = ColumnCoding(name)
            continue
        else:
            _numeric_or_fail(series, source)
            levels = tuple(sorted({_level_name(v) for v in series.dropna().unique()}))
        if len(levels) > MAX_LEVELS:
            raise InputError(
                f"column {name!r} has {len(levels)} distinct text values (more than "
                f"{MAX_LEVELS}); is it an identifier?",
                file=source,
                field=name,
            )
        out[name] = ColumnCoding(name, levels)
    return out


def drop_missing(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """The rows with every used column present, and how many were dropped."""
    used = data.loc[:, list(dict.fromkeys(columns))]
    keep = used.notna().all(axis=1).to_numpy()
    return used.loc[keep], int((~keep).sum())


def _level_codes(series: pd.Series, levels: Sequence[str]) -> IntArray:
    """Index into ``levels`` of every value (-1 for a value not among them),
    naming only the distinct values (vectorised over rows)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    index = {lev: k for k, lev in enumerate(levels)}
    lookup = np.array([index.get(_level_name(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[np.asarray(codes, dtype=np.int64)]


def _factor_dummies(
    series: pd.Series, levels: tuple[str, ...], all_levels: tuple[str, ...]
) -> FloatArray:
    codes = _level_codes(series, all_levels)
    wanted = np.array([all_levels.index(lev) for lev in levels], dtype=np.int64)
    return np.asarray(codes[:, None] == wanted[None, :], dtype=np.float64)


def equation_matrix(
    frame: pd.DataFrame, equation: Equation, coding: dict[str, ColumnCoding]
) -> tuple[FloatArray, list[str]]:
    """The regressors of one equation and their R names.

    Returns
    -------
    (matrix, names)
        ``matrix`` has one row per row of ``frame``; ``names`` are R's column
        names (``(Intercept)``, ``x``, ``fdem``, ``x:fdem``).
    """
    n = len(frame)
    n_cols = 1 + sum(
        int(np.prod([len(coding[c].levels or (0,)) for c in term])) for term in equation.terms
    )
    require_bytes(f"design matrix of equation {equation.text!r}", (n, n_cols))
    blocks: list[FloatArray] = []
    names: list[str] = []
    if equation.intercept:
        blocks.append(np.ones((n, 1)))
        names.append("(Intercept)")
    constant_present = equation.intercept
    earlier: set[frozenset[str]] = set()
    for term in equation.terms:
        cols: list[FloatArray] = [np.ones((n, 1))]
        labels: list[str] = [""]
        for var in term:
            code = coding[var]
            if code.levels is None:
                block = frame[var].to_numpy(dtype=np.float64).reshape(n, 1)
                tags = [var]
            else:
                rest = frozenset(term) - {var}
                contrasts = constant_present if not rest else rest in earlier
                levels = code.levels[1:] if contrasts else code.levels
                block = _factor_dummies(frame[var], levels, code.levels)
                tags = [f"{var}{lev}" for lev in levels]
            # the earlier variables vary fastest, as in R
            cols = [c * block[:, [j]] for j in range(block.shape[1]) for c in cols]
            labels = [f"{lab}:{tag}" if lab else tag for tag in tags for lab in labels]
        if len(term) == 1 and coding[term[0]].is_factor and not constant_present:
            constant_present = True
        earlier.add(frozenset(term))
        blocks.extend(cols)
        names.extend(labels)
    matrix = np.hstack(blocks) if blocks else np.zeros((n, 0))
    return np.ascontiguousarray(matrix, dtype=np.float64), names


def _binary_column(frame: pd.DataFrame, name: str, source: str | None) -> FloatArray:
    series = frame[name]
    if not (
        pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise InputError(
            f"outcome column {name!r} is not numeric; action columns hold 0 or 1",
            file=source,
            field=name,
        )
    values = series.to_numpy(dtype=np.float64)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"outcome column {name!r} holds {values[bad][0]:g}; action columns hold 0 or 1",
            file=source,
            field=name,
        )
    return values


def decode_outcome(
    frame: pd.DataFrame,
    columns: Sequence[str],
    game: CanonicalGame,
    levels: Sequence[str] | None = None,
    source: str | None = None,
) -> Outcome:
    """The terminal node of each case.

    One column: its values name the outcomes, in tree order (left to right)
    given by ``levels``, by the categories of a categorical column, or by the
    sorted values of a numeric column. Several columns: binary action
    indicators, decoded as ``games`` does (e.g. ``esc + war`` for ``egame12``).
    """
    n_out = game.n_outcomes
    if len(columns) > 1:
        if len(columns) not in game.dummy_counts:
            counts = " or ".join(str(c) for c in game.dummy_counts)
            raise InputError(
                f"{game.name} takes one outcome column or {counts} action columns, "
                f"not {len(columns)}",
                field="formula",
            )
        cols = [_binary_column(frame, c, source) for c in columns]
        terminal, names = game.decode_dummies(cols, list(columns))
        return Outcome(terminal, tuple(names))
    (name,) = columns
    series = frame[name]
    distinct = [_level_name(u) for u in pd.unique(series)]
    if levels is not None:
        order = [str(v) for v in levels]
        if len(order) != n_out or len(set(order)) != n_out:
            raise InputError(
                f"{game.name} has {n_out} outcomes; give {n_out} distinct levels, not {len(order)}",
                field="levels",
            )
    elif isinstance(series.dtype, pd.CategoricalDtype):
        present = set(pd.unique(series))
        order = [_level_name(c) for c in series.cat.categories if c in present]
    elif pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        order = [_level_name(v) for v in sorted(pd.unique(series))]
    else:
        seen = sorted(distinct)
        raise InputError(
            f"outcome column {name!r} holds text ({', '.join(map(repr, seen[:6]))}); give its "
            "levels in tree order (terminal nodes left to right) with --levels / levels=",
            field="levels",
        )
    unknown = sorted(set(distinct) - set(order))
    if unknown:
        raise InputError(
            f"outcome level {unknown[0]!r} of column {name!r} maps to no terminal node of "
            f"{game.name} (outcomes in tree order: {', '.join(order)})",
            file=source,
            field=name,
        )
    if levels is None and len(order) != n_out:
        raise InputError(
            f"outcome column {name!r} has {len(order)} distinct values; {game.name} has "
            f"{n_out} outcomes",
            file=source,
            field=name,
        )
    return Outcome(_level_codes(series, order), tuple(order))
