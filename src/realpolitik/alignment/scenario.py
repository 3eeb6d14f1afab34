"""Alignment scenarios: a crisis put to all UN members, as a small validated YAML file.

Why its own schema (not the game-tree scenario format): an alignment scenario
has no moves or payoff expressions; it names a covariate vintage, the fitted
coefficients with their covariance (so that forecasts carry estimation
uncertainty), and a few crisis parameters, each with a distribution, how it
enters the payoffs, and a dated source on or before ``as_of`` or a
``judgement`` saying why. What it shares with the game-tree format is read by
the same code: the located problem collector
(:class:`realpolitik.scenario.checker.Checker`: every problem as
``file:line: field: message``, all at once), ``as_of``, ``sources`` and the
``source``/``judgement`` rule (:mod:`realpolitik.scenario.provenance`), and
distributions (:func:`realpolitik.uncertainty.distributions.from_spec`: every
family of the scenario format, with its checks).

Schema
------
``kind: alignment`` (what tells it from a game-tree scenario), ``id``,
``title``, ``as_of`` (a date), ``question``; ``vintage`` (a year of the
covariate table); ``table`` (optional path to another table, relative to the
file); ``sources`` (as in the scenario format: ``key: {cite, date, url,
page, note}``); ``model``: ``covariates`` (list), ``peer_groups`` (``region``
or ``subregion``), ``fit``: ``vote`` (the table's vote column it was fitted
on), ``vintage`` (the covariates' vintage it was fitted on),
``interaction`` (``gamma`` estimated), ``prior_scale`` (or null),
``fitted_on``, ``method``, ``loglik``, ``mnl_loglik``, ``scaling: {mean,
scale}``, ``names``, ``estimate``, ``covariance``; ``crisis``: ``name:
{description, dist, <the distribution's keys>, effect, times, source,
judgement}``, where ``dist`` is any family of the scenario format
(``fixed``, ``uniform``, ``triangular``, ``pert``, ``normal``, ...),
``effect`` maps choices to the payoff added per unit of the parameter, and
``times`` optionally names a raw (unscaled) covariate that multiplies it. A
source dated after ``as_of`` is an error (not a warning as in the game-tree
format): the forecast claims the information of that day; so is a
``vintage`` or a fit's ``vintage`` after the year of ``as_of`` (a vintage
holds data published before its year).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import DERIVED, NUMERIC_COLUMNS, Scaling
from realpolitik.alignment.game import parameter_names
from realpolitik.errors import InputError
from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.provenance import first_day, read_as_of, read_citation, read_sources
from realpolitik.scenario.yaml_source import PathKey, field_name, load_yaml
from realpolitik.uncertainty.distributions import Distribution, Fixed, from_spec

__all__ = [
    "KIND",
    "AlignmentScenario",
    "CrisisParameter",
    "builtin_names",
    "load_alignment_scenario",
]

FloatArray = npt.NDArray[np.float64]

#: The ``kind`` of an alignment scenario file.
KIND = "alignment"
_TOP = (
    "kind",
    "id",
    "title",
    "as_of",
    "question",
    "vintage",
    "table",
    "sources",
    "model",
    "crisis",
)
_MODEL = ("covariates", "peer_groups", "fit")
_FIT = (
    "vote",
    "vintage",
    "interaction",
    "prior_scale",
    "fitted_on",
    "method",
    "loglik",
    "mnl_loglik",
    "scaling",
    "names",
    "estimate",
    "covariance",
)
_CRISIS_META = ("description", "effect", "times", "source", "judgement")
_PEER_GROUPS = ("region", "subregion")
_VOTE_COLUMN = re.compile(r"^vote_[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class CrisisParameter:
    """A crisis parameter: its distribution and how it enters the payoffs."""

    name: str
    description: str
    distribution: Distribution
    effect: FloatArray
    times: str | None
    sources: tuple[str, ...]
    judgement: str | None

    @property
    def dist(self) -> str:
        """The distribution's family name (``triangular``)."""
        return self.distribution.family

    @property
    def source(self) -> str | None:
        """The first source cited (None: judgement alone)."""
        return self.sources[0] if self.sources else None

    @property
    def args(self) -> dict[str, float]:
        """The distribution's numeric arguments by name (``low``, ``mode``...),
        for tables and JSON."""
        dist: Any = self.distribution  # every family is a frozen dataclass
        values = ((f.name, getattr(dist, f.name)) for f in fields(dist))
        return {k: float(v) for k, v in values if isinstance(v, int | float)}

    @property
    def central(self) -> float:
        """The distribution's mean (the value of the central forecast)."""
        return self.distribution.mean()

    def sample(self, rng: np.random.Generator, draws: int) -> FloatArray:
        """``draws`` values of the parameter (inverse transform of uniforms)."""
        return np.asarray(self.distribution.ppf(rng.random(draws)), dtype=np.float64)


