"""Leave-one-case-out backtests of the case library (issue 14, part 4): a thin
wrapper over :func:`realpolitik.analysis.backtest.backtest` (the method is in
that module's docstring; ``realpolitik backtest`` is the same from the command
line). Run from the repository root::

    python scripts/backtest_case_library.py [--cases a,b,c] [--past-only]
        [--draws N --seed S] [--json FILE]

prints the tables of docs/backtests.md (mean log score and Brier score per
reported choice, and the total log score, per held-out case; then by
dimension). About a minute per case on one core. ``--past-only`` fits each
fold on the earlier cases only (a real-time test; only cases with three
earlier cases are held out).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from realpolitik.analysis.backtest import backtest
from realpolitik.scenario.case_library import CASE_NAMES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASE_NAMES), help="cases, comma-separated")
    parser.add_argument("--json", type=Path, default=None, help="write the rows as JSON here")
    parser.add_argument(
        "--past-only", action="store_true", help="fit each fold on the earlier cases only"
    )
    parser.add_argument(
        "--draws", type=int, default=0, help="mix over draws of the fitted coefficients"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the draws")
    args = parser.parse_args(argv)
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("leave-one-case-out", total=None)
        result = backtest(
            cases,
            args.past_only,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            draws=args.draws,
            seed=args.seed,
        )
    print(result.markdown(by_dimension=True))
    if args.json is not None:
        data = result.to_json()["held_out"]
        args.json.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
