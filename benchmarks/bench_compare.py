"""Benchmark: ``realpolitik compare`` on the flagship, and a drawn lambda.

- Compare: the flagship's three views (base, hung, techoutlook; three changed
  elements each, so 1 + 8 + 8 = 17 configurations) on 1000 common draws,
  every coalition a block of rows of one batch through the run layer
  (``realpolitik.compare``). There is no outside peer for a Shapley
  decomposition of scenario views; the baseline is the same 17
  configurations on the same draws, each its own call of the run layer (no
  batching across coalitions).
- Drawn lambda: the flagship forecast over 10^5 draws with lambda drawn
  (``solve.lambda`` a distribution) against lambda fixed, to show the cost
  of a precision per draw.

Prints markdown table rows and writes ``results/bench_compare.json``.
Run: ``python benchmarks/bench_compare.py``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import realpolitik as rp
from realpolitik.analysis.compare import (
    _base_config,
    _common_uniforms,
    _mixed,
    _Rows,
    _view_config,
    changed_elements,
)
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.run.evaluate import DEFAULT_BLOCK
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.scenario.load import load

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 3
DRAWS = 1000


def best_of(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    best = float("inf")
    out: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def flagship_text() -> str:

    return Path(LEGACY_FLAGSHIP).read_text("utf-8")


def one_configuration_at_a_time(draws: int) -> list[np.ndarray]:
    """The baseline: the same 17 configurations, each its own call of the
    run layer (no batching across coalitions)."""
    sc = load(text=flagship_text(), name="china-russia-2022.yaml")
    compiled = compile_scenario(sc)
    layout = OutcomeLayout.of(compiled)
    base = _base_config(sc)
    configs = [base]
    for view in sc.views:
        target = _view_config(sc, view)
        elements = changed_elements(sc, base, target)
        for mask in range(1 << len(elements)):
            switched = {elements[i] for i in range(len(elements)) if mask >> i & 1}
            configs.append(_mixed(base, target, switched))
    uniforms, names = _common_uniforms(sc, configs, draws, 1, "mc")
    rows = _Rows(compiled, layout, uniforms, names, DEFAULT_BLOCK, None, draws * len(configs))
    return [rows.outputs([c])[0].mean(axis=0) for c in configs]


def main() -> None:
    rp.compare(LEGACY_FLAGSHIP, draws=64)  # compile the kernels
    ours, result = best_of(lambda: rp.compare(LEGACY_FLAGSHIP, draws=DRAWS, seed=1))
    baseline, means = best_of(lambda: one_configuration_at_a_time(DRAWS))
    assert len(means) == 17
    rows: dict[str, Any] = {
        "compare": {"seconds": ours, "configurations": 17, "draws": DRAWS},
        "one_at_a_time": {"seconds": baseline},
    }
    print(
        f"| compare, flagship, 3 views, 17 configurations x {DRAWS} draws | {ours:.3f} s | "
        f"{baseline:.3f} s one configuration per call | {baseline / ours:.2f}x |"
    )
    drawn_text = flagship_text().replace(
        "  lambda: 2.0",
        '  lambda: {dist: lognormal, median: 2, sigma: 0.4, judgement: "benchmark"}',
    )
    fixed_sc = rp.load(LEGACY_FLAGSHIP)
    drawn_sc = load(text=drawn_text, name="drawn.yaml")
    assert drawn_sc.solve.lam_varies
    t_fixed, _ = best_of(lambda: rp.forecast(fixed_sc, draws=100_000, seed=1, assumptions=False), 2)
    t_drawn, _ = best_of(lambda: rp.forecast(drawn_sc, draws=100_000, seed=1, assumptions=False), 2)
    rows["lambda"] = {"fixed": t_fixed, "drawn": t_drawn, "draws": 100_000}
    print(
        f"| forecast, flagship, 10^5 draws, lambda drawn | {t_drawn:.3f} s | "
        f"{t_fixed:.3f} s lambda fixed | {t_fixed / t_drawn:.2f}x |"
    )
    record = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
        "rows": rows,
        "agree": bool(np.isfinite(result.side_by_side().to_numpy()).all()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_compare.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
