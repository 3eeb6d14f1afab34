"""Readers for KTAB's spatial-model input files (CSV and XML).

Why a module of its own: KTAB's SMP (``smpc``) reads two formats, and a user's
file is where most mistakes happen. These readers turn either format into the
shared :class:`~realpolitik.bargaining.types.BargainingProblem` and reject a
bad file with an :class:`~realpolitik.errors.InputError` that names the file,
the line and the column, and says how to fix it, instead of failing deep in
the model.

Formats (as read by ``SMPModel::csvRead`` and ``SMPModel::xmlRead`` in
``examples/smp/libsrc/smpread.cpp`` of KTAB, MIT licence):

CSV
    line 1: scenario name, description, number of actors, number of dimensions;
    line 2: ``Actor,Description,Influence,<dim> Position,<dim> Salience,...``;
    then one line per actor: name, description, capability (influence), and a
    position and a salience per dimension, both in percent (0-100), the
    saliences of an actor summing to at most 100. Trailing commas and blanks
    around fields are allowed.
XML (``smpSchema.xsd``)
    ``<Scenario>`` with ``name``, ``desc``, ``prngSeed``, optional
    ``ModelParameters`` (the nine option names of KTAB), ``Dimensions/dName``,
    ``Actors/Actor`` (``name``, ``description``, ``capability``,
    ``Position/dCoord``, ``Salience/dSal``) and optional ``IdealAdjustment``
    (``iaPair``: ``adjustingIdeal``, ``referencePos``, ``adjust``): the only
    way to give a non-identity ideal-accommodation matrix.

Positions are kept on the file's 0-100 scale; saliences are divided by 100.

References
----------
KTAB, ``examples/smp/libsrc/smpread.cpp`` and ``examples/smp/doc/smpSchema.xsd``,
https://github.com/KAPSARC/KTAB (read via the lsyaseen/KTAB mirror).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import numpy as np

from realpolitik.bargaining.smp import SMPConfig
from realpolitik.bargaining.types import BargainingProblem, FloatArray
from realpolitik.errors import InputError
from realpolitik.limits import MAX_BARGAIN_ACTORS, MAX_BARGAIN_DIMENSIONS, MAX_INPUT_BYTES

__all__ = ["MAX_ACTORS", "MAX_DIMENSIONS", "MIN_ACTORS", "read_ktab_csv", "read_ktab_xml"]

MIN_ACTORS = 3
"""KTAB's ``Model::minNumActor``: a bargain needs at least three actors."""

MAX_ACTORS = MAX_BARGAIN_ACTORS
"""KTAB's ``Model::maxNumActor`` (250)."""

MAX_DIMENSIONS = MAX_BARGAIN_DIMENSIONS
"""Issue dimensions read (KTAB sets none; SMP's work grows with them)."""

_MAX_ELEMENTS = 200_000
"""XML elements read: enough for 250 actors of 32 dimensions many times over."""

_SALIENCE_TOTAL_TOL = 1e-9

#: Lines besides the actors' that a KTAB CSV may hold (line 1, the header,
#: blank lines) before the reader stops counting.
_MAX_EXTRA_LINES = 1000


# --------------------------------------------------------------------------- CSV


def _number(text: str, *, file: str, line: int, column: str, what: str, hint: str) -> float:
    """Parse one numeric cell or raise an InputError naming the cell."""
    cell = text.strip()
    if cell == "":
        raise InputError(f"missing {what}; {hint}", file=file, line=line, field=column)
    try:
        value = float(cell)
    except ValueError:
        raise InputError(
            f"{what} {cell!r} is not a number; {hint}", file=file, line=line, field=column
        ) from None
    if not math.isfinite(value):
        raise InputError(
            f"{what} {cell!r} is not a finite number; {hint}",
            file=file,
            line=line,
            field=column,
        )
    return value


def _percent(
    text: str, *, file: str, line: int, column: str, what: str, hint: str, scale: str
) -> float:
    """One numeric cell on KTAB's 0-100 scale, or an InputError naming the
    cell (``scale`` says why the range, after "is outside 0-100;")."""
    value = _number(text, file=file, line=line, column=column, what=what, hint=hint)
    if not 0.0 <= value <= 100.0:
        raise InputError(
            f"{what} {text} is outside 0-100; {scale}", file=file, line=line, field=column
        )
    return value


