"""The ``views`` section: named views of one crisis, laid side by side by
``realpolitik compare``.

Why: two analysts reading the same crisis differ in a few priors, in how
much some cost or benefit weighs (or whether it counts at all), and in how
noisy they think the choice is. A view states only those differences; the
rest is the scenario's. Each view is a mapping::

    views:
      hung:
        description: "Hung (2022): a realist calculation"
        parameters:            # priors replacing the scenario's, each cited
          partnership_value: {dist: pert, low: 1, mode: 2.5, high: 4, judgement: "..."}
        terms:                 # multipliers of payoff terms; 0 switches one off
          china.status: 1.5
          west.credibility: 0
        solve: {lambda: 4}     # or concept, a lambda distribution, a mixture

Term weights multiply the term's value in the compiled payoffs (per draw),
never the expression's text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from realpolitik.errors import InputError
from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.model import Parameter, Source, Term, View, ViewParameter
from realpolitik.scenario.provenance import read_citation
from realpolitik.scenario.structural import read_solve
from realpolitik.scenario.yaml_source import PathKey, field_name
from realpolitik.uncertainty.distributions import Fixed, from_spec

VIEW_KEYS = ("description", "parameters", "terms", "solve")
VIEW_PARAMETER_KEYS = ("source", "judgement", "description", "unit", "note", "label")
#: Most views a scenario may declare.
MAX_VIEWS = 16


def read_views(
    ck: Checker,
    raw: Any,
    parameters: Mapping[str, Parameter],
    terms: tuple[Term, ...],
    sources: Mapping[str, Source],
) -> tuple[View, ...]:
    """Read and check the ``views`` section (module docstring)."""
    if raw is None:
        return ()
    table = ck.mapping(raw, ("views",), what="a mapping of view ids to views")
    if table is None:
        return ()
    if len(table) > MAX_VIEWS:
        ck.add(("views",), f"{len(table)} views; at most {MAX_VIEWS} are allowed")
    term_names = [f"{t.actor}.{t.id}" for t in terms]
    out: list[View] = []
    for vid, entry in table.items():
        path: PathKey = ("views", vid)
        if not ck.ident(vid, path, "view", reserved=("base",)):
            continue
        spec = ck.mapping(entry, path, allowed=VIEW_KEYS, what="a mapping (the view)")
        if spec is None:
            continue
        priors: dict[str, ViewParameter] = {}
        for pid, prior in (
            ck.mapping(spec.get("parameters") or {}, (*path, "parameters")) or {}
        ).items():
            where: PathKey = (*path, "parameters", pid)
            if pid not in parameters or pid == "lambda":
                hint = " (a view sets lambda under 'solve')" if pid == "lambda" else ""
                ck.add(
                    where,
                    f"unknown parameter '{pid}'{suggest(pid, parameters)}{hint}; a view changes "
                    "the scenario's parameters",
                )
                continue
            try:
                distribution = from_spec(
                    prior, where=field_name(where), extra_keys=VIEW_PARAMETER_KEYS
                )
            except InputError as error:
                ck.add_error(where, error)
                continue
            cites, judgement = read_citation(ck, prior, where, sources)
            priors[pid] = ViewParameter(
                pid, distribution, cites, judgement, ck.source.key_line(where)
            )
        weights: dict[str, float] = {}
        for name, weight in (ck.mapping(spec.get("terms") or {}, (*path, "terms")) or {}).items():
            where = (*path, "terms", name)
            if name not in term_names:
                ck.add(
                    where,
                    f"unknown payoff term '{name}'{suggest(name, term_names)}; write "
                    "actor.term, e.g. " + (term_names[0] if term_names else "china.status"),
                )
                continue
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not (math.isfinite(weight))
            ):
                ck.add(
                    where,
                    f"a term weight is a finite number (0 switches it off), got {kind_of(weight)}",
                )
                continue
            weights[str(name)] = float(weight)
        solve = read_solve(
            ck, {} if spec.get("solve") is None else spec["solve"], (*path, "solve"), sources
        )
        concept: tuple[tuple[str, float], ...] = solve.mixture or (
            ((solve.concept, 1.0),) if solve.concept else ()
        )
        lam = solve.lam_parameter
        if lam is None and solve.lam is not None:
            lam = ViewParameter("lambda", Fixed(solve.lam), line=ck.source.key_line(path))
        view = View(
            id=str(vid),
            description=ck.text(spec.get("description"), (*path, "description")),
            parameters=MappingProxyType(priors),
            term_weights=MappingProxyType(weights),
            lam=lam,
            concept=concept,
            line=ck.source.key_line(path),
        )
        out.append(view)
    return tuple(out)
