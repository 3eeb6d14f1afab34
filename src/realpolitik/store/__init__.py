"""The results store: ensemble runs, their draws and outcomes, in a DuckDB file.

See :mod:`realpolitik.store.duckdb_store` and docs/ensembles-and-store.md.
"""

from __future__ import annotations

from realpolitik.store.duckdb_store import (
    DEFAULT_STORE,
    FORMAT,
    SCHEMA_VERSION,
    STATUSES,
    RunInterrupted,
    RunRecord,
    Store,
    StoredChunk,
    check_store,
    package_versions,
)

__all__ = [
    "DEFAULT_STORE",
    "FORMAT",
    "SCHEMA_VERSION",
    "STATUSES",
    "RunInterrupted",
    "RunRecord",
    "Store",
    "StoredChunk",
    "check_store",
    "package_versions",
]