def _count(text: str, *, file: str, line: int, column: str, what: str) -> int:
    cell = text.strip()
    try:
        value = int(cell)
    except ValueError:
        raise InputError(
            f"{what} {cell!r} is not a whole number; line 1 must read "
            "'name, description, number of actors, number of dimensions'",
            file=file,
            line=line,
            field=column,
        ) from None
    return value


def _trim(row: list[str]) -> list[str]:
    """Strip blanks around fields and drop trailing empty fields."""
    cells = [c.strip() for c in row]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _column_label(index: int, header: list[str]) -> str:
    """'column 5 (Policy Salience)' for 0-based index 4."""
    name = header[index] if index < len(header) and header[index] else ""
    return f"column {index + 1} ({name})" if name else f"column {index + 1}"


def read_ktab_csv(path: str | Path) -> BargainingProblem:
    """Read a KTAB SMP scenario in CSV format.

    Parameters
    ----------
    path : the ``.csv`` file (KTAB's format, see the module docstring).

    Returns
    -------
    BargainingProblem
        Positions on the file's 0-100 scale, saliences divided by 100,
        dimension names as in the header (e.g. ``"Policy Position"``).

    Raises
    ------
    InputError
        With file, line and column for: an unreadable file, a bad first line,
        fewer than 3 (or more than 250) actors, a missing or non-numeric cell,
        a negative or zero capability, a position outside 0-100, a salience
        outside 0-100, an actor's saliences summing above 100 or all zero,
        saliences that all look like fractions (0-1 instead of percent), and
        a number of actor rows different from line 1.

    Examples
    --------
    >>> problem = read_ktab_csv("SOE-Pol-Comp.csv")  # doctest: +SKIP
    >>> problem.n_actors, problem.dimensions  # doctest: +SKIP
    (13, ('Policy Position', 'Competitive Position'))
    """
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"the file has {size} bytes; at most {MAX_INPUT_BYTES} are read", file=file
            )
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            rows: list[tuple[int, list[str]]] = []
            for row in reader:
                rows.append((reader.line_num, _trim(row)))
                if len(rows) > MAX_ACTORS + _MAX_EXTRA_LINES:
                    raise InputError(
                        f"more than {MAX_ACTORS} actor lines; KTAB's model takes at most "
                        f"{MAX_ACTORS} actors",
                        file=file,
                        line=reader.line_num,
                    )
    except FileNotFoundError:
        raise InputError("file not found; check the path", file=file) from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"cannot read the file ({err}); save it as UTF-8 CSV", file=file) from None

    rows = [(n, r) for n, r in rows if r]  # blank lines carry nothing
    if not rows:
        raise InputError(
            "the file is empty; line 1 must read "
            "'name, description, number of actors, number of dimensions'",
            file=file,
            line=1,
        )

    line1, first = rows[0]
    if len(first) < 4:
        raise InputError(
            f"line 1 has {len(first)} fields, expected 4: "
            "'name, description, number of actors, number of dimensions'",
            file=file,
            line=line1,
        )
    name, description = first[0], first[1]
    n_actors = _count(
        first[2],
        file=file,
        line=line1,
        column="column 3 (number of actors)",
        what="number of actors",
    )
    n_dims = _count(
        first[3],
        file=file,
        line=line1,
        column="column 4 (number of dimensions)",
        what="number of dimensions",
    )
    if n_actors < MIN_ACTORS:
        raise InputError(
            f"{n_actors} actors declared; the spatial model needs at least {MIN_ACTORS} actors",
            file=file,
            line=line1,
            field="column 3 (number of actors)",
        )
    if n_actors > MAX_ACTORS:
        raise InputError(
            f"{n_actors} actors declared; KTAB's model takes at most {MAX_ACTORS}",
            file=file,
            line=line1,
            field="column 3 (number of actors)",
        )
    if n_dims < 1:
        raise InputError(
            f"{n_dims} dimensions declared; give at least 1",
            file=file,
            line=line1,
            field="column 4 (number of dimensions)",
        )
    if n_dims > MAX_DIMENSIONS:
        raise InputError(
            f"{n_dims} dimensions declared; at most {MAX_DIMENSIONS} are read",
            file=file,
            line=line1,
            field="column 4 (number of dimensions)",
        )

    n_fields = 3 + 2 * n_dims
    if len(rows) < 2:
        raise InputError(
            "the header line is missing; line 2 must read "
            "'Actor,Description,Influence,<dim> Position,<dim> Salience,...'",
            file=file,
            line=line1 + 1,
        )
    line2, header = rows[1]
    if len(header) < n_fields:
        raise InputError(
            f"the header has {len(header)} columns but {n_dims} dimensions need {n_fields} "
            "(Actor, Description, Influence, then a Position and a Salience per dimension)",
            file=file,
            line=line2,
            field=_column_label(len(header), header),
        )
    dimensions = tuple(header[3 + 2 * d] for d in range(n_dims))

    actor_rows = rows[2:]
    if len(actor_rows) < n_actors:
        last = actor_rows[-1][0] if actor_rows else line2
        raise InputError(
            f"line 1 declares {n_actors} actors but the file has {len(actor_rows)} actor rows; "
            "add the missing rows or correct the count",
            file=file,
            line=last + 1,
        )
    if len(actor_rows) > n_actors:
        extra_line = actor_rows[n_actors][0]
        raise InputError(
            f"row after the {n_actors} actors declared on line 1; "
            "correct the count on line 1 or remove the row",
            file=file,
            line=extra_line,
        )

    names: list[str] = []
    capability = np.empty(n_actors)
    position = np.empty((n_actors, n_dims))
    salience = np.empty((n_actors, n_dims))
    for a, (line, cells) in enumerate(actor_rows):
        if len(cells) < n_fields:
            missing = len(cells)
            raise InputError(
                f"missing cell: the row has {len(cells)} of the {n_fields} columns",
                file=file,
                line=line,
                field=_column_label(missing, header),
            )
        actor = cells[0]
        if actor == "":
            raise InputError(
                "missing actor name; give every actor a name",
                file=file,
                line=line,
                field=_column_label(0, header),
            )
        names.append(actor)
        cap = _number(
            cells[2],
            file=file,
            line=line,
            column=_column_label(2, header),
            what="capability",
            hint="give a positive number",
        )
        if cap <= 0.0:
            raise InputError(
                f"capability {cells[2]} is {'negative' if cap < 0 else 'zero'}; "
                "give a positive number",
                file=file,
                line=line,
                field=_column_label(2, header),
            )
        capability[a] = cap
        total = 0.0
        for d in range(n_dims):
            pc, sc = 3 + 2 * d, 4 + 2 * d
            pos = _percent(
                cells[pc],
                file=file,
                line=line,
                column=_column_label(pc, header),
                what="position",
                hint="give a number from 0 to 100",
                scale="KTAB positions are on a 0-100 scale",
            )
            sal = _percent(
                cells[sc],
                file=file,
                line=line,
                column=_column_label(sc, header),
                what="salience",
                hint="give a percentage from 0 to 100",
                scale="KTAB saliences are percentages",
            )
            total += sal
            if total > 100.0 + _SALIENCE_TOTAL_TOL:
                raise InputError(
                    f"saliences of {actor} sum to {total:g} (above 100) by this column; "
                    "an actor's saliences are shares of its attention in percent: "
                    "scale them so they sum to at most 100",
                    file=file,
                    line=line,
                    field=_column_label(sc, header),
                )
            position[a, d] = pos
            salience[a, d] = sal
        if total <= 0.0:
            raise InputError(
                f"every salience of {actor} is zero; give it a positive salience on some dimension",
                file=file,
                line=line,
                field=_column_label(4, header),
            )

    if float(salience.max()) <= 1.0:
        line, _ = actor_rows[0]
        raise InputError(
            "every salience is at most 1: they look like fractions (0-1) but KTAB files "
            "give saliences in percent (0-100); multiply them by 100",
            file=file,
            line=line,
            field=_column_label(4, header),
        )

    return BargainingProblem(
        actors=tuple(names),
        capability=capability,
        position=position,
        salience=salience / 100.0,
        dimensions=dimensions,
        scale=(0.0, 100.0),
        name=name,
        description=description,
    )


