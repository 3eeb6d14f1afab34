"""The examples run as a user would run them (fewer draws)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_what_if_walkthrough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = runpy.run_path(str(EXAMPLES / "what_if.py"))
    numbers = module["main"](draws=200, out=tmp_path)
    out = capsys.readouterr().out
    assert "P(China helps Russia evade)" in out and "report:" in out
    assert (tmp_path / "china-russia-2022.html").stat().st_size > 10_000
    # the type that values Russia more helps it more: a surer prior of it
    # raises the probability of help
    assert numbers["helping_what_if"] > numbers["helping"]
    assert 0.0 < numbers["central_evade"] < 1.0
