"""Admission of heavy API requests within a memory budget.

Why a module of its own: one forecast of 20 000 draws of the built-in
scenario peaks at about 1.1 GB, and 60 of them at once drove the server to
24 GB. Each heavy request (parameter draws) now states what it will need
(:func:`forecast_bytes`), runs only while the requests running together fit
in the server's budget, waits in a short bounded queue otherwise, and is
refused with status 429 and a ``Retry-After`` when the queue is full or the
wait runs out. A request needing more than the whole budget is refused with
422 and the number of draws that would fit.

The estimate is this module's own, calibrated on measured peaks: a forecast
solves its draws in blocks of bounded size
(:func:`realpolitik.run.evaluate.block_draws`), so its peak is a part for
the largest block (payoffs or payoff terms, the expressions' temporaries,
node values; and the analyses of what rests on judgement and on noise,
which solve a few thousand rows whatever the draws) plus a part per draw
(what is kept of each draw: its paths' and actions' probabilities).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.limits import memory_budget
from realpolitik.run.evaluate import block_draws
from realpolitik.scenario.model import Scenario

__all__ = [
    "Admission",
    "Busy",
    "Footprint",
    "TooLarge",
    "alignment_bytes",
    "bargain_bytes",
    "default_budget",
    "forecast_bytes",
    "forecast_footprint",
]

#: Bytes per value of a forecast's largest block at its peak. Measured on
#: the rebuilt flagship (china-russia-2022: 2048 terminals x 4 players, blocks
#: of 1024 draws, 8.4 M values) with its explanation and both analyses: peaks
#: above the idle worker of 623, 871 and 1968 MB at 200, 2000 and 20 000
#: draws, an intercept of 749 MB, 81 bytes per block value (the legacy
#: flagship, 28 terminals, needs fewer); rounded up.
BYTES_PER_BLOCK_VALUE = 88.0
#: Bytes per value kept per draw (a path's or an action's probability, with
#: the sums and copies made of them): the flagship's slope, 61 KB per draw
#: over 2048 paths and 410 actions, 24.8 bytes; rounded up.
BYTES_PER_KEPT_VALUE = 28.0
#: What any request needs besides its draws (parsing, the scenario's arrays).
FIXED_BYTES = 64 * 1024**2
#: Bytes per (draw, actor, actor) of a bargaining forecast over draws.
BYTES_PER_BARGAIN_PAIR = 2_000.0
#: Bytes per (draw, member, choice) of an alignment forecast: 20 000 draws of
#: unga-2022-aggression (193 members x 4 choices) peaked at 684 MB above the
#: cost of 1 draw, about 44 bytes; rounded up.
BYTES_PER_VOTE_DRAW = 48.0
#: Bytes per (simulated roll call, member, choice) of the tally's
#: distribution (at least 10 000 roll calls): one draw peaked at 119 MB above
#: the loaded scenario, about 15 bytes; rounded up.
BYTES_PER_ROLL_CALL_VOTE = 16.0
#: Fewest roll calls the alignment forecast simulates (its TALLY_SAMPLES).
ROLL_CALLS = 10_000


def default_budget() -> int:
    """The server's memory budget for heavy requests: a quarter of
    :func:`~realpolitik.limits.memory_budget` (half the machine), at most
    4 GiB; ``REALPOLITIK_MAX_BYTES`` lowers it with the rest."""
    return int(min(memory_budget() // 4, 4 * 1024**3))


@dataclass(frozen=True)
class Footprint:
    """What a forecast of a scenario holds (:func:`forecast_footprint`).

    Attributes
    ----------
    block_values : values of its largest block of draws: the payoffs
        ``(block, terminals, players)``, or the payoff terms of the
        explanation's smaller blocks, whichever is larger.
    kept_values : values kept per draw: one per path and per action.
    """

    block_values: int
    kept_values: int


def forecast_footprint(scenario: Scenario) -> Footprint:
    """The :class:`Footprint` of a forecast of ``scenario`` and its explanation."""
    compiled = compile_scenario(scenario)
    tree = compiled.tree
    width = tree.n_terminals * tree.n_players
    plain = block_draws(compiled) * width
    with_terms = block_draws(compiled, terms=True) * width * max(1, len(scenario.terms))
    return Footprint(max(plain, with_terms), tree.n_terminals + tree.n_actions)


def forecast_bytes(draws: int, footprint: Footprint) -> int:
    """Peak bytes of a forecast and its explanation over ``draws`` draws of a
    scenario with this :class:`Footprint` (:func:`forecast_footprint`)."""
    return int(
        FIXED_BYTES
        + BYTES_PER_BLOCK_VALUE * footprint.block_values
        + BYTES_PER_KEPT_VALUE * max(draws, 1) * footprint.kept_values
    )


def bargain_bytes(draws: int, actors: int) -> int:
    """Peak bytes of a bargaining forecast over ``draws`` draws."""
    return int(FIXED_BYTES + BYTES_PER_BARGAIN_PAIR * max(draws, 1) * actors * actors)


def alignment_bytes(draws: int, members: int, choices: int = 4) -> int:
    """Peak bytes of an alignment forecast over ``draws`` draws of ``members``
    members' votes (the equilibrium of every draw, then at least
    :data:`ROLL_CALLS` simulated roll calls)."""
    cells = members * choices
    solve = BYTES_PER_VOTE_DRAW * max(draws, 1) * cells
    roll_calls = BYTES_PER_ROLL_CALL_VOTE * max(draws, ROLL_CALLS) * cells
    return int(FIXED_BYTES + solve + roll_calls)


class Busy(Exception):  # noqa: N818 - a state, answered as 429
    """The budget is in use and the queue is full (or the wait ran out)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class TooLarge(Exception):  # noqa: N818 - a state, answered as 422
    """One request alone needs more than the whole budget."""

    def __init__(self, needed: int, budget: int) -> None:
        super().__init__(
            f"this request would need about {needed / 1024**3:.2f} GiB, above the server's "
            f"budget of {budget / 1024**3:.2f} GiB; ask for fewer draws"
        )


