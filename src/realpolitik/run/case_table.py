"""Observed cases of a scenario: what happened in past crises (or in a
simulation), one row per case, read from a CSV or YAML file and checked
against the scenario.

One file format serves estimation (``realpolitik estimate SCENARIO --data
cases.csv``), calibration of lambda, and scoring (``realpolitik score
SCENARIO outcomes.csv``). Columns (docs/scoring.md):

- ``case``: the case's id (optional; rows are numbered otherwise);
- a column per observed choice, named by its subject as in expressions: a
  move's id (decision and chance moves), an actor's id for an actor that
  moves once, ``move.dimension`` / ``actor.dimension`` for one dimension of a
  compound move (or the compound move's id with joint actions
  ``a+b+c``), ``actor.type``; values are action (level, outcome) ids,
  empty where the move was not reached or not observed;
- a column per parameter whose value is known for the case (numbers; empty
  means "the scenario's value"), and the columns of the formulas of
  parameters estimated from data (``estimate:``);
- ``note``, ``source``, ``date``: kept, not used.

A YAML file holds the same rows as a list of mappings under ``cases:``
(optionally with ``scenario:``, the scenario's id, checked, and
``description:``).

Why a module of its own, in the run layer: estimation and scoring (which may
not import each other) read the same files with the same checks; the rows'
file lines let every problem be reported as ``file:line: field: message``.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.errors import InputError
from realpolitik.limits import memory_budget
from realpolitik.scenario.paths import subjects_of
from realpolitik.scenario.yaml_source import load_yaml

__all__ = ["METADATA_COLUMNS", "CaseTable", "ObservedSubject", "read_case_table"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The column of case ids, and columns kept but not used.
CASE_COLUMN = "case"
METADATA_COLUMNS = ("note", "source", "date")
#: Most cases in one file (a bound against runaway input, not a modelling limit).
MAX_CASES = 10_000_000
#: Keys of a YAML outcomes file.
YAML_KEYS = ("cases", "scenario", "description")


@dataclass(frozen=True, eq=False)
class ObservedSubject:
    """A choice that cases may report: ``name`` as in the file, the move's
    position and id, its mover (or ``chance``), the dimension (-1: the whole
    action), the level ids, and the level taken at every terminal (-1 where
    the move did not happen on that path)."""

    name: str
    move: int
    move_id: str
    actor: str
    dimension: int
    levels: tuple[str, ...]
    terminal_level: IntArray

    @property
    def order(self) -> tuple[int, int]:
        """Position in the order of play (move, then dimension)."""
        return (self.move, self.dimension)


@dataclass(frozen=True, eq=False)
class CaseTable:
    """Cases checked against a scenario.

    Attributes
    ----------
    ids : each case's id.
    lines : the line of each case in its file (None for a DataFrame).
    source : the file, for messages (None for a DataFrame).
    subjects : the observed choices, in order of play.
    observed : ``(cases, subjects)`` the level observed (-1: not observed).
    values : column -> ``(cases,)`` numbers (NaN: not given), for parameters
        and the columns of estimated parameters' formulas.
    """

    ids: tuple[str, ...]
    lines: tuple[int | None, ...]
    source: str | None
    subjects: tuple[ObservedSubject, ...]
    observed: IntArray
    values: Mapping[str, FloatArray]

    @property
    def n_cases(self) -> int:
        return len(self.ids)

    def where(self, case: int) -> str:
        """``case ID (line L)`` for messages."""
        line = self.lines[case]
        return f"case {self.ids[case]!r}" + (f" (line {line})" if line is not None else "")

    def take(self, rows: IntArray) -> CaseTable:
        """The cases ``rows`` only."""
        return CaseTable(
            ids=tuple(self.ids[int(r)] for r in rows),
            lines=tuple(self.lines[int(r)] for r in rows),
            source=self.source,
            subjects=self.subjects,
            observed=self.observed[rows],
            values={k: v[rows] for k, v in self.values.items()},
        )


def observable_subjects(compiled: CompiledScenario) -> dict[str, ObservedSubject]:
    """Every column name that can report a choice, with its terminal levels."""
    scenario = compiled.scenario
    position = {m.id: k for k, m in enumerate(scenario.moves)}
    histories = compiled.terminal_history
    named = subjects_of(scenario.moves)
    by_choice = {(s.move, s.actor, s.dimension): name for name, s in named.items()}
    out: dict[str, ObservedSubject] = {}
    for name, (move_id, actor, dimension) in named.items():
        move = scenario.moves[position[move_id]]
        levels = (
            move.dimensions[actor][dimension].level_ids()
            if dimension >= 0
            else move.action_ids(actor)
        )
        taken = np.array([h.get(name, -1) for h in histories], dtype=np.int64)
        out[name] = ObservedSubject(
            name, position[move_id], move_id, actor, dimension, levels, taken
        )
    # a compound move's whole (joint) action, by the move's id
    for k, move in enumerate(scenario.moves):
        for actor, dims in move.dimensions.items():
            if move.id in out:
                continue
            parts = [by_choice[(move.id, actor, d)] for d in range(len(dims))]
            joint = {combo: j for j, combo in enumerate(move.joint_levels[actor])}
            taken = np.array(
                [joint.get(tuple(h.get(n, -1) for n in parts), -1) for h in histories],
                dtype=np.int64,
            )
            out[move.id] = ObservedSubject(
                move.id, k, move.id, actor, -1, move.action_ids(actor), taken
            )
    return out


def _read_frame(
    data: pd.DataFrame | str | Path,
) -> tuple[pd.DataFrame, str | None, list[int | None]]:
    """The rows, the file name and each row's line."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True), None, [None] * len(data)
    file = Path(data)
    if not file.is_file():
        raise InputError(f"no such file: {file}")
    size = file.stat().st_size
    if size * 8 > memory_budget():
        raise InputError(f"{file} is {size / 1024**3:.2f} GiB, too large to read into memory")
    if file.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml(file)
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"cannot read the cases: {first}", file=str(file)) from None
    return frame, str(file), [k + 2 for k in range(len(frame))]