# --------------------------------------------------------------------------- XML


@dataclass
class _Node:
    """An XML element with the line it starts on (expat gives line numbers).

    Text arrives in pieces (expat splits it at buffer ends and entities);
    they are collected in ``parts`` and joined once at the element's end, so
    reading is linear in the file's size.
    """

    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None


class _RefusedError(Exception):
    """Raised inside an expat handler to stop at a forbidden construct."""


def _parse_xml(path: str | Path, file: str) -> _Node:
    """Parse a KTAB scenario with expat, refusing document type declarations.

    KTAB's files need no DTD and no entities; refusing them (as defusedxml's
    ``forbid_dtd`` does) closes entity expansion ("billion laughs", external
    entities) before any text is produced. defusedxml itself is not used
    because its parsers wrap ElementTree, which drops the line numbers the
    error messages give. The file's size is capped at
    :data:`~realpolitik.limits.MAX_INPUT_BYTES` and the elements at
    :data:`_MAX_ELEMENTS`.
    """
    stack: list[_Node] = []
    root: list[_Node] = []
    count = [0]
    parser = expat.ParserCreate()

    def refuse_dtd(*_args: object) -> None:
        raise _RefusedError("a document type declaration (<!DOCTYPE ...>)")

    def refuse_entity(*_args: object) -> None:
        raise _RefusedError("an entity declaration")

    def refuse_external(*_args: object) -> int:
        raise _RefusedError("an external entity")

    def start(tag: str, _attrs: dict[str, str]) -> None:
        count[0] += 1
        if count[0] > _MAX_ELEMENTS:
            raise _RefusedError(f"more than {_MAX_ELEMENTS} elements")
        node = _Node(tag, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        node = stack.pop()
        node.text = "".join(node.parts).strip()
        node.parts = []

    def text(data: str) -> None:
        if stack:
            stack[-1].parts.append(data)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        size = Path(path).stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"the file has {size} bytes; at most {MAX_INPUT_BYTES} are read", file=file
            )
        with open(path, "rb") as handle:
            parser.ParseFile(handle)
    except FileNotFoundError:
        raise InputError("file not found; check the path", file=file) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err})", file=file) from None
    except _RefusedError as err:
        raise InputError(
            f"{err} is not accepted in a KTAB scenario; remove it",
            file=file,
            line=parser.CurrentLineNumber,
        ) from None
    except expat.ExpatError as err:
        raise InputError(
            f"not well-formed XML ({expat.ErrorString(err.code)}); fix the markup",
            file=file,
            line=err.lineno,
        ) from None
    if not root:
        raise InputError("the file holds no XML element", file=file)
    return root[0]


