"""The paths of a scenario's moves: which actions each path takes, found by
walking the moves in order without building a game tree.

Why here, in the scenario layer: validation must check that every move
happens on some path and that the moves stay within the path limit, and that
depends on the moves alone (conditions may test actions, never parameters).
The compiler (:mod:`realpolitik.compiler.scenario_tree`) walks the moves by
the same rules, from these helpers, to build the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from realpolitik.errors import InputError
from realpolitik.scenario.model import Move, Rounds

#: A path's history: subject (move id, or actor id for an actor's only
#: move, or ``move.dimension`` / ``actor.dimension`` of a compound move, or
#: ``actor.type``) -> index of the action (or level, or type) taken.
History = dict[str, int]

CHANCE = "chance"


class Subject(NamedTuple):
    """What an expression's subject denotes: the choice of ``actor`` at
    ``move`` (the whole action), or one dimension of it (``dimension`` >= 0)."""

    move: str
    actor: str
    dimension: int = -1


def subjects_of(moves: tuple[Move, ...]) -> dict[str, Subject]:
    """Expression subjects: name -> the choice it denotes.

    A decision or chance move's id denotes its action; an actor that moves
    exactly once denotes that move's action by its own id. A compound move
    has no single action to test: each dimension is a subject, as
    ``move.dimension`` and, for an actor that moves once, ``actor.dimension``.
    The chance move that draws an actor's private type is ``actor.type``.
    """
    count: dict[str, int] = {}
    for move in moves:
        for actor in move.actors:
            count[actor] = count.get(actor, 0) + 1
    out: dict[str, Subject] = {}
    for move in moves:
        for actor in move.actors:
            dims = move.dimensions.get(actor, ())
            once = actor != CHANCE and count[actor] == 1
            for d, dim in enumerate(dims):
                out[f"{move.id}.{dim.id}"] = Subject(move.id, actor, d)
                if once:
                    out[f"{actor}.{dim.id}"] = Subject(move.id, actor, d)
            if dims:
                continue
            if move.kind in ("decision", "chance"):
                out[move.id] = Subject(move.id, actor)
            if once:
                out[actor] = Subject(move.id, actor)
    return out


class Slot(NamedTuple):
    """One move of the game in playing order: the scenario's ``base`` move,
    in round ``round`` of the stage (0 outside the stage), as ``move`` (the
    base move, renamed ``id@round`` inside the stage)."""

    move: Move
    base: Move
    round: int


def unrolled(moves: tuple[Move, ...], rounds: Rounds | None) -> tuple[Slot, ...]:
    """The moves in playing order, the stage repeated ``rounds.count`` times."""
    if rounds is None:
        return tuple(Slot(m, m, 0) for m in moves)
    ids = [m.id for m in moves]
    first, last = ids.index(rounds.stage[0]), ids.index(rounds.stage[-1])
    out = [Slot(m, m, 0) for m in moves[:first]]
    for r in range(1, rounds.count + 1):
        out += [Slot(replace(m, id=f"{m.id}@{r}"), m, r) for m in moves[first : last + 1]]
    out += [Slot(m, m, 0) for m in moves[last + 1 :]]
    return tuple(out)


def round_view(history: History, r: int) -> History:
    """What expressions of round ``r`` see: the stage's subjects of that round
    under their plain names (the others as they are). Round 0 (outside the
    stage, or at the end) is the last round played."""
    if r == 0:
        played = [int(k.rsplit("@", 1)[1]) for k in history if "@" in k]
        r = max(played, default=0)
    view = {k: v for k, v in history.items() if "@" not in k}
    suffix = f"@{r}"
    view.update({k[: -len(suffix)]: v for k, v in history.items() if k.endswith(suffix)})
    return view


def record_in_slot(
    history: History, slot: Slot, actor: str, index: int, subjects: Mapping[str, Subject]
) -> History:
    """:func:`record_action` for a move of the unrolled game: in round ``r``
    of the stage the subjects are recorded as ``name@r``."""
    recorded = record_action({}, slot.base, actor, index, subjects)
    suffix = f"@{slot.round}" if slot.round else ""
    return {**history, **{f"{k}{suffix}": v for k, v in recorded.items()}}


def condition_holds(move: Move, history: History, subjects: Mapping[str, Subject]) -> bool:
    """Whether ``move`` happens after ``history`` (its ``when``, if any, holds)."""
    if move.when is None:
        return True
    actions = {s: np.array(history.get(s, -1)) for s in move.when.actors}
    return bool(move.when.evaluate({}, actions))


def record_action(
    history: History, move: Move, actor: str, index: int, subjects: Mapping[str, Subject]
) -> History:
    """``history`` with ``actor``'s choice ``index`` at ``move`` recorded
    under every subject that denotes it."""
    new = dict(history)
    for name, (move_id, who, dimension) in subjects.items():
        if move_id == move.id and who == actor:
            new[name] = index if dimension < 0 else move.joint_levels[actor][index][dimension]
    return new


def expand_paths(
    moves: tuple[Move, ...],
    *,
    limit: int,
    visit: Callable[[str], None] | None = None,
    rounds: Rounds | None = None,
) -> list[History]:
    """Every path's history, in depth-first order, without building a tree
    (the stage repeated over ``rounds``, if given).

    Raises
    ------
    InputError
        If there would be more than ``limit`` paths.
    """
    subjects = subjects_of(moves)
    slots = unrolled(moves, rounds)
    paths: list[History] = []

    def holds(position: int, history: History) -> bool:
        slot = slots[position]
        return condition_holds(slot.base, round_view(history, slot.round), subjects)

    def grow(position: int, history: History) -> None:
        while position < len(slots) and not holds(position, history):
            position += 1
        if position == len(slots):
            paths.append(history)
            if len(paths) > limit:
                raise InputError(
                    f"the moves make more than {limit} paths; simplify the scenario "
                    "(fewer actions, fewer rounds, or conditions that end paths sooner)"
                )
            return
        slot = slots[position]
        if visit is not None:
            visit(slot.base.id)
        profiles: list[History] = [history]
        for actor in slot.base.actors:
            profiles = [
                record_in_slot(h, slot, actor, k, subjects)
                for h in profiles
                for k in range(len(slot.base.actions[actor]))
            ]
        for h in profiles:
            grow(position + 1, h)

    grow(0, {})
    return paths
