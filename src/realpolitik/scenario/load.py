"""Load and validate a scenario file: every mistake, in one pass, as
``file:line: field: message``.

Validation runs in layers, collecting problems instead of stopping at the
first: the YAML itself (:mod:`realpolitik.scenario.yaml_source`), the shape
of each section, names (unknown references get a did-you-mean), the
expressions (parsed against the scenario's names), and the structure of the
moves (conditions may only test earlier moves; every move must happen on
some path; the tree must stay within size limits). The result is a
:class:`~realpolitik.scenario.model.Scenario` or an
:class:`~realpolitik.errors.InputError` carrying every problem found.

The format is documented in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from realpolitik.concepts import LAMBDA
from realpolitik.errors import InputError, Problem
from realpolitik.scenario.checker import IDENT, RESERVED, Checker, kind_of, suggest
from realpolitik.scenario.expressions import (
    Expression,
    ExpressionContext,
    ExpressionError,
    parse_expression,
)
from realpolitik.scenario.linear import check_columns, head_specs, read_linear, split_estimated
from realpolitik.scenario.links import link_identity, parse_link
from realpolitik.scenario.model import (
    Actor,
    Correlation,
    Derived,
    Issue,
    IssueActor,
    Metric,
    Move,
    Parameter,
    Rounds,
    Scenario,
    Source,
    Term,
)
from realpolitik.scenario.moves import RawMove, parse_moves, parse_types
from realpolitik.scenario.paths import expand_paths
from realpolitik.scenario.provenance import date_warnings, read_as_of, read_citation, read_sources
from realpolitik.scenario.rounds import parse_rounds, rounds_shape, state_names
from realpolitik.scenario.structural import read_solve, solve_defaults
from realpolitik.scenario.views import read_views
from realpolitik.scenario.yaml_source import PathKey, field_name, load_yaml
from realpolitik.uncertainty.correlation import correlation_matrix, validate_correlation
from realpolitik.uncertainty.distributions import Fixed, from_spec

#: Limits on what one scenario may declare.
MAX_ACTORS = 16
MAX_PARAMETERS = 1000
MAX_TERMS = 64
#: Most paths (terminal nodes) a scenario's tree may have.
MAX_PATHS = 50_000

#: The only version of the format so far (the optional ``format:`` key).
FORMAT_VERSION = 1

TOP_KEYS = (
    "format",
    "id",
    "title",
    "description",
    "as_of",
    "sources",
    "actors",
    "parameters",
    "moves",
    "derived",
    "payoffs",
    "metrics",
    "issues",
    "solve",
    "correlations",
    "views",
    "types",
    "rounds",
)
PARAMETER_KEYS = ("description", "unit", "source", "judgement", "note", "label")


def _actors(ck: Checker, raw: Any) -> dict[str, Actor]:
    out: dict[str, Actor] = {}
    table = ck.mapping(raw, ("actors",), what="a mapping of actor ids to names")
    if table is None:
        return out
    if not table:
        ck.add(("actors",), "a scenario needs at least one actor")
    if len(table) > MAX_ACTORS:
        ck.add(("actors",), f"{len(table)} actors; at most {MAX_ACTORS} are allowed")
    for aid, entry in table.items():
        path: PathKey = ("actors", aid)
        if not ck.ident(aid, path, "actor"):
            continue
        if entry is None or isinstance(entry, str):
            out[aid] = Actor(aid, entry or aid)
            continue
        spec = ck.mapping(entry, path, allowed=("name", "description"))
        if spec is None:
            continue
        out[aid] = Actor(
            aid,
            ck.text(spec.get("name"), (*path, "name")) or aid,
            ck.text(spec.get("description"), (*path, "description")),
        )
    return out


def _parameters(ck: Checker, raw: Any, sources: Mapping[str, Source]) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    if raw is None:
        return out
    table = ck.mapping(raw, ("parameters",), what="a mapping of parameter ids to distributions")
    if table is None:
        return out
    if len(table) > MAX_PARAMETERS:
        ck.add(("parameters",), f"{len(table)} parameters; at most {MAX_PARAMETERS} are allowed")
    for pid, spec in table.items():
        path: PathKey = ("parameters", pid)
        if not ck.ident(pid, path, "parameter"):
            continue
        if isinstance(spec, dict) and "link" in spec:
            # its values come from another scenario (resolved after this pass)
            out[pid] = Parameter(
                id=pid,
                distribution=Fixed(0.0),
                description=ck.text(spec.get("description"), (*path, "description")),
                unit=ck.text(spec.get("unit"), (*path, "unit")),
                sources=(),
                note=ck.text(spec.get("note"), (*path, "note")),
                line=ck.source.key_line(path),
            )
            extra = sorted(set(spec) - {"link", *PARAMETER_KEYS})
            if extra:
                ck.add((*path, extra[0]), "a linked parameter takes no distribution")
            continue
        try:
            distribution = from_spec(spec, where=field_name(path), extra_keys=PARAMETER_KEYS)
        except InputError as error:
            ck.add_error(path, error)
            # keep the name known, so expressions using it do not cascade errors
            distribution = Fixed(0.0)
        meta = spec if isinstance(spec, dict) else {}
        cites, judgement = read_citation(ck, meta, path, sources)
        out[pid] = Parameter(
            id=pid,
            distribution=distribution,
            description=ck.text(meta.get("description"), (*path, "description")),
            unit=ck.text(meta.get("unit"), (*path, "unit")),
            sources=cites,
            note=ck.text(meta.get("note"), (*path, "note")),
            line=ck.source.key_line(path),
            judgement=judgement,
        )
    return out


def _distinct_parameters(
    ck: Checker,
    parameters: dict[str, Parameter],
    actors: Mapping[str, Actor],
    raw_moves: list[RawMove],
) -> dict[str, Parameter]:
    """Drop (and report) parameters named like an actor or a move: expressions
    could not tell them apart."""
    taken = set(actors) | {m.id for m in raw_moves} | {a for m in raw_moves for a in m.actors}
    out: dict[str, Parameter] = {}
    for pid, parameter in parameters.items():
        if pid in taken:
            what = "a move" if pid in {m.id for m in raw_moves} else "an actor"
            ck.add(("parameters", pid), f"parameter '{pid}' has the name of {what}; rename one")
        else:
            out[pid] = parameter
    return out


def _context(
    parameters: Mapping[str, Parameter], moves: list[RawMove], upto: int | None = None
) -> ExpressionContext:
    """Names usable in expressions: parameters, and the subjects of the moves
    (see :func:`realpolitik.scenario.paths.subjects_of`): every decision and
    chance move's id, the id of every actor that moves exactly once, each
    dimension of a compound move (``move.dimension``, ``actor.dimension``)
    and each private type (``actor.type``)."""
    subjects: dict[str, tuple[str, ...]] = {}
    count: dict[str, int] = {}
    for move in moves:
        for actor in move.actors:
            count[actor] = count.get(actor, 0) + 1
    for move in moves[:upto]:
        movers = ("chance",) if move.kind == "chance" else move.actors
        for actor in movers:
            once = actor != "chance" and count[actor] == 1
            dims = move.dimensions.get(actor, ())
            for dim in dims:
                subjects[f"{move.id}.{dim.id}"] = dim.level_ids()
                if once:
                    subjects[f"{actor}.{dim.id}"] = dim.level_ids()
            if dims:
                continue
            ids = tuple(a.id for a in move.actions.get(actor, []))
            if move.kind in ("decision", "chance"):
                subjects[move.id] = ids
            if once:
                subjects[actor] = ids
    # names the checks above refused (and reported) stay out of the context
    usable = {
        name: actions
        for name, actions in subjects.items()
        if all(IDENT.match(part) and part not in RESERVED for part in name.split("."))
        and name not in parameters
    }
    return ExpressionContext(parameters=frozenset(parameters), actors=usable)


def _expression(
    ck: Checker,
    text: Any,
    path: PathKey,
    context: ExpressionContext,
    expect: str | None,
) -> Expression | None:
    if isinstance(text, bool):
        text = "true" if text else "false"
    if isinstance(text, int | float):
        text = repr(text)
    if not isinstance(text, str):
        ck.add(path, f"expected an expression, got {kind_of(text)}")
        return None
    try:
        return parse_expression(text, context, expect=expect)  # type: ignore[arg-type]
    except ExpressionError as error:
        message = error.problems[0].message
        unknown = _UNKNOWN_NAME.search(error.reason)
        named = (unknown.group(1) or unknown.group(2)) if unknown else None
        if named in ck.hints:
            column = "" if error.column is None else f" (column {error.column})"
            message = ck.hints[str(named)] + column
        ck.problems.append(Problem(message, ck.source.file, ck.source.line(path), field_name(path)))
        return None


_UNKNOWN_NAME = re.compile(r"^unknown name `([^`]+)`|needs an actor, but `([^`]+)` is not one")


def _name_hints(
    actors: Mapping[str, Actor], raw_moves: list[RawMove], derived: Any
) -> dict[str, str]:
    """Why a declared name is not usable as a value or subject in expressions."""
    hints: dict[str, str] = {}
    moves_of: dict[str, list[RawMove]] = {}
    for move in raw_moves:
        for actor in move.actors:
            moves_of.setdefault(actor, []).append(move)
    for actor in actors:
        made = moves_of.get(actor, [])
        if not made:
            hints[actor] = f"`{actor}` is an actor that makes no move, so it has no action to test"
        elif len(made) > 1:
            ids = ", ".join(m.id for m in made)
            decided = [m for m in made if m.kind == "decision"]
            if decided:
                m = decided[0]
                action = m.actions[actor][0].id if m.actions.get(actor) else "..."
                fix = f"test a move id instead, e.g. `{m.id} == {action}`"
            else:
                fix = (
                    "its actions in simultaneous moves cannot be tested by name; give the "
                    "later choice to a decision move and test that move's id"
                )
            hints[actor] = f"`{actor}` moves more than once ({ids}); {fix}"
    for move in raw_moves:
        for actor, dims in move.dimensions.items():
            example = f"{actor}.{dims[0].id} == {dims[0].levels[0].id}"
            hints.setdefault(
                actor,
                f"`{actor}`'s move '{move.id}' is compound: test one of its dimensions, "
                f"e.g. `{example}`",
            )
            hints.setdefault(
                move.id,
                f"`{move.id}` is a compound move: test one of its dimensions, e.g. "
                f"`{move.id}.{dims[0].id} == {dims[0].levels[0].id}`",
            )
        if move.kind == "simultaneous":
            hints[move.id] = (
                f"`{move.id}` is a simultaneous move; test each mover's action by the actor's id"
            )
    if isinstance(derived, dict):
        for name in derived:
            hints.setdefault(
                str(name),
                f"`{name}` is a derived name: usable in payoffs, metrics and the derived names "
                "after it, not in conditions or chance probabilities",
            )
    return hints


def _early_expression(
    ck: Checker,
    text: Any,
    path: PathKey,
    earlier: ExpressionContext,
    full: ExpressionContext,
    expect: str,
    what: str,
) -> Expression | None:
    """An expression of a move (its condition or a chance probability), which
    may only test moves made before it."""
    before = len(ck.problems)
    expr = _expression(ck, text, path, earlier, expect)
    if expr is None:
        retry = _expression(Checker(ck.source), text, path, full, expect)
        if retry is not None:
            named = sorted(retry.actors - set(earlier.actors))
            if named:
                del ck.problems[before:]
                ck.add(
                    path,
                    f"{what} can only test moves made before it; "
                    f"{', '.join(named)} {'is' if len(named) == 1 else 'are'} decided later",
                )
    return expr


def _finish_moves(
    ck: Checker, raw_moves: list[RawMove], parameters: Mapping[str, Parameter]
) -> tuple[Move, ...]:
    moves: list[Move] = []
    full = _context(parameters, raw_moves)
    for position, raw in enumerate(raw_moves):
        earlier = _context(parameters, raw_moves, upto=position)
        when = None
        if raw.when is not None:
            path = (*raw.path, "when")
            when = _early_expression(ck, raw.when, path, earlier, full, "boolean", "a condition")
            if when is None:
                continue
            if when.parameters:
                ck.add(
                    path,
                    "a condition decides which moves happen, so it can only test earlier "
                    f"actions, not parameters ({', '.join(sorted(when.parameters))}); use a "
                    "chance move for uncertain events",
                )
        probabilities: dict[str, Expression] = {}
        lines: dict[str, int] = {}
        for outcome, text in raw.probabilities.items():
            where = (*raw.path, outcome) if raw.type_of else (*raw.path, "chance", outcome)
            expr = _early_expression(
                ck, text, where, earlier, full, "number", "a chance probability"
            )
            if expr is not None:
                probabilities[outcome] = expr
                lines[outcome] = ck.source.key_line(where) or 0
        moves.append(
            Move(
                id=raw.id,
                kind=raw.kind,
                actors=raw.actors if raw.kind != "chance" else ("chance",),
                actions=MappingProxyType({k: tuple(v) for k, v in raw.actions.items()}),
                probabilities=MappingProxyType(probabilities),
                when=when,
                description=raw.description,
                line=ck.source.key_line(raw.path),
                probability_lines=MappingProxyType(lines),
                dimensions=MappingProxyType(dict(raw.dimensions)),
                joint_levels=MappingProxyType(dict(raw.joint_levels)),
                observed_by=raw.observed_by,
                type_of=raw.type_of,
            )
        )
    return tuple(moves)


def _terms(
    ck: Checker,
    raw: Any,
    actors: Mapping[str, Actor],
    context: ExpressionContext,
    has_rounds: bool = False,
) -> list[Term]:
    out: list[Term] = []
    table = ck.mapping(raw, ("payoffs",), what="a mapping of actors to their payoff terms")
    if table is None:
        return out
    for actor, terms in table.items():
        path: PathKey = ("payoffs", actor)
        if actor not in actors:
            ck.add(path, f"unknown actor '{actor}'{suggest(actor, actors)}")
            continue
        spec = ck.mapping(terms, path, what="a mapping of term names to expressions")
        if spec is None:
            continue
        if len(spec) > MAX_TERMS:
            ck.add(path, f"{len(spec)} terms; at most {MAX_TERMS} are allowed")
        for tid, entry in spec.items():
            where: PathKey = (*path, tid)
            if not ck.ident(tid, where, "term", reserved=()):
                continue
            description = ""
            text = entry
            per_round = False
            if isinstance(entry, dict):
                body = ck.mapping(
                    entry, where, allowed=("expr", "description", "per_round"), required=("expr",)
                )
                if body is None or "expr" not in body:
                    continue
                text = body["expr"]
                description = ck.text(body.get("description"), (*where, "description"))
                per_round = body.get("per_round", False) is True
                if "per_round" in body and not isinstance(body["per_round"], bool):
                    ck.add((*where, "per_round"), "per_round is true or false")
                if per_round and not has_rounds:
                    ck.add((*where, "per_round"), "per_round needs a 'rounds:' section")
                where = (*where, "expr")
            expr = _expression(ck, text, where, context, "number")
            if expr is not None:
                out.append(
                    Term(actor, tid, expr, description, ck.source.key_line(where), per_round)
                )
    return out


def _derived(
    ck: Checker, raw: Any, base: ExpressionContext, declared: Collection[str] = ()
) -> tuple[list[Derived], ExpressionContext]:
    """The ``derived`` section, in order; each may use the ones before it."""
    out: list[Derived] = []
    numbers: set[str] = set()
    conditions: set[str] = set()
    context = base
    if raw is None:
        return out, context
    table = ck.mapping(raw, ("derived",), what="a mapping of names to expressions")
    taken = set(base.parameters) | set(base.actors) | set(declared)
    for did, entry in (table or {}).items():
        path: PathKey = ("derived", did)
        if not ck.ident(did, path, "derived"):
            continue
        if did in taken:
            ck.add(path, f"'{did}' is already a parameter, actor or move; pick another name")
            continue
        text, description, where = entry, "", path
        if isinstance(entry, dict):
            body = ck.mapping(entry, path, allowed=("expr", "description"), required=("expr",))
            if body is None or "expr" not in body:
                continue
            text = body["expr"]
            description = ck.text(body.get("description"), (*path, "description"))
            where = (*path, "expr")
        expr = _expression(ck, text, where, context, None)
        if expr is None:
            continue
        (conditions if expr.kind == "boolean" else numbers).add(did)
        taken.add(did)
        out.append(Derived(did, expr, description, ck.source.key_line(where)))
        context = ExpressionContext(
            parameters=base.parameters,
            actors=base.actors,
            numbers=frozenset(numbers),
            conditions=frozenset(conditions),
        )
    return out, context


def _metrics(ck: Checker, raw: Any, context: ExpressionContext) -> list[Metric]:
    out: list[Metric] = []
    if raw is None:
        return out
    table = ck.mapping(raw, ("metrics",), what="a mapping of metric names to expressions")
    for mid, entry in (table or {}).items():
        path: PathKey = ("metrics", mid)
        if not ck.ident(mid, path, "metric", reserved=()):
            continue
        unit = description = ""
        text = entry
        where = path
        if isinstance(entry, dict):
            body = ck.mapping(
                entry, path, allowed=("expr", "unit", "description"), required=("expr",)
            )
            if body is None or "expr" not in body:
                continue
            text = body["expr"]
            unit = ck.text(body.get("unit"), (*path, "unit"))
            description = ck.text(body.get("description"), (*path, "description"))
            where = (*path, "expr")
        expr = _expression(ck, text, where, context, "number")
        if expr is not None:
            out.append(Metric(mid, expr, unit, description, ck.source.key_line(where)))
    return out


ISSUE_ACTOR_KEYS = ("position", "capability", "salience")


def _issues(
    ck: Checker, raw: Any, actors: Mapping[str, Actor], parameters: Mapping[str, Parameter]
) -> list[Issue]:
    """The ``issues`` section: bargaining issues whose stances are expressions
    of parameters only (no actions: bargaining happens outside the tree)."""
    out: list[Issue] = []
    if raw is None:
        return out
    table = ck.mapping(raw, ("issues",), what="a mapping of issue ids to issues")
    context = ExpressionContext(parameters=frozenset(parameters))
    for iid, entry in (table or {}).items():
        path: PathKey = ("issues", iid)
        if not ck.ident(iid, path, "issue", reserved=()):
            continue
        spec = ck.mapping(
            entry, path, allowed=("description", "scale", "actors"), required=("actors",)
        )
        if spec is None:
            continue
        scale = spec.get("scale", [0, 100])
        if (
            not isinstance(scale, list)
            or len(scale) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
            or not scale[0] < scale[1]
        ):
            ck.add((*path, "scale"), f"scale must be [low, high] with low < high, got {scale!r}")
            scale = [0, 100]
        stances = ck.mapping(
            spec.get("actors"), (*path, "actors"), what="a mapping of actors to their stances"
        )
        members: list[IssueActor] = []
        for actor, stance in (stances or {}).items():
            where: PathKey = (*path, "actors", actor)
            if actor not in actors:
                ck.add(where, f"unknown actor '{actor}'{suggest(actor, actors)}")
                continue
            body = ck.mapping(stance, where, allowed=ISSUE_ACTOR_KEYS, required=ISSUE_ACTOR_KEYS)
            if body is None or not all(k in body for k in ISSUE_ACTOR_KEYS):
                continue
            parsed = [
                _expression(ck, body[k], (*where, k), context, "number") for k in ISSUE_ACTOR_KEYS
            ]
            if any(p is None for p in parsed):
                continue
            position, capability, salience = parsed
            assert position is not None and capability is not None and salience is not None
            members.append(
                IssueActor(actor, position, capability, salience, ck.source.key_line(where))
            )
        if stances is not None and len(stances) < 3:
            ck.add(
                (*path, "actors"), f"a bargaining issue needs at least 3 actors, got {len(stances)}"
            )
        out.append(
            Issue(
                id=iid,
                description=ck.text(spec.get("description"), (*path, "description")),
                scale=(float(scale[0]), float(scale[1])),
                actors=tuple(members),
                line=ck.source.key_line(path),
            )
        )
    return out


def _correlations(
    ck: Checker, raw: Any, parameters: Mapping[str, Parameter]
) -> tuple[Correlation, ...]:
    """The optional ``correlations`` section: a list of ``[parameter, parameter,
    coefficient]`` (or ``{between: [parameter, parameter], rho: coefficient}``)
    entries; the matrix they make must be positive semi-definite."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ck.add(
            ("correlations",),
            f"expected a list of [parameter, parameter, coefficient] entries, got {kind_of(raw)}",
        )
        return ()
    out: list[Correlation] = []
    seen: dict[tuple[str, str], int] = {}
    names = ", ".join(parameters)
    for k, entry in enumerate(raw):
        path: PathKey = ("correlations", k)
        if isinstance(entry, dict):
            ck.mapping(entry, path, allowed=("between", "rho"), required=("between", "rho"))
            pair, rho = entry.get("between"), entry.get("rho")
            items = [*pair, rho] if isinstance(pair, list) and len(pair) == 2 else None
        else:
            items = entry if isinstance(entry, list) and len(entry) == 3 else None
        if items is None:
            if not isinstance(entry, dict):
                ck.add(
                    path,
                    f"a correlation is [parameter, parameter, coefficient], e.g. "
                    f"[{', '.join(list(parameters)[:2]) or 'a, b'}, 0.5]; got {kind_of(entry)}",
                    key=False,
                )
            continue
        a, b, rho = items
        ok = True
        for name in (a, b):
            if not isinstance(name, str) or name not in parameters:
                ck.add(
                    path,
                    f"unknown parameter {name!r}{suggest(name, parameters)}; parameters: {names}",
                    key=False,
                )
                ok = False
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 <= rho <= 1:
            ck.add(
                path, f"the coefficient must be a number in [-1, 1], got {kind_of(rho)}", key=False
            )
            ok = False
        if not ok:
            continue
        if a == b:
            ck.add(
                path, f"'{a}' is correlated with itself (always 1); pair two parameters", key=False
            )
            continue
        for name in (a, b):
            if parameters[name].distribution.is_fixed:
                ck.add(
                    path,
                    f"'{name}' is fixed, so it cannot be correlated; give it a distribution "
                    "or drop this entry",
                    key=False,
                )
                ok = False
        pair_key = (min(a, b), max(a, b))
        if pair_key in seen:
            ck.add(
                path,
                f"the correlation of '{a}' and '{b}' is already given in entry {seen[pair_key]}; "
                "keep one",
                key=False,
            )
            ok = False
        seen[pair_key] = k
        if ok:
            out.append(Correlation(a, b, float(rho), ck.source.line(path)))
    if out and len(out) == len(raw):
        ids = tuple(parameters)
        matrix = correlation_matrix(ids, {(c.a, c.b): c.rho for c in out})
        try:
            validate_correlation(matrix, ids)
        except InputError as error:
            ck.add(("correlations",), error.problems[0].message)
    return tuple(out)


