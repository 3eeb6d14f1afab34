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
