"""A scenario's ``correlations`` section: located errors, and contradictory
correlations refused with the reason (:mod:`realpolitik.scenario.load`).
"""

from __future__ import annotations

import pytest

from hand_scenarios import CHOICE
from realpolitik.errors import InputError
from realpolitik.scenario.load import load


def with_correlations(block: str) -> str:
    return CHOICE + block


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "correlations:\n  - [x, y, 0.5]\n",
            r"c.yaml:\d+: correlations\[0\]: unknown parameter 'y'.*parameters: x, w, k",
        ),
        ("correlations:\n  - [x, w, 1.5]\n", r"c.yaml:\d+: .*number in \[-1, 1\], got float 1.5"),
        ("correlations:\n  - [x, x, 0.5]\n", r"correlated with itself"),
        ("correlations:\n  - [x, k, 0.5]\n", r"'k' is fixed, so it cannot be correlated"),
        ("correlations:\n  - [x, w]\n", r"a correlation is \[parameter, parameter, coefficient\]"),
        ("correlations:\n  - [x, w, 0.2]\n  - [w, x, 0.3]\n", r"already given in entry 0"),
        ("correlations: {x: w}\n", r"expected a list of \[parameter, parameter, coefficient\]"),
    ],
)
def test_bad_correlations_are_located(block: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(text=with_correlations(block), name="c.yaml")


def test_contradictory_correlations_are_rejected_with_the_reason() -> None:
    three = CHOICE.replace(
        "  k: {dist: fixed, value: 2, source: s}",
        "  k: {dist: fixed, value: 2, source: s}\n  z: {dist: uniform, low: 0, high: 1, source: s}",
    )
    # x ~ w and x ~ z strongly, but w and z strongly opposed: not PSD
    text = three + "correlations:\n  - [x, w, 0.9]\n  - [x, z, 0.9]\n  - [w, z, -0.9]\n"
    with pytest.raises(InputError) as caught:
        load(text=text, name="c.yaml")
    line = caught.value.lines()[0]
    assert line.startswith("c.yaml:")
    assert "not positive semi-definite (smallest eigenvalue" in line
    assert "contradict each other" in line