def check_structure(
    scenario_moves: tuple[Move, ...], ck: Checker | None = None, rounds: Rounds | None = None
) -> int:
    """Expand the moves into paths (actions only; the stage repeated over the
    rounds), checking that every move happens on some path and that the tree
    stays within :data:`MAX_PATHS`. Returns the number of paths."""
    happened: set[str] = set()
    try:
        paths = expand_paths(scenario_moves, limit=MAX_PATHS, visit=happened.add, rounds=rounds)
    except InputError as error:
        if ck is None:
            raise
        for problem in error.problems:
            ck.add(("moves",), problem.message)
        return 0
    if ck is not None:
        listed = [m for m in scenario_moves if m.type_of is None]  # types come first
        for index, move in enumerate(listed):
            if move.id not in happened:
                ck.add(
                    ("moves", index, "when"),
                    f"move '{move.id}' never happens: its condition is false on every path",
                )
    return len(paths)


#: The name a problem is about, for problems that a broken declaration of
#: that name causes: a use of an unknown name, parameter, actor or source, a
#: derived name used where it cannot be, a correlation of a parameter that
#: fell back to fixed.
_SUBJECT = re.compile(
    r"^(?:unknown (?:name|parameter|actor|source) [`']([^`']+)[`']"
    r"|`([^`]+)` is a derived name"
    r"|'([^']+)' is fixed, so it cannot be correlated)"
)
#: Sections that declare names, under the names a typo of the key suggests.
_DECLARING = ("sources", "actors", "parameters", "derived")


