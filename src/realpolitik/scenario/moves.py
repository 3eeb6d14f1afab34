"""The moves of a scenario file: decisions, simultaneous moves, chance moves,
compound moves (several dimensions chosen jointly), who observes what, and
the actors' private types.

Why a module of its own: the move section carries the structure of the game
(which becomes the tree), while the rest of the file carries numbers; the
rules for reading it are many (ids, actions, labels, dimensions and their
restriction, observers, types) and are kept together here. See
docs/scenario-format.md for the format and its semantics.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from realpolitik.scenario.checker import IDENT, RESERVED, Checker, kind_of, suggest
from realpolitik.scenario.expressions import (
    KEYWORDS,
    ExpressionContext,
    ExpressionError,
    parse_expression,
)
from realpolitik.scenario.model import Action, Actor, Dimension, MoveKind
from realpolitik.scenario.yaml_source import PathKey

#: Limits on what one scenario may declare.
MAX_MOVES = 40
MAX_ACTIONS = 16
#: Dimensions of one compound move, and its joint actions after ``allow``.
MAX_DIMENSIONS = 8
MAX_JOINT_ACTIONS = 256
#: Types of one actor.
MAX_TYPES = 16

MOVE_KEYS = (
    "id",
    "actor",
    "actors",
    "chance",
    "actions",
    "dimensions",
    "allow",
    "when",
    "observed_by",
    "description",
)
DIMENSION_KEYS = ("levels", "observed_by", "description")
#: The key of a type's observers inside ``types: {actor: {...}}``.
TYPE_OBSERVERS = "observed_by"


def action_list(ck: Checker, raw: Any, path: PathKey, *, what: str = "action") -> list[Action]:
    actions: list[Action] = []
    if isinstance(raw, list):
        entries: list[tuple[Any, Any, PathKey]] = [(a, "", (*path, k)) for k, a in enumerate(raw)]
    elif isinstance(raw, dict):
        entries = [(a, label, (*path, a)) for a, label in raw.items()]
    else:
        ck.add(
            path, f"expected a list of {what} ids or a mapping of ids to labels, got {kind_of(raw)}"
        )
        return actions
    if not entries:
        ck.add(path, f"a move needs at least one {what}")
    if len(entries) > MAX_ACTIONS:
        ck.add(path, f"{len(entries)} {what}s; at most {MAX_ACTIONS} are allowed")
    seen: set[str] = set()
    for aid, label, where in entries:
        if not ck.ident(aid, where, what, reserved=KEYWORDS):
            continue
        if aid in seen:
            ck.add(where, f"{what} '{aid}' is listed twice")
            continue
        seen.add(aid)
        if isinstance(label, dict):
            spec = ck.mapping(label, where, allowed=("label",))
            label = (spec or {}).get("label", "")
        actions.append(Action(aid, ck.text(label, where)))
    return actions


class RawMove:
    def __init__(self, index: int, mid: str, kind: MoveKind, actors: tuple[str, ...]) -> None:
        self.index = index
        self.id = mid
        self.kind = kind
        self.actors = actors
        self.actions: dict[str, list[Action]] = {}
        self.probabilities: dict[str, Any] = {}
        self.when: Any = None
        self.description = ""
        self.dimensions: dict[str, tuple[Dimension, ...]] = {}
        self.joint_levels: dict[str, tuple[tuple[int, ...], ...]] = {}
        self.observed_by: tuple[str, ...] | None = None
        self.type_of: str | None = None

    raw_path: PathKey | None = None

    @property
    def path(self) -> PathKey:
        """Where the move is in the file (``types.<actor>`` for a type draw)."""
        return self.raw_path if self.raw_path is not None else ("moves", self.index)


def parse_moves(ck: Checker, raw: Any, actors: Mapping[str, Actor]) -> list[RawMove]:
    out: list[RawMove] = []
    if not isinstance(raw, list):
        ck.add(("moves",), f"expected a list of moves, got {kind_of(raw)}")
        return out
    if not raw:
        ck.add(("moves",), "a scenario needs at least one move")
    if len(raw) > MAX_MOVES:
        ck.add(("moves",), f"{len(raw)} moves; at most {MAX_MOVES} are allowed")
    ids: set[str] = set()
    for index, entry in enumerate(raw):
        path: PathKey = ("moves", index)
        spec = ck.mapping(entry, path, allowed=MOVE_KEYS, required=("id",))
        if spec is None or "id" not in spec:
            continue
        mid = spec["id"]
        if not ck.ident(mid, (*path, "id"), "move"):
            continue
        if mid in ids:
            ck.add((*path, "id"), f"move id '{mid}' is used twice")
            continue
        if mid in actors:
            ck.add(
                (*path, "id"),
                f"move id '{mid}' is also an actor id; name moves differently from actors "
                f"(e.g. '{mid}_choice')",
            )
            continue
        ids.add(mid)
        kinds = [k for k in ("actor", "actors", "chance") if k in spec]
        if len(kinds) != 1:
            ck.add(
                path,
                "a move has exactly one of 'actor' (one actor decides), 'actors' (several "
                "decide simultaneously) or 'chance' (nature moves)",
            )
            continue
        if kinds[0] == "actor":
            actor = spec["actor"]
            if not isinstance(actor, str):
                ck.add((*path, "actor"), f"expected an actor id, got {kind_of(actor)}")
                continue
            if actor not in actors:
                # reported once; the move stays known so later references resolve
                ck.add((*path, "actor"), f"unknown actor '{actor}'{suggest(actor, actors)}")
                if not IDENT.match(actor) or actor in RESERVED:
                    continue
            move = RawMove(index, mid, "decision", (actor,))
            if "dimensions" in spec:
                if "actions" in spec:
                    ck.add(
                        (*path, "actions"),
                        "a compound move lists its choices under 'dimensions', not 'actions'",
                    )
                compound = parse_dimensions(ck, spec, path, actors)
                if compound is None:
                    continue
                dims, joint, levels = compound
                move.dimensions[actor] = dims
                move.actions[actor] = joint
                move.joint_levels[actor] = levels
            elif "actions" not in spec:
                ck.add(path, "missing 'actions' (or 'dimensions' for a compound move)")
                continue
            else:
                move.actions[actor] = action_list(ck, spec["actions"], (*path, "actions"))
                if "allow" in spec:
                    ck.add((*path, "allow"), "'allow' restricts the dimensions of a compound move")
        elif kinds[0] == "actors":
            table = ck.mapping(
                spec["actors"],
                (*path, "actors"),
                what="a mapping of each simultaneous actor to its actions",
            )
            if table is None:
                continue
            if "actions" in spec:
                ck.add((*path, "actions"), "a simultaneous move lists actions under each actor")
            if len(table) < 2:
                ck.add((*path, "actors"), "a simultaneous move needs at least two actors")
            bad = [a for a in table if a not in actors]
            for a in bad:
                ck.add((*path, "actors", a), f"unknown actor '{a}'{suggest(a, actors)}")
            if bad:
                continue
            move = RawMove(index, mid, "simultaneous", tuple(table))
            for a, acts in table.items():
                move.actions[a] = action_list(ck, acts, (*path, "actors", a))
        else:
            table = ck.mapping(
                spec["chance"],
                (*path, "chance"),
                what="a mapping of outcomes to probability expressions",
            )
            if table is None:
                continue
            if "actions" in spec:
                ck.add((*path, "actions"), "a chance move lists its outcomes under 'chance'")
            move = RawMove(index, mid, "chance", ())
            outcomes: list[Action] = []
            for outcome, probability in table.items():
                if not ck.ident(outcome, (*path, "chance", outcome), "outcome", reserved=KEYWORDS):
                    continue
                outcomes.append(Action(outcome, ""))
                move.probabilities[outcome] = probability
            if len(outcomes) < 1:
                ck.add((*path, "chance"), "a chance move needs at least one outcome")
            move.actions["chance"] = outcomes
        if "dimensions" in spec and move.kind != "decision":
            ck.add((*path, "dimensions"), "only a move of one actor ('actor') can be compound")
        move.when = spec.get("when")
        move.description = ck.text(spec.get("description"), (*path, "description"))
        if "observed_by" in spec:
            move.observed_by = parse_observers(
                ck, spec["observed_by"], (*path, "observed_by"), actors
            )
        out.append(move)
    return out


def parse_observers(
    ck: Checker, raw: Any, path: PathKey, actors: Mapping[str, Actor]
) -> tuple[str, ...] | None:
    """An ``observed_by`` list of actor ids (``[]``: nobody but the mover)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        ck.add(path, f"expected a list of actor ids, got {kind_of(raw)}")
        return None
    out: list[str] = []
    for k, actor in enumerate(raw):
        if not isinstance(actor, str) or actor not in actors:
            ck.add((*path, k), f"unknown actor {actor!r}{suggest(actor, actors)}")
            continue
        if actor in out:
            ck.add((*path, k), f"actor '{actor}' is listed twice")
            continue
        out.append(actor)
    return tuple(out)