@dataclass(frozen=True)
class AlignmentScenario:
    """A validated alignment scenario (see the module docstring for the fields)."""

    id: str
    title: str
    as_of: dt.date
    question: str
    vintage: int
    table: Path | None
    sources: dict[str, dict[str, str]]
    covariates: tuple[str, ...]
    peer_groups: str
    fit: dict[str, Any]
    names: tuple[str, ...]
    estimate: FloatArray
    covariance: FloatArray
    scaling: Scaling
    crisis: tuple[CrisisParameter, ...]
    file: str


def _library() -> Any:
    return resources.files("realpolitik.alignment").joinpath("library")


def builtin_names() -> list[str]:
    """Names of the built-in alignment scenarios."""
    return sorted(p.name[: -len(".yaml")] for p in _library().iterdir() if p.name.endswith(".yaml"))


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    if str(name_or_path) in builtin_names():
        return Path(str(_library().joinpath(f"{name_or_path}.yaml")))
    raise InputError(
        f"unknown alignment scenario {str(name_or_path)!r}"
        f"{suggest(str(name_or_path), builtin_names())}; built-in: "
        f"{', '.join(builtin_names())} (or give a .yaml file)",
        field="scenario",
    )


def _number(ck: Checker, value: Any, path: PathKey) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        ck.add(path, f"expected a number, got {kind_of(value)}", key=False)
        return float("nan")
    if not np.isfinite(value):
        ck.add(path, "must be a finite number", key=False)
    return float(value)


def _numbers(ck: Checker, value: Any, path: PathKey, size: int) -> FloatArray:
    if not isinstance(value, list) or len(value) != size:
        ck.add(path, f"expected a list of {size} numbers, got {kind_of(value)}")
        return np.full(size, np.nan)
    return np.array([_number(ck, v, (*path, i)) for i, v in enumerate(value)])


def _crisis(ck: Checker, name: str, spec: Any, sources: dict[str, Any]) -> CrisisParameter:
    path: PathKey = ("crisis", name)
    meta = ck.mapping(spec, path, what="a distribution with effect and a source or judgement")
    meta = meta or {}
    try:
        distribution = from_spec(meta, where=field_name(path), extra_keys=_CRISIS_META)
    except InputError as error:
        ck.add_error(path, error)
        distribution = Fixed(0.0)
    effect = np.zeros(len(CHOICES))
    raw_effect = meta.get("effect")
    table = ck.mapping(raw_effect, (*path, "effect"), what="a mapping of choices to numbers")
    if table is not None and not table:
        ck.add((*path, "effect"), "name at least one choice (yes/no/abstain/absent)")
    for choice, value in (table or {}).items():
        if choice not in CHOICES:
            ck.add(
                (*path, "effect", choice),
                f"{choice!r} is not one of yes/no/abstain/absent{suggest(choice, CHOICES)}",
            )
        else:
            effect[CHOICES.index(choice)] = _number(ck, value, (*path, "effect", choice))
    times = meta.get("times")
    known = (*NUMERIC_COLUMNS, *DERIVED)
    if times is not None and times not in known:
        ck.add(
            (*path, "times"),
            f"unknown covariate {times!r}{suggest(times, known)}; known: {', '.join(known)}",
        )
    cites, judgement = read_citation(ck, meta, path, sources)
    return CrisisParameter(
        name=name,
        description=ck.text(meta.get("description"), (*path, "description")),
        distribution=distribution,
        effect=effect,
        times=times if isinstance(times, str) and times in known else None,
        sources=cites,
        judgement=judgement or None,
    )


