"""KTAB's spatial model of politics against KTAB's official regression log.

The reference is ``ktab_smp/reference_runs/20170530_ref-SOE-Pol-Comp.txt``,
the log KTAB's own regression test (``SMPC_RefRuns_Compare.sh``) diffs on its
"Fractional" and "prob :" lines. Everything below is parsed from that log (and
the files extracted from it) at test time; nothing of it is copied here.
Smaller checks use hand calculations written out in comments, and the Markov
elections are checked against an eigenvector computed with NumPy's linear
algebra rather than the model's damped iteration.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from realpolitik.bargaining.ktab_io import read_ktab_csv
from realpolitik.bargaining.smp import (
    SMPConfig,
    pce,
    run_smp,
    victory_probability,
    vote,
)
from realpolitik.bargaining.types import BargainingProblem, BargainingRun
from realpolitik.errors import InputError

LOG = "20170530_ref-SOE-Pol-Comp.txt"


@dataclass
class Challenge:
    target: int
    worth: str  # "%.3f"
    est: list[tuple[int, str, int, str]] = field(default_factory=list)  # (h, p, k, gain)
    bargain_init: list[str] = field(default_factory=list)  # i's proposal, "%.3f" each
    bargain_rcvr: list[str] = field(default_factory=list)


@dataclass
class ParsedLog:
    positions: dict[tuple[str, str], list[str]]
    probs: dict[str, list[str]]
    fractional: list[str]
    n_states: int
    risk: list[list[str]]  # per state, per actor, "%+.3f"
    challenges: dict[tuple[int, int], Challenge | None]  # (turn, actor) -> None: no target


def _parse_log(path: Path, n_actors: int) -> ParsedLog:
    lines = path.read_text(encoding="utf-8").splitlines()
    positions: dict[tuple[str, str], list[str]] = {}
    probs: dict[str, list[str]] = {}
    fractional: list[str] = []
    risk: list[list[str]] = []
    challenges: dict[tuple[int, int], Challenge | None] = {}
    n_states = -1
    in_history = False
    current: Challenge | None = None
    proposals = 0
    k = 0
    while k < len(lines):
        line = lines[k].strip()
        if m := re.match(r"Fractional change compared to first step: (\S+)", line):
            fractional.append(m.group(1))
        elif m := re.match(r"There were (\d+) states", line):
            n_states = int(m.group(1))
        elif line == "Inferred risk attitudes:":
            risk.append([lines[k + 1 + a].strip() for a in range(n_actors)])
            k += n_actors
        elif line == "History of actor positions over time:":
            in_history = True
        elif line == "History of actors' winning probabilities:":
            in_history = False
        elif m := re.match(r"(\S+), prob : (.*)$", line):
            probs[m.group(1)] = m.group(2).split()
        elif in_history and (m := re.match(r"(\S+), (.+?):\s+(.*)$", line)):
            positions[(m.group(1), m.group(2))] = m.group(3).split()
        elif m := re.match(
            r"In turn (\d+) actor (\d+) has most advantageous target (\d+) worth (\S+)", line
        ):
            current = Challenge(int(m.group(3)), m.group(4))
            challenges[(int(m.group(1)), int(m.group(2)))] = current
            proposals = 0
        elif m := re.match(r"In turn (\d+) Actor (\d+) has no advantageous targets", line):
            challenges[(int(m.group(1)), int(m.group(2)))] = None
        elif current is not None and (
            m := re.match(
                r"Est by\s+(\d+) of prob (\S+) that \[\s*\d+>\s*\d+\], "
                r"with expected gain to\s+(\d+) of (\S+)",
                line,
            )
        ):
            current.est.append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)))
        elif current is not None and (m := re.match(r"\d+ proposes \d+ adopt:\s+(.*)$", line)):
            # first two proposal lines: the initiator's own interpolation
            if proposals == 0:
                current.bargain_init = m.group(1).split()
            elif proposals == 1:
                current.bargain_rcvr = m.group(1).split()
            proposals += 1
        k += 1
    return ParsedLog(positions, probs, fractional, n_states, risk, challenges)


@pytest.fixture(scope="module")
def ktab_dir(reference_dir: Path) -> Path:
    return reference_dir / "bargaining" / "ktab_smp"


@pytest.fixture(scope="module")
def soe(ktab_dir: Path) -> BargainingProblem:
    return read_ktab_csv(ktab_dir / "SOE-Pol-Comp.csv")


@pytest.fixture(scope="module")
def soe_run(soe: BargainingProblem) -> BargainingRun:
    return run_smp(soe)


@pytest.fixture(scope="module")
def log(ktab_dir: Path, soe: BargainingProblem) -> ParsedLog:
    return _parse_log(ktab_dir / "reference_runs" / LOG, soe.n_actors)


# ------------------------------------------------------------------ the official log


def test_number_of_states_is_ktabs(soe_run: BargainingRun, log: ParsedLog, ktab_dir: Path) -> None:
    meta = json.loads((ktab_dir / "reference_runs" / "SOE-Pol-Comp_meta.json").read_text())
    assert log.n_states == meta["n_states"]
    assert soe_run.positions.shape[0] == log.n_states


def test_every_position_at_every_turn(
    soe: BargainingProblem, soe_run: BargainingRun, log: ParsedLog
) -> None:
    # KTAB prints 100 x position with "%5.1f" for every actor, dimension, state
    assert len(log.positions) == soe.n_actors * soe.n_dimensions
    for (actor, dim), expected in log.positions.items():
        a, d = soe.actors.index(actor), soe.dimensions.index(dim)
        ours = [f"{v:.1f}" for v in soe_run.positions[:, a, d]]
        assert ours == expected, (actor, dim)


def test_positions_match_the_extracted_csv(
    soe: BargainingProblem, soe_run: BargainingRun, ktab_dir: Path
) -> None:
    rows = (ktab_dir / "reference_runs" / "SOE-Pol-Comp_positions.csv").read_text().splitlines()
    for row in rows[1:]:
        actor, dim, *values = row.split(",")
        a, d = soe.actors.index(actor), soe.dimensions.index(dim)
        assert [f"{v:.1f}" for v in soe_run.positions[:, a, d]] == values


def test_every_prob_line(soe: BargainingProblem, soe_run: BargainingRun, log: ParsedLog) -> None:
    # "XJ, prob : 0.0618 ...": probability that each actor's position wins, "%.4f"
    assert set(log.probs) == set(soe.actors)
    win = soe_run.extra["win_probability"]
    for actor, expected in log.probs.items():
        a = soe.actors.index(actor)
        assert [f"{p:.4f}" for p in win[:, a]] == expected, actor


def test_every_stopping_ratio(soe_run: BargainingRun, log: ParsedLog) -> None:
    # "Fractional change compared to first step: %.4f", one per step; the last < 0.02
    ours = [f"{r:.4f}" for r in soe_run.extra["stopping_ratio"]]
    assert ours == log.fractional
    assert float(log.fractional[-1]) < 0.02 <= min(float(r) for r in log.fractional[:-1])


def test_risk_attitudes_of_every_state(soe_run: BargainingRun, log: ParsedLog) -> None:
    assert len(log.risk) == soe_run.positions.shape[0]
    for t, expected in enumerate(log.risk):
        assert [f"{r:+.3f}" for r in soe_run.extra["risk_attitude"][t]] == expected, t


def test_every_challenge_and_bargain(
    soe: BargainingProblem, soe_run: BargainingRun, log: ParsedLog
) -> None:
    x = soe_run.extra
    n_turns = soe_run.n_turns
    assert len(log.challenges) == n_turns * soe.n_actors
    for (t, i), chal in log.challenges.items():
        if chal is None:
            assert x["target"][t, i] == -1, (t, i)
            continue
        j = chal.target
        assert x["target"][t, i] == j, (t, i)
        assert f"{x['target_gain'][t, i]:.3f}" == chal.worth
        # the four estimates KTAB prints: (h=i,k=i), (h=i,k=j), (h=j,k=i), (h=j,k=j)
        views = {
            (i, i): (x["target_probability"], x["target_gain"]),
            (i, j): (x["target_probability"], x["target_loss"]),
            (j, i): (x["receiver_probability"], x["receiver_gain"]),
            (j, j): (x["receiver_probability"], x["receiver_loss"]),
        }
        assert len(chal.est) == 4
        for h, p, k, gain in chal.est:
            prob, du = views[(h, k)]
            assert f"{prob[t, i]:.4f}" == p, (t, i, h, k)
            assert f"{du[t, i]:+.4f}" == gain, (t, i, h, k)
        assert [f"{v:.3f}" for v in x["bargain_initiator"][t, i]] == chal.bargain_init
        assert [f"{v:.3f}" for v in x["bargain_receiver"][t, i]] == chal.bargain_rcvr


def test_turn0_details_extracted_from_the_log(soe_run: BargainingRun, ktab_dir: Path) -> None:
    details = json.loads(
        (ktab_dir / "reference_runs" / "SOE-Pol-Comp_turn0_details.json").read_text()
    )
    x = soe_run.extra
    np.testing.assert_allclose(
        x["risk_attitude"][0], details["inferred_risk_attitudes_R"], atol=5e-4
    )
    for chal in details["challenges"]:
        i = chal["initiator"]
        assert x["target"][0, i] == chal["target"]
        assert abs(x["target_probability"][0, i] - chal["p_i_beats_j_(i_view)"]) <= 5e-5
        assert abs(x["target_gain"][0, i] - chal["edu_precise"]) <= 5e-5
        np.testing.assert_allclose(
            x["bargain_initiator"][0, i], chal["bargain_init_pos"], atol=5e-3
        )


def test_moves_explain_every_change(soe: BargainingProblem, soe_run: BargainingRun) -> None:
    x = soe_run.extra
    pos = soe_run.positions
    moved = {(m.turn, m.actor) for m in soe_run.moves}
    changed = {
        (t, soe.actors[a])
        for t in range(1, pos.shape[0])
        for a in np.flatnonzero(np.any(pos[t] != pos[t - 1], axis=1))
    }
    assert moved == changed
    for m in soe_run.moves:
        k = soe.actors.index(m.actor)
        init = int(x["adopted_initiator"][m.turn - 1, k])
        rcvr = int(x["adopted_receiver"][m.turn - 1, k])
        assert m.kind == "bargain" and k in (init, rcvr) and init != rcvr
        assert m.counterpart == soe.actors[rcvr if k == init else init]
        # the new position is the adopted bargain's coordinates for this actor
        offer = x["bargain_initiator" if k == init else "bargain_receiver"][m.turn - 1, init]
        np.testing.assert_array_equal(np.asarray(m.new), offer)
        np.testing.assert_array_equal(np.asarray(m.new), pos[m.turn, k])


def test_forecast_and_baselines(soe: BargainingProblem, soe_run: BargainingRun) -> None:
    # most probable final position: the log's final "prob" column is largest
    # for MOF/SHX/HLJ at (38.8, 30.7-30.8)
    win = soe_run.extra["win_probability"][-1]
    best = int(np.argmax(win))
    np.testing.assert_array_equal(soe_run.forecast, soe_run.positions[-1, best])
    assert soe.actors[best] in {"MOF", "SHX", "HLJ"}
    # baselines by hand: weights capability x salience, e.g. on Policy
    w = soe.capability * soe.salience[:, 0]
    mean = float(np.sum(w * soe.position[:, 0]) / np.sum(w))
    assert soe_run.baselines["weighted_mean"][0] == pytest.approx(mean)
    order = np.argsort(soe.position[:, 0], kind="stable")
    cum = np.cumsum(w[order])
    median = soe.position[order, 0][np.argmax(cum >= cum[-1] / 2)]
    assert soe_run.baselines["weighted_median"][0] == median


# ------------------------------------------------------------------ kernels by hand


def test_voting_rules_by_hand() -> None:
    # w = 2, du = 0.9 - 0.6 = 0.3
    assert float(vote("Prop", 2.0, 0.9, 0.6)) == pytest.approx(0.6)
    assert float(vote("Binary", 2.0, 0.9, 0.6)) == 2.0  # du / 1e-8 clipped to 1
    assert float(vote("PropBin", 2.0, 0.9, 0.6)) == pytest.approx(2 * (0.8 * 0.3 + 0.2))
    assert float(vote("PropCbc", 2.0, 0.9, 0.6)) == pytest.approx(2 * (0.15 + 0.5 * 0.027))
    assert float(vote("Cubic", 2.0, 0.9, 0.6)) == pytest.approx(2 * 0.027)
    assert float(vote("ASymProsp", 2.0, 0.9, 0.6)) == pytest.approx(2 * 0.3 * 2 / 3)
    assert float(vote("ASymProsp", 2.0, 0.6, 0.9)) == pytest.approx(-0.6)
    assert float(vote("Binary", 2.0, 0.5, 0.5 + 5e-9)) == pytest.approx(-1.0)  # linear inside


def test_victory_models_by_hand() -> None:
    p, q = victory_probability("Linear", 3.0, 1.0)
    assert (float(p), float(q)) == pytest.approx((0.75, 0.25))
    p, _ = victory_probability("Quartic", 2.0, 1.0)
    assert float(p) == pytest.approx(16 / 17)
    p, _ = victory_probability("Octic", 2.0, 1.0)
    assert float(p) == pytest.approx(256 / 257)
    # Binary: a 10 % edge is a sure win (1 against 1e-6) ...
    p, _ = victory_probability("Binary", 1.1, 1.0)
    assert float(p) == pytest.approx(1 / (1 + 1e-6))
    # ... and in between linear: r = 1.05 / 2.05, p = (2.1 r - 1) / 0.1
    p, q = victory_probability("Binary", 1.05, 1.0)
    assert float(p) == pytest.approx((2.1 * 1.05 / 2.05 - 1) / 0.1)
    assert float(p + q) == pytest.approx(1.0)


def test_conditional_pce_by_hand() -> None:
    # three options, voters of weight 1, 2, 3 with utilities (rows: voters)
    u = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5], [0.5, 0.0, 1.0]])
    w = np.array([1.0, 2.0, 3.0])
    # coalitions C(a:b) = 1e-8 + sum of positive w (u_a - u_b):
    # C(0:1) = 0.5 + 1.5 = 2.0, C(1:0) = 2.0; C(0:2) = 1.0, C(2:0) = 1.0 + 1.5 = 2.5
    # C(1:2) = 0.5 + 1.0 = 1.5, C(2:1) = 3.0
    c = {(0, 1): 2.0, (1, 0): 2.0, (0, 2): 1.0, (2, 0): 2.5, (1, 2): 1.5, (2, 1): 3.0}

    def v(a: int, b: int) -> float:
        return (c[a, b] + 1e-8) / (c[a, b] + c[b, a] + 2e-8)

    raw = np.array([v(0, 1) * v(0, 2), v(1, 0) * v(1, 2), v(2, 0) * v(2, 1)])
    np.testing.assert_allclose(pce(u, w), raw / raw.sum(), rtol=1e-12)


def _stationary(matrix: np.ndarray) -> np.ndarray:
    """The eigenvector of eigenvalue 1, scaled to sum to 1."""
    vals, vecs = np.linalg.eig(matrix)
    vec = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
    return np.asarray(vec / vec.sum())


def test_markov_pces_against_eigenvectors() -> None:
    rng = np.random.default_rng(7)
    u = rng.uniform(0.2, 1.0, size=(6, 4))
    w = rng.uniform(1.0, 5.0, size=6)
    du = u[:, :, None] - u[:, None, :]
    c = 1e-8 + np.sum(np.maximum(w[:, None, None] * du, 0.0), axis=0)  # C(a:b)
    np.fill_diagonal(c, 1e-8)
    pv = c / (c + c.T)  # P(a beats b), 1/2 on the diagonal
    m = u.shape[1]
    # MarkovUniform (Wise): q_a = (1/M) sum_b V(a,b) (p_a + p_b), a linear map of p
    uniform = (np.diag(pv.sum(axis=1)) + pv) / m
    np.testing.assert_allclose(pce(u, w, model="MarkovUniform"), _stationary(uniform), atol=5e-6)
    # MarkovIncentive: n(a->b) = C(a:b) V(a,b) (+1e-10 on the diagonal),
    # P[a->b] = n(a->b) / sum_c n(c->b), q_a = sum_b V(a,b) (p_a P[b->a] + p_b P[a->b])
    n = c * pv + 1e-10 * np.eye(m)
    chal = n / n.sum(axis=0, keepdims=True)
    incentive = np.diag((pv * chal.T).sum(axis=1)) + pv * chal
    np.testing.assert_allclose(
        pce(u, w, model="MarkovIncentive"), _stationary(incentive), atol=5e-8
    )


def test_accommodation_moves_ideals_by_the_matrix(soe: BargainingProblem) -> None:
    # A = 0.5 I: I_1 = 0.5 X_1 + (1 - 0.5) I_0, and I_0 = X_0
    acc = 0.5 * np.eye(soe.n_actors)
    run = run_smp(soe, accommodation=acc, max_turns=2)
    ideal, pos = run.extra["ideal"], run.positions
    np.testing.assert_allclose(ideal[0], pos[0])
    np.testing.assert_allclose(ideal[1], 0.5 * pos[1] + 0.5 * pos[0], atol=1e-12)
    np.testing.assert_allclose(ideal[2], 0.5 * pos[2] + 0.5 * ideal[1], atol=1e-12)
    assert not np.allclose(run.positions[2], run_smp(soe, max_turns=2).positions[2])


def test_identity_accommodation_is_the_default(
    soe: BargainingProblem, soe_run: BargainingRun
) -> None:
    run = run_smp(soe, accommodation=np.eye(soe.n_actors), max_turns=3)
    np.testing.assert_array_equal(run.positions, soe_run.positions[:4])


def test_stochastic_transitions_follow_the_seed(soe: BargainingProblem) -> None:
    cfg = SMPConfig(state_transitions="Stochastic")
    a = run_smp(soe, config=cfg, seed=3, max_turns=5)
    b = run_smp(soe, config=cfg, seed=3, max_turns=5)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.variant == "ktab:state_transitions=Stochastic"


@pytest.mark.parametrize(
    "option",
    [
        {"voting_rule": "PropCbc"},
        {"victory_model": "Binary"},
        {"pce_model": "MarkovIncentive"},
        {"big_r_range": "Max"},
        {"big_r_adjust": "Full"},
        {"bargain_interpolation": "S2PMax"},
        {"bargain_model": "InitRcvrInterp"},
        {"bargain_model": "PWCompInterp"},
    ],
)
def test_other_options_run_and_keep_invariants(
    soe: BargainingProblem, option: dict[str, str]
) -> None:
    run = run_smp(soe, config=SMPConfig(**option), max_turns=6)  # type: ignore[arg-type]
    assert run.n_turns <= 6
    assert np.all((run.positions >= 0.0) & (run.positions <= 100.0))
    win = run.extra["win_probability"]
    assert np.all((win >= 0) & (win <= 1 + 1e-12))
    r = run.extra["risk_attitude"]
    lo = {"Min": 0.0, "Mid": -0.5, "Max": -1.0}[SMPConfig(**option).big_r_range]  # type: ignore[arg-type]
    assert r.min() == pytest.approx(lo) and r.max() == pytest.approx(1.0)


def test_third_parties_only_matter_under_semi_commit(soe: BargainingProblem) -> None:
    # With KTAB's sum-of-utilities evaluation, Full and No commitment give the
    # third party the same utility for both sides (3 u_ki p + 3 u_kj (1-p) on
    # both), so its vote is zero and the two options coincide.
    full = run_smp(soe, config=SMPConfig(third_party_commit="FullCommit"), max_turns=3)
    none = run_smp(soe, config=SMPConfig(third_party_commit="NoCommit"), max_turns=3)
    np.testing.assert_array_equal(full.positions, none.positions)


def test_config_from_ktab_names() -> None:
    cfg = SMPConfig.from_ktab({"VotingRule": "Proportional", "BigRAdjust": "No"})
    assert cfg.voting_rule == "Prop" and cfg.big_r_adjust == "None"
    assert SMPConfig().ktab_names()["BargnModel"] == "InitOnlyInterp"
    with pytest.raises(InputError) as err:
        SMPConfig.from_ktab({"PCEModel": "Markov"})
    assert err.value.problems[0].field == "PCEModel"
    with pytest.raises(InputError):
        SMPConfig.from_ktab({"Colour": "red"})


def test_bad_problems_are_refused(soe: BargainingProblem) -> None:
    def make(**change: object) -> BargainingProblem:
        base: dict[str, object] = {
            "actors": soe.actors,
            "capability": soe.capability,
            "position": soe.position,
            "salience": soe.salience,
        }
        base.update(change)
        return BargainingProblem(**base)  # type: ignore[arg-type]

    with pytest.raises(InputError, match="at least 3"):
        run_smp(
            make(
                actors=soe.actors[:2],
                capability=soe.capability[:2],
                position=soe.position[:2],
                salience=soe.salience[:2],
            )
        )
    cap = soe.capability.copy()
    cap[4] = -1.0
    with pytest.raises(InputError, match="LH"):
        run_smp(make(capability=cap))
    with pytest.raises(InputError, match="sum"):
        run_smp(make(salience=soe.salience * 1.5))  # every cell <= 1, sums above 1
    with pytest.raises(InputError, match="sum to at most 1") as err:
        run_smp(soe, accommodation=np.full((soe.n_actors, soe.n_actors), 0.5))
    assert err.value.problems[0].field == "accommodation"
