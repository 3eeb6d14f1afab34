"""The bargaining models realpolitik knows: one table that the command line,
the web API, scenario issues and the evaluation on real outcomes all read.

Each entry gives the model's name, what it is, its defaults, how to run it on
one problem (with its trajectory and moves) and how to run it on many
problems at once (one forecast per parameter draw of a scenario issue). Both
runners take the same :class:`ModelOptions`, so adding a model is one module
plus one entry in :data:`BARGAINING_MODELS` (SALib's shape: every method
found by name and called with the same signature).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from realpolitik.bargaining.eum import DEFAULT_VARIANT, VARIANTS, eum_rounds, run_eum
from realpolitik.bargaining.smp import SMPConfig, run_smp
from realpolitik.bargaining.smp_batch import run_smp_batch
from realpolitik.bargaining.types import BargainingProblem, BargainingRun, FloatArray
from realpolitik.errors import InputError, listing


@dataclass(frozen=True)
class ModelOptions:
    """What a user may set on any model (None: the model's default).

    Attributes
    ----------
    variant : the model's variant (EUM presets such as ``scholz``, with
        ``name:field=value,...`` overrides; SMP ``ktab-default`` or
        ``ktab:field=value,...``).
    rounds : the most rounds (turns) to run.
    tol : stop once no actor moves more than this (models that support it).
    """

    variant: str | None = None
    rounds: int | None = None
    tol: float | None = None


#: ``run(problem, options)``: one problem, with its trajectory and moves.
SingleRun = Callable[[BargainingProblem, ModelOptions], BargainingRun]
#: ``run_batch(capability (B, N), position (B, N), salience (B, N), scale,
#: options)``: the forecast of each of ``B`` one-dimensional problems.
BatchRun = Callable[
    [FloatArray, FloatArray, FloatArray, tuple[float, float], ModelOptions], FloatArray
]


@dataclass(frozen=True)
class BargainingModel:
    """A bargaining model: its name, what it is, its defaults and runners."""

    name: str
    title: str
    description: str
    default_rounds: int
    variants: str
    run: SingleRun
    run_batch: BatchRun

    def describe(self) -> dict[str, Any]:
        """The entry as plain data (for JSON and the dashboard)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "default_rounds": self.default_rounds,
            "variants": self.variants,
        }


# -- the expected-utility model ------------------------------------------------


def _eum_run(problem: BargainingProblem, options: ModelOptions) -> BargainingRun:
    return run_eum(
        problem,
        variant=options.variant or DEFAULT_VARIANT,
        rounds=EUM_ROUNDS if options.rounds is None else options.rounds,
        tol=options.tol,
    )


def _eum_batch(
    capability: FloatArray,
    position: FloatArray,
    salience: FloatArray,
    scale: tuple[float, float],
    options: ModelOptions,
) -> FloatArray:
    trace = eum_rounds(
        capability,
        position,
        salience,
        variant=options.variant or DEFAULT_VARIANT,
        rounds=EUM_ROUNDS if options.rounds is None else options.rounds,
        tol=options.tol,
    )
    return np.asarray(trace.median[:, -1], dtype=np.float64)


# -- KTAB's spatial model ------------------------------------------------------


def smp_config(variant: str | None, base: SMPConfig | None = None) -> SMPConfig:
    """An :class:`SMPConfig` from ``ktab-default`` or ``ktab:field=value,...``
    (applied to ``base``, by default KTAB's default configuration)."""
    base = base or SMPConfig()
    if variant is None:
        return base
    name, _, overrides = variant.partition(":")
    if name.strip() not in ("ktab", "ktab-default"):
        raise InputError(
            f"unknown SMP variant {variant!r}; write ktab-default or ktab:field=value,...",
            field="variant",
        )
    known = {f.name for f in dataclasses.fields(SMPConfig)}
    changes: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in known:
            raise InputError(
                f"bad SMP variant override {item!r}; fields: {', '.join(sorted(known))}",
                field="variant",
            )
        default = getattr(SMPConfig(), key)
        try:
            changes[key] = type(default)(value) if isinstance(default, int | float) else value
        except ValueError:
            raise InputError(f"{key}={value!r} is not a number", field="variant") from None
    return dataclasses.replace(base, **changes)


def _no_tol(options: ModelOptions) -> None:
    if options.tol is not None:
        raise InputError("--tol applies to the EUM only", field="tol")


def _smp_run(problem: BargainingProblem, options: ModelOptions) -> BargainingRun:
    _no_tol(options)
    return run_smp(
        problem,
        config=smp_config(options.variant),
        max_turns=SMP_ROUNDS if options.rounds is None else options.rounds,
    )


def _smp_batch(
    capability: FloatArray,
    position: FloatArray,
    salience: FloatArray,
    scale: tuple[float, float],
    options: ModelOptions,
) -> FloatArray:
    _no_tol(options)
    batch = run_smp_batch(
        capability,
        position[:, :, None],
        salience[:, :, None],
        scale=scale,
        config=smp_config(options.variant),
        max_turns=SMP_ROUNDS if options.rounds is None else options.rounds,
    )
    return np.asarray(batch.forecast[:, 0], dtype=np.float64)


#: The EUM's rounds when not set (Scholz et al. 2011 report ten).
EUM_ROUNDS = 10
#: The SMP's most turns when not set (KTAB's default).
SMP_ROUNDS = 100

#: Every bargaining model, by name, in the order help texts list them.
BARGAINING_MODELS: Mapping[str, BargainingModel] = MappingProxyType(
    {
        m.name: m
        for m in (
            BargainingModel(
                name="eum",
                title="Expected-utility model",
                description="Bueno de Mesquita's expected-utility model as reproduced by "
                "Scholz, Calbert and Smith (2011): challenges, offers and compromises round by "
                "round; "
                "the forecast is the capability x salience weighted median",
                default_rounds=EUM_ROUNDS,
                variants=", ".join(VARIANTS) + f" (default {DEFAULT_VARIANT}); "
                "overrides as name:field=value,...",
                run=_eum_run,
                run_batch=_eum_batch,
            ),
            BargainingModel(
                name="smp",
                title="KTAB spatial model of politics",
                description="KTAB's spatial model of politics (KAPSARC's Toolkit for Agent-based "
                "Bargaining): coalitions, victory probabilities and bargains turn by turn "
                "until positions settle",
                default_rounds=SMP_ROUNDS,
                variants="ktab-default; overrides as ktab:field=value,...",
                run=_smp_run,
                run_batch=_smp_batch,
            ),
        )
    }
)


def bargaining_model(name: str) -> BargainingModel:
    """The model called ``name``, or an :class:`InputError` with a did-you-mean."""
    found = BARGAINING_MODELS.get(name)
    if found is None:
        names = tuple(BARGAINING_MODELS)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"unknown model '{name}'{hint}; use {listing(names)}", field="model")
    return found
