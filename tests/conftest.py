"""Shared fixtures: where the peer-computed reference results live.

Tests read peer results from ``tests/reference/`` (vendored, with provenance
and licences in its README), so that they pass on a fresh clone with nothing
beside the repository. ``../shared/reference`` (or ``$REALPOLITIK_SHARED``) is
only the source the copy is refreshed from; the tests never read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP

REPO_ROOT = Path(__file__).resolve().parents[1]


#: The vendored reference data (see tests/reference/README.md).
REFERENCE = REPO_ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def games_reference() -> dict[str, Any]:
    """``reference/games/reference.json``: pygambit 16.7.0 results per game."""
    with open(REFERENCE / "games" / "reference.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@pytest.fixture(scope="session")
def flagship() -> rp.Scenario:
    """The built-in flagship scenario, loaded once."""
    return rp.load(LEGACY_FLAGSHIP)
