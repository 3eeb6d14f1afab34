"""Normal-form (strategic-form) games with a leading draws axis.

Why this module: a crisis stage where several states move without seeing each
other is a normal-form game, and every parameter draw of a scenario gives a
different payoff table. :class:`NormalFormGame` holds all of them as one array
``payoffs[draw, player, s_1, ..., s_P]`` so that the solvers in
:mod:`realpolitik.solve` (pure Nash equilibria, extreme mixed equilibria of
two-player games, the logit quantal response equilibrium and its limit) work
on every draw at once.

Besides the game type the module has the array kernels every normal-form
solver needs: the expected payoff of each pure strategy against the others'
mixed strategies (:func:`strategy_values`), the derivatives of those values
with respect to another player's probabilities (:func:`cross_derivatives`),
and the regret of a profile (:func:`max_regret`), on Gambit's convention
(``MixedStrategyProfile.max_regret()``: absolute payoff units).

Conventions
-----------
- ``payoffs[d, i, s_1, ..., s_P]`` is player ``i``'s payoff in draw ``d`` when
  player ``k`` plays strategy ``s_k``: player 1's strategy is axis 2, player
  2's axis 3, and so on (C order). Gambit's ``.nfg`` files list profiles with
  player 1's strategy varying fastest; a reader must transpose accordingly.
- A mixed profile is a tuple with one ``(draws, n_i)`` array per player.

References
----------
McKelvey, R. D., McLennan, A. M. and Turocy, T. L. (2016). Gambit: Software
Tools for Game Theory, version 16. http://www.gambit-project.org (the game
model and regret convention this module follows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from string import ascii_letters

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.limits import MAX_GAME_PLAYERS, require_bytes

FloatArray = NDArray[np.float64]
Profile = tuple[FloatArray, ...]

# Subscript letters for einsum: "z" is the draws axis, players use the rest.
_AXES = ascii_letters.replace("z", "")


def _frozen(array: FloatArray) -> FloatArray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class NormalFormGame:
    """A finite game in strategic form, one payoff table per parameter draw.

    Attributes
    ----------
    players : player names, P of them.
    strategies : strategy labels per player; ``len(strategies[i]) == n_i``.
    payoffs : ``(draws, P, n_1, ..., n_P)`` float64, read-only.
    title, comment : free text carried from files to reports.

    Raises
    ------
    InputError
        If shapes disagree, a player has no strategy, labels repeat, or a
        payoff is NaN or infinite (the message names the draw, the strategy
        profile and the player).

    Examples
    --------
    The Prisoner's Dilemma (Gambit's ``pd.nfg``):

    >>> import numpy as np
    >>> a = np.array([[9.0, 0.0], [10.0, 1.0]])
    >>> pd = NormalFormGame.from_arrays(a, a.T, strategies=(("C", "D"), ("C", "D")))
    >>> pd.shape, pd.n_draws
    ((2, 2), 1)
    >>> pd.profile_payoffs((np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])))
    array([[1., 1.]])
    """

    players: tuple[str, ...]
    strategies: tuple[tuple[str, ...], ...]
    payoffs: FloatArray
    title: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        players = tuple(str(p) for p in self.players)
        strategies = tuple(tuple(str(s) for s in labels) for labels in self.strategies)
        object.__setattr__(self, "players", players)
        object.__setattr__(self, "strategies", strategies)
        if len(players) == 0:
            raise InputError("a game needs at least one player", field="players")
        if len(players) > MAX_GAME_PLAYERS:
            raise InputError(
                f"{len(players)} players; games of at most {MAX_GAME_PLAYERS} players are "
                "solved (one array axis each)",
                field="players",
            )
        if len(set(players)) != len(players):
            raise InputError(
                f"player names repeat in {list(players)}; make them unique", field="players"
            )
        if len(strategies) != len(players):
            raise InputError(
                f"{len(players)} players but strategy labels for {len(strategies)}; "
                "give one list of labels per player",
                field="strategies",
            )
        for name, labels in zip(players, strategies, strict=True):
            if len(labels) == 0:
                raise InputError(
                    f"player {name!r} has no strategy; give at least one", field="strategies"
                )
            if len(set(labels)) != len(labels):
                raise InputError(
                    f"strategy labels of player {name!r} repeat in {list(labels)}; "
                    "make them unique",
                    field="strategies",
                )
        payoffs = np.asarray(self.payoffs)
        if not (np.issubdtype(payoffs.dtype, np.number) or payoffs.dtype == np.bool_):
            raise InputError(f"payoffs must be numbers, got dtype {payoffs.dtype}", field="payoffs")
        expected = (len(players), *(len(s) for s in strategies))
        if payoffs.ndim != len(expected) + 1 or payoffs.shape[1:] != expected:
            raise InputError(
                f"payoffs have shape {payoffs.shape}, expected "
                f"(draws, {', '.join(map(str, expected))}) = "
                "(draws, players, strategies of player 1, ..., of player P)",
                field="payoffs",
            )
        if payoffs.shape[0] < 1:
            raise InputError("payoffs have no draw; give at least one", field="payoffs")
        require_bytes(
            "payoff array of the game",
            payoffs.shape,
            hint="use fewer draws or split them into chunks",
        )
        payoffs = np.array(payoffs, dtype=np.float64, copy=True)
        bad = ~np.isfinite(payoffs)
        if bad.any():
            draw, player, *profile = (int(v) for v in np.argwhere(bad)[0])
            where = ", ".join(strategies[k][s] for k, s in enumerate(profile))
            raise InputError(
                f"payoff of {players[player]!r} at draw {draw}, profile ({where}) is "
                f"{payoffs[(draw, player, *profile)]}; payoffs must be finite numbers",
                field="payoffs",
            )
        object.__setattr__(self, "payoffs", _frozen(payoffs))

    # -- construction -------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        *arrays: ArrayLike,
        players: Sequence[str] | None = None,
        strategies: Sequence[Sequence[str]] | None = None,
        title: str = "",
        comment: str = "",
    ) -> NormalFormGame:
        """A single-draw game from one payoff array per player (like
        ``pygambit.Game.from_arrays``).

        Parameters
        ----------
        *arrays : P arrays, each shaped ``(n_1, ..., n_P)``: player ``i``'s payoffs.
        players : names; default ``"Player 1"``, ``"Player 2"``, ...
        strategies : labels per player; default ``"1"``, ``"2"``, ... (Gambit's).
        title, comment : free text.
        """
        if not arrays:
            raise InputError("from_arrays needs one payoff array per player", field="payoffs")
        tables = [np.asarray(a, dtype=np.float64) for a in arrays]
        shapes = {t.shape for t in tables}
        if len(shapes) != 1:
            raise InputError(
                f"payoff arrays differ in shape {sorted(shapes)}; give every player's "
                "payoffs over the same strategy profiles",
                field="payoffs",
            )
        if tables[0].ndim != len(tables):
            raise InputError(
                f"{len(tables)} payoff arrays of dimension {tables[0].ndim}; a game of "
                f"{len(tables)} players needs {len(tables)}-dimensional arrays",
                field="payoffs",
            )
        return cls.from_payoffs(
            np.stack(tables)[None],
            players=players,
            strategies=strategies,
            title=title,
            comment=comment,
        )

    @classmethod
    def from_payoffs(
        cls,
        payoffs: ArrayLike,
        players: Sequence[str] | None = None,
        strategies: Sequence[Sequence[str]] | None = None,
        title: str = "",
        comment: str = "",
    ) -> NormalFormGame:
        """A game from a ``(draws, P, n_1, ..., n_P)`` payoff array, with default
        names and labels where none are given."""
        table = np.asarray(payoffs)
        if table.ndim < 3:
            raise InputError(
                f"payoffs have shape {table.shape}; expected (draws, players, n_1, ..., n_P)",
                field="payoffs",
            )
        n_players = table.shape[1]
        if players is None:
            players = tuple(f"Player {i + 1}" for i in range(n_players))
        if strategies is None:
            dims = table.shape[2:]
            strategies = tuple(tuple(str(s + 1) for s in range(n)) for n in dims)
        return cls(
            players=tuple(players),
            strategies=tuple(tuple(s) for s in strategies),
            payoffs=table,
            title=title,
            comment=comment,
        )

    # -- shape --------------------------------------------------------------

    @property
    def n_draws(self) -> int:
        return int(self.payoffs.shape[0])

    @property
    def n_players(self) -> int:
        return len(self.players)

    @property
    def shape(self) -> tuple[int, ...]:
        """Strategies per player, ``(n_1, ..., n_P)``."""
        return tuple(len(s) for s in self.strategies)

    def draw(self, i: int) -> NormalFormGame:
        """The game of draw ``i`` alone (a one-draw game)."""
        if not -self.n_draws <= i < self.n_draws:
            raise InputError(
                f"draw {i} out of range: the game has {self.n_draws} draws", field="draw"
            )
        return NormalFormGame(
            self.players, self.strategies, self.payoffs[i][None], self.title, self.comment
        )

    # -- evaluation ---------------------------------------------------------

    def profile_payoffs(self, probs: Sequence[ArrayLike]) -> FloatArray:
        """``(draws, P)`` expected payoff of every player under a mixed profile.

        Parameters
        ----------
        probs : one ``(draws, n_i)`` array per player (a ``(n_i,)`` array is
            used for every draw).
        """
        return profile_payoffs(self.payoffs, self._check_profile(probs))

    def strategy_values(self, probs: Sequence[ArrayLike]) -> Profile:
        """Per player ``(draws, n_i)``: the payoff of each pure strategy against
        the others' mixed strategies."""
        return strategy_values(self.payoffs, self._check_profile(probs))

    def max_regret(self, probs: Sequence[ArrayLike]) -> FloatArray:
        """``(draws,)`` largest gain any player gets by a unilateral deviation."""
        return max_regret(self.payoffs, self._check_profile(probs))

    def _check_profile(self, probs: Sequence[ArrayLike]) -> Profile:
        if len(probs) != self.n_players:
            raise InputError(
                f"a profile needs one mixed strategy per player ({self.n_players}), "
                f"got {len(probs)}",
                field="probs",
            )
        out = []
        for i, p in enumerate(probs):
            arr = np.asarray(p, dtype=np.float64)
            if arr.ndim == 1:
                arr = np.broadcast_to(arr, (self.n_draws, arr.shape[0]))
            if arr.shape != (self.n_draws, self.shape[i]):
                raise InputError(
                    f"mixed strategy of {self.players[i]!r} has shape {arr.shape}, "
                    f"expected ({self.n_draws}, {self.shape[i]})",
                    field="probs",
                )
            out.append(arr)
        return tuple(out)


# -- kernels -----------------------------------------------------------------


def _contract(table: FloatArray, probs: Profile, keep: Sequence[int]) -> FloatArray:
    """Contract ``table`` (draws, n_1..n_P) with every player's mixed strategy
    except those in ``keep``; the result has axes (draws, *keep)."""
    n_players = table.ndim - 1
    letters = _AXES[:n_players]
    operands: list[FloatArray] = [table]
    terms = ["z" + letters]
    for k in range(n_players):
        if k not in keep:
            operands.append(probs[k])
            terms.append("z" + letters[k])
    out = "z" + "".join(letters[k] for k in keep)
    result: FloatArray = np.einsum(
        ",".join(terms) + "->" + out, *operands, optimize=len(operands) > 3
    )
    return result


def strategy_values(payoffs: FloatArray, probs: Profile) -> Profile:
    """Per player ``(draws, n_i)``: expected payoff of each pure strategy when
    the others play ``probs``.

    Parameters
    ----------
    payoffs : ``(draws, P, n_1, ..., n_P)``.
    probs : one ``(draws, n_i)`` array per player.
    """
    return tuple(_contract(payoffs[:, i], probs, (i,)) for i in range(payoffs.shape[1]))


def cross_derivatives(payoffs: FloatArray, probs: Profile, i: int, k: int) -> FloatArray:
    """``(draws, n_i, n_k)``: derivative of player ``i``'s strategy values with
    respect to player ``k``'s probabilities, ``d u_i(s) / d p_k(t)`` (the payoff
    of ``(s, t)`` against the remaining players' mixed strategies). ``k != i``."""
    if i == k:
        raise ValueError("cross_derivatives needs two different players")
    return _contract(payoffs[:, i], probs, (i, k))


def profile_payoffs(payoffs: FloatArray, probs: Profile) -> FloatArray:
    """``(draws, P)`` expected payoffs of a mixed profile."""
    values = strategy_values(payoffs, probs)
    return np.stack(
        [np.einsum("zs,zs->z", v, p) for v, p in zip(values, probs, strict=True)], axis=1
    )


def regrets(payoffs: FloatArray, probs: Profile) -> FloatArray:
    """``(draws, P)``: each player's gain from switching to a best response."""
    values = strategy_values(payoffs, probs)
    return np.stack(
        [v.max(axis=1) - np.einsum("zs,zs->z", v, p) for v, p in zip(values, probs, strict=True)],
        axis=1,
    )


def max_regret(payoffs: FloatArray, probs: Profile) -> FloatArray:
    """``(draws,)`` max over players of the gain from a unilateral deviation,
    in payoff units (pygambit's ``MixedStrategyProfile.max_regret()``)."""
    worst: FloatArray = regrets(payoffs, probs).max(axis=1)
    return worst


def payoff_range(payoffs: FloatArray) -> FloatArray:
    """``(draws,)`` max minus min payoff of each draw (Gambit's scale for
    relative regret tolerances)."""
    flat = payoffs.reshape(payoffs.shape[0], -1)
    span: FloatArray = flat.max(axis=1) - flat.min(axis=1)
    return span


def check_payoffs(payoffs: ArrayLike, *, what: str = "payoffs") -> FloatArray:
    """Validate a raw ``(draws, P, n_1, ..., n_P)`` array for the solvers.

    Returns it as float64 (no copy if it already is). Raises
    :class:`~realpolitik.errors.InputError` on a wrong shape or a non-finite
    payoff, naming the draw, profile and player.
    """
    table = np.asarray(payoffs)
    if table.ndim < 3 or table.shape[1] != table.ndim - 2:
        raise InputError(
            f"{what} have shape {table.shape}; expected (draws, P, n_1, ..., n_P) "
            "with P = number of strategy axes",
            field=what,
        )
    if min(table.shape) < 1:
        raise InputError(
            f"{what} have an empty axis {table.shape}; every player needs a "
            "strategy and there must be a draw",
            field=what,
        )
    table = np.asarray(table, dtype=np.float64)
    if not np.isfinite(table).all():
        draw, player, *profile = (int(v) for v in np.argwhere(~np.isfinite(table))[0])
        labels = ", ".join(str(s + 1) for s in profile)
        raise InputError(
            f"payoff of player {player + 1} at draw {draw}, profile ({labels}) is "
            f"{table[(draw, player, *profile)]}; payoffs must be finite numbers",
            field=what,
        )
    return table
