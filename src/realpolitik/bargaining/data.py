"""Readers for bargaining inputs: the BDM actor CSV and DEU III-style issue files.

Why this module exists: a user's file is where most mistakes happen (a salience
on 0-100 where 0-1 was meant, a negative capability, an empty cell), and the
models should only ever see validated arrays. Each reader returns the shared
:class:`~realpolitik.bargaining.types.BargainingProblem` and refuses a bad file
with an :class:`~realpolitik.errors.InputError` naming the file, the line and
the column. KTAB's CSV and XML formats are read by
:mod:`realpolitik.bargaining.ktab_io`; :func:`read_problem` dispatches on the
file's content.

Formats
-------
BDM CSV (as in Scholz et al. 2011's worked example and the replications by
McKibben and Masad): a header ``Actor,Capability,Position,Salience`` (any
order, any case), one row per actor. Positions on any numeric scale;
capabilities positive; saliences on 0-1 or 0-100, either declared or
unambiguous (see :func:`read_bdm_csv`).

DEU III (Arregui and Perarnaud 2021, as reduced by blksv/predictioneers_game):
tab-separated; line 1 column names; line 2 the capabilities under the
position columns; then one issue per line. Actor ``X`` has a position column
``pX`` and a salience column ``sX`` (0-100); ``out`` is the observed outcome
(0-100); ``isnr`` the issue identifier. An actor takes part in an issue when
both its position and its salience are given (an empty position means the
actor took no position; the few positions without a salience are left out).

References
----------
Arregui, J. and Perarnaud, C. (2021). A new dataset on legislative
decision-making in the European Union: the DEU III dataset. *Journal of
European Public Policy* 29(1). doi:10.34810/data53.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from realpolitik.bargaining.ktab_io import read_ktab_csv, read_ktab_xml
from realpolitik.bargaining.types import BargainingProblem
from realpolitik.errors import InputError
from realpolitik.limits import (
    MAX_BARGAIN_ACTORS,
    MAX_DEU_ISSUES,
    MAX_INPUT_BYTES,
    check_magnitude,
)

__all__ = [
    "MAX_ACTORS",
    "MIN_ACTORS",
    "FileFormat",
    "ObservedIssue",
    "SalienceScale",
    "detect_format",
    "read_bdm_csv",
    "read_deu3",
    "read_problem",
]

MIN_ACTORS = 3
"""A bargaining model needs at least three actors (KTAB's minimum too)."""

MAX_ACTORS = MAX_BARGAIN_ACTORS
"""At most 250 actors (KTAB's maximum): SMP needed 15.8 GB for 1000 actors
and EUM 7.1 GB for 5000."""

#: Lines besides the actors' or issues' (header, capabilities, blank lines).
_MAX_EXTRA_LINES = 1000
#: Characters of the first line read to detect a file's format.
_FIRST_LINE_CHARS = 1 << 16

SalienceScale = Literal["auto", "1", "100"]
FileFormat = Literal["bdm", "deu3", "ktab", "ktab-xml"]

_BDM_COLUMNS = ("actor", "capability", "position", "salience")


def _read_rows(path: Path, delimiter: str, max_rows: int, what: str) -> list[tuple[int, list[str]]]:
    """Rows of a delimited text file with their 1-based line numbers; more
    than ``max_rows`` lines are refused (``what`` says why)."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"the file has {size} bytes; at most {MAX_INPUT_BYTES} are read", file=file
            )
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            rows: list[tuple[int, list[str]]] = []
            line = 1
            for row in reader:
                rows.append((line, row))
                line = reader.line_num + 1
                if len(rows) > max_rows:
                    raise InputError(
                        f"more than {max_rows} lines; {what}", file=file, line=line - 1
                    )
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=file) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=file) from None
    except csv.Error as err:
        raise InputError(f"malformed delimited text: {err}", file=file) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", file=file) from None
    return rows


def _cell_number(text: str, *, file: str, line: int, column: str, what: str) -> float:
    cell = text.strip()
    if cell == "":
        raise InputError(
            f"missing {what}; every cell must hold a number", file=file, line=line, field=column
        )
    try:
        value = float(cell)
    except ValueError:
        raise InputError(
            f"{what} {cell!r} is not a number", file=file, line=line, field=column
        ) from None
    if not math.isfinite(value):
        raise InputError(
            f"{what} {cell!r} is not a finite number", file=file, line=line, field=column
        )
    problem = check_magnitude(value, what)
    if problem is not None:
        raise InputError(problem, file=file, line=line, field=column)
    return value


# --------------------------------------------------------------------------- BDM CSV


def read_bdm_csv(path: str | Path, *, salience_scale: SalienceScale = "auto") -> BargainingProblem:
    """Read a BDM actor file: one issue, columns actor, capability, position, salience.

    Parameters
    ----------
    path : the CSV file.
    salience_scale : ``"1"`` (saliences in [0, 1]), ``"100"`` (in [0, 100],
        divided by 100) or ``"auto"``: 0-1 when no salience exceeds 1, 0-100
        when saliences above 1 appear and none is a fraction strictly between
        0 and 1; a mixture (say 0.4 and 80) is refused as ambiguous.

    Returns
    -------
    BargainingProblem
        One dimension; saliences on 0-1; ``scale`` the range of the positions.

    Raises
    ------
    InputError
        With file, line and column: a missing or unknown column, a missing or
        non-numeric cell, an empty or repeated actor name, a capability <= 0,
        a salience outside its scale or an ambiguous scale, all saliences
        zero, fewer than 3 actors.

    Examples
    --------
    A file with ``Actor,Capability,Position,Salience`` and the row
    ``Belgium,0.08,7,40`` (with others) reads as Belgium's salience 0.4.
    """
    path = Path(path)
    file = str(path)
    if salience_scale not in ("auto", "1", "100"):
        raise InputError(
            f"salience scale must be auto, 1 or 100, got {salience_scale!r}",
            field="salience-scale",
        )
    rows = [
        (line, row)
        for line, row in _read_rows(
            path,
            ",",
            MAX_ACTORS + _MAX_EXTRA_LINES,
            f"the bargaining models take at most {MAX_ACTORS} actors",
        )
        if any(c.strip() for c in row)
    ]
    if len(rows) - 1 > MAX_ACTORS:
        raise InputError(
            f"{len(rows) - 1} actors; the bargaining models take at most {MAX_ACTORS}",
            file=file,
            line=rows[MAX_ACTORS + 1][0],
        )
    if not rows:
        raise InputError(
            "empty file; expected a header Actor,Capability,Position,Salience", file=file, line=1
        )
    head_line, header = rows[0]
    names = [h.strip().lower() for h in header]
    while names and names[-1] == "":
        names.pop()
    missing = [c for c in _BDM_COLUMNS if c not in names]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; the header must name "
            "Actor, Capability, Position and Salience",
            file=file,
            line=head_line,
            field=missing[0],
        )
    unknown = [h for h in names if h not in _BDM_COLUMNS]
    if unknown:
        raise InputError(
            f"unknown column {unknown[0]!r}; expected only Actor, Capability, Position, Salience",
            file=file,
            line=head_line,
            field=unknown[0],
        )
    repeated = [c for c in _BDM_COLUMNS if names.count(c) > 1]
    if repeated:
        raise InputError(
            f"column {repeated[0]!r} appears twice", file=file, line=head_line, field=repeated[0]
        )
    label = {c: header[names.index(c)].strip() for c in _BDM_COLUMNS}
    col = {c: names.index(c) for c in _BDM_COLUMNS}

    actors: list[str] = []
    cap: list[float] = []
    pos: list[float] = []
    sal: list[float] = []
    sal_lines: list[int] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        cells = [c.strip() for c in row]
        while len(cells) > len(names) and cells[-1] == "":
            cells.pop()
        if len(cells) != len(names):
            raise InputError(
                f"{len(cells)} cells where the header has {len(names)}",
                file=file,
                line=line,
            )
        name = cells[col["actor"]]
        if not name:
            raise InputError("missing actor name", file=file, line=line, field=label["actor"])
        if name in seen:
            raise InputError(
                f"actor {name!r} already given on line {seen[name]}",
                file=file,
                line=line,
                field=label["actor"],
            )
        seen[name] = line
        c = _cell_number(
            cells[col["capability"]],
            file=file,
            line=line,
            column=label["capability"],
            what="capability",
        )
        if c <= 0:
            raise InputError(
                f"capability {cells[col['capability']]} of {name} must be positive",
                file=file,
                line=line,
                field=label["capability"],
            )
        x = _cell_number(
            cells[col["position"]], file=file, line=line, column=label["position"], what="position"
        )
        s = _cell_number(
            cells[col["salience"]], file=file, line=line, column=label["salience"], what="salience"
        )
        if s < 0:
            raise InputError(
                f"salience {cells[col['salience']]} of {name} is negative",
                file=file,
                line=line,
                field=label["salience"],
            )
        actors.append(name)
        cap.append(c)
        pos.append(x)
        sal.append(s)
        sal_lines.append(line)

    if len(actors) < MIN_ACTORS:
        raise InputError(
            f"{len(actors)} actor(s); the bargaining models need at least {MIN_ACTORS}",
            file=file,
            line=rows[-1][0],
            field=label["actor"],
        )
    divisor = _salience_divisor(sal, sal_lines, salience_scale, file, label["salience"])
    s_arr = np.asarray(sal, dtype=np.float64) / divisor
    if np.all(s_arr == 0):
        raise InputError(
            "every salience is zero; nothing to weigh",
            file=file,
            line=sal_lines[0],
            field=label["salience"],
        )
    x_arr = np.asarray(pos, dtype=np.float64)
    return BargainingProblem(
        actors=tuple(actors),
        capability=np.asarray(cap, dtype=np.float64),
        position=x_arr[:, None],
        salience=s_arr[:, None],
        dimensions=("issue",),
        scale=(float(x_arr.min()), float(x_arr.max())),
        name=path.stem,
        description=f"BDM actor file {path.name}",
    )


def _salience_divisor(
    sal: Sequence[float], lines: Sequence[int], scale: SalienceScale, file: str, column: str
) -> float:
    """1 or 100, checking every salience against the declared or detected scale."""
    values = np.asarray(sal, dtype=np.float64)
    big = np.flatnonzero(values > 1.0)
    if scale == "1":
        if big.size:
            k = int(big[0])
            raise InputError(
                f"salience {sal[k]:g} is above 1 on the declared 0-1 scale; "
                "declare --salience-scale 100 if the file uses 0-100",
                file=file,
                line=lines[k],
                field=column,
            )
        return 1.0
    over = np.flatnonzero(values > 100.0)
    if over.size:
        k = int(over[0])
        raise InputError(
            f"salience {sal[k]:g} is above 100; saliences lie in 0-1 or 0-100",
            file=file,
            line=lines[k],
            field=column,
        )
    if scale == "100":
        return 100.0
    if not big.size:
        return 1.0
    fraction = np.flatnonzero((values > 0.0) & (values < 1.0))
    if fraction.size:
        k, m = int(fraction[0]), int(big[0])
        raise InputError(
            f"saliences mix the 0-1 and 0-100 scales ({sal[k]:g} on line {lines[k]}, "
            f"{sal[m]:g} on line {lines[m]}); fix the file or declare --salience-scale 1 or 100",
            file=file,
            line=lines[k],
            field=column,
        )
    return 100.0


# --------------------------------------------------------------------------- DEU III


@dataclass(frozen=True, eq=False)
class ObservedIssue:
    """One issue of a DEU III-style file: the problem and what was decided.

    Attributes
    ----------
    issue_id : the ``isnr`` cell (or ``line N`` when the file has none).
    line : the issue's line in the file.
    problem : the actors that took a position, on the 0-100 scale.
    outcome : the observed outcome (0-100), None when the cell is empty.
    """

    issue_id: str
    line: int
    problem: BargainingProblem
    outcome: float | None


def read_deu3(path: str | Path) -> list[ObservedIssue]:
    """Read every issue of a DEU III-style tab-separated file.

    Parameters
    ----------
    path : the file (format in the module docstring).

    Returns
    -------
    list of ObservedIssue, in file order. Issues with fewer than 3 actors are
    returned too (the caller decides whether to skip them).

    Raises
    ------
    InputError
        With file, line and column: no ``out`` column or no ``p*``/``s*``
        column pairs, a missing, non-numeric or non-positive capability on
        line 2, a non-numeric cell, a position, salience or outcome outside
        0-100, a row with a different number of cells.
    """
    path = Path(path)
    file = str(path)
    rows = [
        (line, row)
        for line, row in _read_rows(
            path,
            "\t",
            MAX_DEU_ISSUES + _MAX_EXTRA_LINES,
            f"at most {MAX_DEU_ISSUES} issues are read",
        )
        if any(c.strip() for c in row)
    ]
    if len(rows) - 2 > MAX_DEU_ISSUES:
        raise InputError(
            f"{len(rows) - 2} issues; at most {MAX_DEU_ISSUES} are read",
            file=file,
            line=rows[-1][0],
        )
    if len(rows) < 2:
        raise InputError("expected a header line and a capability line", file=file, line=1)
    head_line, header = rows[0]
    names = [h.strip() for h in header]
    if "out" not in names:
        raise InputError("no 'out' column (the observed outcome)", file=file, line=head_line)
    pcols = [n for n in names if n.startswith("p") and len(n) > 1 and "s" + n[1:] in names]
    if not pcols:
        raise InputError(
            "no actor columns: expected pairs pX (position) and sX (salience)",
            file=file,
            line=head_line,
        )
    if len(pcols) > MAX_ACTORS:
        raise InputError(
            f"{len(pcols)} actor columns; the bargaining models take at most {MAX_ACTORS} actors",
            file=file,
            line=head_line,
        )
    index = {n: i for i, n in enumerate(names)}
    actor_names = tuple(n[1:] for n in pcols)
    cap_line, cap_row = rows[1]
    if len(cap_row) != len(names):
        raise InputError(
            f"{len(cap_row)} cells where the header has {len(names)}", file=file, line=cap_line
        )
    caps = np.empty(len(pcols))
    for a, pc in enumerate(pcols):
        value = _cell_number(
            cap_row[index[pc]], file=file, line=cap_line, column=pc, what="capability"
        )
        if value <= 0:
            raise InputError(
                f"capability {value:g} of {pc[1:]} must be positive",
                file=file,
                line=cap_line,
                field=pc,
            )
        caps[a] = value

    issues: list[ObservedIssue] = []
    for line, row in rows[2:]:
        if len(row) != len(names):
            raise InputError(
                f"{len(row)} cells where the header has {len(names)}", file=file, line=line
            )
        keep: list[int] = []
        xs: list[float] = []
        ss: list[float] = []
        for a, pc in enumerate(pcols):
            sc = "s" + pc[1:]
            ptxt, stxt = row[index[pc]].strip(), row[index[sc]].strip()
            if ptxt == "":
                if stxt:
                    _percent(stxt, file=file, line=line, column=sc, what="salience")
                continue
            x = _percent(ptxt, file=file, line=line, column=pc, what="position")
            if stxt == "":
                continue  # a position without a salience: left out (documented)
            s = _percent(stxt, file=file, line=line, column=sc, what="salience")
            keep.append(a)
            xs.append(x)
            ss.append(s / 100.0)
        out_txt = row[index["out"]].strip()
        outcome = (
            None
            if out_txt == ""
            else _percent(out_txt, file=file, line=line, column="out", what="outcome")
        )
        issue_id = row[index["isnr"]].strip() if "isnr" in index else ""
        issue_id = issue_id or f"line {line}"
        title = row[index["prname"]].strip() if "prname" in index else ""
        problem = BargainingProblem(
            actors=tuple(actor_names[a] for a in keep),
            capability=caps[keep].copy(),
            position=np.asarray(xs, dtype=np.float64).reshape(-1, 1),
            salience=np.asarray(ss, dtype=np.float64).reshape(-1, 1),
            dimensions=("issue",),
            scale=(0.0, 100.0),
            name=issue_id,
            description=title,
        )
        issues.append(ObservedIssue(issue_id, line, problem, outcome))
    return issues


def _percent(text: str, *, file: str, line: int, column: str, what: str) -> float:
    value = _cell_number(text, file=file, line=line, column=column, what=what)
    if not 0.0 <= value <= 100.0:
        raise InputError(
            f"{what} {text.strip()} is outside 0-100", file=file, line=line, field=column
        )
    return value


# --------------------------------------------------------------------------- dispatch


def detect_format(path: str | Path) -> FileFormat:
    """Which bargaining input format a file holds, from its first line.

    ``ktab-xml`` for an XML file; ``deu3`` for a tab-separated header with an
    ``out`` column; ``bdm`` for a CSV header naming actor, capability, position
    and salience; ``ktab`` for KTAB's CSV (line 1: name, description, number of
    actors, number of dimensions).

    Raises
    ------
    InputError
        A missing, unreadable or unrecognised file.
    """
    path = Path(path)
    file = str(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            first = ""
            for _ in range(_MAX_EXTRA_LINES):
                raw = handle.readline(_FIRST_LINE_CHARS)
                if raw == "" or raw.strip():
                    first = raw.strip()
                    break
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=file) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=file) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", file=file) from None
    if first.startswith("<"):
        return "ktab-xml"
    if "\t" in first:
        cells = [c.strip().strip('"') for c in first.split("\t")]
        if "out" in cells:
            return "deu3"
    cells = [c.strip().lower() for c in first.split(",")]
    if all(c in cells for c in _BDM_COLUMNS):
        return "bdm"
    if len(cells) >= 4 and cells[2].isdigit() and cells[3].isdigit():
        return "ktab"
    raise InputError(
        "unrecognised bargaining input: expected a BDM CSV (header Actor,Capability,"
        "Position,Salience), a KTAB CSV or XML scenario, or a DEU III tab-separated file",
        file=file,
        line=1,
    )


def read_problem(
    path: str | Path,
    *,
    issue: str | None = None,
    salience_scale: SalienceScale = "auto",
) -> BargainingProblem:
    """Read one bargaining problem from any supported file.

    Parameters
    ----------
    path : a BDM CSV, a KTAB CSV or XML scenario, or a DEU III-style file.
    issue : for DEU III files, the ``isnr`` of the issue to read (required
        when the file holds more than one issue).
    salience_scale : for BDM files, see :func:`read_bdm_csv`.

    Returns
    -------
    BargainingProblem

    Raises
    ------
    InputError
        Anything wrong with the file, an unknown ``issue``, or an issue with
        fewer than 3 actors.
    """
    kind = detect_format(path)
    file = str(path)
    if kind == "bdm":
        return read_bdm_csv(path, salience_scale=salience_scale)
    if kind in ("ktab", "ktab-xml"):
        if kind == "ktab":
            return read_ktab_csv(path)
        return read_ktab_xml(path)[0]
    issues = read_deu3(path)
    if not issues:
        raise InputError("no issues after the capability line", file=file, line=3)
    if issue is None:
        if len(issues) > 1:
            raise InputError(
                f"the file holds {len(issues)} issues; choose one with --issue "
                f"(e.g. {issues[0].issue_id})",
                file=file,
                field="issue",
            )
        chosen = issues[0]
    else:
        found = [i for i in issues if i.issue_id == issue]
        if not found:
            raise InputError(f"no issue {issue!r} in the isnr column", file=file, field="issue")
        chosen = found[0]
    n = chosen.problem.n_actors
    if n < MIN_ACTORS:
        raise InputError(
            f"issue {chosen.issue_id} has {n} actor(s) with a position and a salience; "
            f"the bargaining models need at least {MIN_ACTORS}",
            file=file,
            line=chosen.line,
        )
    if np.all(chosen.problem.salience == 0):
        raise InputError(
            f"every salience of issue {chosen.issue_id} is zero", file=file, line=chosen.line
        )
    return chosen.problem
