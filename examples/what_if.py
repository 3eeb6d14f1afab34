"""A worked session with the Python API: the flagship forecast, its
uncertainty, the reasons, a "what if", what drives the answer, and a report.

Run: python examples/what_if.py [--draws N] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import realpolitik as rp
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.analysis.scenario_sensitivity import scenario_sensitivity
from realpolitik.report.html_report import build_report, write_report

#: The metric the session follows: the probability that China helps Russia
#: evade the sanctions (one dimension of China's joint choice).
EVADE = "china_helps_evade"


def main(draws: int = 2000, out: Path = Path("what-if-output")) -> dict[str, float]:
    scenario = rp.load("china-russia-2022")

    # 1. At the parameters' central values, and over their distributions:
    # China's joint choice, dimension by dimension
    central = rp.forecast(scenario)
    uncertain = rp.forecast(scenario, draws=draws, seed=7)
    dims = uncertain.dimensions
    print(dims[["dimension", "level", "probability", "p05", "p95"]].to_string(index=False))

    # 2. Why: China's choice against each alternative, term by term
    why = rp.explain(scenario).table()
    print(why[why.actor == "china"].head(12).to_string(index=False))

    # 3. What if China is surely the type that values Russia most? Hold the
    # prior of that type at the top of its range while everything else stays
    # uncertain, on the same draws, so the difference is the prior's alone.
    top = scenario.parameters["p_aligned"].distribution.support()[1]
    what_if = rp.forecast(scenario, draws=draws, seed=7, values={"p_aligned": top})

    def helping(result: Forecast) -> float:
        return float(result.metrics.set_index("metric").loc[EVADE, "mean"])

    print(
        f"P(China helps Russia evade): {helping(uncertain):.3f}, "
        f"with p_aligned = {top:g}: {helping(what_if):.3f}"
    )

    # 4. Which parameters move it most (one at a time)
    tornado = scenario_sensitivity(scenario, f"metric:{EVADE}", methods=("tornado",), seed=7)
    assert tornado.tornado is not None
    print(tornado.tornado.head(5).to_string(index=False))

    # 5. Everything in one file to pass on
    out.mkdir(parents=True, exist_ok=True)
    path = write_report(
        build_report(scenario, draws=draws, seed=7, target=f"metric:{EVADE}"),
        out / "china-russia-2022.html",
    )
    print(f"report: {path}")
    marginal = central.dimensions.set_index(["dimension", "level"])["probability"]
    return {
        "central_evade": float(marginal.loc[("sanctions", "help_evade")]),
        "helping": helping(uncertain),
        "helping_what_if": helping(what_if),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("what-if-output"))
    args = parser.parse_args()
    main(args.draws, args.out)