def _child(node: _Node, tag: str, file: str) -> _Node:
    found = node.first(tag)
    if found is None:
        raise InputError(
            f"<{node.tag}> has no <{tag}>; add it (see KTAB's smpSchema.xsd)",
            file=file,
            line=node.line,
            field=tag,
        )
    return found


def _xml_number(node: _Node, file: str, what: str, hint: str) -> float:
    return _number(node.text, file=file, line=node.line, column=node.tag, what=what, hint=hint)


_PARAMETER_TAGS = (
    "VictoryProbModel",
    "PCEModel",
    "StateTransitions",
    "VotingRule",
    "BigRAdjust",
    "BigRRange",
    "ThirdPartyCommit",
    "InterVecBrgn",
    "BargnModel",
)


def _read_parameters(node: _Node | None, file: str) -> SMPConfig:
    if node is None:
        return SMPConfig()
    params: dict[str, str] = {}
    for child in node.children:
        if child.tag not in _PARAMETER_TAGS:
            raise InputError(
                f"unknown model parameter <{child.tag}>; known: {', '.join(_PARAMETER_TAGS)}",
                file=file,
                line=child.line,
                field=child.tag,
            )
        params[child.tag] = child.text
    try:
        return SMPConfig.from_ktab(params)
    except InputError as err:
        tag = err.problems[0].field
        at = node.first(tag) if tag else None
        raise InputError(
            err.problems[0].message,
            file=file,
            line=(at.line if at is not None else node.line),
            field=tag,
        ) from None


