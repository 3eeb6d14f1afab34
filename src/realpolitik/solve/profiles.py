"""A solved profile of one normal-form game: each player's mixed strategy and
what the solver reports beside it (the precision reached, the method used).

Why a module of its own: every normal-form solver named in
:data:`realpolitik.concepts.CONCEPTS` returns a list of these, and
:mod:`realpolitik.solve.equilibria` turns them into labelled profiles; the
type sits below both so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StrategyProfile:
    """One profile of a one-draw normal-form game.

    Attributes
    ----------
    probs : per player, the ``(n_i,)`` probabilities of its strategies.
    extra : solver-specific facts reported with the profile (JSON values).
    """

    probs: tuple[FloatArray, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def pure(cls, shape: tuple[int, ...], indices: tuple[int, ...]) -> StrategyProfile:
        """The pure profile playing strategy ``indices[i]`` for player ``i``."""
        return cls(tuple(np.eye(n)[int(i)] for n, i in zip(shape, indices, strict=True)))