def _lost_names(
    top: Mapping[str, Any],
    sources: Mapping[str, Any],
    actors: Mapping[str, Any],
    parameters: Mapping[str, Any],
    derived: list[Derived],
) -> set[str]:
    """Names written in a declaring section that did not get declared: the
    section's key was mistyped, or the entry itself was refused."""
    lost: set[str] = set()
    for key, value in top.items():
        if key not in TOP_KEYS and isinstance(value, dict):
            close = difflib.get_close_matches(str(key), _DECLARING, n=1, cutoff=0.6)
            if close:
                lost.update(str(k) for k in value)
    kept = {
        "sources": set(sources),
        "actors": set(actors),
        "parameters": set(parameters),
        "derived": {d.id for d in derived},
    }
    for section, names in kept.items():
        raw = top.get(section)
        if isinstance(raw, dict):
            lost.update(str(k) for k in raw if str(k) not in names)
    return lost


def _drop_cascade(ck: Checker, lost: set[str]) -> None:
    """Drop the problems that follow from a declaration reported before:
    every use of a name whose declaration failed fails too, and says nothing
    new (fixing the first problem shows any that remain)."""
    for problem in ck.problems:  # an entry refused in a declaring section
        section, _, rest = (problem.field or "").partition(".")
        if section in _DECLARING and rest:
            lost.add(rest.split(".")[0].split("[")[0])
    if not lost:
        return

    def follows(problem: Problem) -> bool:
        found = _SUBJECT.search(problem.message)
        return found is not None and next(g for g in found.groups() if g) in lost

    ck.problems[:] = [p for p in ck.problems if not follows(p)]


