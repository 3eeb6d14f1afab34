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


def main(draws: int = 5000, out: Path = Path("what-if-output")) -> dict[str, float]:
    scenario = rp.load("china-russia-2022")

    # 1. At the parameters' central values, and over their distributions
    central = rp.forecast(scenario)
    uncertain = rp.forecast(scenario, draws=draws, seed=7)
    china = uncertain.actions[uncertain.actions.actor == "china"]
    print(
        china[["action", "probability", "p05", "p95", "most_likely_share"]].to_string(index=False)
    )

    # 2. Why China stays neutral: each alternative, term by term
    why = rp.explain(scenario).table()
    print(
        why[why.actor == "china"]
        .pivot_table(index="alternative", columns="term", values="difference")
        .round(3)
        .to_string()
    )

    # 3. What if the partnership with Russia is worth as much as the analysts'
    # highest estimate? Hold it there while everything else stays uncertain,
    # on the same draws, so the difference is the partnership's alone.
    top = scenario.parameters["partnership_value"].distribution.support()[1]
    what_if = rp.forecast(scenario, draws=draws, seed=7, values={"partnership_value": top})

    def helping(result: Forecast) -> float:
        rows = result.actions[result.actions.actor == "china"].set_index("action")
        return float(rows.loc[["covert_assist", "overt_support"], "probability"].sum())

    print(
        f"P(China helps Russia): {helping(uncertain):.3f}, "
        f"with partnership_value = {top:g}: {helping(what_if):.3f}"
    )

    # 4. Which parameters move covert assistance most (one at a time)
    tornado = scenario_sensitivity(scenario, "china:covert_assist", methods=("tornado",), seed=7)
    assert tornado.tornado is not None
    print(tornado.tornado.head(5).to_string(index=False))

    # 5. Everything in one file to pass on
    out.mkdir(parents=True, exist_ok=True)
    path = write_report(
        build_report(scenario, draws=draws, seed=7, target="china:covert_assist"),
        out / "china-russia-2022.html",
    )
    print(f"report: {path}")
    return {
        "central_neutral": float(
            central.actions.set_index(["actor", "action"]).loc[("china", "neutral"), "probability"]
        ),
        "helping": helping(uncertain),
        "helping_what_if": helping(what_if),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path("what-if-output"))
    args = parser.parse_args()
    main(args.draws, args.out)
