"""Size limits checked before allocating, so a request too large for memory is
refused with the size it would need instead of crashing the machine.

The budget defaults to half of the machine's physical memory and can be set
with the ``REALPOLITIK_MAX_BYTES`` environment variable (bytes, or with a
``K``/``M``/``G`` suffix).
"""

from __future__ import annotations

import os
from math import prod

from realpolitik.errors import ResourceError

_SUFFIX = {"K": 1024, "M": 1024**2, "G": 1024**3}


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 1024**3


def parse_bytes(text: str) -> int | None:
    """``"3G"``, ``"512M"``, ``"64K"`` or a plain number of bytes; None if
    it is not one."""
    raw = text.strip().upper()
    if not raw:
        return None
    scale = _SUFFIX.get(raw[-1], 1)
    digits = raw[:-1] if raw[-1] in _SUFFIX else raw
    try:
        value = float(digits) * scale
    except ValueError:
        return None
    if value != value or value < 0 or value > 2.0**62:
        return None
    return int(value)


def memory_budget() -> int:
    """Bytes one array (or one chunk's working set) may take."""
    parsed = parse_bytes(os.environ.get("REALPOLITIK_MAX_BYTES", ""))
    if parsed is not None:
        return parsed
    return _physical_memory() // 2


def require_bytes(what: str, shape: tuple[int, ...], itemsize: int = 8, hint: str = "") -> None:
    """Raise :class:`ResourceError` if an array of ``shape`` would exceed the budget.

    Parameters
    ----------
    what : what would be allocated, for the message ("payoff array of game.nfg").
    shape : the array's shape.
    itemsize : bytes per element (8 for float64).
    hint : what the user can do instead (fewer draws, chunking).
    """
    needed = prod(int(s) for s in shape) * itemsize
    limit = memory_budget()
    if needed > limit:
        raise ResourceError(what, needed, limit, hint)


# --------------------------------------------------------------------------- input caps
# The largest input each reader accepts, refused with a one-line InputError
# before any work (docs/reliability.md lists them beside the reason for each).

#: Any input file (scenario YAML has its own, smaller cap).
MAX_INPUT_BYTES = 64 * 1024**2
#: Players of a Gambit game (.efg, .nfg): the strategic form has one array
#: axis per player, and NumPy's einsum and array rank run out beyond ~50.
MAX_GAME_PLAYERS = 20
#: Nodes of an .efg tree (the structure is analysed once in Python).
MAX_GAME_NODES = 1_000_000
#: Strategies of one player of an .nfg game, and profiles of the whole table.
MAX_STRATEGIES = 100_000
MAX_PROFILES = 10_000_000
#: Actors of a bargaining problem (KTAB's ``Model::maxNumActor``; SMP's
#: memory grows with the cube of the actors: 1000 actors needed 15.8 GB).
MAX_BARGAIN_ACTORS = 250
#: Issue dimensions of a KTAB problem.
MAX_BARGAIN_DIMENSIONS = 32
#: Issues of one DEU III-style file (the dataset has about 400).
MAX_DEU_ISSUES = 20_000
#: Largest magnitude of a number in an input (payoff, position, parameter,
#: bound, lambda): products and sums of a few such numbers must stay finite
#: in float64 (max 1.8e308), with room for squares (variances) and for sums
#: over a million terminals or draws.
MAX_MAGNITUDE = 1e100


def check_magnitude(value: float, what: str) -> str | None:
    """A one-line reason if ``value`` is not finite or exceeds
    :data:`MAX_MAGNITUDE` in magnitude, else None (callers add file/line)."""
    if value != value or value in (float("inf"), float("-inf")):
        return f"{what} {value} is not a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return (
            f"{what} {value:.3g} is beyond the largest magnitude accepted ({MAX_MAGNITUDE:.0e}); "
            "rescale it (for instance to millions or billions)"
        )
    return None
