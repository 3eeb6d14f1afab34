"""Heavy API requests (forecasts over parameter draws) in worker processes.

Why processes: a forecast over 20 000 draws holds the interpreter's lock for
much of its second or so of Python work and fills both cores, so light
requests served beside it in threads waited four times their idle time. In a
separate process it shares only the cores; its memory is returned when it
ends, and a worker killed by the system (out of memory) fails its request
with 503 instead of taking the server down. Workers are started with
``spawn`` (forking a threaded server is unsafe) and keep the scenarios they
have loaded, by the hash of their text.

Each worker leaves one core to the server: its solvers run on the cores
less one (:func:`_init_worker`).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numba

from realpolitik import kernel_cache
from realpolitik.alignment.forecast import align
from realpolitik.analysis.compare import compare
from realpolitik.analysis.explain import explain
from realpolitik.analysis.forecast import forecast
from realpolitik.bargaining.scenario_issues import run_issue_draws
from realpolitik.errors import RealpolitikError
from realpolitik.scenario.load import load
from realpolitik.scenario.model import Scenario

__all__ = ["alignment_json", "bargain_json", "compare_json", "forecast_json", "make_pool"]

_SCENARIOS: dict[str, Scenario] = {}


def _init_worker() -> None:
    numba.set_num_threads(max(1, min(numba.get_num_threads(), (os.cpu_count() or 2) - 1)))


def make_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes for heavy requests."""
    return ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
    )


def _scenario(text: str, name: str) -> Scenario:
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if key not in _SCENARIOS:
        _SCENARIOS[key] = load(text=text, name=name)
    return _SCENARIOS[key]


def forecast_json(text: str, name: str, settings: dict[str, Any]) -> tuple[str, Any]:
    """``("ok", {"forecast", "explanation"})`` or ``("error", one line)``.

    Errors travel as text: an exception's own arguments do not always
    survive pickling between processes.
    """
    try:
        scenario = _scenario(text, name)
        result = forecast(scenario, **settings)
        why = explain(scenario, **settings)
        kernel_cache.mark_warm()  # so that `serve` and the command line stop announcing it
        return "ok", {"forecast": result.to_json(), "explanation": why.to_json()}
    except RealpolitikError as error:
        return "error", error.one_line()


def bargain_json(text: str, name: str, settings: dict[str, Any]) -> tuple[str, Any]:
    """A bargaining forecast over draws: ``("ok", summary)`` or ``("error", one line)``."""
    try:
        scenario = _scenario(text, name)
        issue = settings.pop("issue")
        return "ok", run_issue_draws(scenario, issue, **settings).summary()
    except RealpolitikError as error:
        return "error", error.one_line()


def compare_json(text: str, name: str, settings: dict[str, Any]) -> tuple[str, Any]:
    """Views side by side: ``("ok", comparison)`` or ``("error", one line)``."""
    try:
        return "ok", compare(_scenario(text, name), **settings).to_json()
    except RealpolitikError as error:
        return "error", error.one_line()


def alignment_json(path: str, settings: dict[str, Any]) -> tuple[str, Any]:
    """Every member's vote in an alignment scenario (the file at ``path``):
    ``("ok", {"forecast", "members"})`` or ``("error", one line)``.
    ``members`` lists each member's ISO3 code, name and region, in the
    table's order, for the page's search."""
    try:
        result = align(path, **settings)
        members = result.countries[["iso3", "name", "region"]].astype(str)
        return "ok", {"forecast": result.to_json(), "members": members.to_dict("records")}
    except RealpolitikError as error:
        return "error", error.one_line()