def _read_yaml(file: Path) -> tuple[pd.DataFrame, str, list[int | None]]:
    data, source = load_yaml(file)
    name = str(file)
    if not isinstance(data, dict) or "cases" not in data:
        raise InputError("an outcomes file holds a list of cases under 'cases:'", file=name, line=1)
    for key in data:
        if key not in YAML_KEYS:
            raise InputError(
                f"unknown key '{key}'; allowed: {', '.join(YAML_KEYS)}",
                file=name,
                line=source.key_line((key,)),
            )
    cases = data["cases"]
    if not isinstance(cases, list):
        raise InputError("'cases' must be a list of cases", file=name, line=source.line(("cases",)))
    rows: list[dict[str, Any]] = []
    lines: list[int | None] = []
    for k, case in enumerate(cases):
        if not isinstance(case, dict):
            raise InputError(
                "a case is a mapping of columns to values",
                file=name,
                line=source.line(("cases", k)),
            )
        rows.append({key: None if v is None else str(v) for key, v in case.items()})
        lines.append(source.line(("cases", k)))
    frame = pd.DataFrame(rows, dtype=object)
    frame.attrs["scenario"] = data.get("scenario")
    return frame, name, lines


def _hint(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _numbers(
    frame: pd.DataFrame, column: str, source: str | None, lines: list[int | None]
) -> FloatArray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(raw.notna().to_numpy() & ~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        raise InputError(
            f"column {column!r} is not numeric: {raw.iloc[k]!r}",
            file=source,
            line=lines[k],
            field=column,
        )
    return values


def read_case_table(data: pd.DataFrame | str | Path, compiled: CompiledScenario) -> CaseTable:
    """Read and check cases of ``compiled``'s scenario (see the module docstring).

    Raises
    ------
    InputError
        An unknown column (with a did-you-mean), no column reporting a
        choice, two columns reporting the same choice, a value that names no
        action of its move, a non-numeric value in a parameter column,
        duplicate case ids. (A case's parameter value need not lie in the
        parameter's distribution, which describes the case forecast: values
        that make an expression invalid are reported when the case is solved.)
    """
    frame, source, lines = _read_frame(data)
    scenario = compiled.scenario
    if isinstance(frame.attrs.get("scenario"), str) and frame.attrs["scenario"] != scenario.id:
        raise InputError(
            f"these cases are of scenario '{frame.attrs['scenario']}', not '{scenario.id}'",
            file=source,
            field="scenario",
        )
    if len(frame) == 0:
        raise InputError("the file holds no cases", file=source)
    if len(frame) > MAX_CASES:
        raise InputError(f"{len(frame)} cases; at most {MAX_CASES} are read", file=source)
    subjects = observable_subjects(compiled)
    covariates = {c for p in scenario.linear for c in p.columns}
    numeric = set(scenario.parameter_ids) | covariates
    known = sorted({CASE_COLUMN, *METADATA_COLUMNS, *subjects, *numeric})
    columns = [str(c) for c in frame.columns]
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise InputError(
            f"unknown column {unknown[0]!r}{_hint(unknown[0], known)}: columns name moves "
            "(or actors, dimensions, types), parameters or formula columns, or are "
            f"{CASE_COLUMN}, {', '.join(METADATA_COLUMNS)}",
            file=source,
            line=1 if source and not source.endswith((".yaml", ".yml")) else None,
            field=unknown[0],
        )
    chosen = sorted((subjects[c] for c in columns if c in subjects), key=lambda s: s.order)
    if not chosen:
        raise InputError(
            "no column reports a choice: name a column by a move's id (or an actor's, for an "
            f"actor that moves once); this scenario's are {', '.join(sorted(subjects))}",
            file=source,
        )
    for a, b in itertools.pairwise(chosen):
        same = a.move == b.move and a.actor == b.actor
        if same and (a.dimension == b.dimension or -1 in (a.dimension, b.dimension)):
            raise InputError(
                f"columns {a.name!r} and {b.name!r} report the same choice; keep one",
                file=source,
                field=b.name,
            )
    observed = np.full((len(frame), len(chosen)), -1, dtype=np.int64)
    for j, subject in enumerate(chosen):
        raw = frame[subject.name]
        index = {level: k for k, level in enumerate(subject.levels)}
        for k, value in enumerate(raw.tolist()):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            text = str(value).strip()
            if not text:
                continue
            if text not in index:
                hint = _hint(text, list(subject.levels))
                raise InputError(
                    f"{text!r} is not an action of {subject.name}{hint}; its actions: "
                    f"{', '.join(subject.levels)}",
                    file=source,
                    line=lines[k],
                    field=subject.name,
                )
            observed[k, j] = index[text]
    values: dict[str, FloatArray] = {}
    for column in columns:
        if column not in numeric:
            continue
        values[column] = _numbers(frame, column, source, lines)
    if CASE_COLUMN in columns:
        ids = frame[CASE_COLUMN].tolist()
        missing = [k for k, v in enumerate(ids) if v is None or str(v).strip() in ("", "nan")]
        if missing:
            raise InputError("a case has no id", file=source, line=lines[missing[0]], field="case")
        text_ids = [str(v).strip() for v in ids]
        seen: dict[str, int] = {}
        for k, case_id in enumerate(text_ids):
            if case_id in seen:
                raise InputError(
                    f"case id {case_id!r} is used twice", file=source, line=lines[k], field="case"
                )
            seen[case_id] = k
    else:
        text_ids = [str(k + 1) for k in range(len(frame))]
    return CaseTable(
        ids=tuple(text_ids),
        lines=tuple(lines),
        source=source,
        subjects=tuple(chosen),
        observed=observed,
        values=values,
    )
