"""All pure-strategy Nash equilibria of n-player normal-form games, per draw.

Why this module: whether a stage game has pure equilibria, and which, is the
first question about any crisis stage, and it must be answered for every
parameter draw (a million draws is an ordinary ensemble).

A pure profile ``s`` is a Nash equilibrium if no player gains by a unilateral
deviation: ``u_i(s) >= max_t u_i(t, s_-i) - tol`` for every player ``i``. For
each player the best-response payoff is one maximum along that player's axis
of the payoff array, so the whole check is ``P`` reductions and comparisons
over the ``(draws, n_1, ..., n_P)`` table, done in chunks of draws to bound
memory. Complexity ``O(draws * P * prod(n))``; the same brute-force check as
Gambit's ``enumpure_solve`` and QuantEcon's ``pure_nash_brute``.

Tolerance: ties must count as best responses even after rounding, so a
deviation is profitable only if it gains more than ``tol`` times the largest
absolute payoff *of the deviating player* in that draw (default ``1e-12``, a
few thousand ulp: payoffs computed as sums of named terms differ from exact
ties by rounding of that order). Per player, so that one player's payoff of
``1e12`` does not make another's gain of 1 look like rounding (found by the
reliability campaign: two non-equilibria of a prisoner's dilemma were listed).
Integer-valued payoffs, of an integer dtype or floats holding integers below
``2**53`` (exact in float64), are compared exactly.

References
----------
Nash, J. (1951). Non-cooperative games. Annals of Mathematics 54, 286-295.

Gambit 16.7.0, ``enumpure_solve``; QuantEcon.py, ``game_theory/pure_nash.py``
(peers this module is tested and benchmarked against).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.limits import require_bytes
from realpolitik.solve.profiles import StrategyProfile

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: Integers below this are exact in float64, so their comparisons need no tolerance.
_EXACT_INTEGERS = 2.0**53

#: Bytes of payoffs processed per chunk (the working set is a few times this).
CHUNK_BYTES = 32 * 1024**2


def _table(payoffs: NormalFormGame | ArrayLike) -> NDArray[np.generic]:
    if isinstance(payoffs, NormalFormGame):
        return payoffs.payoffs
    table = np.asarray(payoffs)
    if table.ndim < 3 or table.shape[1] != table.ndim - 2:
        raise InputError(
            f"payoffs have shape {table.shape}; expected (draws, P, n_1, ..., n_P) "
            "with P = number of strategy axes",
            field="payoffs",
        )
    if min(table.shape) < 1:
        raise InputError(f"payoffs have an empty axis {table.shape}", field="payoffs")
    if not (
        np.issubdtype(table.dtype, np.integer)
        or np.issubdtype(table.dtype, np.floating)
        or table.dtype == np.bool_
    ):
        raise InputError(f"payoffs must be real numbers, got dtype {table.dtype}", field="payoffs")
    return table


def pure_nash_mask(
    payoffs: NormalFormGame | ArrayLike,
    *,
    tol: float = 1e-12,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> BoolArray:
    """Which pure profiles are Nash equilibria, per draw.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` real payoffs (any real dtype; float32 or
        integer input is not copied to float64 as a whole), or a
        :class:`~realpolitik.games.normal_form.NormalFormGame`.
    tol : a deviation counts as profitable only if it gains more than ``tol``
        times the deviating player's largest absolute payoff in the draw
        (no tolerance where that player's payoffs are all integers).
    chunk_size : draws per chunk; default keeps each chunk near 32 MB.
    workers : threads working on chunks in parallel (default: CPUs, at most 8;
        the working memory is about ``workers`` times a chunk).

    Returns
    -------
    ``(B, n_1, ..., n_P)`` bool: True at every pure Nash equilibrium.

    Raises
    ------
    InputError
        On a malformed array or a non-finite payoff (naming the draw).

    Examples
    --------
    Battle of the Sexes has two pure equilibria, (Top, Left) and (Bottom, Right):

    >>> import numpy as np
    >>> a = np.array([[3, 0], [0, 2]]); b = np.array([[2, 0], [0, 3]])
    >>> pure_nash_mask(np.stack([a, b])[None])[0].tolist()
    [[True, False], [False, True]]
    """
    table = _table(payoffs)
    if not np.isfinite(tol) or tol < 0:
        raise InputError(f"tol must be a non-negative number, got {tol}", field="tol")
    b = table.shape[0]
    n_players = table.shape[1]
    shape = table.shape[2:]
    require_bytes(
        "pure Nash equilibrium mask", (b, *shape), itemsize=1, hint="process the draws in chunks"
    )
    per_draw = int(np.prod(table.shape[1:])) * 8
    size = chunk_size if chunk_size is not None else max(1, CHUNK_BYTES // per_draw)
    if size < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk_size}", field="chunk_size")
    out = np.empty((b, *shape), dtype=bool)
    exact = np.issubdtype(table.dtype, np.integer) or table.dtype == np.bool_

    def solve_chunk(lo: int) -> None:
        hi = min(lo + size, b)
        chunk = np.asarray(table[lo:hi], dtype=np.float64)
        if not exact:
            finite = np.isfinite(chunk)
            if not finite.all():
                draw, player, *profile = (int(v) for v in np.argwhere(~finite)[0])
                labels = ", ".join(str(s + 1) for s in profile)
                raise InputError(
                    f"payoff of player {player + 1} at draw {lo + draw}, profile ({labels}) "
                    "is not a finite number; fix or drop that draw",
                    field="payoffs",
                )
        flat = chunk.reshape(hi - lo, n_players, -1)
        if exact:
            slack = np.zeros((hi - lo, n_players))
        else:
            magnitude = np.abs(flat)
            biggest = magnitude.max(axis=2)
            integral = ((flat == np.round(flat)) & (magnitude < _EXACT_INTEGERS)).all(axis=2)
            slack = np.where(integral, 0.0, tol * biggest)
        mask = out[lo:hi]
        mask[...] = True
        for i in range(n_players):
            u = chunk[:, i]
            best = u.max(axis=1 + i, keepdims=True)
            mask &= u >= best - slack[:, i].reshape((hi - lo,) + (1,) * n_players)

    starts = list(range(0, b, size))
    n_workers = max(1, min(os.cpu_count() or 1, 8)) if workers is None else int(workers)
    if n_workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}", field="workers")
    if n_workers == 1 or len(starts) == 1:
        for lo in starts:
            solve_chunk(lo)
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            for future in [pool.submit(solve_chunk, lo) for lo in starts]:
                future.result()
    return out


def pure_nash_profiles(mask: ArrayLike) -> tuple[IntArray, IntArray]:
    """Flatten a :func:`pure_nash_mask` into a list of equilibria.

    Parameters
    ----------
    mask : ``(B, n_1, ..., n_P)`` bool.

    Returns
    -------
    draw : ``(k,)`` draw index of each equilibrium (ascending).
    profile : ``(k, P)`` strategy index of each player.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[[True, False], [False, True]]])
    >>> d, s = pure_nash_profiles(m)
    >>> d.tolist(), s.tolist()
    ([0, 0], [[0, 0], [1, 1]])
    """
    arr = np.asarray(mask, dtype=bool)
    if arr.ndim < 2:
        raise InputError(
            f"mask has shape {arr.shape}; expected (draws, n_1, ..., n_P)", field="mask"
        )
    found = np.nonzero(arr)
    draw = found[0].astype(np.int64)
    profile = np.stack(found[1:], axis=1).astype(np.int64)
    return draw, profile


def pure_nash_equilibria(game: NormalFormGame) -> list[StrategyProfile]:
    """Every pure Nash equilibrium of a one-draw game (the ``pure-nash`` entry
    of :data:`realpolitik.concepts.CONCEPTS`), in lexicographic order."""
    _, indices = pure_nash_profiles(pure_nash_mask(game.payoffs))
    return [StrategyProfile.pure(game.shape, tuple(int(i) for i in idx)) for idx in indices]