def _covariance(ck: Checker, raw: Any, size: int) -> FloatArray:
    path: PathKey = ("model", "fit", "covariance")
    if not isinstance(raw, list) or len(raw) != size:
        ck.add(path, f"expected {size} rows of {size} numbers, got {kind_of(raw)}")
        return np.full((size, size), np.nan)
    matrix = np.array([_numbers(ck, row, (*path, i), size) for i, row in enumerate(raw)])
    if np.isfinite(matrix).all():
        symmetric = np.allclose(matrix, matrix.T, atol=1e-9)
        if not symmetric or np.linalg.eigvalsh(matrix).min() < -1e-8:
            ck.add(path, "must be symmetric positive semidefinite")
    return matrix


def _fit(
    ck: Checker, raw: Any, columns: tuple[str, ...]
) -> tuple[dict[str, Any], FloatArray, FloatArray, Scaling]:
    path: PathKey = ("model", "fit")
    spec = ck.mapping(
        raw,
        path,
        allowed=_FIT,
        required=("vote", "vintage", "names", "estimate", "covariance", "scaling"),
    )
    spec = spec or {}
    vote = spec.get("vote")
    if vote is not None and (not isinstance(vote, str) or not _VOTE_COLUMN.match(vote)):
        ck.add((*path, "vote"), f"a vote column of the table, vote_<id>; got {kind_of(vote)}")
    vintage = spec.get("vintage")
    if vintage is not None and (isinstance(vintage, bool) or not isinstance(vintage, int)):
        ck.add((*path, "vintage"), f"expected a year, got {kind_of(vintage)}")
    interaction = spec.get("interaction", True)
    if not isinstance(interaction, bool):
        ck.add((*path, "interaction"), f"expected true or false, got {kind_of(interaction)}")
    prior = spec.get("prior_scale")
    if prior is not None and not _number(ck, prior, (*path, "prior_scale")) > 0:
        ck.add((*path, "prior_scale"), "must be > 0 (or null: no prior)")
    expected = parameter_names(("const", *columns))
    if spec.get("names", list(expected)) != list(expected):
        ck.add((*path, "names"), f"must be {list(expected)} (the covariates' order)")
    size = len(expected)
    estimate = _numbers(ck, spec.get("estimate"), (*path, "estimate"), size)
    covariance = _covariance(ck, spec.get("covariance"), size)
    scaling = (
        ck.mapping(
            spec.get("scaling"),
            (*path, "scaling"),
            allowed=("mean", "scale"),
            required=("mean", "scale"),
        )
        or {}
    )
    mean = _numbers(ck, scaling.get("mean"), (*path, "scaling", "mean"), len(columns))
    scale = _numbers(ck, scaling.get("scale"), (*path, "scaling", "scale"), len(columns))
    if np.any(scale <= 0):
        ck.add((*path, "scaling", "scale"), "must be positive")
    kept = {k: v for k, v in spec.items() if k not in ("estimate", "covariance", "names")}
    kept["interaction"] = interaction is True
    kept.setdefault("prior_scale", None)
    return kept, estimate, covariance, Scaling(columns, mean, scale)


