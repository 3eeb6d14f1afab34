"""Store tests: collect reference cycles after each test, so that no DuckDB
connection (held, say, by a failed test's traceback) outlives its test and
is left for interpreter shutdown to tear down."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_connections() -> Iterator[None]:
    yield
    gc.collect()