def parse_dimensions(
    ck: Checker, spec: dict[str, Any], path: PathKey, actors: Mapping[str, Actor]
) -> tuple[tuple[Dimension, ...], list[Action], tuple[tuple[int, ...], ...]] | None:
    """A compound move's dimensions, its joint actions (the product of the
    levels, in C order with the last dimension fastest, less those ``allow``
    rules out) and each joint action's level indices."""
    where = (*path, "dimensions")
    table = ck.mapping(spec["dimensions"], where, what="a mapping of dimensions to their levels")
    if table is None:
        return None
    if not table:
        ck.add(where, "a compound move needs at least one dimension")
        return None
    if len(table) > MAX_DIMENSIONS:
        ck.add(where, f"{len(table)} dimensions; at most {MAX_DIMENSIONS} are allowed")
        return None
    dims: list[Dimension] = []
    for did, raw in table.items():
        here = (*where, did)
        if not ck.ident(did, here, "dimension"):
            return None
        observed: tuple[str, ...] | None = None
        if isinstance(raw, dict) and "levels" in raw:
            entry = ck.mapping(raw, here, allowed=DIMENSION_KEYS) or {}
            if "observed_by" in entry:
                observed = parse_observers(ck, entry["observed_by"], (*here, "observed_by"), actors)
            levels = action_list(ck, entry["levels"], (*here, "levels"), what="level")
        else:
            levels = action_list(ck, raw, here, what="level")
        if not levels:
            return None
        dims.append(Dimension(str(did), tuple(levels), observed, ck.source.key_line(here)))
    combos = list(itertools.product(*(range(len(d.levels)) for d in dims)))
    if "allow" in spec:
        keep = _allowed(ck, spec["allow"], (*path, "allow"), dims, combos)
        # a condition in error is reported; the move keeps every combination,
        # so that the expressions that test its dimensions are still checked
        if keep is not None:
            combos = [c for c, ok in zip(combos, keep, strict=True) if ok]
        if not combos:
            ck.add((*path, "allow"), "no combination of levels is allowed; loosen the condition")
            combos = list(itertools.product(*(range(len(d.levels)) for d in dims)))
    if len(combos) > MAX_JOINT_ACTIONS:
        ck.add(
            where,
            f"{len(combos)} joint actions; at most {MAX_JOINT_ACTIONS} are allowed (restrict "
            "them with 'allow', or split the move)",
        )
        return None
    joint = [
        Action(
            "+".join(d.levels[i].id for d, i in zip(dims, combo, strict=True)),
            "; ".join(
                f"{d.id}: {d.levels[i].label or d.levels[i].id}"
                for d, i in zip(dims, combo, strict=True)
            ),
        )
        for combo in combos
    ]
    return tuple(dims), joint, tuple(combos)


