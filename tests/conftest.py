"""Shared fixtures: where the peer-computed reference results live.

Tests read peer results from ``../shared/reference/`` beside the checkout (CI
places it there); ``REALPOLITIK_SHARED`` overrides the location. A missing
reference directory is an error, not a skip: the tests exist to compare with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import realpolitik as rp

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The ``shared`` directory beside the checkout (or ``$REALPOLITIK_SHARED``)."""
    override = os.environ.get("REALPOLITIK_SHARED")
    path = Path(override) if override else REPO_ROOT.parent / "shared"
    if not (path / "reference").is_dir():
        raise RuntimeError(
            f"reference data not found at {path}/reference; "
            "check out ../shared beside the repository or set REALPOLITIK_SHARED"
        )
    return path


REFERENCE = shared_dir() / "reference"


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
    return rp.load("china-russia-2022")
