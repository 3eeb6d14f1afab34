"""Linked parameters: a parameter taken, draw by draw, from another
scenario's outcome (``link:`` in place of a distribution).

Why: the second source text's point is that the response to one crisis is
read as a signal for another (how resolved the US looked over Ukraine moves
observers' expectations about Taiwan). A linked parameter makes one
scenario's outcome (a metric, an action's probability, an actor's
posterior belief at one of its information sets, or the posterior of an
outside observer who sees only some of the path) a parameter of another,
per draw, so that the upstream uncertainty flows into the downstream
forecast. The run layer
(:mod:`realpolitik.run.links`) computes the values; here the link is read,
its upstream scenario loaded, and its target and cycles checked::

    parameters:
      us_resolve:
        link:
          scenario: china-russia-2022          # a built-in name, or a path beside this file
          take: "posterior:west.type=resolute"  # an outside observer's posterior
          given: [[reply, secondary]]           # what the observer sees
        unit: probability
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from realpolitik.errors import InputError
from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.model import Link, Scenario
from realpolitik.scenario.paths import subjects_of
from realpolitik.scenario.yaml_source import PathKey

LINK_KEYS = ("scenario", "take", "given")

#: Loads an upstream scenario: ``(name or path, scenarios being loaded) ->
#: Scenario`` (given by the loader, which owns file and built-in resolution).
Loader = Callable[[str, tuple[str, ...]], Scenario]


def parse_link(
    ck: Checker, raw: Any, path: PathKey, load_upstream: Loader, chain: tuple[str, ...]
) -> Link | None:
    """A parameter's ``link`` (its ``path``): the upstream scenario loaded
    (a link cycle is an error naming it) and the target checked."""
    spec = ck.mapping(raw, path, allowed=LINK_KEYS, required=("scenario", "take"))
    if spec is None or "scenario" not in spec or "take" not in spec:
        return None
    name = spec["scenario"]
    if not isinstance(name, str) or not name:
        ck.add((*path, "scenario"), f"expected a scenario name or path, got {kind_of(name)}")
        return None
    try:
        upstream = load_upstream(name, chain)
    except InputError as error:
        first = error.problems[0]
        ck.add((*path, "scenario"), f"linked scenario '{name}': {first}")
        return None
    take = spec["take"]
    if not isinstance(take, str):
        ck.add((*path, "take"), f"expected a target such as metric:NAME, got {kind_of(take)}")
        return None
    given = _given(ck, spec.get("given", []), (*path, "given"))
    problem = _target_problem(upstream, take, given)
    if problem:
        ck.add((*path, "take"), problem)
        return None
    return Link(upstream, take, given, ck.source.key_line(path))


def _given(ck: Checker, raw: Any, path: PathKey) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in raw
    ):
        ck.add(path, "expected a list of [subject, level] pairs, e.g. [[west, secondary]]")
        return ()
    return tuple((str(a), str(b)) for a, b in raw)


def _target_problem(upstream: Scenario, take: str, given: tuple[tuple[str, str], ...]) -> str:
    """What is wrong with ``take`` in ``upstream`` ("" if nothing)."""
    parts = take.split(":")
    if parts[0] == "metric":
        ids = [m.id for m in upstream.metrics]
        if len(parts) != 2 or parts[1] not in ids:
            return f"no metric '{':'.join(parts[1:])}' in {upstream.id}{suggest(parts[-1], ids)}"
        return ""
    if parts[0] == "belief":
        if len(parts) != 3 or "=" not in parts[2] or parts[1] not in upstream.actors:
            return "a belief is belief:ACTOR:SUBJECT=LEVEL, e.g. belief:china:west.type=resolute"
        problem = level_problem(upstream, *parts[2].split("=", 1))
        if problem:
            return problem
        if not given:
            return "a belief needs 'given': what the actor observed where it is read"
        return ""
    if parts[0] == "posterior":
        if len(parts) != 2 or "=" not in parts[1]:
            return "a posterior is posterior:SUBJECT=LEVEL, e.g. posterior:west.type=resolute"
        problem = level_problem(upstream, *parts[1].split("=", 1))
        if problem:
            return problem
        if not given:
            return "a posterior needs 'given': what the observer sees, e.g. [[reply, secondary]]"
        for subject, level in given:
            problem = level_problem(upstream, subject, level)
            if problem:
                return f"given: {problem}"
        return ""
    if len(parts) in (2, 3) and parts[0] in upstream.actors:
        actions = {
            (parts[0], m.id, a)
            for m in upstream.moves
            if parts[0] in m.actors
            for a in m.action_ids(parts[0])
        }
        wanted = parts[-1]
        if not any(a == wanted and (len(parts) == 2 or m == parts[1]) for _, m, a in actions):
            return f"{parts[0]} has no action '{wanted}' in {upstream.id}"
        return ""
    return f"unknown target '{take}': write metric:NAME, ACTOR:ACTION or belief:ACTOR:SUBJECT=LEVEL"


def level_problem(upstream: Scenario, subject: str, level: str) -> str:
    """What is wrong with ``subject=level`` in ``upstream`` ("" if nothing)."""
    subjects = subjects_of(upstream.moves)
    if subject not in subjects:
        return f"no subject '{subject}' in {upstream.id}{suggest(subject, subjects)}"
    move_id, actor, dimension = subjects[subject]
    move = upstream.move(move_id)
    levels = (
        move.dimensions[actor][dimension].level_ids() if dimension >= 0 else move.action_ids(actor)
    )
    if level not in levels:
        return f"{subject} has no level '{level}'; its levels: {', '.join(levels)}"
    return ""


def link_identity(name: str, beside: str) -> str:
    """How a link's scenario is known in a chain of links: the resolved path
    of a file (relative paths beside the linking file), else the name."""
    if name.endswith((".yaml", ".yml")):
        base = Path(beside).parent if beside and Path(beside).exists() else Path(".")
        return str((base / name).resolve())
    return name