def _covariates(ck: Checker, raw: Any) -> tuple[str, ...]:
    path: PathKey = ("model", "covariates")
    known = (*NUMERIC_COLUMNS, *DERIVED)
    if not isinstance(raw, list) or not raw:
        ck.add(path, f"expected a list of covariate names ({', '.join(known)})")
        return ()
    for i, name in enumerate(raw):
        if name not in known:
            ck.add((*path, i), f"unknown covariate {name!r}{suggest(name, known)}", key=False)
    return tuple(str(c) for c in raw)


def load_alignment_scenario(name_or_path: str | Path) -> AlignmentScenario:
    """Read and validate an alignment scenario (a built-in name or a YAML file).

    Raises
    ------
    InputError
        Every problem of the file at once, each with its line.
    """
    path = _resolve(name_or_path)
    data, source = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("an alignment scenario is a mapping of fields", file=str(path), line=1)
    ck = Checker(source)
    ck.mapping(
        data, (), allowed=_TOP, required=("kind", "id", "title", "as_of", "vintage", "model")
    )
    if "kind" in data and data["kind"] != KIND:
        ck.add(("kind",), f"an alignment scenario has kind: {KIND}, got {kind_of(data['kind'])}")
    as_of_text = read_as_of(ck, data.get("as_of"))
    as_of = dt.date.fromisoformat(as_of_text) if as_of_text else None
    sources = read_sources(ck, data.get("sources"))
    for sid, cited in sources.items():
        if as_of is not None and cited.date and first_day(cited.date) > as_of:
            ck.add(("sources", sid, "date"), f"{cited.date} is after as_of {as_of}")
    vintage = data.get("vintage")
    if isinstance(vintage, bool) or not isinstance(vintage, int):
        ck.add(("vintage",), f"expected a year of the covariate table, got {kind_of(vintage)}")
    model = (
        ck.mapping(
            data.get("model"),
            ("model",),
            allowed=_MODEL,
            required=("covariates", "peer_groups", "fit"),
        )
        or {}
    )
    columns = _covariates(ck, model.get("covariates"))
    peer = ck.text(model.get("peer_groups"), ("model", "peer_groups"))
    if peer and peer not in _PEER_GROUPS:
        ck.add(("model", "peer_groups"), f"must be one of {', '.join(_PEER_GROUPS)}, not {peer!r}")
    fit, estimate, covariance, scaling = _fit(ck, model.get("fit"), columns)
    # a vintage holds data published before its year: none may postdate as_of
    years: tuple[tuple[PathKey, Any], ...] = (
        (("vintage",), vintage),
        (("model", "fit", "vintage"), fit.get("vintage")),
    )
    for where, year in years:
        known = isinstance(year, int) and not isinstance(year, bool)
        if as_of is not None and known and year > as_of.year:
            ck.add(where, f"vintage {year} is after as_of {as_of}: nothing later may enter")
    crisis_spec = data.get("crisis")
    table = (
        ck.mapping(crisis_spec, ("crisis",), what="a mapping of crisis parameters")
        if (crisis_spec is not None)
        else {}
    )
    crisis = tuple(_crisis(ck, str(name), spec, sources) for name, spec in (table or {}).items())
    if ck.problems:
        raise InputError(problems=ck.problems)
    own_table = data.get("table")
    return AlignmentScenario(
        id=ck.text(data.get("id"), ("id",)),
        title=ck.text(data.get("title"), ("title",)),
        as_of=as_of or dt.date.min,
        question=ck.text(data.get("question"), ("question",)),
        vintage=int(vintage or 0),
        table=(path.parent / str(own_table)) if own_table else None,
        sources={
            sid: {
                k: v
                for k, v in (
                    ("cite", s.cite),
                    ("date", s.date),
                    ("url", s.url),
                    ("page", s.page),
                    ("note", s.note),
                )
                if v
            }
            for sid, s in sources.items()
        },
        covariates=columns,
        peer_groups=peer,
        fit=fit,
        names=parameter_names(("const", *columns)),
        estimate=estimate,
        covariance=covariance,
        scaling=scaling,
        crisis=crisis,
        file=str(path),
    )
