"""Alignment scenarios: a crisis put to all UN members, as a small validated YAML file.

Why its own schema (not the game-tree scenario format): an alignment scenario
has no moves or payoff expressions; it names a covariate vintage, the fitted
coefficients with their covariance (so that forecasts carry estimation
uncertainty), and a few crisis parameters, each with a distribution, how it
enters the payoffs, and a dated source on or before ``as_of`` or a
``judgement`` saying why. Errors are reported as ``file:line: field: message``,
all at once.

Schema
------
``id``, ``title``, ``as_of`` (a date), ``question``; ``vintage`` (a year of
the covariate table); ``table`` (optional path to another table, relative to
the file); ``sources`` (``key: {cite, date}``); ``model``: ``covariates``
(list), ``peer_groups`` (``region`` or ``subregion``), ``fit``: ``fitted_on``,
``prior_scale``, ``loglik``, ``mnl_loglik``, ``scaling: {mean, scale}``,
``names``, ``estimate``, ``covariance``; ``crisis``: ``name: {description,
dist, effect, times, source | judgement}``, where ``dist`` is ``{type: fixed,
value}``, ``{type: uniform, low, high}``, ``{type: triangular, low, mode,
high}`` or ``{type: normal, mean, sd}``; ``effect`` maps choices to the payoff
added per unit of the parameter; ``times`` optionally names a raw (unscaled)
covariate that multiplies it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import DERIVED, NUMERIC_COLUMNS, Scaling
from realpolitik.alignment.game import parameter_names
from realpolitik.errors import InputError, Problem
from realpolitik.scenario.yaml_source import SourceMap, field_name, load_yaml

__all__ = [
    "AlignmentScenario",
    "CrisisParameter",
    "builtin_names",
    "load_alignment_scenario",
]

FloatArray = npt.NDArray[np.float64]
_DISTS = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
}
_TOP = ("id", "title", "as_of", "question", "vintage", "table", "sources", "model", "crisis")
_PEER_GROUPS = ("region", "subregion")


@dataclass(frozen=True)
class CrisisParameter:
    """A crisis parameter: its distribution and how it enters the payoffs."""

    name: str
    description: str
    dist: str
    args: dict[str, float]
    effect: FloatArray
    times: str | None
    source: str | None
    judgement: str | None

    @property
    def central(self) -> float:
        """The distribution's mean (the value of the central forecast)."""
        a = self.args
        return {
            "fixed": lambda: a["value"],
            "uniform": lambda: (a["low"] + a["high"]) / 2,
            "triangular": lambda: (a["low"] + a["mode"] + a["high"]) / 3,
            "normal": lambda: a["mean"],
        }[self.dist]()

    def sample(self, rng: np.random.Generator, draws: int) -> FloatArray:
        """``draws`` values of the parameter."""
        a = self.args
        if self.dist == "fixed":
            return np.full(draws, a["value"])
        if self.dist == "uniform":
            return rng.uniform(a["low"], a["high"], draws)
        if self.dist == "triangular":
            if a["low"] == a["high"]:
                return np.full(draws, a["low"])
            return rng.triangular(a["low"], a["mode"], a["high"], draws)
        return rng.normal(a["mean"], a["sd"], draws)


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


def builtin_names() -> list[str]:
    """Names of the built-in alignment scenarios."""
    folder = resources.files("realpolitik.alignment").joinpath("library")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    if str(name_or_path) in builtin_names():
        folder = resources.files("realpolitik.alignment").joinpath("library")
        return Path(str(folder.joinpath(f"{name_or_path}.yaml")))
    raise InputError(
        f"unknown alignment scenario {str(name_or_path)!r}; built-in: "
        f"{', '.join(builtin_names())} (or give a .yaml file)",
        field="scenario",
    )


