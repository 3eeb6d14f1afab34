"""The probability of what a case observed, from a solved game: the
likelihood of a case, and the forecast of each observed choice given the
choices observed before it.

A case reports some choices and leaves others out (chance moves, moves not
reached or not recorded). Its probability is the probability that play
passes through the reported choices, the others marginalised by the tree::

    P(case) = sum over terminals t consistent with the case of reach(t)

(a terminal is consistent when every reported choice was made on its path
with the level reported). The forecast of the ``j``-th reported choice given
the earlier ones is the ratio of two such sums (Bayes' rule on the path, which
also covers what earlier choices reveal about hidden types)::

    P(level l at j | reports before j) = P(reports before j, l at j)
                                         / P(reports before j, j happens)

so that the log-likelihood of a case is the sum of the logs of its forecasts
(the chain rule): scoring and estimation agree on what a case's probability
is (Signorino 1999's likelihood of observed outcomes; the same sum over
consistent terminals with unreported moves marginalised).

Cases are grouped by their pattern of reports, so the terminal masks are
built once per pattern; every sum is a product of a block of reach
probabilities (cases or cases x draws by terminals) with a mask.

Why a module of its own, in the run layer: estimation (the likelihood) and
scoring (the forecasts) read these probabilities from the same solutions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.run.case_table import CaseTable

__all__ = ["Observations", "Step"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Step:
    """One reported choice of one report pattern, in order of play: its
    subject (index into the table's subjects), the level reported, and the
    ``(terminals, levels)`` 0/1 matrix selecting the terminals consistent
    with the earlier reports on which the choice was made at each level."""

    pattern: int
    subject: int
    level: int
    select: FloatArray


@dataclass(frozen=True, eq=False)
class Observations:
    """The cases of a :class:`~realpolitik.run.case_table.CaseTable`, as
    masks over a scenario's terminals.

    Attributes
    ----------
    table : the cases.
    pattern : ``(cases,)`` each case's report pattern.
    masks : ``(patterns, terminals)`` 1.0 where a terminal is consistent with
        every report of the pattern.
    steps : the reported choices of each pattern, in order of play.
    """

    table: CaseTable
    pattern: IntArray
    masks: FloatArray
    steps: tuple[tuple[Step, ...], ...]

    @classmethod
    def of(cls, table: CaseTable) -> Observations:
        """Masks and steps of every report pattern; refuses a case whose
        reports no path of the game can produce."""
        patterns, inverse = np.unique(table.observed, axis=0, return_inverse=True)
        inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
        subjects = table.subjects
        n_terminals = subjects[0].terminal_level.shape[0]
        masks = np.ones((patterns.shape[0], n_terminals), dtype=bool)
        steps: list[tuple[Step, ...]] = []
        refused: list[tuple[int, InputError]] = []
        for u, row in enumerate(patterns):
            own: list[Step] = []
            prefix = np.ones(n_terminals, dtype=bool)
            for j, level in enumerate(row):
                if level < 0:
                    continue
                taken = subjects[j].terminal_level
                select = np.zeros((n_terminals, len(subjects[j].levels)))
                happens = prefix & (taken >= 0)
                select[np.flatnonzero(happens), taken[happens]] = 1.0
                nxt = prefix & (taken == level)
                if not nxt.any():
                    case = int(np.flatnonzero(inverse == u)[0])
                    refused.append((case, _impossible(table, case, j, int(level), happens.any())))
                    break
                own.append(Step(u, j, int(level), select))
                prefix = nxt
            masks[u] = prefix
            steps.append(tuple(own))
        if refused:
            raise min(refused, key=lambda item: item[0])[1]
        return cls(table, inverse, masks.astype(np.float64), tuple(steps))

    @property
    def n_observations(self) -> int:
        """Reported choices over all cases."""
        return int((self.table.observed >= 0).sum())

    def log_probability(self, reach: FloatArray, cases: IntArray | None = None) -> FloatArray:
        """``(rows,)`` log P(case) from ``(rows, terminals)`` terminal
        reach probabilities; row ``r`` is case ``cases[r]`` (default: row
        ``r`` is case ``r``)."""
        rows = np.arange(reach.shape[0]) if cases is None else cases
        pattern = self.pattern[rows]
        total = np.einsum("rt,rt->r", reach, self.masks[pattern])
        with np.errstate(divide="ignore"):
            out: FloatArray = np.log(np.maximum(total, 0.0))
        return out

    def step_sums(
        self, reach: FloatArray, cases: IntArray
    ) -> list[tuple[IntArray, Step, FloatArray]]:
        """For each report pattern among ``cases`` and each of its reported
        choices: ``(rows, step, sums)``, ``rows`` the positions in ``cases``
        of the pattern's cases and ``sums`` the ``(len(rows), ..., levels)``
        probability, under each of their rows of ``reach`` (``(len(cases),
        ..., terminals)``, e.g. draws in the middle), of the earlier reports
        together with each level of the choice."""
        out: list[tuple[IntArray, Step, FloatArray]] = []
        pattern = self.pattern[cases]
        for u in np.unique(pattern):
            rows = np.flatnonzero(pattern == u)
            block = reach[rows]
            for step in self.steps[int(u)]:
                out.append((rows, step, block @ step.select))
        return out


def _impossible(
    table: CaseTable, case: int, j: int, level: int, happens: bool | np.bool_
) -> InputError:
    subjects = table.subjects
    earlier = [
        f"{subjects[i].name} = {subjects[i].levels[table.observed[case, i]]}"
        for i in range(j)
        if table.observed[case, i] >= 0
    ]
    after = " after " + ", ".join(earlier) if earlier else ""
    subject = subjects[j]
    reason = (
        f"move {subject.move_id!r} cannot happen{after}"
        if not happens
        else f"{subject.name} = {subject.levels[level]} is not possible{after} (a combination "
        "the move does not allow)"
    )
    return InputError(
        f"{table.where(case)} reports {subject.name} = {subject.levels[level]}, but {reason}",
        file=table.source,
        line=table.lines[case],
        field=subject.name,
    )
