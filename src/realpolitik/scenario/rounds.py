"""The ``rounds`` section: a stage of moves repeated over rounds, with values
carried from round to round and discounted per-round payoffs.

Why: sanctions come in packages over months, with evidence accumulating; a
one-shot scenario cannot say "P(Chinese entities listed by round 4)". A
scenario declares which consecutive moves form the stage, how many rounds
are played (the horizon), the discount factor, and state variables (each an
initial value and an update from the round just played). The compiler
(:mod:`realpolitik.compiler.scenario_tree`) unrolls the stage into the tree:
round ``r``'s moves are ``move@r``; inside the stage, expressions name the
moves of the current round by their plain ids.

Format (see docs/scenario-format.md)::

    rounds:
      count: 3                      # the horizon
      stage: [package, response]    # consecutive moves, repeated each round
      discount: delta               # a number or an expression of parameters
      state:
        evidence: {initial: "0", next: "evidence + (detection == detected)"}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.expressions import (
    Expression,
    ExpressionContext,
    ExpressionError,
    parse_expression,
)
from realpolitik.scenario.model import Rounds, StateVariable
from realpolitik.scenario.yaml_source import PathKey

#: Most rounds of a stage (the tree grows as the stage's paths to this power).
MAX_ROUNDS = 12
ROUNDS_KEYS = ("count", "stage", "discount", "state", "description")
STATE_KEYS = ("initial", "next", "description")


def rounds_shape(
    ck: Checker, raw: Any, move_ids: Sequence[str]
) -> tuple[int, tuple[str, ...]] | None:
    """The number of rounds and the stage's move ids, checked: the stage is a
    non-empty block of consecutive moves, in the order they are listed."""
    spec = ck.mapping(raw, ("rounds",), allowed=ROUNDS_KEYS, required=("count", "stage"))
    if spec is None or "count" not in spec or "stage" not in spec:
        return None
    count = spec["count"]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ROUNDS:
        ck.add(
            ("rounds", "count"),
            f"count must be a whole number from 1 to {MAX_ROUNDS}, got {kind_of(count)}",
        )
        return None
    stage = spec["stage"]
    if isinstance(stage, str):
        stage = [stage]
    if not isinstance(stage, list) or not stage:
        ck.add(("rounds", "stage"), f"expected a list of move ids, got {kind_of(stage)}")
        return None
    unknown = [m for m in stage if m not in move_ids]
    if unknown:
        ck.add(("rounds", "stage"), f"unknown move '{unknown[0]}'{suggest(unknown[0], move_ids)}")
        return None
    positions = [list(move_ids).index(m) for m in stage]
    if positions != list(range(positions[0], positions[0] + len(positions))):
        ck.add(
            ("rounds", "stage"),
            "the stage must be consecutive moves, in the order they are listed in 'moves'",
        )
        return None
    return count, tuple(str(m) for m in stage)


def state_names(ck: Checker, raw: Any, taken: set[str]) -> list[str]:
    """The state variables' ids (checked: identifiers, not taken by another name)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("state"), dict):
        return []
    names = []
    for sid in raw["state"]:
        if not ck.ident(sid, ("rounds", "state", sid), "state variable"):
            continue
        if sid in taken:
            ck.add(
                ("rounds", "state", sid),
                f"state variable '{sid}' is also the name of something else; rename it",
            )
            continue
        names.append(str(sid))
    return names


def _expression(
    ck: Checker, text: Any, path: PathKey, context: ExpressionContext
) -> Expression | None:
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = repr(text)
    if not isinstance(text, str):
        ck.add(path, f"expected an expression, got {kind_of(text)}")
        return None
    try:
        return parse_expression(text, context, expect="number")
    except ExpressionError as error:
        ck.add_error(path, error)
        return None


def parse_rounds(
    ck: Checker,
    raw: dict[str, Any],
    shape: tuple[int, tuple[str, ...]],
    parameters: Mapping[str, Any],
    full: ExpressionContext,
    names: Sequence[str],
) -> Rounds | None:
    """The whole section, its expressions checked: ``discount`` and each
    ``initial`` of parameters, each ``next`` of parameters, the state and the
    moves (the round just played). ``full`` is the context of every move."""
    count, stage = shape
    params_only = ExpressionContext(parameters=frozenset(parameters))
    after = dataclasses.replace(full, numbers=full.numbers | frozenset(names))
    discount = _expression(ck, raw.get("discount", 1), ("rounds", "discount"), params_only)
    state: list[StateVariable] = []
    table = raw.get("state") or {}
    if not isinstance(table, dict):
        ck.add(("rounds", "state"), f"expected a mapping of state variables, got {kind_of(table)}")
        table = {}
    for sid in names:
        path: PathKey = ("rounds", "state", sid)
        spec = ck.mapping(table[sid], path, allowed=STATE_KEYS, required=("initial", "next"))
        if spec is None or "initial" not in spec or "next" not in spec:
            continue
        initial = _expression(ck, spec["initial"], (*path, "initial"), params_only)
        nxt = _expression(ck, spec["next"], (*path, "next"), after)
        if initial is None or nxt is None:
            continue
        state.append(
            StateVariable(
                sid,
                initial,
                nxt,
                ck.text(spec.get("description"), (*path, "description")),
                ck.source.key_line(path),
            )
        )
    if discount is None:
        return None
    return Rounds(count, stage, discount, tuple(state), ck.source.key_line(("rounds",)))
