"""Fuzz every reader with many inputs and count what happens (issue 11).

For each target of ``tests/reliability/fuzz_targets.py`` (Gambit .nfg and
.efg, KTAB CSV and XML, BDM CSV, DEU III, scenario YAML, expressions), runs
``--inputs`` Hypothesis-generated inputs (valid files mutated, and free text)
and counts: inputs, read (``ok``), refused with one line (``refused``),
tracebacks (any other exception), hangs (an input running over ``--hang``
seconds twice: a first slow run is re-run, since a loaded machine stalls a
process now and then; the stalls are counted apart), and wrong answers (the target's independent
oracle failed, or a refusal of several lines). The first few offending inputs
of each kind are saved under ``--out`` for reproduction.

Run ``python scripts/fuzz.py`` (10^5 inputs per target, all targets, one
process per target in parallel); prints a markdown table for
docs/reliability.md and writes ``fuzz-results.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, given, settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reliability"))
from fuzz_targets import TARGETS, write_input  # noqa: E402

#: Offending inputs kept per kind and target.
KEEP = 5


class Hang(Exception):  # noqa: N818 - raised by the alarm
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hang


def timed(run: Callable[[Path], str], path: Path, limit: float) -> tuple[str, float]:
    """``run(path)`` under an alarm of ``limit`` seconds; its outcome and time."""
    signal.setitimer(signal.ITIMER_REAL, limit)
    began = time.monotonic()
    try:
        outcome = run(path)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return outcome, time.monotonic() - began


def fuzz_one(name: str, inputs: int, hang: float, out: str, seed: int) -> dict[str, Any]:
    """Run one target; the counts (see the module docstring)."""
    target = TARGETS[name]
    counts = {
        "inputs": 0,
        "ok": 0,
        "refused": 0,
        "traceback": 0,
        "hang": 0,
        "wrong": 0,
        "stall": 0,
    }
    kept: dict[str, int] = {"traceback": 0, "hang": 0, "wrong": 0}
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    signal.signal(signal.SIGALRM, _alarm)
    warnings.simplefilter("ignore")
    started = time.monotonic()

    def keep(kind: str, text: str, detail: str) -> None:
        if kept[kind] < KEEP:
            kept[kind] += 1
            (folder / f"{kind}-{kept[kind]}{target.suffix}").write_text(text, encoding="utf-8")
            (folder / f"{kind}-{kept[kind]}.why").write_text(detail, encoding="utf-8")

    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(target.inputs)
    def run(text: str) -> None:
        counts["inputs"] += 1
        path = write_input(target, text, work)
        try:
            outcome, took = timed(target.run, path, hang)
            if took > hang:
                # on a loaded machine a process can stall for seconds (or the
                # alarm lands in a garbage-collector callback, which swallows
                # it): an input is a hang only if it is slow a second time
                counts["stall"] += 1
                outcome, took = timed(target.run, path, hang)
                if took > hang:
                    raise Hang
        except Hang:
            counts["hang"] += 1
            keep("hang", text, f"over {hang} s twice")
            return
        except Exception:  # a traceback: what the campaign counts
            counts["traceback"] += 1
            keep("traceback", text, traceback.format_exc())
            return
        counts[outcome] += 1
        if outcome == "wrong":
            keep("wrong", text, "the oracle rejected the answer")

    run._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    run()
    counts["seconds"] = round(time.monotonic() - started, 1)
    return {"target": name, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--hang", type=float, default=5.0)
    parser.add_argument("--targets", nargs="*", default=sorted(TARGETS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--out", default="fuzz-out")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {sorted(TARGETS)}")
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [
            pool.submit(fuzz_one, name, args.inputs, args.hang, args.out, args.seed)
            for name in args.targets
        ]
        results = [f.result() for f in futures]
    Path(args.out).mkdir(exist_ok=True)
    (Path(args.out) / "fuzz-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        "| target | inputs | read | refused (one line) | tracebacks | hangs > 5 s | wrong "
        "| stalls re-run | time |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['target']} | {r['inputs']:,} | {r['ok']:,} | {r['refused']:,} | "
            f"{r['traceback']} | {r['hang']} | {r['wrong']} | {r['stall']} | {r['seconds']} s |"
        )


if __name__ == "__main__":
    main()
