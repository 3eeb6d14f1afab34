"""The complete example of ``docs/scenario-format.md`` is loaded and
forecast, and every YAML snippet there parses, so the reference
documentation cannot drift from the loader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from realpolitik.analysis.explain import Explanation, explain
from realpolitik.analysis.forecast import forecast
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.scenario.load import load
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


# ---------------------------------------------------------------------------
# the explanation is exact: terms sum to the differences, and the differences
# are those of the continuation values of an independent solve (no terms)
def _check_exact(scenario: Scenario, why: Explanation, concept: str, lam: float | None) -> None:
    assert why.decisions
    for decision in why.decisions:
        assert sum(decision.value_terms.values()) == pytest.approx(decision.value, abs=1e-12)
        for alt in decision.alternatives:
            assert sum(alt.terms.values()) == pytest.approx(alt.difference, abs=1e-12)
            assert set(alt.terms) == {t.id for t in scenario.terms_of(decision.actor)}
    if why.settings.draws:
        return
    # central values: recompute the root decision's difference from node values
    compiled = compile_scenario(scenario)
    game = compiled.game(compiled.parameter_values(), terms=False)
    solution = solve(game, concept, lam)
    tree = compiled.tree
    root = why.decisions[0]
    player = tree.players.index(root.actor)
    ids = scenario.move(root.move).action_ids(root.actor)
    kids = tree.children(0)
    value = {a: solution.node_value[0, int(k), player] for a, k in zip(ids, kids, strict=True)}
    for alt in root.alternatives:
        assert alt.difference == pytest.approx(value[root.chosen] - value[alt.action], abs=1e-9)


# ---------------------------------------------------------------------------
# the reference documentation's complete example
def doc_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    complete = [b for b in blocks if b.lstrip().startswith("# complete example")]
    assert len(complete) == 1, "the doc must have one ```yaml block starting '# complete example'"
    return complete[0]


def test_documented_example_loads_and_forecasts() -> None:
    scenario = load(text=doc_example(), name="scenario-format.md")
    for concept in ("spe", "qre"):
        data = forecast(scenario, concept=concept).to_json()
        json.dumps(data, allow_nan=False)
    data = forecast(scenario, draws=200, seed=1).to_json()
    assert data["pathways"]
    why = explain(scenario)
    _check_exact(scenario, why, scenario.solve.concept, scenario.solve.lam)


def test_documented_snippets_parse_as_yaml() -> None:
    import yaml

    text = DOC.read_text(encoding="utf-8")
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        yaml.safe_load(block)
