"""An alignment scenario checked against the covariate table it will read.

Why this module exists: ``realpolitik validate`` answers for every scenario
kind. For a game-tree scenario it evaluates every expression; for an
alignment scenario the file itself is checked by its loader
(:func:`~realpolitik.alignment.scenario.load_alignment_scenario`, with the
scenario format's :class:`~realpolitik.scenario.checker.Checker`), and what
remains is what only the data can say: that the table has the forecast's
vintage with a value for every covariate of every member (or the stated
imputation rule fills it, and says so), that the fit's vintage has the fitted
vote column with every member's vote coded yes/no/abstain/absent, and that
the table's documented dates of that vote (``provenance.csv``, for the
shipped table) are not after the scenario's ``as_of``. Each failure is one
:class:`~realpolitik.errors.InputError` naming the file (and the line when a
row is at fault), as :func:`realpolitik.alignment.data.load_table` raises
them.

No refit is made here: ``tests/alignment/test_alignment_fit.py`` refits the
built-in scenario's block through :mod:`realpolitik.estimation` and compares.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from realpolitik.alignment.data import (
    ImputeRule,
    design_matrix,
    load_table,
    provenance,
    table_path,
    vintage_rows,
)
from realpolitik.alignment.scenario import AlignmentScenario, load_alignment_scenario
from realpolitik.errors import InputError

__all__ = ["AlignmentCheck", "check_alignment_scenario"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class AlignmentCheck:
    """What a valid alignment scenario reads: its members and its fit's votes.

    Attributes
    ----------
    scenario : the loaded scenario.
    table : the covariate table read.
    members : members in the forecast's vintage.
    fit_members : members with a coded vote in the fit's vintage.
    vote_dates : the fitted vote's dates documented in ``provenance.csv``
        (shipped table only; empty otherwise).
    """

    scenario: AlignmentScenario
    table: str
    members: int
    fit_members: int
    vote_dates: tuple[dt.date, ...]

    def summary(self) -> str:
        """One line, as ``realpolitik validate`` prints it."""
        sc = self.scenario
        fit = sc.fit
        return (
            f"ok: {sc.id}: alignment, {self.members} members (vintage {sc.vintage}), "
            f"{len(sc.covariates)} covariates, {len(sc.names)} coefficients fitted on "
            f"{fit['vote']} ({self.fit_members} members, vintage {fit['vintage']}), "
            f"{len(sc.crisis)} crisis parameters"
        )


def _documented_dates(column: str, vintage: int) -> tuple[dt.date, ...]:
    """Dates of ``column`` in ``vintage`` as the shipped table's
    ``provenance.csv`` documents them (``years_vintage_<year>``)."""
    rows = provenance()
    key = f"years_vintage_{vintage}"
    if key not in rows.columns:
        return ()
    cells = rows.loc[rows["column"] == column, key].astype(str)
    return tuple(dt.date.fromisoformat(d) for cell in cells for d in _DATE.findall(cell))


def check_alignment_scenario(
    scenario: AlignmentScenario | str | Path, *, impute: ImputeRule = "error"
) -> AlignmentCheck:
    """Load ``scenario`` and check it against its covariate table.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a file.
    impute : the rule for a missing covariate value (see
        :func:`~realpolitik.alignment.data.load_table`): ``"error"`` refuses
        the table at the first gap (file, line, column).

    Raises
    ------
    InputError
        A problem of the file (every one, located), a missing vintage, a
        missing covariate value, a vote coded outside yes/no/abstain/absent,
        a member without a vote, or a fitted vote dated after ``as_of``.
    """
    sc = scenario if isinstance(scenario, AlignmentScenario) else load_alignment_scenario(scenario)
    file = str(sc.table) if sc.table is not None else str(table_path())
    frame = load_table(sc.table, impute=impute)
    rows = vintage_rows(frame, sc.vintage, file=file)
    design = design_matrix(rows, sc.covariates, scaling=sc.scaling, region_column=sc.peer_groups)
    vote = str(sc.fit["vote"])
    if vote not in frame.columns:
        raise InputError(
            f"the table has no vote column {vote!r}", file=file, field="model.fit.vote"
        )
    fit_rows = vintage_rows(frame, int(sc.fit["vintage"]), file=file)
    unrecorded = fit_rows[fit_rows[vote] == ""]
    if len(unrecorded):
        first = unrecorded.iloc[0]
        raise InputError(
            f"{first['iso3']} has no vote in vintage {sc.fit['vintage']} "
            f"({len(unrecorded)} member(s) without one); code it yes/no/abstain/absent",
            file=file,
            line=int(first["line"]),
            field=vote,
        )
    dates = _documented_dates(vote, int(sc.fit["vintage"])) if sc.table is None else ()
    late = [d for d in dates if d > sc.as_of]
    if late:
        raise InputError(
            f"the fitted vote {vote} is dated {late[0]}, after as_of {sc.as_of}: nothing "
            "from after as_of may enter the fit",
            file=sc.file,
            field="model.fit.vote",
        )
    return AlignmentCheck(
        scenario=sc,
        table=file,
        members=design.n_countries,
        fit_members=len(fit_rows),
        vote_dates=dates,
    )
