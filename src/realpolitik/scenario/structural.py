"""The ``solve`` section: the solution concept, the logit precision lambda
and a mixture of concepts, each an assumption as big as any parameter.

Why a module of its own: lambda and the concept used to be constants. Here
lambda may be a number or a distribution with a source or a judgement (it is
then drawn like a parameter, and appears as the parameter ``lambda``), and a
forecast may be a declared mixture of concepts (``mixture: {qre: 0.8, spe:
0.2}``: per draw, the weighted mixture of the concepts' outcomes). The same
reader serves the scenario's ``solve`` and each view's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realpolitik.concepts import CONCEPTS, LAMBDA, MIXTURE, forecast_concepts
from realpolitik.errors import InputError, listing
from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.model import Parameter, SolveDefaults, Source, ViewParameter
from realpolitik.scenario.provenance import read_citation
from realpolitik.scenario.yaml_source import PathKey, field_name
from realpolitik.uncertainty.distributions import from_spec

#: Keys a distributed lambda may carry besides its family's.
LAMBDA_KEYS = ("source", "judgement", "description", "unit", "note", "label")
#: How far mixture weights may sum from 1.
WEIGHT_TOL = 1e-9


@dataclass(frozen=True)
class SolveSpec:
    """What a ``solve`` mapping says (None: not said)."""

    concept: str | None = None
    lam: float | None = None
    lam_parameter: ViewParameter | None = None
    mixture: tuple[tuple[str, float], ...] = ()


def _lambda(
    ck: Checker, raw: Any, path: PathKey, sources: Mapping[str, Source]
) -> tuple[float | None, ViewParameter | None]:
    if not isinstance(raw, dict):
        try:
            return LAMBDA.check(raw), None
        except InputError:
            ck.add(
                path,
                f"lambda must be a finite number >= 0 or a distribution ({{dist: ..., source "
                f"or judgement: ...}}), got {kind_of(raw)}",
            )
            return None, None
    try:
        distribution = from_spec(raw, where=field_name(path), extra_keys=LAMBDA_KEYS)
    except InputError as error:
        ck.add_error(path, error)
        return None, None
    low = distribution.support()[0]
    if not low >= LAMBDA.minimum:
        ck.add(
            path,
            f"lambda's distribution reaches {low:g}; a precision is >= 0 (bound it, e.g. low: 0)",
        )
        return None, None
    cites, judgement = read_citation(ck, raw, path, sources)
    return distribution.central(), ViewParameter(
        LAMBDA.name, distribution, cites, judgement, ck.source.key_line(path)
    )


def _mixture(ck: Checker, raw: Any, path: PathKey) -> tuple[tuple[str, float], ...]:
    table = ck.mapping(
        raw, path, what="a mapping of concepts to weights, e.g. {qre: 0.8, spe: 0.2}"
    )
    if not table:
        if table is not None:
            ck.add(path, "a mixture needs at least one concept")
        return ()
    usable = forecast_concepts()
    out: list[tuple[str, float]] = []
    ok = True
    for name, weight in table.items():
        where: PathKey = (*path, name)
        if name not in usable:
            ck.add(
                where,
                f"unknown concept '{name}' in the mixture{suggest(name, usable)}; use "
                f"{listing(usable, quote=True)}",
            )
            ok = False
            continue
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not (math.isfinite(weight) and weight >= 0)
        ):
            ck.add(where, f"a mixture weight is a number >= 0, got {kind_of(weight)}")
            ok = False
            continue
        out.append((str(name), float(weight)))
    total = math.fsum(w for _, w in out)
    if ok and abs(total - 1.0) > WEIGHT_TOL:
        ck.add(path, f"the mixture's weights sum to {total:.12g}, not 1")
    return tuple(out)


def read_solve(ck: Checker, raw: Any, path: PathKey, sources: Mapping[str, Source]) -> SolveSpec:
    """A ``solve`` mapping: ``concept``, ``lambda`` (number or distribution)
    and ``mixture``, checked."""
    names = sorted({p.name for c in CONCEPTS.values() for p in c.parameters})
    spec = ck.mapping(raw, path, allowed=("concept", "mixture", *names))
    if spec is None:
        return SolveSpec()
    concept = spec.get("concept")
    if concept is not None and concept not in forecast_concepts():
        ck.add(
            (*path, "concept"),
            f"concept must be {listing(forecast_concepts(), quote=True)}, got {concept!r}",
        )
        concept = None
    mixture: tuple[tuple[str, float], ...] = ()
    if "mixture" in spec:
        if "concept" in spec:
            ck.add((*path, "mixture"), "give either 'concept' or 'mixture', not both")
        mixture = _mixture(ck, spec["mixture"], (*path, "mixture"))
    lam, lam_parameter = None, None
    if LAMBDA.name in spec:
        lam, lam_parameter = _lambda(ck, spec[LAMBDA.name], (*path, LAMBDA.name), sources)
    return SolveSpec(concept, lam, lam_parameter, mixture)


def solve_defaults(spec: SolveSpec) -> tuple[SolveDefaults, Parameter | None]:
    """The scenario's :class:`SolveDefaults` and, when lambda is drawn, its
    parameter (named ``lambda``)."""
    concept = MIXTURE if spec.mixture else (spec.concept or SolveDefaults.concept)
    lam = spec.lam if spec.lam is not None else LAMBDA.default
    parameter = None
    if spec.lam_parameter is not None:
        p = spec.lam_parameter
        parameter = Parameter(
            id=LAMBDA.name,
            distribution=p.distribution,
            description="the logit precision of the QRE (drawn like a parameter)",
            unit="per unit of payoff",
            sources=p.sources,
            line=p.line,
            judgement=p.judgement,
        )
    return (
        SolveDefaults(concept, float(lam), parameter is not None, spec.mixture),
        parameter,
    )
