"""The GPL and optional peers the tests compare with, skipped in one line when absent.

pygambit (GPL, the `peers` extra) and nashpy are test oracles only. A test that
needs one calls :func:`require` and is skipped with a line naming the peer and
how to install it, instead of failing to import.
"""

from __future__ import annotations

from types import ModuleType

import pytest

INSTALL = {
    "pygambit": "pip install -e '.[peers]' (pygambit 16.7.0, GPL, compiles for ~6 min)",
    "nashpy": "pip install -e '.[peers]'",
    "distributed": "pip install 'dask[distributed]'",
}


def require(module: str) -> ModuleType:
    """Import a peer or skip the calling test (or module) with one line naming it."""
    how = INSTALL.get(module, f"pip install {module}")
    return pytest.importorskip(module, reason=f"peer {module} not installed: {how}")
