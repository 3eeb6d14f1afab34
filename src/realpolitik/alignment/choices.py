"""The four things a UN member can do on a General Assembly roll call.

Why a module: every part of the alignment model (data, game, likelihood,
output) indexes the last axis of its arrays by these choices, in this order,
and reads votes written by people in several codings. One place says which.

The order is ``yes, no, abstain, absent``; ``abstain`` is the reference choice
whose payoff coefficients are fixed at zero (a multinomial logit identifies
only differences of utilities; McFadden 1974).
"""

from __future__ import annotations

from realpolitik.errors import InputError

__all__ = ["CHOICES", "N_CHOICES", "REFERENCE", "choice_index", "parse_vote"]

CHOICES: tuple[str, ...] = ("yes", "no", "abstain", "absent")
N_CHOICES = len(CHOICES)
REFERENCE = "abstain"

#: Codings accepted for a vote: the words, and the UN record's letters
#: (Y, N, A, and X for a member present in the Assembly but not voting).
_ALIASES = {
    "yes": "yes",
    "y": "yes",
    "no": "no",
    "n": "no",
    "abstain": "abstain",
    "a": "abstain",
    "absent": "absent",
    "x": "absent",
}


def choice_index(name: str) -> int:
    """Position of a choice on the choices axis (``yes`` is 0)."""
    return CHOICES.index(name)


def parse_vote(
    raw: str, *, file: str | None = None, line: int | None = None, field: str | None = None
) -> str:
    """A vote as one of :data:`CHOICES`; anything else is an :class:`InputError`.

    Examples
    --------
    >>> parse_vote("Y"), parse_vote("abstain"), parse_vote("X")
    ('yes', 'abstain', 'absent')
    """
    key = raw.strip().lower()
    if key not in _ALIASES:
        raise InputError(
            f"vote {raw!r} is not one of yes/no/abstain/absent (or Y/N/A/X)",
            file=file,
            line=line,
            field=field,
        )
    return _ALIASES[key]
