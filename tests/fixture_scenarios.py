"""Scenario files kept under ``tests/`` as fixtures of the machinery.

``LEGACY_FLAGSHIP`` is the flagship as it was before its rebuild on evidence
(issue 14): a 28-path game of perfect information that the tests of runs,
stores, plots, the API and the dashboard use because it solves fast and its
numbers are pinned; it is not a forecast (see the file's header). Tests of the
product itself use the built-in ``china-russia-2022``.
"""

from __future__ import annotations

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

#: Path of the pre-rebuild flagship (id ``legacy-flagship``), as a string
#: because the command line and the web app take it as a scenario name.
LEGACY_FLAGSHIP = str(SCENARIOS / "legacy-flagship.yaml")

#: Its scenario id, under which the web app serves it.
LEGACY_FLAGSHIP_ID = "legacy-flagship"


def text_scenario(
    *,
    title: str,
    west: str,
    targeted: str,
    sweeping: str = "Sweeping",
    source: str = "Judgement",
    unit: str = "",
    views: str = "",
) -> str:
    """A two-move scenario (the West's package, the East's reply) whose
    free text (title, the West's name, the actions' labels, the source, the
    cost's unit, YAML ``views``) is given: for the tests that users' text is
    printed and drawn as written. Each string is put in double quotes."""
    unit_field = f', unit: "{unit}"' if unit else ""
    return f"""\
id: literal
title: "{title}"
as_of: "2024-01-01"
sources: {{s: "{source}"}}
actors: {{west: "{west}", east: East}}
parameters:
  cost: {{dist: uniform, low: 1, high: 3{unit_field}, source: s}}
moves:
  - id: package
    actor: west
    actions: {{targeted: "{targeted}", sweeping: "{sweeping}"}}
  - id: reply
    actor: east
    actions: [yield, resist]
payoffs:
  west:
    pressure: "2 * (package == sweeping) * (east == yield) - cost * (package == sweeping)"
  east:
    pride: "(east == resist) - (package == sweeping) * (east == resist) * 2"
metrics:
  resisted: {{expr: "east == resist", unit: probability}}
{views}"""
