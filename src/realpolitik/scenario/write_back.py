"""Write fitted coefficients back into a scenario file's text.

After ``realpolitik estimate SCENARIO --data cases.csv --write FITTED.yaml``
each parameter declared with ``estimate:`` gains its coefficients as
distributions (normal, with the fit's estimate and standard error), and the
fit's correlations between coefficients go into ``correlations:``: normal
marginals joined by a Gaussian copula with the estimates' correlation matrix
are exactly the multivariate normal of the fit, so forecasts over draws carry
the estimation uncertainty. Formula columns that are not yet parameters are
added as fixed parameters (the case to forecast; their value is a summary of
the data that the analyst replaces), and the fit is added to ``sources:``.

Why text surgery rather than re-serialising the YAML: a scenario file is
written by people, with comments and sources in their order; only the
entries that change are replaced (in block style, at their indentation), the
rest of the file is kept byte for byte. The result is read back by the loader
before it is returned, so a file that would not load is never written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from realpolitik.errors import InputError
from realpolitik.scenario.linear import ESTIMATE
from realpolitik.scenario.load import load
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.yaml_source import SourceMap, load_yaml

__all__ = ["FittedPredictor", "write_estimates"]


@dataclass(frozen=True)
class FittedPredictor:
    """One estimated parameter's fit: its formula, and each term's estimate
    and standard error (in the formula's term order)."""

    parameter: str
    formula: str
    terms: tuple[str, ...]
    estimates: tuple[float, ...]
    std_errors: tuple[float, ...]


def _scalar(value: Any) -> str:
    """A value on one line: JSON (a valid YAML flow value, strings always
    double-quoted, so commas and colons in citations stay text), or YAML's
    flow style for what JSON cannot hold (dates)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        text = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True)
        return text.strip().removesuffix("...").strip()


def _number(value: float) -> str:
    return repr(float(value))


def _spans(lines: list[str], starts: list[int], end: int) -> list[tuple[int, int]]:
    """Line spans (0-based, end exclusive) of entries starting at ``starts``
    (sorted, 0-based) and ending before the next or at ``end``, without
    trailing blank or comment lines (they belong to what follows)."""
    spans = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else end
        while stop > start + 1 and (
            not lines[stop - 1].strip() or lines[stop - 1].lstrip()[0] == "#"
        ):
            stop -= 1
        spans.append((start, stop))
    return spans


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@dataclass
class _Layout:
    lines: list[str]
    source: SourceMap
    data: dict[str, Any]

    def top(self) -> list[tuple[str, int]]:
        keys = [(str(k[0]), n - 1) for k, n in self.source.key_lines.items() if len(k) == 1]
        return sorted(keys, key=lambda item: item[1])

    def section(self, key: str) -> tuple[int, int] | None:
        order = self.top()
        starts = [line for _, line in order]
        for (name, _), span in zip(order, _spans(self.lines, starts, len(self.lines)), strict=True):
            if name == key:
                return span
        return None

    def flow(self, key: str) -> bool:
        """Whether a top-level mapping is written in flow style (``{...}``)."""
        span = self.section(key)
        table = self.data.get(key)
        if span is None or not isinstance(table, dict) or not table:
            return False
        return any(self.source.key_lines[(key, name)] - 1 <= span[0] for name in table)

    def entries(self, key: str) -> dict[str, tuple[int, int]]:
        """The block-style entries of a top-level mapping, by key."""
        span = self.section(key)
        table = self.data.get(key)
        if span is None or not isinstance(table, dict):
            return {}
        if self.flow(key):
            raise InputError(
                f"'{key}' is written in flow style ({{...}} on one line); write one entry per "
                "line to have the fit written back",
                file=self.source.file,
                line=span[0] + 1,
            )
        starts = []
        for name in table:
            starts.append(self.source.key_lines[(key, name)] - 1)
        if len(set(starts)) != len(starts):
            raise InputError(
                f"'{key}' has several entries on one line; write one entry per line to have the "
                "fit written back",
                file=self.source.file,
                line=span[0] + 1,
            )
        order = sorted(zip(starts, table, strict=True))
        spans = _spans(self.lines, [s for s, _ in order], span[1])
        return {name: sp for (_, name), sp in zip(order, spans, strict=True)}


def _parameter_block(
    indent: str, fit: FittedPredictor, meta: Mapping[str, Any], step: str
) -> list[str]:
    out = [f"{indent}{fit.parameter}:", f"{indent}{step}{ESTIMATE}:"]
    out.append(f"{indent}{step * 2}formula: {json.dumps(fit.formula)}")
    out.append(f"{indent}{step * 2}coefficients:")
    for term, mean, se in zip(fit.terms, fit.estimates, fit.std_errors, strict=True):
        out.append(
            f"{indent}{step * 3}{json.dumps(term)}: "
            f"{{dist: normal, mean: {_number(mean)}, sd: {_number(se)}}}"
        )
    for key, value in meta.items():
        out.append(f"{indent}{step}{key}: {_scalar(value)}")
    return out


def write_estimates(
    scenario: Scenario,
    fits: Sequence[FittedPredictor],
    correlations: Sequence[tuple[str, str, float]],
    *,
    source_id: str,
    citation: str,
    new_parameters: Mapping[str, tuple[float, str]] = {},
) -> str:
    """The scenario's text with the fits written in (see the module docstring).

    Parameters
    ----------
    scenario : the scenario fitted (its ``source_text`` is edited).
    fits : each estimated parameter's coefficients.
    correlations : ``(coefficient, coefficient, rho)`` of the fit, coefficients
        named ``parameter:term``; entries of ``correlations:`` naming any of
        the refitted coefficients are replaced.
    source_id, citation : the fit as a source (added, or replaced if present).
    new_parameters : formula columns to add as fixed parameters: ``name ->
        (value, note)``.

    Raises
    ------
    InputError
        If the parameters (or sources) are written in flow style, or the
        result would not load (a bug, reported rather than written).
    """
    text = scenario.source_text
    data, source = load_yaml(text=text, name=scenario.file or "<scenario>")
    layout = _Layout(text.split("\n"), source, data)
    lines = layout.lines
    edits: list[tuple[int, int, list[str]]] = []  # (start, stop, new lines)
    params = layout.entries("parameters")
    first = min(params.values())[0]
    indent = _indent(lines[first])
    step = "  "
    for fit in fits:
        start, stop = params[fit.parameter]
        spec = data["parameters"][fit.parameter]
        meta = {k: v for k, v in spec.items() if k != ESTIMATE}
        cited = meta.get("source", [])
        cited = list(cited) if isinstance(cited, list) else [cited]
        meta["source"] = [*(c for c in cited if c != source_id), source_id]
        edits.append((start, stop, _parameter_block(indent, fit, meta, step)))
    if new_parameters:
        end = max(stop for _, stop in params.values())
        added = []
        for name, (value, note) in new_parameters.items():
            added.append(
                f"{indent}{name}: {{dist: fixed, value: {_number(value)}, source: {source_id}, "
                f"note: {_scalar(note)}}}"
            )
        edits.append((end, end, added))
    cite = f"{{cite: {_scalar(citation)}}}"
    if layout.flow("sources"):  # a one-line mapping of sources is rewritten one per line
        others = {k: v for k, v in data["sources"].items() if k != source_id}
        block = ["sources:", *(f"{step}{k}: {_scalar(v)}" for k, v in others.items())]
        span = layout.section("sources")
        assert span is not None
        edits.append((*span, [*block, f"{step}{source_id}: {cite}"]))
    else:
        sources = layout.entries("sources")
        at = _indent(lines[min(sources.values())[0]]) if sources else step
        entry = [f"{at}{source_id}: {cite}"]
        if source_id in sources:
            edits.append((*sources[source_id], entry))
        elif sources:
            end = max(stop for _, stop in sources.values())
            edits.append((end, end, entry))
        else:
            edits.append((len(lines), len(lines), ["sources:", *entry]))
    refitted = {f"{fit.parameter}:{t}" for fit in fits for t in fit.terms}
    kept: list[tuple[Any, Any, float]] = []
    for item in data.get("correlations") or []:
        pair = [*item.get("between", []), item.get("rho")] if isinstance(item, dict) else item
        if not set(pair[:2]) & refitted:
            kept.append((pair[0], pair[1], float(pair[2])))
    rows = [*kept, *correlations]
    block = ["correlations:"] + [
        f"{step}- [{json.dumps(a)}, {json.dumps(b)}, {_number(rho)}]" for a, b, rho in rows
    ]
    span = layout.section("correlations")
    if span is not None:
        edits.append((*span, block if rows else []))
    elif rows:
        edits.append((len(lines), len(lines), block))
    for start, stop, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:stop] = new
    written = "\n".join(lines)
    if not written.endswith("\n"):
        written += "\n"
    try:
        load(text=written, name=scenario.file or "<fitted scenario>")
    except InputError as error:
        raise InputError(
            f"the fitted scenario would not load ({error.problems[0]}); nothing written"
        ) from None
    return written