def load(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    name: str = "",
    chain: tuple[str, ...] = (),
) -> Scenario:
    """Read and validate a scenario file (``chain``: the scenarios whose
    links led here, to refuse a cycle).

    Raises
    ------
    InputError
        With every problem found, each located as ``file:line: field``.
    """
    data, source = load_yaml(path, text=text, name=name)
    raw_text = text if text is not None else Path(str(path)).read_text(encoding="utf-8")
    ck = Checker(source)
    if isinstance(data, dict) and data.get("kind") == "alignment":
        ck.add(("kind",), "an alignment scenario (every UN member's vote): run realpolitik align")
        raise InputError(problems=ck.problems)
    top = ck.mapping(data, (), allowed=TOP_KEYS, what="a mapping (the scenario)")
    if top is None:
        raise InputError(problems=ck.problems)
    for key in ("id", "actors", "moves", "payoffs"):
        if key not in top:
            ck.add((), f"missing '{key}'")
    sid = top.get("id", "")
    if "id" in top:
        if isinstance(sid, str) and re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", sid):
            pass
        else:
            ck.add(("id",), f"scenario id {sid!r} must be a short name (letters, digits, - _ .)")
    if "format" in top and (isinstance(top["format"], bool) or top["format"] != FORMAT_VERSION):
        ck.add(
            ("format",),
            f"format must be {FORMAT_VERSION} (the only version so far), "
            f"got {kind_of(top['format'])}",
        )
    # a missing section is reported once above, not again as an empty one
    sources = read_sources(ck, top.get("sources"))
    actors = _actors(ck, top["actors"]) if "actors" in top else {}
    # parameters estimated from data (scenario/linear.py) are named in
    # expressions like any other; their fitted coefficients are drawn
    raw_parameters, estimated = split_estimated(top.get("parameters"))
    parameters = _parameters(ck, raw_parameters, sources)
    parameters = _links(ck, raw_parameters, parameters, (*chain, source.file))
    heads = _parameters(ck, head_specs(estimated, PARAMETER_KEYS), sources)
    raw_moves = parse_types(ck, top["types"], actors, 0) if "types" in top else []
    raw_moves += parse_moves(ck, top["moves"], actors) if "moves" in top else []
    named = _distinct_parameters(ck, {**parameters, **heads}, actors, raw_moves)
    parameters = {pid: p for pid, p in named.items() if pid not in heads}
    linear, coefficients = read_linear(
        ck, {p: s for p, s in estimated.items() if p in named}, heads, PARAMETER_KEYS
    )
    check_columns(ck, linear, parameters)
    ck.hints = _name_hints(actors, raw_moves, top.get("derived"))
    moves = _finish_moves(ck, raw_moves, named)
    shape = None
    if "rounds" in top:
        shape = rounds_shape(ck, top["rounds"], [m.id for m in raw_moves if not m.type_of])
    taken = set(named) | set(actors) | {m.id for m in raw_moves}
    state = state_names(ck, top.get("rounds"), taken) if shape else []
    full = _context(named, raw_moves)
    derived, context = _derived(
        ck,
        top.get("derived"),
        dataclasses.replace(full, numbers=full.numbers | frozenset(state)),
        taken,
    )
    rounds = parse_rounds(ck, top["rounds"], shape, named, full, state) if shape else None
    terms = (
        _terms(ck, top["payoffs"], actors, context, rounds is not None) if "payoffs" in top else []
    )
    metrics = _metrics(ck, top.get("metrics"), context)
    raw_solve = {} if top.get("solve") is None else top["solve"]
    solve, lam_parameter = solve_defaults(read_solve(ck, raw_solve, ("solve",), sources))
    if lam_parameter is not None:
        if LAMBDA.name in named:
            ck.add(
                ("parameters", LAMBDA.name),
                "'lambda' is drawn from solve.lambda's distribution; rename this parameter",
            )
        parameters = {**parameters, LAMBDA.name: lam_parameter}
    parameters = {**parameters, **coefficients}
    correlations = _correlations(ck, top.get("correlations"), parameters)
    issues = _issues(
        ck, top.get("issues"), actors, {p: v for p, v in parameters.items() if IDENT.match(p)}
    )
    as_of = read_as_of(ck, top.get("as_of"))
    _drop_cascade(ck, _lost_names(top, sources, actors, {**named, **parameters}, derived))
    views = read_views(ck, top.get("views"), parameters, tuple(terms), sources)
    if not ck.problems and moves:
        check_structure(moves, ck, rounds)
    if not ck.problems:
        moving = {a for m in moves for a in m.actors if a != "chance"}
        paid = {t.actor for t in terms}
        for actor in sorted(moving - paid):
            ck.add(("payoffs",), f"actor '{actor}' moves but has no payoff terms")
    if ck.problems:
        raise InputError(problems=ck.problems)
    warnings = date_warnings(ck, as_of, sources, parameters)
    return Scenario(
        id=str(sid),
        title=ck.text(top.get("title"), ("title",)) or str(sid),
        description=ck.text(top.get("description"), ("description",)),
        as_of=as_of,
        actors=MappingProxyType(actors),
        parameters=MappingProxyType(parameters),
        moves=moves,
        derived=tuple(derived),
        terms=tuple(terms),
        metrics=tuple(metrics),
        sources=MappingProxyType(sources),
        solve=solve,
        file=source.file,
        content_hash=hashlib.sha256(raw_text.encode("utf-8")).hexdigest(),
        correlations=correlations,
        issues=tuple(issues),
        source_text=raw_text,
        views=views,
        warnings=tuple(warnings),
        rounds=rounds,
        linear=tuple(linear),
    )


