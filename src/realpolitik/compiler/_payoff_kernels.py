"""Each player's payoff at every terminal, summed from its terms' values per
action combination in one compiled pass.

Why compiled: a payoff term is evaluated once per combination of the actions
it tests (:mod:`realpolitik.compiler.factored`), ``(D, U)`` values; gathered
back to every terminal with NumPy (``np.take``, a ``(D, T)`` array per term),
added into the player's ``(D, T)`` total and written into the player's
strided column of the ``(D, T, players)`` payoffs, the flagship's 16 terms
over 2048 terminals moved about 20 arrays of 16 MB per 1024 draws and took
as long as a third of solving the game. Here every term's values sit side by
side in one small ``(D, W)`` table, and one pass over the draws reads each
term's value through its column index and writes the payoff array once.
Terminals whose pieces read the same columns have the same payoff (a
player's payoff pattern), so the terms are summed once per pattern and each
terminal copies its pattern's sum: benchmark (a)'s 3072 terminals have 768
and 96 patterns, and the sums took 12 instead of 32 ms per 1024 draws (the
patterns found once per compiled scenario). For an explanation, which
keeps the terms apart, the same pass also writes each term's value at every
terminal (:meth:`PayoffSum.payoffs_and_terms`).

The same bits as the NumPy sums it replaces (``CompiledScenario.payoffs``
before): each payoff is ``0.0 + v_1 + v_2 + ...`` over the player's terms in
the scenario's order, a per-round term is ``0.0 + f_1 * x_1 + f_2 * x_2 +
...`` (``f_r`` the discount factor of round ``r``, ``x_r`` the term in that
round), and a term weight multiplies the term's value; IEEE additions and
multiplications in the same order on the same numbers give the same results.
Draws are spread over the cores in blocks (:mod:`realpolitik.solve._threads`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.compiler.factored import MIN_TERMINALS, gathered
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws per block of the parallel loop.
BLOCK = 64

#: Pattern tables kept per cache (a scenario's payoffs need one).
PATTERNS_KEPT = 8


@dataclass
class PayoffSum:
    """Collects the payoff terms of some draws as values per combination,
    then sums them into ``(D, T, players)`` payoffs (:meth:`payoffs`).

    A piece is one evaluation of a term (one round of a per-round term):
    ``values`` ``(1 or D, U)`` (or ``(1 or D, 1)`` for a value that is the
    same at every terminal, ``(1 or D, T)`` for one evaluated in full) and
    ``inverse`` ``(T,)``, the column of each terminal (None for the last two).
    """

    n_draws: int
    n_terminals: int
    n_players: int
    #: the patterns found (:meth:`_patterns`), kept by the caller across
    #: calls: they depend on the tree and the terms alone (finding them took
    #: 6 ms per 1024 flagship draws)
    patterns_cache: dict[bytes, tuple[IntArray, IntArray]] | None = None
    _values: list[FloatArray] = field(default_factory=list)
    _columns: list[IntArray] = field(default_factory=list)
    _factors: list[FloatArray] = field(default_factory=list)
    _piece_factor: list[int] = field(default_factory=list)
    _term_first: list[int] = field(default_factory=lambda: [0])
    _term_rounds: list[bool] = field(default_factory=list)
    _term_weight: list[int] = field(default_factory=list)
    _term_player: list[int] = field(default_factory=list)
    _width: int = 0
    _totals: dict[int, FloatArray] = field(default_factory=dict)

    def _column_factor(self, factor: FloatArray | None) -> int:
        if factor is None:
            return -1
        self._factors.append(
            np.broadcast_to(np.asarray(factor, dtype=np.float64).reshape(-1), (self.n_draws,))
        )
        return len(self._factors) - 1

    def _piece(
        self, values: FloatArray, inverse: IntArray | None, factor: FloatArray | None
    ) -> None:
        table = np.asarray(values, dtype=np.float64)
        table = table.reshape(1, -1) if table.ndim < 2 else table
        width = table.shape[1]
        if inverse is not None:
            columns = self._width + np.asarray(inverse, dtype=np.int64)
        elif width == 1:
            columns = np.full(self.n_terminals, self._width, dtype=np.int64)
        elif width == self.n_terminals:
            columns = self._width + np.arange(self.n_terminals, dtype=np.int64)
        else:
            raise ValueError(f"a payoff piece of {width} columns for {self.n_terminals} terminals")
        self._values.append(table)
        self._columns.append(columns)
        self._piece_factor.append(self._column_factor(factor))
        self._width += width

    def add_term(
        self,
        player: int,
        pieces: list[tuple[FloatArray | None, FloatArray, IntArray | None]],
        *,
        per_round: bool,
        weight: FloatArray | None = None,
    ) -> None:
        """Add a term of ``player``: its pieces ``(factor, values, inverse)``
        (one without a factor, or per round ``f_r`` ``(D or 1, 1)`` or a
        scalar, summed from 0), times ``weight`` ``(D or 1, 1)`` if given."""
        if self.n_terminals < MIN_TERMINALS:
            self._add_in_numpy(player, pieces, per_round, weight)
            return
        for factor, values, inverse in pieces:
            self._piece(values, inverse, factor)
        self._term_first.append(len(self._columns))
        self._term_rounds.append(per_round)
        self._term_weight.append(self._column_factor(weight))
        self._term_player.append(player)

    def payoffs_and_terms(
        self,
        term_column: IntArray,
        n_columns: int,
        threads: int | None = None,
        split_out: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """``(D, T, players)`` the payoffs (as :meth:`payoffs`) and ``(D, T,
        players, n_columns)`` each term apart, term ``k`` in column
        ``term_column[k]`` of its player (zero elsewhere), from the same
        pass: each term's value is computed once per pattern for the sum,
        and written at every terminal of its player. The same bits as
        gathering each term to every terminal in NumPy (a term's value per
        pattern is the value it adds to the sum). Compiled trees only
        (at least :data:`~realpolitik.compiler.factored.MIN_TERMINALS` terminals).

        ``split_out``: the terms array to write into, C-contiguous float64
        of that shape and zero outside the terms' columns (as one this
        method filled before for the same terms is): a caller that
        evaluates block after block passes the same one, which spares the
        fresh pages of a new array (their first touch was most of this
        pass's time on the flagship, 67 MB per 64 draws)."""
        if self.n_terminals < MIN_TERMINALS:
            raise ValueError("payoffs_and_terms needs a compiled tree (the terms are in NumPy)")
        shape = (self.n_draws, self.n_terminals, self.n_players, n_columns)
        if split_out is None:
            split = np.zeros(shape)
        elif split_out.shape != shape or not split_out.flags.c_contiguous:
            raise ValueError(f"terms go into a C-contiguous {shape} array, not {split_out.shape}")
        else:
            split = split_out
        totals = self._run(threads, None, split, np.asarray(term_column, dtype=np.int64))
        return totals, split

    def payoffs(self, threads: int | None = None, out: FloatArray | None = None) -> FloatArray:
        """``(D, T, players)`` the payoffs of the terms added: compiled, or
        on a tree of fewer than :data:`~realpolitik.compiler.factored.MIN_TERMINALS`
        terminals (whose expressions are all evaluated in full) summed in
        NumPy as they come, which is then quicker than copying every term
        into the table (the legacy flagship's 28 paths: 1.4 against 3.0 ms
        per 10^3 draws). Written into ``out`` when given (C-contiguous
        float64 of that shape), else into a new array."""
        if self.n_terminals < MIN_TERMINALS:
            out = _output(out, (self.n_draws, self.n_terminals, self.n_players))
            for i in range(self.n_players):
                out[:, :, i] = self._totals.get(i, 0.0)
            return out
        return self._run(threads, out, np.zeros((0, 0, 0, 0)), np.zeros(0, dtype=np.int64))

    def _run(
        self,
        threads: int | None,
        out: FloatArray | None,
        split: FloatArray,
        term_column: IntArray,
    ) -> FloatArray:
        """The compiled pass (:func:`_sum_terms`): the payoffs into ``out``
        (or a new array), each term into ``split`` when it has draws."""
        d, t = self.n_draws, self.n_terminals
        out = _output(out, (d, t, self.n_players))
        table = np.empty((d, max(1, self._width)))
        at = 0
        for values in self._values:
            table[:, at : at + values.shape[1]] = values
            at += values.shape[1]
        columns, inverse = self._patterns()
        factors = (
            np.ascontiguousarray(np.stack(self._factors, axis=1))
            if self._factors
            else np.zeros((d, 0))
        )
        run_blocks(
            _sum_terms,
            d,
            BLOCK,
            (
                table,
                columns,
                inverse,
                np.asarray(self._piece_factor, dtype=np.int64),
                factors,
                np.asarray(self._term_first, dtype=np.int64),
                np.asarray(self._term_rounds, dtype=np.bool_),
                np.asarray(self._term_weight, dtype=np.int64),
                np.asarray(self._term_player, dtype=np.int64),
                out,
                split,
                term_column,
            ),
            threads,
        )
        return out

    def _patterns(self) -> tuple[IntArray, IntArray]:
        """Each player's distinct combinations of its pieces' columns (its
        payoff patterns): ``columns`` ``(pieces, U)``, each piece's column
        in each of its player's patterns (the first ``U_p`` entries), and
        ``inverse`` ``(players, T)``, each terminal's pattern. Terminals
        with the same columns have the same payoff, so it is summed once
        per pattern: benchmark (a)'s 3072 terminals have 768 and 96
        patterns (43000 table reads per draw became 13000), the
        flagship's 2048 at most 256."""
        t = self.n_terminals
        if not self._columns:
            return np.zeros((0, 1), dtype=np.int64), np.zeros((self.n_players, t), dtype=np.int64)
        stacked = np.stack(self._columns)
        piece_player = np.empty(len(self._columns), dtype=np.int64)
        for k, player in enumerate(self._term_player):
            piece_player[self._term_first[k] : self._term_first[k + 1]] = player
        key = hashlib.blake2b(
            stacked.tobytes() + piece_player.tobytes() + self.n_players.to_bytes(8, "little")
        ).digest()
        cache = self.patterns_cache
        if cache is not None and key in cache:
            return cache[key]
        found: list[IntArray] = []
        inverse = np.zeros((self.n_players, t), dtype=np.int64)
        for player in range(self.n_players):
            mine = np.flatnonzero(piece_player == player)
            if len(mine) == 0:
                found.append(np.zeros((0, 1), dtype=np.int64))
                continue
            combos, inverse[player] = np.unique(stacked[mine].T, axis=0, return_inverse=True)
            found.append(combos.T)
        width = max(1, max(f.shape[1] for f in found))
        columns = np.zeros((len(self._columns), width), dtype=np.int64)
        for player in range(self.n_players):
            mine = np.flatnonzero(piece_player == player)
            columns[mine, : found[player].shape[1]] = found[player]
        if cache is not None:
            if len(cache) >= PATTERNS_KEPT:
                cache.clear()
            cache[key] = (columns, inverse)
        return columns, inverse

    def _add_in_numpy(
        self,
        player: int,
        pieces: list[tuple[FloatArray | None, FloatArray, IntArray | None]],
        per_round: bool,
        weight: FloatArray | None,
    ) -> None:
        """The same sums in NumPy, a term at a time over whole ``(D, T)``
        arrays (each piece's values at every terminal)."""
        shape = (self.n_draws, self.n_terminals)
        full = [(f, gathered(v, inverse)) for f, v, inverse in pieces]
        if per_round:
            value: FloatArray = np.zeros(())
            for factor, values in full:
                assert factor is not None  # every round has its discount
                value = value + factor * values
        else:
            value = full[0][1]
        if weight is not None:
            value = value * weight
        total = self._totals.get(player)
        if total is None:
            self._totals[player] = np.add(np.zeros(shape), value)
        else:
            np.add(total, value, out=total)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _sum_terms(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    table: FloatArray,
    columns: IntArray,
    inverse: IntArray,
    piece_factor: IntArray,
    factors: FloatArray,
    term_first: IntArray,
    term_rounds: NDArray[np.bool_],
    term_weight: IntArray,
    term_player: IntArray,
    out: FloatArray,
    split: FloatArray,
    term_column: IntArray,
) -> None:
    """``out[d, t, p]`` for the draws of blocks ``[first, last)``: the sum,
    from 0.0 in term order, of player ``p``'s terms (see the module
    docstring), a draw at a time: each term over the player's patterns
    (:meth:`PayoffSum._patterns`), then each terminal its pattern's sum.
    Where ``split`` has draws, term ``k``'s value at each terminal also goes
    to ``split[d, t, p, term_column[k]]``."""
    n_draws = out.shape[0]
    n_terminals = out.shape[1]
    n_players = out.shape[2]
    n_terms = term_player.shape[0]
    width = columns.shape[1]
    patterns = np.empty((n_players, width))
    value = np.empty(width)
    kept = np.empty((n_terms if split.shape[0] else 0, width))  # each term per pattern
    # how many patterns each player has (its pieces' columns are valid up to there)
    used = np.ones(n_players, dtype=np.int64)
    for p in range(n_players):
        used[p] = inverse[p].max() + 1 if n_terminals else 1
    for d in range(first_block * BLOCK, min(n_draws, last_block * BLOCK)):
        row = table[d]
        patterns[:, :] = 0.0
        for k in range(n_terms):
            p = term_player[k]
            n = used[p]
            total = patterns[p]
            j0 = term_first[k]
            weight = term_weight[k]
            if not term_rounds[k] and weight < 0:
                cols = columns[j0]
                for u in range(n):
                    total[u] = total[u] + row[cols[u]]
                if split.shape[0]:
                    for u in range(n):
                        kept[k, u] = row[cols[u]]
                continue
            if term_rounds[k]:
                for u in range(n):
                    value[u] = 0.0
                for j in range(j0, term_first[k + 1]):
                    cols = columns[j]
                    if piece_factor[j] >= 0:
                        f = factors[d, piece_factor[j]]
                        for u in range(n):
                            value[u] = value[u] + f * row[cols[u]]
                    else:
                        for u in range(n):
                            value[u] = value[u] + row[cols[u]]
            else:
                cols = columns[j0]
                for u in range(n):
                    value[u] = row[cols[u]]
            if weight >= 0:
                w = factors[d, weight]
                for u in range(n):
                    value[u] = value[u] * w
            for u in range(n):
                total[u] = total[u] + value[u]
            if split.shape[0]:
                for u in range(n):
                    kept[k, u] = value[u]
        if split.shape[0]:
            # terminal by terminal, each row's terms side by side (term by
            # term, each write fell 512 bytes from the last: 1.5x slower on the flagship)
            terms_at = split[d]
            for t in range(n_terminals):
                for k in range(n_terms):
                    p = term_player[k]
                    terms_at[t, p, term_column[k]] = kept[k, inverse[p, t]]
        payoff = out[d]
        for p in range(n_players):
            which = inverse[p]
            total = patterns[p]
            for t in range(n_terminals):
                payoff[t, p] = total[which[t]]


def _output(out: FloatArray | None, shape: tuple[int, int, int]) -> FloatArray:
    """``out`` checked to be a C-contiguous float64 array of ``shape``, or a
    new one: a caller that evaluates slice after slice passes the same array
    each time, which spares the fresh pages of a new one (the flagship's 64
    MB of payoffs per 1024 draws, whose first touch doubled the payoff sum's
    time inside a forecast: 20 against 10 ms per slice)."""
    if out is None:
        return np.empty(shape)
    if out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"payoffs go into a C-contiguous float64 {shape} array, not {out.shape}")
    return out


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
