"""Start-up time of commands that do not solve, and bytes per stored draw.

Start-up: ``realpolitik scenarios``, ``--help`` and ``validate`` run as fresh
processes, N times each, for this checkout and (with ``--before DIR``, a
``src`` folder of an earlier commit, e.g. ``git archive 726f972 src | tar -x
-C DIR``) for the earlier code, interleaved; the fastest run of each is the
least disturbed (the machine is shared). Store: the flagship forecast over
``--draws`` draws recorded with each ``--keep``; bytes per draw are the file's
size over the draws (so they include the chunk sums and DuckDB's fixed
overhead), and the forecast read back is checked to equal the in-memory one.

    python benchmarks/bench_newcomer.py --before /tmp/before/src --draws 1200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

HERE = Path(__file__).resolve().parent
COMMANDS = (["scenarios"], ["--help"], ["validate", LEGACY_FLAGSHIP])
LAUNCH = "from realpolitik.cli.main import entry; entry()"


def startup(src: Path | None, args: list[str], runs: int) -> list[float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", LAUNCH, *args], env=env, check=True, capture_output=True
        )
        times.append(time.perf_counter() - t0)
    return times


def store_bytes(draws: int, keep: str, folder: Path) -> dict[str, float]:
    import realpolitik as rp
    from realpolitik.analysis.forecast_runs import from_store

    path = folder / f"{keep}.duckdb"
    t0 = time.perf_counter()
    made = rp.forecast(LEGACY_FLAGSHIP, draws=draws, seed=1, store=path, keep=keep)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = from_store(path, 1)
    read = time.perf_counter() - t0
    assert json.dumps(back.to_json()) == json.dumps(made.to_json()), keep
    size = path.stat().st_size
    return {"bytes": size, "bytes_per_draw": size / draws, "run_s": seconds, "read_s": read}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, help="src folder of the earlier code")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--draws", type=int, default=1_200_000)
    parser.add_argument("--skip-store", action="store_true")
    options = parser.parse_args()
    record: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "load": os.getloadavg()[0],
        "startup": {},
        "store": {},
    }
    for args in COMMANDS:
        name = " ".join(args)
        row: dict[str, float] = {}
        for label, src in (("before", options.before), ("after", None)):
            if label == "before" and src is None:
                continue
            times = startup(src, args, options.runs)
            row[f"{label}_min_s"] = min(times)
            row[f"{label}_median_s"] = sorted(times)[len(times) // 2]
        record["startup"][name] = row  # type: ignore[index]
        print(name, row, flush=True)
    if not options.skip_store:
        with tempfile.TemporaryDirectory() as tmp:
            for keep in ("all", "outcomes", "summary"):
                row = store_bytes(options.draws, keep, Path(tmp))
                record["store"][keep] = row  # type: ignore[index]
                print(keep, row, flush=True)
    out = HERE / "results" / "newcomer.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
