"""Run a bargaining model on any input: a scenario's issue (at the central
values or over parameter draws) or a bargaining file (BDM CSV, KTAB CSV/XML,
one issue of a DEU III-style file). The one entry behind ``realpolitik
bargain run`` and :func:`realpolitik.bargain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from realpolitik.bargaining.data import SalienceScale, detect_format, read_problem
from realpolitik.bargaining.ktab_io import read_ktab_xml
from realpolitik.bargaining.models import SMP_ROUNDS, ModelOptions, bargaining_model, smp_config
from realpolitik.bargaining.scenario_issues import IssueEnsemble, run_issue, run_issue_draws
from realpolitik.bargaining.smp import run_smp
from realpolitik.bargaining.types import BargainingRun
from realpolitik.errors import InputError
from realpolitik.scenario.load import builtin_names, resolve
from realpolitik.scenario.model import Scenario


def is_scenario(source: Scenario | str | Path) -> bool:
    """Whether ``source`` names a scenario (loaded, a .yaml path or a
    built-in name) rather than a bargaining file."""
    if isinstance(source, Scenario):
        return True
    path = Path(source)
    return path.suffix.lower() in (".yaml", ".yml") or (
        not path.exists() and str(source) in builtin_names()
    )


def bargain(
    source: Scenario | str | Path,
    *,
    model: str = "eum",
    variant: str | None = None,
    rounds: int | None = None,
    tol: float | None = None,
    issue: str | None = None,
    draws: int = 0,
    seed: int = 0,
    values: Mapping[str, float] | None = None,
    salience_scale: SalienceScale = "auto",
) -> BargainingRun | IssueEnsemble:
    """Run a model of :data:`~realpolitik.bargaining.models.BARGAINING_MODELS`.

    Parameters
    ----------
    source : a scenario with an ``issues:`` section (loaded, a built-in name
        or a .yaml path), or a BDM CSV, KTAB CSV/XML or DEU III-style file.
    model, variant, rounds, tol : the model and its options.
    issue : a scenario's issue id, or a DEU III file's ``isnr``.
    draws, seed, values : scenarios only: forecast over parameter draws
        (returns an :class:`~realpolitik.bargaining.scenario_issues.IssueEnsemble`),
        with parameters held by hand as in :func:`realpolitik.forecast`.
    salience_scale : BDM files: ``auto``, ``1`` or ``100``.

    Returns
    -------
    A :class:`~realpolitik.bargaining.types.BargainingRun` (its trajectory,
    moves, forecast and baselines), or an ensemble summary over draws.
    """
    found = bargaining_model(model)
    if rounds is not None and rounds < 0:
        raise InputError(f"--rounds must be >= 0, got {rounds}", field="rounds")
    if tol is not None and tol < 0:
        raise InputError(f"--tol must be >= 0, got {tol}", field="tol")
    options = ModelOptions(variant=variant, rounds=rounds, tol=tol)
    if isinstance(source, Scenario) or is_scenario(source):
        scenario = source if isinstance(source, Scenario) else resolve(str(source))
        if draws:
            return run_issue_draws(
                scenario,
                issue,
                draws=draws,
                seed=seed,
                model=found.name,
                variant=variant,
                rounds=rounds,
                values=values,
            )
        return run_issue(
            scenario, issue, model=found.name, variant=variant, rounds=rounds, values=values
        )
    if draws:
        raise InputError("--draws applies to scenarios with an issues: section", field="draws")
    if values:
        raise InputError("--set applies to scenarios with an issues: section", field="set")
    path = Path(source)
    if found.name == "smp" and detect_format(path) == "ktab-xml":
        return _ktab_xml_run(path, options)
    return found.run(read_problem(path, issue=issue, salience_scale=salience_scale), options)


def _ktab_xml_run(path: Path, options: ModelOptions) -> BargainingRun:
    """KTAB's SMP on a KTAB XML scenario, keeping the file's own model
    options, seed and accommodation matrix (the variant overrides them)."""
    problem, config, seed, accommodation = read_ktab_xml(path)
    if options.tol is not None:
        raise InputError("--tol applies to the EUM only", field="tol")
    return run_smp(
        problem,
        config=smp_config(options.variant, config),
        max_turns=SMP_ROUNDS if options.rounds is None else options.rounds,
        seed=seed,
        accommodation=accommodation,
    )
