"""The worked example of ``docs/scenario-format.md`` on provenance, views and
structural uncertainty is loaded, forecast and compared, so that page cannot
drift from the loader; what the page says about it is checked here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from realpolitik.analysis.compare import compare
from realpolitik.analysis.forecast import forecast
from realpolitik.scenario.load import load

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def worked_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    found = [b for b in blocks if b.lstrip().startswith("# worked example")]
    assert len(found) == 1, "the doc must have one ```yaml block starting '# worked example'"
    return found[0]


def test_worked_example_loads_forecasts_and_compares() -> None:
    sc = load(text=worked_example(), name="doc-views.yaml")
    assert sc.warnings == ()
    assert sc.solve.lam_varies and "lambda" in sc.parameter_ids
    assert [v.id for v in sc.views] == ["analyst_a", "analyst_b"]
    doc = forecast(sc, draws=500, seed=1).to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["noise"]["lambda_drawn"] is True
    assert "partner_value" in doc["judgement"]["judgement_parameters"]
    result = compare(sc, draws=300, seed=2)
    a, b = result.decompositions["analyst_a"], result.decompositions["analyst_b"]
    # the page names each view's two elements
    assert a.elements == ("parameter:partner_value", "term:defender.credibility")
    assert b.elements == ("term:third.punishment", "lambda")
    for d in (a, b):
        assert d.method == "shapley"
        np.testing.assert_allclose(d.contributions.sum(axis=0), d.total, atol=1e-12)