def read_ktab_xml(
    path: str | Path,
) -> tuple[BargainingProblem, SMPConfig, int | None, FloatArray]:
    """Read a KTAB SMP scenario in XML format.

    Parameters
    ----------
    path : the ``.xml`` file (KTAB's ``smpSchema.xsd``).

    Returns
    -------
    problem : BargainingProblem
        Positions on the 0-100 scale, saliences divided by 100.
    config : SMPConfig
        From ``<ModelParameters>`` (KTAB's names); defaults where absent.
    seed : int or None
        ``<prngSeed>`` (only used by stochastic state transitions).
    accommodation : (N, N) array
        The ideal-accommodation matrix: identity, with each ``<iaPair>``
        setting entry (adjustingIdeal, referencePos) to ``adjust``. Pass it to
        :func:`~realpolitik.bargaining.smp.run_smp`.

    Raises
    ------
    InputError
        With file, line and element for malformed XML, missing elements,
        non-numeric values, a non-positive capability, positions or saliences
        outside 0-100, saliences summing above 100, fewer than 3 actors,
        a position or salience count different from the dimensions, unknown
        model-parameter names or values, unknown actors in ``<iaPair>``, and
        adjustments outside [0, 1] or summing above 1 for one actor.
    """
    file = str(path)
    root = _parse_xml(path, file)
    if root.tag != "Scenario":
        raise InputError(
            f"the root element is <{root.tag}>; KTAB scenarios start with <Scenario>",
            file=file,
            line=root.line,
        )
    name_node = root.first("name")
    desc_node = root.first("desc")
    name = name_node.text if name_node is not None else ""
    description = desc_node.text if desc_node is not None else ""

    seed: int | None = None
    seed_node = root.first("prngSeed")
    if seed_node is not None and seed_node.text != "":
        try:
            seed = int(seed_node.text)
        except ValueError:
            raise InputError(
                f"seed {seed_node.text!r} is not a whole number; give an integer "
                "from 0 to 2**64 - 1",
                file=file,
                line=seed_node.line,
                field="prngSeed",
            ) from None
        if not 0 <= seed < 2**64:
            raise InputError(
                "seed is outside 0 .. 2**64 - 1",
                file=file,
                line=seed_node.line,
                field="prngSeed",
            )

    config = _read_parameters(root.first("ModelParameters"), file)

    dims_node = _child(root, "Dimensions", file)
    dim_nodes = dims_node.all("dName")
    if not dim_nodes:
        raise InputError(
            "<Dimensions> lists no <dName>; name at least one dimension",
            file=file,
            line=dims_node.line,
            field="dName",
        )
    for node in dim_nodes:
        if node.text == "":
            raise InputError(
                "empty <dName>; name the dimension", file=file, line=node.line, field="dName"
            )
    if len(dim_nodes) > MAX_DIMENSIONS:
        raise InputError(
            f"{len(dim_nodes)} dimensions; at most {MAX_DIMENSIONS} are read",
            file=file,
            line=dims_node.line,
            field="dName",
        )
    dimensions = tuple(node.text for node in dim_nodes)
    n_dims = len(dimensions)

    actors_node = _child(root, "Actors", file)
    actor_nodes = actors_node.all("Actor")
    if len(actor_nodes) < MIN_ACTORS:
        raise InputError(
            f"{len(actor_nodes)} actors; the spatial model needs at least {MIN_ACTORS}",
            file=file,
            line=actors_node.line,
            field="Actor",
        )
    if len(actor_nodes) > MAX_ACTORS:
        raise InputError(
            f"{len(actor_nodes)} actors; KTAB's model takes at most {MAX_ACTORS}",
            file=file,
            line=actors_node.line,
            field="Actor",
        )

    names: list[str] = []
    n_actors = len(actor_nodes)
    capability = np.empty(n_actors)
    position = np.empty((n_actors, n_dims))
    salience = np.empty((n_actors, n_dims))
    for a, actor in enumerate(actor_nodes):
        name_el = _child(actor, "name", file)
        if name_el.text == "":
            raise InputError(
                "empty actor <name>; give every actor a name",
                file=file,
                line=name_el.line,
                field="name",
            )
        names.append(name_el.text)
        cap_el = _child(actor, "capability", file)
        cap = _xml_number(cap_el, file, "capability", "give a positive number")
        if cap <= 0.0:
            raise InputError(
                f"capability {cap_el.text} of {name_el.text} is "
                f"{'negative' if cap < 0 else 'zero'}; give a positive number",
                file=file,
                line=cap_el.line,
                field="capability",
            )
        capability[a] = cap

        pos_el = _child(actor, "Position", file)
        coords = pos_el.all("dCoord")
        if len(coords) != n_dims:
            raise InputError(
                f"{name_el.text} has {len(coords)} <dCoord> but there are {n_dims} dimensions",
                file=file,
                line=pos_el.line,
                field="dCoord",
            )
        for d, node in enumerate(coords):
            value = _xml_number(node, file, "position", "give a number from 0 to 100")
            if not 0.0 <= value <= 100.0:
                raise InputError(
                    f"position {node.text} is outside 0-100; KTAB positions are on a 0-100 scale",
                    file=file,
                    line=node.line,
                    field="dCoord",
                )
            position[a, d] = value

        sal_el = _child(actor, "Salience", file)
        sals = sal_el.all("dSal")
        if len(sals) != n_dims:
            raise InputError(
                f"{name_el.text} has {len(sals)} <dSal> but there are {n_dims} dimensions",
                file=file,
                line=sal_el.line,
                field="dSal",
            )
        total = 0.0
        for d, node in enumerate(sals):
            value = _xml_number(node, file, "salience", "give a percentage from 0 to 100")
            if not 0.0 <= value <= 100.0:
                raise InputError(
                    f"salience {node.text} is outside 0-100; KTAB saliences are percentages",
                    file=file,
                    line=node.line,
                    field="dSal",
                )
            total += value
            salience[a, d] = value
        if total > 100.0 + _SALIENCE_TOTAL_TOL:
            raise InputError(
                f"saliences of {name_el.text} sum to {total:g}, above 100; scale them so "
                "they sum to at most 100",
                file=file,
                line=sal_el.line,
                field="Salience",
            )
        if total <= 0.0:
            raise InputError(
                f"every salience of {name_el.text} is zero; give it a positive salience",
                file=file,
                line=sal_el.line,
                field="Salience",
            )

    if float(salience.max()) <= 1.0:
        raise InputError(
            "every salience is at most 1: they look like fractions (0-1) but KTAB files "
            "give saliences in percent (0-100); multiply them by 100",
            file=file,
            line=actors_node.line,
            field="dSal",
        )

    accommodation = np.eye(n_actors)
    adjust_node = root.first("IdealAdjustment")
    if adjust_node is not None:
        index: dict[str, int] = {}
        for a, actor_name in enumerate(names):
            index.setdefault(actor_name, a)  # KTAB takes the first actor of a name
        for pair in adjust_node.all("iaPair"):
            ends = []
            for tag in ("adjustingIdeal", "referencePos"):
                el = _child(pair, tag, file)
                if el.text not in index:
                    raise InputError(
                        f"unknown actor {el.text!r}; use a <name> from <Actors>",
                        file=file,
                        line=el.line,
                        field=tag,
                    )
                ends.append(index[el.text])
            adj_el = _child(pair, "adjust", file)
            value = _xml_number(adj_el, file, "adjustment", "give a number from 0 to 1")
            if not 0.0 <= value <= 1.0:
                raise InputError(
                    f"adjustment {adj_el.text} is outside 0-1",
                    file=file,
                    line=adj_el.line,
                    field="adjust",
                )
            accommodation[ends[0], ends[1]] = value
        sums = accommodation.sum(axis=1)
        over = np.flatnonzero(sums > 1.0 + 1e-10)
        if over.size:
            a = int(over[0])
            raise InputError(
                f"the adjustments of {names[a]}'s ideal sum to {sums[a]:g}, above 1 "
                "(its own entry is 1 unless an <iaPair> sets it); lower them",
                file=file,
                line=adjust_node.line,
                field="IdealAdjustment",
            )

    problem = BargainingProblem(
        actors=tuple(names),
        capability=capability,
        position=position,
        salience=salience / 100.0,
        dimensions=dimensions,
        scale=(0.0, 100.0),
        name=name,
        description=description,
    )
    return problem, config, seed, accommodation
