"""Strict JSON for every ``--format json`` and API answer: never NaN or Infinity.

Why a module of its own: Python's ``json.dumps`` writes ``Infinity`` and
``NaN`` by default (not JSON: browsers and ``jq`` refuse them), and with
``allow_nan=False`` raises a bare ``ValueError`` that reached users as a
traceback (``explain --format json`` with payoffs near 1e308; bargaining
output with an overflowed utility). Here a non-finite number is refused as a
:class:`~realpolitik.errors.NumericError` naming where it is (``forecast.
metrics.cost.mean``), so the CLI prints one line and exits 2 and the API
answers 422, instead of writing a silent ``null`` or a non-standard token.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from realpolitik.errors import NumericError

__all__ = ["dumps_strict", "first_non_finite"]


def first_non_finite(data: Any, path: str = "") -> str | None:
    """The dotted path of the first NaN or infinite float in ``data`` (dicts,
    lists, tuples, floats and NumPy scalars), or None."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Mapping):
            items = [(f"{where}.{key}" if where else str(key), v) for key, v in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list | tuple):
            stack.extend(reversed([(f"{where}[{k}]", v) for k, v in enumerate(value)]))
        elif isinstance(value, float) or hasattr(value, "dtype"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                return where or "(the value)"
    return None


def dumps_strict(
    data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None
) -> str:
    """``json.dumps`` refusing NaN and infinities.

    Raises
    ------
    NumericError
        Naming the first non-finite value's place and what to do.
    """
    try:
        return json.dumps(data, indent=indent, allow_nan=False, default=default)
    except ValueError:
        where = first_non_finite(data) or "a value"
        raise NumericError(
            f"{where} overflowed the float64 range (infinity or NaN), so no JSON is written; "
            "rescale the inputs (for instance payoffs in billions instead of units)"
        ) from None
