"""The path-following engine on curves whose branches are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.solve.homotopy import (
    TraceOptions,
    TraceStatus,
    follow_to_lambdas,
    follow_until,
)

# An S-shaped branch: lam = g(x) = x^3 - 3x^2 + 2.5x + c. From x = 0 (lam = c)
# lam rises to a turning point at x = 1 - 1/sqrt(6) (lam = c + 0.636), falls to
# x = 1 + 1/sqrt(6) (lam = c + 0.364) and rises again. g(x) - c = 0.5 factors as
# (x - 1)(x^2 - 2x + 0.5): crossings at 1 - 1/sqrt(2), 1 and 1 + 1/sqrt(2).


def s_residual(shift: np.ndarray):  # type: ignore[no-untyped-def]
    def residual(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
        g = x[:, 0] ** 3 - 3 * x[:, 0] ** 2 + 2.5 * x[:, 0] + shift
        return (g - lam)[:, None]

    def jacobian(x: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dg = 3 * x[:, 0] ** 2 - 6 * x[:, 0] + 2.5
        return dg[:, None, None], -np.ones((x.shape[0], 1))

    return residual, jacobian


def test_first_crossing_of_an_s_shaped_branch() -> None:
    residual, jacobian = s_residual(np.zeros(1))
    out = follow_to_lambdas(residual, jacobian, np.zeros((1, 1)), [0.5, 0.7])
    # 0.5 is first reached on the rising part, at x = 1 - 1/sqrt(2), not at the
    # later crossings 1 or 1 + 1/sqrt(2).
    assert out.x[0, 0, 0] == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-12)
    assert out.lam[0].tolist() == [0.5, 0.7]
    # 0.7 lies above the first turning point (0.636): only the last rising
    # part reaches it, at the real root of x^3 - 3x^2 + 2.5x - 0.7 above 1.408.
    x07 = out.x[0, 1, 0]
    assert x07 > 1 + 1 / math.sqrt(6)
    assert x07**3 - 3 * x07**2 + 2.5 * x07 - 0.7 == pytest.approx(0.0, abs=1e-12)
    assert (out.status == TraceStatus.REACHED).all()
    assert (out.residual_norm <= 1e-12).all()


def test_batch_members_finish_independently_and_match_solo_runs() -> None:
    # Shifted copies reach the targets after different numbers of steps.
    shift = np.array([0.0, -0.3, 0.2, -1.0])
    x0 = np.zeros((4, 1))
    residual, jacobian = s_residual(shift)
    lam0 = 0.0
    # start on each member's branch: g(x0) = lam0 - shift is solved by a short
    # trace from the same root, so use a common start lam = 0 with x0 solving it.
    for j, c in enumerate(shift):
        roots = np.roots([1, -3, 2.5, c])
        x0[j, 0] = min(r.real for r in roots if abs(r.imag) < 1e-12)
    together = follow_to_lambdas(residual, jacobian, x0, [0.5, 0.7], lam0=lam0)
    for j in range(4):
        r1, j1 = s_residual(shift[j : j + 1])
        alone = follow_to_lambdas(r1, j1, x0[j : j + 1], [0.5, 0.7], lam0=lam0)
        assert np.allclose(alone.x[0], together.x[j], atol=1e-12)
    rows_seen: list[int] = []

    def residual_rows(x: np.ndarray, lam: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows_seen.append(rows.size)
        return s_residual(shift[rows])[0](x, lam)

    def jacobian_rows(x: np.ndarray, lam: np.ndarray, rows: np.ndarray):  # type: ignore[no-untyped-def]
        return s_residual(shift[rows])[1](x, lam)

    subset = follow_to_lambdas(residual_rows, jacobian_rows, x0, [0.5, 0.7], pass_rows=True)
    assert np.allclose(subset.x, together.x, atol=1e-12)
    assert min(rows_seen) < 4  # finished members are no longer evaluated


def test_circle_turns_back_and_the_branch_ends() -> None:
    # x^2 + (lam - 1)^2 = 1.21 from (sqrt(0.21), 0): lam rises to 2.1 at x = 0,
    # then falls and the branch leaves lam >= 0 at x = -sqrt(0.21).
    def residual(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
        return x**2 + (lam[:, None] - 1.0) ** 2 - 1.21

    def jacobian(x: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * x[:, :, None], 2.0 * (lam[:, None] - 1.0)

    out = follow_to_lambdas(residual, jacobian, np.array([[math.sqrt(0.21)]]), [1.0, 3.0])
    assert out.x[0, 0, 0] == pytest.approx(1.1, abs=1e-12)
    assert out.status[0].tolist() == [TraceStatus.REACHED, TraceStatus.BRANCH_ENDED]
    assert out.lam[0, 1] < 0.0  # the last point, past lam = 0 on the way down
    assert out.x[0, 1, 0] < 0.0


def pitchfork():  # type: ignore[no-untyped-def]
    # H = x (lam - 1) - x^3: the trivial branch x = 0 for all lam crosses the
    # branch x^2 = lam - 1 at lam = 1, a simple bifurcation point.
    def residual(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
        return x * (lam[:, None] - 1.0) - x**3

    def jacobian(x: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lam[:, None] - 1.0 - 3 * x**2)[:, :, None], x.copy()

    return residual, jacobian


def test_bifurcation_is_passed_straight_and_flagged() -> None:
    residual, jacobian = pitchfork()
    out = follow_to_lambdas(residual, jacobian, np.zeros((1, 1)), [0.5, 2.0])
    assert out.status[0].tolist() == [
        TraceStatus.REACHED,
        TraceStatus.REACHED_AFTER_BIFURCATION,
    ]
    assert out.x[0, 1, 0] == 0.0  # stayed on the branch it was following
    assert out.bifurcations[0] == 1


def test_bifurcation_stop_mode_stops_just_before_it() -> None:
    residual, jacobian = pitchfork()
    opts = TraceOptions(bifurcation="stop")
    out = follow_to_lambdas(residual, jacobian, np.zeros((1, 1)), [0.5, 2.0], options=opts)
    assert out.status[0, 1] == TraceStatus.STOPPED_AT_BIFURCATION
    assert out.lam[0, 1] == pytest.approx(1.0, abs=1e-3)
    assert out.lam[0, 1] <= 1.0


def test_follow_until_stops_and_resumes_in_the_same_direction() -> None:
    residual, jacobian = s_residual(np.zeros(1))

    def past(limit: float):  # type: ignore[no-untyped-def]
        return lambda x, lam: x[:, 0] >= limit

    first = follow_until(residual, jacobian, np.zeros((1, 1)), past(1.0))
    assert first.status[0] == TraceStatus.REACHED
    assert first.x[0, 0] >= 1.0
    # Along this branch x always increases; lam follows dlam/dx = g'(x), which
    # is negative between the turning points: the tangent keeps x increasing.
    x = first.x[0, 0]
    assert first.tangent[0, 0] > 0
    # (The tangent comes from the corrector's last Newton iterate, within
    # about 1e-3 of the curve, so the slope agrees to a few percent.)
    assert first.tangent[0, 1] / first.tangent[0, 0] == pytest.approx(
        3 * x**2 - 6 * x + 2.5, rel=0.1
    )
    second = follow_until(residual, jacobian, first, past(2.0))
    assert second.x[0, 0] >= 2.0 > first.x[0, 0]
    assert second.steps[0] > first.steps[0]
    assert abs(second.residual_norm[0]) < 1e-2


def test_bad_targets_are_input_errors() -> None:
    residual, jacobian = s_residual(np.zeros(1))
    with pytest.raises(InputError, match="ascending"):
        follow_to_lambdas(residual, jacobian, np.zeros((1, 1)), [1.0, 0.5])
    with pytest.raises(InputError, match="finite"):
        follow_to_lambdas(residual, jacobian, np.zeros((1, 1)), [np.nan])
    with pytest.raises(InputError, match="shape"):
        follow_to_lambdas(residual, jacobian, np.zeros(3), [1.0])
