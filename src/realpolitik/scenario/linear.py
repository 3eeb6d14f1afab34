"""Parameters estimated from data: ``estimate:`` in a scenario's ``parameters``.

A parameter may be declared as a linear predictor of data columns, with
coefficients to estimate from past cases (strategic statistical models in
the tradition of Signorino 1999 and the R package ``games``)::

    parameters:
      defend_value:
        estimate:
          formula: "~ realinterest + preelec"
        source: leblang2003
        unit: "government's utility of defending (logit scale)"

``realpolitik estimate SCENARIO --data cases.csv`` fits the coefficients
(named ``defend_value:(Intercept)``, ``defend_value:realinterest``, as
``games`` names them) and can write them back as the coefficients'
distributions (normal, with the fit's correlations in ``correlations:``), so
that forecasts over draws carry the estimation uncertainty::

        estimate:
          formula: "~ realinterest + preelec"
          coefficients:
            (Intercept): {dist: normal, mean: 0.43, sd: 0.78}
            realinterest: {dist: normal, mean: 1.80, sd: 0.60}
            preelec: {dist: normal, mean: 1.66, sd: 0.75}

A fitted predictor's columns must be parameters of the scenario (their values
for the case forecast); the coefficients are parameters too (drawn, varied by
``sensitivity``), and the predictor is computed from them in
:meth:`realpolitik.compiler.scenario_tree.CompiledScenario.parameter_values`.

Why a module of its own: the section has its own grammar (a one-sided
formula: column names, ``a:b`` and ``a*b`` interactions, ``1``, ``0`` and
``- 1``, parsed by ``formulaic``'s parser; columns are numbers, so no factor
coding) and its own checks, kept apart from the loader's other sections. The
formula grammar is that of :mod:`realpolitik.estimation.formula`, restricted to
one part; it is parsed here because the scenario layer may not import the
estimation layer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from formulaic.errors import FormulaicError
from formulaic.parser import DefaultFormulaParser
from formulaic.parser.types import Term as FormulaicTerm

from realpolitik.errors import InputError
from realpolitik.scenario.checker import IDENT, Checker, kind_of, suggest
from realpolitik.scenario.model import INTERCEPT, LinearPredictor, Parameter
from realpolitik.scenario.yaml_source import PathKey, field_name
from realpolitik.uncertainty.distributions import from_spec

__all__ = [
    "ESTIMATE",
    "check_columns",
    "parse_linear_formula",
    "read_linear",
    "split_estimated",
]

#: The key that makes a parameter a linear predictor.
ESTIMATE = "estimate"
ESTIMATE_KEYS = ("formula", "coefficients")
#: Longest formula (characters) and most terms of one predictor: bounds.
MAX_FORMULA_CHARS = 2000
MAX_TERMS = 100

_PARSER = DefaultFormulaParser()


def parse_linear_formula(text: str) -> tuple[tuple[str, ...], ...]:
    """The terms of a one-sided formula (``~`` optional), the intercept as
    ``()`` first, then main effects and interactions in R's order (by degree,
    then as written).

    >>> parse_linear_formula("~ trade + ally")
    ((), ('trade',), ('ally',))
    >>> parse_linear_formula("~ a * b - 1")
    (('a',), ('b',), ('a', 'b'))

    Raises
    ------
    InputError
        Anything but column names, ``:``, ``*``, ``1``, ``0`` and ``- 1``, or
        a formula without any term.
    """
    if len(text) > MAX_FORMULA_CHARS:
        raise InputError(f"formula longer than {MAX_FORMULA_CHARS} characters")
    body = text.strip()
    if body.startswith("~"):
        body = body[1:]
    if "~" in body:
        raise InputError(f"formula {text.strip()!r} is one-sided: '~ x + z' (no outcome)")
    if not body.strip():
        raise InputError("the formula is empty; write '~ 1' for a constant to estimate")
    try:
        parsed = list(_PARSER.get_terms(body))
    except (FormulaicError, AttributeError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"formula {text.strip()!r} cannot be parsed: {first}") from None
    intercept = False
    terms: list[tuple[str, ...]] = []
    for term in parsed:
        assert isinstance(term, FormulaicTerm)
        names: list[str] = []
        for factor in term.factors:
            if factor.eval_method.value == "literal" and factor.expr == "1":
                intercept = True
                continue
            expr = str(factor.expr)
            if factor.eval_method.value != "lookup" or not IDENT.match(expr):
                raise InputError(
                    f"formula {text.strip()!r}: {expr!r} is not a column name; only column "
                    "names, ':' and '*' interactions, 1, 0 and - 1 are allowed (compute "
                    "transformed columns in the data first)"
                )
            names.append(expr)
        if names:
            terms.append(tuple(dict.fromkeys(names)))
    unique = list(dict.fromkeys(terms))
    ranked = sorted(unique, key=len)  # stable: R orders terms by degree, then as written
    out = ([()] if intercept else []) + ranked
    if not out:
        raise InputError(
            f"formula {text.strip()!r} has no term: a parameter fixed at 0 needs no estimate"
        )
    if len(out) > MAX_TERMS:
        raise InputError(f"formula has {len(out)} terms; at most {MAX_TERMS} are allowed")
    return tuple(out)


def split_estimated(raw: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    """The ``parameters`` section without the entries declared with
    ``estimate:``, and those entries by parameter id."""
    if not isinstance(raw, dict):
        return raw, {}
    estimated = {
        pid: spec for pid, spec in raw.items() if isinstance(spec, dict) and ESTIMATE in spec
    }
    rest = {pid: spec for pid, spec in raw.items() if pid not in estimated}
    return rest, estimated


def head_specs(
    estimated: Mapping[str, Mapping[str, Any]], metadata_keys: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Each estimated entry's metadata (source, unit, ...) as a fixed
    parameter, so that the loader checks its citation like any other's."""
    return {
        pid: {**{k: v for k, v in spec.items() if k in metadata_keys}, "dist": "fixed", "value": 0}
        for pid, spec in estimated.items()
    }


