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


def memory_budget() -> int:
    """Bytes one array (or one chunk's working set) may take."""
    raw = os.environ.get("REALPOLITIK_MAX_BYTES", "").strip().upper()
    if raw:
        scale = _SUFFIX.get(raw[-1], 1)
        digits = raw[:-1] if raw[-1] in _SUFFIX else raw
        try:
            return int(float(digits) * scale)
        except ValueError:
            pass
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
