"""Where the estimation tests find their reference data: the vendored data
sets and the results of R's ``games`` 1.1.2 written by
``reference/make_reference.R`` (see ``reference/README.md``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parent / "estimation" / "reference"

#: Outcome levels in tree order for data sets whose outcome is a text column.
TEXT_OUTCOME_LEVELS = {
    "leblang2003.csv": ["no attack", "devaluation", "defense"],
    "data_122.csv": ["LL", "LR", "RL", "RR"],
}

#: The model of Kenkel and Signorino (2014, sec. 4), replicating Leblang (2003).
LEBLANG_FORMULA = (
    "outcome ~ capcont + lreserves + overval + creditgrow + USinterest + service"
    " + contagion + prioratt - 1 | 1 | 1 | unifgov + lexports + preelec + postelec"
    " + rightgov + realinterest + capcont + lreserves"
)


def load_r_reference() -> dict[str, Any]:
    """``reference/games_reference.json``."""
    with open(REFERENCE_DIR / "games_reference.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data
