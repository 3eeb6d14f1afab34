"""The small, safe expression language of scenario files.

Payoff terms, chance probabilities, conditions on earlier actions and outcome
metrics are written in scenario files as short formulas::

    -trade_exposure * sanctions_severity * (china in [covert_assist, overt_support])
    clip(detection_base + 0.2 * (west == harsh_sanctions), 0, 1)

Why a language of our own: a scenario file is data a user may receive from
someone else, so its formulas must never reach Python's ``eval``; and a
formula is evaluated on a million parameter draws at once, so it must compile
to whole-array NumPy operations rather than run once per draw. This module
therefore has a hand-written tokenizer and a precedence-climbing parser
(Pratt 1973; the operator table is Python's, see the Python Language Reference,
section 6.17 "Operator precedence") producing an immutable syntax tree, a
checker that resolves every name against an :class:`ExpressionContext` with
did-you-mean suggestions, and a compiler that turns the tree into a tree of
closures, each applying one NumPy ufunc to whole arrays.

The grammar, the types, the numerical rules and the limits are in
``docs/expressions.md``. In short:

- numbers, parameters, ``+ - * / **``, comparisons, ``and or not``,
  ``true false``, the functions ``min max clip where abs exp log`` and
  ``moved(actor)``;
- action tests ``china == covert_assist``, ``china != covert_assist``,
  ``china in [covert_assist, overt_support]`` and ``not in``; an actor that did
  not move on a path (action index -1) equals no action;
- two types, number and boolean; booleans count as 0/1 in arithmetic, numbers
  are never silently used as conditions;
- IEEE semantics: division by zero, ``log`` of a non-positive number and
  overflow give ``inf``/``nan`` (``evaluate(check_finite=True)`` reports them).

References
----------
Pratt, V. R. (1973). Top down operator precedence. *Proceedings of the 1st
ACM SIGACT-SIGPLAN Symposium on Principles of Programming Languages*, 41-51.

Examples
--------
>>> import numpy as np
>>> context = ExpressionContext(
...     parameters=frozenset({"exposure", "severity"}),
...     actors={"china": ("join", "neutral", "covert_assist")},
... )
>>> e = parse_expression("-exposure * severity * (china == covert_assist)", context)
>>> e.kind, sorted(e.parameters), sorted(e.actions_tested)
('number', ['exposure', 'severity'], [('china', 'covert_assist')])
>>> draws = {"exposure": np.array([[1.0], [2.0]]), "severity": np.array([[0.5], [0.5]])}
>>> e.evaluate(draws, {"china": np.array([[0, 2, -1]])})
array([[-0. , -0.5, -0. ],
       [-0. , -1. , -0. ]])
"""

from __future__ import annotations

from realpolitik.scenario.expressions.context import ExpressionContext
from realpolitik.scenario.expressions.expression import Expression, parse_expression
from realpolitik.scenario.expressions.parser import free_names, parse_tree
from realpolitik.scenario.expressions.syntax import (
    FUNCTIONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    Boolean,
    Call,
    Chain,
    Compare,
    ExpressionError,
    Kind,
    Membership,
    Name,
    Node,
    NonFiniteError,
    Not,
    Number,
    Power,
    Unary,
)

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Boolean",
    "Call",
    "Chain",
    "Compare",
    "Expression",
    "ExpressionContext",
    "ExpressionError",
    "Kind",
    "Membership",
    "Name",
    "Node",
    "NonFiniteError",
    "Not",
    "Number",
    "Power",
    "Unary",
    "free_names",
    "parse_expression",
    "parse_tree",
]
