"""The flagship at 10^6 draws, one run, for side-by-side comparisons of two
versions of realpolitik: run it with PYTHONPATH pointing at each version's
src/ (alternating, several times) and compare CPU time, which depends less
on other jobs than wall time does. Prints one JSON line.

Run: PYTHONPATH=<checkout>/src python benchmarks/ab_flagship.py [local|threads]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import realpolitik as rp
from realpolitik.analysis.forecast import forecast

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)


def main() -> None:
    executor = sys.argv[1] if len(sys.argv) > 1 else "local"
    scenario = rp.load(LEGACY_FLAGSHIP)
    forecast(scenario, draws=20000, seed=1)  # compiled kernels loaded before timing
    store = Path(tempfile.mkdtemp()) / "ab.duckdb"
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    result = forecast(scenario, draws=10**6, seed=2022, store=store, executor=executor)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    store.unlink()
    store.parent.rmdir()
    neutral = result.actions.set_index("action").loc["neutral", "probability"]
    record = {"src": rp.__file__, "wall_s": wall, "cpu_s": cpu, "load": load}
    print(json.dumps({**record, "neutral": float(neutral)}))


if __name__ == "__main__":
    main()