class _Checker:
    """Collects every problem with its line, then raises them together."""

    def __init__(self, data: dict[str, Any], source: SourceMap) -> None:
        self.data = data
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(
            Problem(message, self.source.file, self.source.line(path), field_name(path))
        )

    def get(self, path: tuple[str | int, ...]) -> Any:
        node: Any = self.data
        for part in path:
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
        return node

    def text(self, path: tuple[str | int, ...], *, required: bool = True) -> str:
        value = self.get(path)
        if value is None:
            if required:
                self.fail(path, "required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(path, "must be text")
            return ""
        return str(value)

    def number(self, path: tuple[str | int, ...]) -> float:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a number" if value is not None else "required")
            return float("nan")
        if not np.isfinite(value):
            self.fail(path, "must be finite")
        return float(value)

    def numbers(self, path: tuple[str | int, ...], size: int) -> FloatArray:
        value = self.get(path)
        if not isinstance(value, list) or len(value) != size:
            self.fail(path, f"must be a list of {size} numbers")
            return np.full(size, np.nan)
        return np.array([self.number((*path, i)) for i in range(size)])

    def date(self, path: tuple[str | int, ...]) -> dt.date | None:
        value = self.get(path)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(path, "must be a date (YYYY-MM-DD)" if value is not None else "required")
            return None


def _crisis(check: _Checker, name: str, as_of: dt.date | None) -> CrisisParameter:
    path: tuple[str | int, ...] = ("crisis", name)
    spec = check.get(path)
    if not isinstance(spec, dict):
        check.fail(path, "must be a mapping with dist, effect and a source or a judgement")
        spec = {}
    for key in spec:
        if key not in ("description", "dist", "effect", "times", "source", "judgement"):
            check.fail((*path, key), "unknown field")
    kind = check.text((*path, "dist", "type"))
    args: dict[str, float] = {}
    if kind and kind not in _DISTS:
        check.fail((*path, "dist", "type"), f"must be one of {', '.join(_DISTS)}")
    for arg in _DISTS.get(kind, ()):
        args[arg] = check.number((*path, "dist", arg))
    if kind == "uniform" and args["low"] > args["high"]:
        check.fail((*path, "dist"), "low must not exceed high")
    if kind == "triangular" and not args["low"] <= args["mode"] <= args["high"]:
        check.fail((*path, "dist"), "needs low <= mode <= high")
    if kind == "normal" and not args["sd"] >= 0:
        check.fail((*path, "dist", "sd"), "must be >= 0")
    effect = np.zeros(len(CHOICES))
    raw_effect = check.get((*path, "effect"))
    if not isinstance(raw_effect, dict) or not raw_effect:
        check.fail((*path, "effect"), "must map choices (yes/no/abstain/absent) to numbers")
    else:
        for choice in raw_effect:
            if choice not in CHOICES:
                check.fail((*path, "effect", choice), "not one of yes/no/abstain/absent")
            else:
                effect[CHOICES.index(choice)] = check.number((*path, "effect", choice))
    times = check.get((*path, "times"))
    if times is not None and times not in (*NUMERIC_COLUMNS, *DERIVED):
        check.fail((*path, "times"), f"unknown covariate {times!r}")
    source = check.get((*path, "source"))
    judgement = check.get((*path, "judgement"))
    if source is None and not judgement:
        check.fail(path, "needs a dated source or a judgement saying why")
    if source is not None and source not in (check.get(("sources",)) or {}):
        check.fail((*path, "source"), f"source {source!r} is not listed under sources")
    return CrisisParameter(
        name=name,
        description=check.text((*path, "description"), required=False),
        dist=kind,
        args=args,
        effect=effect,
        times=times if isinstance(times, str) else None,
        source=str(source) if source is not None else None,
        judgement=str(judgement) if judgement else None,
    )


def load_alignment_scenario(name_or_path: str | Path) -> AlignmentScenario:
    """Read and validate an alignment scenario (a built-in name or a YAML file)."""
    path = _resolve(name_or_path)
    data, source = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("an alignment scenario is a mapping of fields", file=str(path), line=1)
    check = _Checker(data, source)
    for key in data:
        if key not in _TOP:
            check.fail((key,), f"unknown field; known: {', '.join(_TOP)}")
    as_of = check.date(("as_of",))
    sources: dict[str, dict[str, str]] = {}
    raw_sources = data.get("sources") or {}
    if not isinstance(raw_sources, dict):
        check.fail(("sources",), "must map keys to {cite, date}")
        raw_sources = {}
    for key in raw_sources:
        cite = check.text(("sources", key, "cite"))
        when = check.date(("sources", key, "date"))
        if when is not None and as_of is not None and when > as_of:
            check.fail(("sources", key, "date"), f"{when} is after as_of {as_of}")
        sources[str(key)] = {"cite": cite, "date": str(when)}
    vintage = check.number(("vintage",))
    covariates = check.get(("model", "covariates"))
    if not isinstance(covariates, list) or not covariates:
        check.fail(("model", "covariates"), "must be a list of covariate names")
        covariates = []
    for i, name in enumerate(covariates):
        if name not in (*NUMERIC_COLUMNS, *DERIVED):
            check.fail(("model", "covariates", i), f"unknown covariate {name!r}")
    peer = check.text(("model", "peer_groups"))
    if peer and peer not in _PEER_GROUPS:
        check.fail(("model", "peer_groups"), f"must be one of {', '.join(_PEER_GROUPS)}")
    columns = tuple(str(c) for c in covariates)
    expected = parameter_names(("const", *columns))
    names = check.get(("model", "fit", "names"))
    if names != list(expected):
        check.fail(("model", "fit", "names"), f"must be {list(expected)} (the covariates' order)")
    size = len(expected)
    estimate = check.numbers(("model", "fit", "estimate"), size)
    cov_rows = check.get(("model", "fit", "covariance"))
    covariance = np.full((size, size), np.nan)
    if not isinstance(cov_rows, list) or len(cov_rows) != size:
        check.fail(("model", "fit", "covariance"), f"must be {size} rows of {size} numbers")
    else:
        covariance = np.array(
            [check.numbers(("model", "fit", "covariance", i), size) for i in range(size)]
        )
        if np.isfinite(covariance).all():
            sym = np.allclose(covariance, covariance.T, atol=1e-9)
            if not sym or np.linalg.eigvalsh(covariance).min() < -1e-8:
                check.fail(
                    ("model", "fit", "covariance"), "must be symmetric positive semidefinite"
                )
    mean = check.numbers(("model", "fit", "scaling", "mean"), len(columns))
    scale = check.numbers(("model", "fit", "scaling", "scale"), len(columns))
    if np.any(scale <= 0):
        check.fail(("model", "fit", "scaling", "scale"), "must be positive")
    crisis_spec = data.get("crisis") or {}
    if not isinstance(crisis_spec, dict):
        check.fail(("crisis",), "must map parameter names to their specification")
        crisis_spec = {}
    crisis = tuple(_crisis(check, str(name), as_of) for name in crisis_spec)
    table = data.get("table")
    if check.problems:
        raise InputError(problems=check.problems)
    fit = data["model"]["fit"]
    return AlignmentScenario(
        id=check.text(("id",)),
        title=check.text(("title",)),
        as_of=as_of or dt.date.min,
        question=check.text(("question",), required=False),
        vintage=int(vintage),
        table=(path.parent / str(table)) if table else None,
        sources=sources,
        covariates=columns,
        peer_groups=peer,
        fit={k: v for k, v in fit.items() if k not in ("estimate", "covariance", "names")},
        names=expected,
        estimate=estimate,
        covariance=covariance,
        scaling=Scaling(columns, mean, scale),
        crisis=crisis,
        file=str(path),
    )