@dataclass
class _State:
    in_use: int = 0
    running: int = 0
    waiting: int = 0
    served: int = 0
    refused: int = 0
    seconds: float = 0.0


class Admission:
    """A memory budget shared by heavy requests, with a bounded queue.

    Parameters
    ----------
    budget : bytes the heavy requests running together may need.
    max_waiting : requests that may wait for room at once; more are refused.
    max_wait : seconds a request waits before it is refused.
    max_running : heavy requests running at once whatever their size
        (default: the CPUs less one, at least one: the solvers use several
        cores, so more at once only slows each, and one core stays free for
        light requests, which then answer within about twice their idle time).
    """

    def __init__(
        self,
        budget: int,
        *,
        max_waiting: int = 8,
        max_wait: float = 30.0,
        max_running: int | None = None,
    ) -> None:
        self.budget = int(budget)
        self.max_waiting = int(max_waiting)
        self.max_wait = float(max_wait)
        self.max_running = max(1, int(max_running or (os.cpu_count() or 2) - 1))
        self._state = _State()
        self._room = threading.Condition()

    def _fits(self, needed: int) -> bool:
        state = self._state
        return state.running < self.max_running and state.in_use + needed <= self.budget

    def retry_after(self) -> int:
        """Seconds to suggest to a refused client: the queue ahead times the
        mean time of a served request (at least 1)."""
        state = self._state
        mean = state.seconds / state.served if state.served else 5.0
        return max(1, math.ceil(mean * (state.waiting + state.running)))

    @contextmanager
    def admit(self, needed: int) -> Iterator[None]:
        """Hold ``needed`` bytes of the budget while the block runs.

        Raises
        ------
        TooLarge
            If ``needed`` exceeds the whole budget.
        Busy
            If the queue is full, or no room came within ``max_wait``.
        """
        if needed > self.budget:
            raise TooLarge(needed, self.budget)
        state = self._state
        with self._room:
            if not self._fits(needed):
                if state.waiting >= self.max_waiting:
                    state.refused += 1
                    raise Busy(self.retry_after())
                state.waiting += 1
                try:
                    deadline = time.monotonic() + self.max_wait
                    while not self._fits(needed):
                        left = deadline - time.monotonic()
                        if left <= 0 or not self._room.wait(left):
                            if self._fits(needed):
                                break
                            state.refused += 1
                            raise Busy(self.retry_after())
                finally:
                    state.waiting -= 1
            state.in_use += needed
            state.running += 1
        started = time.monotonic()
        try:
            yield
        finally:
            with self._room:
                state.in_use -= needed
                state.running -= 1
                state.served += 1
                state.seconds += time.monotonic() - started
                self._room.notify_all()

    def snapshot(self) -> dict[str, int]:
        """Counters for tests and logs: bytes in use, running, waiting, served, refused."""
        with self._room:
            s = self._state
            return {
                "in_use": s.in_use,
                "running": s.running,
                "waiting": s.waiting,
                "served": s.served,
                "refused": s.refused,
            }
