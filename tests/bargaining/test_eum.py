"""The expected-utility model against the replication of Scholz et al. (2011),
published figures, and a straightforward per-pair implementation of the
equations written here (for the variants that have no peer run).

Peer run: ``bargaining/scholz_ec_emissions/reference_output_jmckib_model_10rounds.json``
(jmckib/bdm-scholz-expected-utility-model @55f63e9f, reported by its author to
replicate Scholz et al. exactly; independently re-derived).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from realpolitik.bargaining.data import read_bdm_csv
from realpolitik.bargaining.eum import (
    VARIANTS,
    EUMVariant,
    eum_rounds,
    get_variant,
    run_eum,
    support,
    win_probability,
)
from realpolitik.bargaining.types import BargainingProblem
from realpolitik.errors import InputError

EC = "bargaining/scholz_ec_emissions"

# Published mean position, rounds 0-10, of the EC emissions example: Scholz,
# Calbert and Smith (2011), as tabulated in reference/bargaining/README.md
# (Masad's "Original" curve, Figures/MeanPositions.png, has the same values).
PUBLISHED_MEAN = [7.390, 7.461, 7.553, 7.590, 7.358, 7.349, 7.415, 7.510, 7.572, 7.325, 7.242]

# Bueno de Mesquita (1994), ch. 4, quadrant chart from Belgium's perspective
# (reproduced by Scholz et al. 2011 and Masad, Figures/BelgiumEU.png): Belgium's
# expected utility of challenging each actor, E^B(U_Bj), in round 1.
PUBLISHED_BELGIUM_EU = {
    "Denmark": -0.832,
    "UK": -0.655,
    "Germany": -0.473,
    "Netherlands": -0.473,
    "France": -0.115,
    "Italy": -0.115,
    "Luxembourg": 0.606,
}

# Masad (2014), "Replicating a replication of BDM" (pairwise-probability
# version), round-1 risk exponents in actor order of the input file, as quoted
# in reference/bargaining/ALGORITHMS.md section 1.5.
PUBLISHED_MASAD_R1 = [1.127, 0.781, 0.500, 1.127, 1.078, 1.078, 2.000, 0.525, 1.472, 1.140]


@pytest.fixture(scope="module")
def reference(reference_dir: Path) -> dict[str, Any]:
    with open(reference_dir / EC / "reference_output_jmckib_model_10rounds.json") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@pytest.fixture(scope="module")
def ec_problem(reference_dir: Path) -> BargainingProblem:
    return read_bdm_csv(reference_dir / EC / "ExampleActors_sal01_jmckib.csv")


def test_every_round_matches_the_replication(
    ec_problem: BargainingProblem, reference: dict[str, Any]
) -> None:
    run = run_eum(ec_problem, variant="scholz", rounds=10)
    names = list(ec_problem.actors)
    assert names == reference["actors"]
    assert run.extra["median"][0, 0] == pytest.approx(reference["round0"]["median"], abs=1e-9)
    assert run.extra["mean"][0, 0] == pytest.approx(reference["round0"]["mean"], abs=1e-9)
    assert len(reference["rounds"]) == run.n_turns == 10
    for rec in reference["rounds"]:
        t = rec["round"]
        r = np.array([rec["r"][a] for a in names])
        x = np.array([rec["positions"][a] for a in names])
        np.testing.assert_allclose(run.extra["risk_exponent"][t - 1, :, 0], r, rtol=0, atol=1e-9)
        np.testing.assert_allclose(run.positions[t, :, 0], x, rtol=0, atol=1e-9)
        assert run.extra["median"][t, 0] == pytest.approx(rec["median"], abs=1e-9)
        assert run.extra["mean"][t, 0] == pytest.approx(rec["mean"], abs=1e-9)
    assert run.forecast[0] == pytest.approx(reference["rounds"][-1]["median"], abs=1e-9)


def test_every_move_matches_the_replication(
    ec_problem: BargainingProblem, reference: dict[str, Any]
) -> None:
    run = run_eum(ec_problem, rounds=10)
    kinds = {
        "confrontation": "conflict",
        "compromise": "compromise",
        "capitulation": "capitulation",
    }
    names = list(ec_problem.actors)
    for rec in reference["rounds"]:
        t = rec["round"]
        ours = [m for m in run.moves if m.turn == t]
        assert [(m.actor, m.kind, m.counterpart) for m in ours] == [
            (m["actor"], kinds[m["type"]], m["with"]) for m in rec["moves"]
        ]
        for mine, theirs in zip(ours, rec["moves"], strict=True):
            assert mine.new[0] == pytest.approx(theirs["new_pos"], abs=1e-9)
            a, j = names.index(theirs["actor"]), names.index(theirs["with"])
            assert run.extra["eu_self"][t - 1, a, j, 0] == pytest.approx(
                theirs["eu_self"], abs=1e-9
            )
            assert run.extra["eu_other"][t - 1, a, j, 0] == pytest.approx(
                theirs["eu_other"], abs=1e-9
            )


def test_published_mean_trajectory(ec_problem: BargainingProblem) -> None:
    run = run_eum(ec_problem, rounds=10)
    np.testing.assert_allclose(run.extra["mean"][:, 0], PUBLISHED_MEAN, rtol=0, atol=5e-4)


def test_published_belgium_expected_utilities(ec_problem: BargainingProblem) -> None:
    run = run_eum(ec_problem, rounds=1)
    names = list(ec_problem.actors)
    b = names.index("Belgium")
    for other, value in PUBLISHED_BELGIUM_EU.items():
        j = names.index(other)
        assert run.extra["eu_self"][0, b, j, 0] == pytest.approx(value, abs=5e-4), other
    # The chart's other axis, E^B(U_jB), sits at about +0.25 for every rival.
    rivals = [names.index(o) for o in PUBLISHED_BELGIUM_EU]
    np.testing.assert_allclose(run.extra["eu_other"][0, b, rivals, 0], 0.25, atol=0.01)


def test_salience_in_percent_gives_the_same_run(reference_dir: Path) -> None:
    unit = run_eum(read_bdm_csv(reference_dir / EC / "ExampleActors_sal01_jmckib.csv"))
    pct = run_eum(read_bdm_csv(reference_dir / EC / "ExampleActors_sal100_dmasad.csv"))
    np.testing.assert_allclose(pct.positions, unit.positions, rtol=0, atol=1e-12)


def test_masad_variant_matches_masads_published_risk_exponents(
    ec_problem: BargainingProblem,
) -> None:
    run = run_eum(ec_problem, variant="masad", rounds=6)
    np.testing.assert_allclose(run.extra["risk_exponent"][0, :, 0], PUBLISHED_MASAD_R1, atol=5e-4)
    # Masad: Luxembourg flips between 4 and 10 every round; the mean alternates
    # between about 7.39 and 7.44.
    lux = ec_problem.actors.index("Luxembourg")
    np.testing.assert_array_equal(run.positions[:, lux, 0], [4, 10, 4, 10, 4, 10, 4])
    np.testing.assert_allclose(run.extra["mean"][1:, 0], [7.44, 7.39] * 3, atol=0.01)


def test_fixing_capitulation_does_not_change_the_ec_example(
    ec_problem: BargainingProblem,
) -> None:
    # Reference README: the code's capitulation test never fires, and the
    # published numbers are matched anyway; no EC actor is ever in that quadrant.
    fixed = run_eum(ec_problem, variant="scholz-capitulation", rounds=10)
    code = run_eum(ec_problem, variant="scholz", rounds=10)
    np.testing.assert_array_equal(fixed.positions, code.positions)


# --------------------------------------------------------------------------- #
# A straightforward per-pair implementation of the equations (ALGORITHMS.md
# section 1.3), loops over actors, to check the vectorised one on every variant.
# --------------------------------------------------------------------------- #


def naive_round(
    x: list[float], c: list[float], s: list[float], delta: float, v: EUMVariant
) -> tuple[list[float], list[float]]:
    n = len(x)
    w = [c[k] * s[k] for k in range(n)]

    def cost(p: float) -> float:
        return sum(w[k] * abs(x[k] - p) for k in range(n))

    best = min(cost(p) for p in x)
    tied = [p for p in x if cost(p) <= best + 1e-12 * sum(w) * (max(x) - min(x) + 1)]
    mean = sum(w[k] * x[k] for k in range(n)) / sum(w)
    mu = min(tied, key=lambda p: (abs(p - mean), p))

    def vote(k: int, i: int, j: int, r: list[float]) -> float:
        rk = r[k] if v.vote_risk == "voter" else 1.0
        return float(w[k] * ((abs(x[k] - x[j]) / delta) ** rk - (abs(x[k] - x[i]) / delta) ** rk))

    def probabilities(r: list[float]) -> list[list[float]]:
        total = sum(abs(vote(k, a, b, r)) for k in range(n) for a in range(n) for b in range(n))
        p = [[0.0] * n for _ in range(n)]
        for i, j in itertools.product(range(n), range(n)):
            if x[i] == x[j]:
                continue
            votes = [vote(k, i, j, r) for k in range(n)]
            positive = sum(max(u, 0.0) for u in votes)
            if v.probability == "global":
                num, den = positive, total
            elif v.probability == "pairwise":
                num, den = positive, sum(abs(u) for u in votes)
            else:
                num, den = max(sum(votes), 0.0), sum(abs(u) for u in votes)
            p[i][j] = num / den if den > 0 else 0.0
        return p

    def eu(e: int, i: int, j: int, r: list[float], p: list[list[float]]) -> float:
        re = r[e]
        d = abs(x[i] - x[j]) / delta
        us = 2 - 4 * (0.5 - 0.5 * d) ** re
        uf = 2 - 4 * (0.5 + 0.5 * d) ** re
        usq = 2 - 4 * 0.5**re
        g = (abs(x[i] - mu) + abs(x[i] - x[j])) / delta
        ub = 2 - 4 * (0.5 - 0.25 * g) ** re
        uw = 2 - 4 * (0.5 + 0.25 * g) ** re
        value = s[j] * (p[i][j] * us + (1 - p[i][j]) * uf) + (1 - s[j]) * us
        return float(value - v.q * usq - (1 - v.q) * (v.t * ub + (1 - v.t) * uw))

    ones = [1.0] * n
    p1 = probabilities(ones)
    danger = [sum(eu(b, b, a, ones, p1) for b in range(n) if b != a) for a in range(n)]
    hi, lo = max(danger), min(danger)
    big_r = [(2 * d - hi - lo) / (hi - lo) if hi > lo else 0.0 for d in danger]
    r = [(1 - q / 3) / (1 + q / 3) for q in big_r]
    p = probabilities(r)

    new = list(x)
    for a in range(n):
        offers: list[tuple[str, int, float, float, float]] = []  # kind, j, new x, e_aj, e_ja
        sent: list[tuple[int, float, float]] = []
        for j in range(n):
            if x[j] == x[a]:
                continue
            e_aj = eu(a, a, j, r, p)
            e_ja = eu(a, j, a, r, p) if v.perspective == "receiver" else eu(j, j, a, r, p)
            kind, target = "", x[j]
            if e_ja > e_aj > 0:
                kind = "conflict"
            elif e_ja > 0 > e_aj and e_ja > abs(e_aj):
                kind, target = "compromise", x[a] + (x[j] - x[a]) * abs(e_aj / e_ja)
            elif v.capitulation == "published" and e_ja > 0 > e_aj and e_ja < abs(e_aj):
                kind = "capitulation"
            if kind:
                offers.append((kind, j, target, e_aj, e_ja))
            if e_ja > 0:
                sent.append((j, e_ja, target if kind else float("nan")))
        if v.offer_selection == "scholz":
            for kind in ("conflict", "compromise", "capitulation"):
                group = [o for o in offers if o[0] == kind]
                if not group:
                    continue
                if kind == "compromise":
                    pick = min(
                        group,
                        key=lambda o: (
                            (abs(o[3]) * x[a] + abs(o[4]) * x[o[1]]) / (abs(o[3]) + abs(o[4]))
                        ),
                    )
                else:
                    pick = min(group, key=lambda o: abs(o[2] - x[a]))
                new[a] = pick[2]
                break
        elif v.offer_selection == "least_movement":
            if offers:
                new[a] = min(offers, key=lambda o: abs(o[2] - x[a]))[2]
        elif sent:
            top = max(e for _, e, _ in sent)
            j, _, target = min((o for o in sent if o[1] == top), key=lambda o: abs(x[o[0]] - x[a]))
            if target == target:  # the chosen offer leads to a move (not NaN)
                new[a] = target
    return new, r


VARIANTS_TO_CHECK = [
    *VARIANTS.values(),
    EUMVariant("q", q=0.6, t=0.3),
    EUMVariant("pairwise-own", probability="pairwise", perspective="own"),
    EUMVariant("neutral-least", vote_risk="neutral", offer_selection="least_movement"),
    EUMVariant("maxeu-receiver", offer_selection="max_eu", capitulation="published", q=0.8),
]


@pytest.mark.parametrize("variant", VARIANTS_TO_CHECK, ids=lambda v: v.name)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_rounds_equal_the_per_pair_equations(variant: EUMVariant, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    c = rng.uniform(0.1, 1.0, n)
    s = rng.uniform(0.05, 1.0, n)
    x = rng.choice([0.0, 15.0, 40.0, 55.0, 100.0], size=n) + rng.choice([0.0, 3.3], size=n)
    trace = eum_rounds(c, x, s, variant=variant, rounds=4)
    delta = float(np.ptp(x))
    pos = [float(v) for v in x]
    for t in range(4):
        pos, r = naive_round(pos, list(c), list(s), delta, variant)
        np.testing.assert_allclose(trace.risk_exponent[t], r, rtol=0, atol=1e-10)
        np.testing.assert_allclose(trace.positions[t + 1], pos, rtol=0, atol=1e-10)


def test_support_equals_the_sum_over_voters() -> None:
    rng = np.random.default_rng(7)
    b, n = 3, 9
    x = rng.choice([0.0, 1.0, 2.5, 4.0, 7.0, 10.0], size=(b, n))
    w = rng.uniform(0, 1, (b, n))
    r = rng.uniform(0.5, 2.0, (b, n))
    delta = np.ptp(x, axis=1)
    ours = support(x, w, r, delta)
    for bb in range(b):
        a = (np.abs(x[bb][:, None] - x[bb][None, :]) / delta[bb]) ** r[bb][:, None]  # [k, j]
        votes = w[bb][:, None, None] * (a[:, None, :] - a[:, :, None])  # [k, i, j]
        np.testing.assert_allclose(ours[bb], np.maximum(votes, 0).sum(0), rtol=1e-12, atol=1e-14)
        glob = win_probability(
            x[bb : bb + 1], w[bb : bb + 1], r[bb : bb + 1], delta[bb : bb + 1], "global"
        )[0]
        expected = np.maximum(votes, 0).sum(0) / np.abs(votes).sum()
        np.testing.assert_allclose(glob, expected, rtol=1e-12, atol=1e-16)


def test_a_batch_runs_like_each_problem_alone() -> None:
    rng = np.random.default_rng(11)
    b, n = 5, 12
    c = rng.uniform(0.1, 1.0, n)  # shared capabilities, broadcast over the batch
    x = rng.uniform(0, 100, (b, n))
    s = rng.uniform(0, 1, (b, n))
    batch = eum_rounds(c, x, s, rounds=6)
    for k in range(b):
        alone = eum_rounds(c, x[k], s[k], rounds=6)
        # Each problem's arithmetic is the same in a batch: identical results.
        np.testing.assert_array_equal(batch.positions[k], alone.positions)
        np.testing.assert_array_equal(batch.median[k], alone.median)
    # Two leading axes are kept.
    assert eum_rounds(c, x.reshape(1, b, n), s.reshape(1, b, n), rounds=2).positions.shape == (
        1,
        b,
        3,
        n,
    )


def test_convergence_stops_early() -> None:
    p = BargainingProblem(("A", "B", "C"), np.ones(3), np.full((3, 1), 5.0), np.full((3, 1), 0.5))
    run = run_eum(p, rounds=10, tol=0.0)
    assert run.n_turns == 1  # nobody can move when all agree
    assert run.extra["converged_turn"][0] == 1
    assert run.forecast[0] == 5.0


def test_dimensions_run_as_separate_issues(ec_problem: BargainingProblem) -> None:
    x = np.repeat(ec_problem.position, 2, axis=1)
    x[:, 1] = 14.0 - x[:, 1]  # the mirror image of the issue
    two = BargainingProblem(
        ec_problem.actors,
        ec_problem.capability,
        x,
        np.repeat(ec_problem.salience, 2, axis=1),
        dimensions=("a", "b"),
    )
    run = run_eum(two, rounds=3)
    one = run_eum(ec_problem, rounds=3)
    np.testing.assert_allclose(run.positions[:, :, 0], one.positions[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(run.positions[:, :, 1], 14.0 - one.positions[:, :, 0], atol=1e-9)


def test_variant_names_and_overrides() -> None:
    assert get_variant("scholz") is VARIANTS["scholz"]
    v = get_variant("scholz:q=0.5,t=0.25,probability=pairwise")
    assert (v.q, v.t, v.probability, v.capitulation) == (0.5, 0.25, "pairwise", "code")
    with pytest.raises(InputError, match="unknown EUM variant"):
        get_variant("bdm2099")
    with pytest.raises(InputError, match=r"q must lie in \[0, 1\]"):
        get_variant("scholz:q=2")
    with pytest.raises(InputError, match="bad variant override"):
        get_variant("scholz:speed=3")
    with pytest.raises(InputError, match="unknown probability"):
        get_variant("scholz:probability=magic")


def test_problems_the_model_refuses() -> None:
    two = BargainingProblem(("A", "B"), np.ones(2), np.zeros((2, 1)), np.ones((2, 1)))
    with pytest.raises(InputError, match="at least 3 actors"):
        run_eum(two)
    bad = BargainingProblem(
        ("A", "B", "C"), np.array([1.0, -1.0, 1.0]), np.zeros((3, 1)), np.ones((3, 1))
    )
    with pytest.raises(InputError, match="capability of B must be positive"):
        run_eum(bad)
    pct = BargainingProblem(("A", "B", "C"), np.ones(3), np.zeros((3, 1)), np.full((3, 1), 50.0))
    with pytest.raises(InputError, match=r"saliences must lie in \[0, 1\]"):
        run_eum(pct)
