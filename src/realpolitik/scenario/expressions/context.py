"""What an expression may refer to (:class:`ExpressionContext`): parameters,
numbers, conditions, actors and their actions, with did-you-mean
suggestions for a name that is not there.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from realpolitik.scenario.expressions.syntax import FUNCTIONS, KEYWORDS, ExpressionError

# ---------------------------------------------------------------------------
# Context
# ---------------------------------------------------------------------------
#: An identifier; a subject (compound move dimension, private type) is dotted.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
_SUBJECT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z", re.ASCII)


def listing(names: Iterable[str], limit: int = 8, *, keep_order: bool = False) -> str:
    ordered = list(names) if keep_order else sorted(names)
    if not ordered:
        return "(none)"
    shown = ", ".join(ordered[:limit])
    return shown + (f", ... ({len(ordered)} in all)" if len(ordered) > limit else "")


def suggest(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean `x`?"`` for the closest candidate: same name in another
    case, else the best difflib match, else the only candidate it begins."""
    ordered = sorted(candidates)
    folded = [c for c in ordered if c.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, ordered, n=1, cutoff=0.6)
    if not close and len(name) >= 3:
        starts = [c for c in ordered if c.startswith(name)]
        close = starts if len(starts) == 1 else []
    return f"; did you mean `{close[0]}`?" if close else ""


@dataclass(frozen=True)
class ExpressionContext:
    """The names an expression may use.

    Parameters
    ----------
    parameters : names of the scenario's uncertain parameters (numbers).
    actors : each actor's action ids, in the order of the action indices that
        :meth:`Expression.evaluate` receives. Chance nodes may be listed as
        actors too (their outcomes as actions).
    numbers : other numeric names the caller allows (metrics, terms computed
        earlier); their values are passed with the parameters.
    conditions : other boolean names the caller allows; their values (boolean
        arrays) are passed with the parameters.

    Raises
    ------
    ExpressionError
        If a name is not an identifier, is a keyword or a function name, or is
        used for two things (action ids may repeat across actors, and may
        coincide with parameter names: they are only looked up inside tests).
    """

    parameters: frozenset[str] = frozenset()
    actors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        groups: dict[str, frozenset[str]] = {}
        for what in ("parameters", "numbers", "conditions"):
            raw: object = getattr(self, what)
            if isinstance(raw, str):
                raise ExpressionError(f"{what} must be a collection of names, not a string")
            names = frozenset(str(name) for name in cast(Iterable[object], raw))
            object.__setattr__(self, what, names)
            groups[what] = names
        actors: dict[str, tuple[str, ...]] = {}
        for actor, actions in dict(self.actors).items():
            if isinstance(cast(object, actions), str):
                raise ExpressionError(f"the actions of `{actor}` must be a list of names")
            actors[str(actor)] = tuple(str(action) for action in actions)
        object.__setattr__(self, "actors", actors)
        groups["actors"] = frozenset(actors)

        singular = {
            "parameters": "parameter",
            "numbers": "name",
            "conditions": "condition",
            "actors": "actor",
        }
        seen: dict[str, str] = {}
        for what, names in groups.items():
            for name in sorted(names):
                pattern = _SUBJECT if what == "actors" else _IDENTIFIER
                if not pattern.match(name):
                    raise ExpressionError(
                        f"{singular[what]} name `{name}` cannot be used in expressions; "
                        "use letters, digits and `_`, starting with a letter or `_`"
                    )
                if name in KEYWORDS or name in FUNCTIONS:
                    raise ExpressionError(
                        f"{singular[what]} name `{name}` is reserved in expressions "
                        "(a keyword or a function); rename it"
                    )
                if name in seen:
                    article = "an" if singular[what][0] in "aeiou" else "a"
                    raise ExpressionError(
                        f"`{name}` is both {seen[name]} and {article} {singular[what]}; rename one"
                    )
                seen[name] = ("an " if singular[what][0] in "aeiou" else "a ") + singular[what]
        for actor, actions in actors.items():
            listed: set[str] = set()
            for action in actions:
                if not _IDENTIFIER.match(action) or action in KEYWORDS:
                    raise ExpressionError(
                        f"action `{action}` of {actor} cannot be used in expressions; use "
                        "letters, digits and `_`, starting with a letter or `_`, and no keyword"
                    )
                if action in listed:
                    raise ExpressionError(f"action `{action}` is listed twice for {actor}")
                listed.add(action)

    def __hash__(self) -> int:
        return hash(
            (self.parameters, tuple(sorted(self.actors.items())), self.numbers, self.conditions)
        )

    def actions_of(self, actor: str) -> tuple[str, ...]:
        """The action ids of ``actor``, in index order."""
        return self.actors[actor]

    @cached_property
    def _owners(self) -> dict[str, tuple[str, ...]]:
        owners: dict[str, list[str]] = {}
        for actor in sorted(self.actors):
            for action in self.actors[actor]:
                owners.setdefault(action, []).append(actor)
        return {action: tuple(who) for action, who in owners.items()}

    @cached_property
    def _values(self) -> frozenset[str]:
        return self.parameters | self.numbers | self.conditions