def _allowed(
    ck: Checker,
    text: Any,
    path: PathKey,
    dims: list[Dimension],
    combos: list[tuple[int, ...]],
) -> list[bool] | None:
    """Which combinations of levels satisfy ``allow`` (a condition on the
    move's own dimensions, by their bare names)."""
    if isinstance(text, bool):
        return [text] * len(combos)
    if not isinstance(text, str):
        ck.add(path, f"expected a condition, got {kind_of(text)}")
        return None
    context = ExpressionContext(actors={d.id: d.level_ids() for d in dims})
    try:
        condition = parse_expression(text, context, expect="boolean")
    except ExpressionError as error:
        ck.add_error(path, error)
        return None
    index = np.array(combos, dtype=np.int64).T  # (dims, combos)
    actions = {d.id: index[k][None, :] for k, d in enumerate(dims)}
    mask = np.broadcast_to(np.asarray(condition.evaluate({}, actions)), (1, len(combos)))
    return [bool(v) for v in mask[0]]


def parse_types(
    ck: Checker, raw: Any, actors: Mapping[str, Actor], first_index: int
) -> list[RawMove]:
    """The ``types`` section: per actor, its possible types with prior
    probabilities (expressions of parameters), drawn by nature before any
    move and seen by the actor alone (or by ``observed_by``). Each becomes a
    chance move ``actor.type``, listed before the scenario's moves."""
    out: list[RawMove] = []
    table = ck.mapping(raw, ("types",), what="a mapping of actors to their types")
    if table is None:
        return out
    for actor, entry in table.items():
        path: PathKey = ("types", actor)
        if actor not in actors:
            ck.add(path, f"unknown actor '{actor}'{suggest(actor, actors)}")
            continue
        spec = ck.mapping(entry, path, what="a mapping of type ids to prior probabilities")
        if spec is None:
            continue
        move = RawMove(first_index + len(out), f"{actor}.type", "chance", ())
        move.raw_path = path
        move.type_of = actor
        move.observed_by = (actor,)
        types: list[Action] = []
        for tid, prior in spec.items():
            if tid == TYPE_OBSERVERS:
                observers = parse_observers(ck, prior, (*path, tid), actors)
                if observers is not None:
                    move.observed_by = tuple(dict.fromkeys((actor, *observers)))
                continue
            if not ck.ident(tid, (*path, tid), "type", reserved=KEYWORDS):
                continue
            types.append(Action(str(tid), ""))
            move.probabilities[str(tid)] = prior
        if not types:
            ck.add(path, "an actor with private information needs at least one type")
            continue
        if len(types) > MAX_TYPES:
            ck.add(path, f"{len(types)} types; at most {MAX_TYPES} are allowed")
            continue
        move.actions["chance"] = types
        out.append(move)
    return out