def _links(
    ck: Checker, raw: Any, parameters: dict[str, Parameter], chain: tuple[str, ...]
) -> dict[str, Parameter]:
    """Attach each linked parameter's link (its upstream scenario loaded)."""
    if not isinstance(raw, dict):
        return parameters
    here = chain[-1]

    def upstream(name: str, seen: tuple[str, ...]) -> Scenario:
        identity = link_identity(name, here)
        if identity in seen or identity == here:
            cycle = " -> ".join((*seen, identity))
            raise InputError(f"link cycle: {cycle}; a scenario cannot depend on itself")
        if identity.endswith((".yaml", ".yml")):
            if not Path(identity).exists():
                raise InputError(f"no such scenario file: {identity}")
            return load(identity, chain=(*seen,))
        if name not in builtin_names():
            raise InputError(f"unknown scenario '{name}'{suggest(name, builtin_names())}")
        resource = resources.files(LIBRARY_PACKAGE) / f"{name}.yaml"
        return load(text=resource.read_text(encoding="utf-8"), name=f"{name}.yaml", chain=(*seen,))

    out = dict(parameters)
    for pid, spec in raw.items():
        if pid in out and isinstance(spec, dict) and "link" in spec:
            link = parse_link(ck, spec["link"], ("parameters", pid, "link"), upstream, chain)
            out[pid] = dataclasses.replace(out[pid], link=link)
    return out


# ---------------------------------------------------------------------------
# Built-in scenarios

LIBRARY_PACKAGE = "realpolitik.scenario.library"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (files in ``scenario/library``)."""
    folder = resources.files(LIBRARY_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise InputError(f"no such scenario file: {text}")
        return load(path)
    names = builtin_names()
    if text not in names:
        raise InputError(
            f"unknown scenario '{text}'{suggest(text, names)}; built-in scenarios: "
            f"{', '.join(names)}; or give a path to a .yaml file"
        )
    resource = resources.files(LIBRARY_PACKAGE) / f"{text}.yaml"
    return load(text=resource.read_text(encoding="utf-8"), name=f"{text}.yaml")


#: What the public functions accept as a scenario: a loaded one, a built-in
#: name, or a path to a scenario file.
ScenarioLike = Scenario | str | Path


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """``scenario`` loaded (see :func:`resolve`) unless it already is."""
    return scenario if isinstance(scenario, Scenario) else resolve(scenario)
