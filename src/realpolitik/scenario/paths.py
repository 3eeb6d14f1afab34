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
from typing import NamedTuple

import numpy as np

from realpolitik.errors import InputError
from realpolitik.scenario.model import Move

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
    moves: tuple[Move, ...], *, limit: int, visit: Callable[[str], None] | None = None
) -> list[History]:
    """Every path's history, in depth-first order, without building a tree.

    Raises
    ------
    InputError
        If there would be more than ``limit`` paths.
    """
    subjects = subjects_of(moves)
    paths: list[History] = []

    def grow(position: int, history: History) -> None:
        while position < len(moves) and not condition_holds(moves[position], history, subjects):
            position += 1
        if position == len(moves):
            paths.append(history)
            if len(paths) > limit:
                raise InputError(
                    f"the moves make more than {limit} paths; simplify the scenario "
                    "(fewer actions, or conditions that end paths sooner)"
                )
            return
        move = moves[position]
        if visit is not None:
            visit(move.id)
        profiles: list[History] = [history]
        for actor in move.actors:
            profiles = [
                record_action(h, move, actor, k, subjects)
                for h in profiles
                for k in range(len(move.actions[actor]))
            ]
        for h in profiles:
            grow(position + 1, h)

    grow(0, {})
    return paths