def _coefficients(
    ck: Checker,
    raw: Any,
    path: PathKey,
    predictor: LinearPredictor,
    head: Parameter,
) -> dict[str, Parameter]:
    table = ck.mapping(raw, path, what="a mapping of the formula's terms to distributions")
    if table is None:
        return {}
    names = predictor.names
    out: dict[str, Parameter] = {}
    for name, spec in table.items():
        where: PathKey = (*path, name)
        if name not in names:
            ck.add(
                where,
                f"'{name}' is not a term of the formula{suggest(name, names)}; its terms: "
                f"{', '.join(names)}",
            )
            continue
        try:
            distribution = from_spec(spec, where=field_name(where), extra_keys=("note",))
        except InputError as error:
            ck.add_error(where, error)
            continue
        note = spec.get("note", "") if isinstance(spec, dict) else ""
        pid = f"{predictor.id}:{name}"
        out[pid] = Parameter(
            id=pid,
            distribution=distribution,
            description=f"coefficient of {name} in {predictor.id}"
            if name != INTERCEPT
            else f"intercept of {predictor.id}",
            unit="",
            sources=head.sources,
            note=ck.text(note, (*where, "note")),
            line=ck.source.key_line(where),
            judgement=head.judgement,
        )
    missing = [n for n in names if n not in table]
    if missing:
        ck.add(path, f"no distribution for the term(s) {', '.join(missing)} of the formula")
    return out


def read_linear(
    ck: Checker,
    estimated: Mapping[str, Mapping[str, Any]],
    heads: Mapping[str, Parameter],
    metadata_keys: Collection[str],
) -> tuple[list[LinearPredictor], dict[str, Parameter]]:
    """The linear predictors of the entries declared with ``estimate:``, and
    the parameters of their fitted coefficients (``<id>:<term>``).

    ``heads`` are the entries' own parameters as the loader read them (for
    their checked sources); an entry missing from it was refused there.
    """
    predictors: list[LinearPredictor] = []
    coefficients: dict[str, Parameter] = {}
    for pid, spec in estimated.items():
        path: PathKey = ("parameters", pid)
        head = heads.get(pid)
        if head is None:
            continue
        extra = [k for k in spec if k != ESTIMATE and k not in metadata_keys]
        if extra:
            ck.add(
                (*path, extra[0]),
                f"'{extra[0]}': a parameter estimated from data takes its distribution from "
                "its coefficients, not from dist keys; remove it (or remove 'estimate')",
            )
            continue
        body = ck.mapping(
            spec[ESTIMATE],
            (*path, ESTIMATE),
            allowed=ESTIMATE_KEYS,
            required=("formula",),
            what="a mapping with a formula, e.g. {formula: '~ trade + ally'}",
        )
        if body is None or "formula" not in body:
            continue
        formula = body["formula"]
        where: PathKey = (*path, ESTIMATE, "formula")
        if not isinstance(formula, str):
            ck.add(where, f"expected a formula such as '~ trade + ally', got {kind_of(formula)}")
            continue
        try:
            terms = parse_linear_formula(formula)
        except InputError as error:
            ck.add_error(where, error)
            continue
        bad = [c for t in terms for c in t if c == pid]
        if bad:
            ck.add(where, f"the formula of '{pid}' uses '{pid}' itself")
            continue
        predictor = LinearPredictor(
            pid, formula.strip(), terms, "coefficients" in body, ck.source.key_line(path)
        )
        if predictor.fitted:
            found = _coefficients(
                ck, body["coefficients"], (*path, ESTIMATE, "coefficients"), predictor, head
            )
            coefficients.update(found)
        predictors.append(predictor)
    return predictors, coefficients


def check_columns(
    ck: Checker, predictors: list[LinearPredictor], parameters: Mapping[str, Parameter]
) -> None:
    """A predictor's columns are data columns; once fitted they must also be
    parameters (their values in the case forecast). No column may be another
    estimated parameter."""
    estimated = {p.id for p in predictors}
    for predictor in predictors:
        where: PathKey = ("parameters", predictor.id, ESTIMATE, "formula")
        for column in predictor.columns:
            if column in estimated:
                ck.add(
                    where,
                    f"column '{column}' is itself estimated; a formula's columns are data "
                    f"(use the columns of '{column}' instead)",
                )
            elif predictor.fitted and column not in parameters:
                ck.add(
                    where,
                    f"column '{column}' is not a parameter: a fitted formula's columns are "
                    f"parameters holding the case forecast; declare '{column}'"
                    f"{suggest(column, parameters)}",
                )
