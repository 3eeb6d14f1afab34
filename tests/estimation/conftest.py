"""Fixtures of the estimation tests (data under ``tests/estimation/reference``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from games_oracle import REFERENCE_DIR, load_r_reference


@pytest.fixture(scope="session")
def r_games() -> dict[str, Any]:
    """Results of R's games 1.1.2 (fits, profile, predictions, tests, designs)."""
    return load_r_reference()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR
