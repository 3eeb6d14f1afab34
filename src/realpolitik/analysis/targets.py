"""Targets: the quantities of a scenario that sensitivity and discovery runs
analyse, named in a small grammar, and the parameters they vary.

A target is ``actor:action``, the probability that the actor takes the
action (:mod:`realpolitik.run.outcomes`: summed over every node where the
actor makes that move), or ``metric:NAME``, a metric's expected value. When
an actor has the same action id in two moves, ``actor:move:action`` tells
them apart. Unknown names are an :class:`~realpolitik.errors.InputError`
listing the valid targets, with a did-you-mean.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from realpolitik.errors import InputError
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.scenario.model import Scenario


@dataclass(frozen=True)
class Target:
    """One analysed quantity of a scenario.

    Attributes
    ----------
    name : the canonical name, ``actor:action`` (``actor:move:action`` when
        the actor has that action id in several moves) or ``metric:NAME``.
    kind : ``"action"`` (the probability that the actor takes the action) or
        ``"metric"`` (the metric's expected value).
    column : index of the action in :attr:`OutcomeLayout.keys`, or of the
        metric in the scenario's metrics.
    actor, move, action : the action's actor, move and id (empty for a metric).
    choices : the action ids of the actor at that move, in order (the labels
        of the most likely choice); empty for a metric.
    block : the layout columns of those choices.
    description : a phrase for reports ("probability that China takes ...").
    """

    name: str
    kind: Literal["action", "metric"]
    column: int
    actor: str = ""
    move: str = ""
    action: str = ""
    choices: tuple[str, ...] = ()
    block: tuple[int, ...] = ()
    description: str = ""

    @property
    def position(self) -> int:
        """Index of the target's action among :attr:`choices` (-1 for a metric)."""
        return self.choices.index(self.action) if self.kind == "action" else -1

    @property
    def file_stem(self) -> str:
        """The name made safe for file names (``china-covert_assist``)."""
        return self.name.replace(":", "-")


def _action_names(layout: OutcomeLayout) -> list[str]:
    """Each action column's target name: ``actor:action``, qualified by the
    move when the actor has that action id in several moves."""
    count: dict[tuple[str, str], int] = {}
    for key in layout.keys:
        count[(key.actor, key.action)] = count.get((key.actor, key.action), 0) + 1
    return [
        key.name if count[(key.actor, key.action)] == 1 else f"{key.actor}:{key.move}:{key.action}"
        for key in layout.keys
    ]


def valid_targets(layout: OutcomeLayout) -> list[str]:
    """Every valid target name of a compiled scenario: actions, then metrics."""
    metrics = [f"metric:{m.id}" for m in layout.compiled.scenario.metrics]
    return _action_names(layout) + metrics


def _unknown(kind: str, text: str, valid: Sequence[str]) -> InputError:
    close = difflib.get_close_matches(text, list(valid), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return InputError(f"unknown {kind} '{text}'{hint}; valid {kind}s: {', '.join(valid)}")


def parse_target(text: str, layout: OutcomeLayout) -> Target:
    """Resolve a target name against a compiled scenario.

    Parameters
    ----------
    text : ``actor:action``, ``actor:move:action`` or ``metric:NAME``.
    layout : the scenario's outcome layout.

    Returns
    -------
    The :class:`Target`.

    Raises
    ------
    InputError
        For an unknown or ambiguous name; the message lists the valid targets.
    """
    scenario = layout.compiled.scenario
    valid = valid_targets(layout)
    names = _action_names(layout)
    raw = text.strip()
    parts = raw.split(":")
    metric_ids = [m.id for m in scenario.metrics]
    if len(parts) == 2 and parts[0] == "metric" and parts[1] in metric_ids:
        index = metric_ids.index(parts[1])
        metric = scenario.metrics[index]
        unit = f" ({metric.unit})" if metric.unit else ""
        return Target(
            name=f"metric:{metric.id}",
            kind="metric",
            column=index,
            description=f"expected {metric.id}{unit}",
        )
    matches: list[int] = []
    if len(parts) == 2:
        matches = [
            k
            for k, key in enumerate(layout.keys)
            if (key.actor, key.action) == (parts[0], parts[1])
        ]
    elif len(parts) == 3:
        matches = [
            k
            for k, key in enumerate(layout.keys)
            if (key.actor, key.move, key.action) == tuple(parts)
        ]
    if len(matches) > 1:
        options = ", ".join(names[k] for k in matches)
        raise InputError(
            f"target '{raw}' is ambiguous: the actor has that action in several moves; "
            f"use one of {options}",
        )
    if not matches:
        bare = [names[k] for k, key in enumerate(layout.keys) if key.action == raw]
        bare += [f"metric:{raw}"] if raw in metric_ids else []
        if len(parts) == 1 and bare:
            raise InputError(
                f"unknown target '{raw}' (a target is actor:action or metric:NAME: did you "
                f"mean '{bare[0]}'?); valid targets: {', '.join(valid)}",
            )
        raise _unknown("target", raw, valid)
    column = matches[0]
    key = layout.keys[column]
    block = tuple(layout.moves_of_keys[(key.move, key.actor)])
    actor_name = scenario.actors[key.actor].name if key.actor in scenario.actors else key.actor
    return Target(
        name=names[column],
        kind="action",
        column=column,
        actor=key.actor,
        move=key.move,
        action=key.action,
        choices=tuple(layout.keys[c].action for c in block),
        block=block,
        description=f"probability that {actor_name} chooses {key.action} at {key.move}",
    )


def parse_targets(texts: Iterable[str], layout: OutcomeLayout) -> tuple[Target, ...]:
    """Resolve several target names (at least one, no repeats); see :func:`parse_target`."""
    items = list(texts)
    if not items:
        raise InputError(
            f"give a target (--target); valid targets: {', '.join(valid_targets(layout))}",
        )
    targets = tuple(parse_target(t, layout) for t in items)
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise InputError(f"target '{target.name}' is given twice; give each once")
        seen.add(target.name)
    return targets


def select_parameters(
    scenario: Scenario, requested: Iterable[str] | None = None
) -> tuple[str, ...]:
    """The analysed parameters: all of the scenario's, or the requested ones.

    Parameters
    ----------
    scenario : the scenario.
    requested : parameter ids (each may also be a comma-separated list), or
        None (or empty) for all of them.

    Returns
    -------
    The ids in the scenario's order.

    Raises
    ------
    InputError
        For an unknown id (the message lists the valid names) or a repeat.
    """
    valid = list(scenario.parameter_ids)
    if requested is None:
        return tuple(valid)
    items = [p.strip() for text in requested for p in str(text).split(",") if p.strip()]
    if not items:
        return tuple(valid)
    for item in items:
        if item not in scenario.parameters:
            raise _unknown("parameter", item, valid)
    repeated = sorted({p for p in items if items.count(p) > 1})
    if repeated:
        raise InputError(f"parameter '{repeated[0]}' is given twice; give each once")
    chosen = set(items)
    return tuple(p for p in valid if p in chosen)
