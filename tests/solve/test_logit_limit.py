"""The limiting logit equilibrium (:mod:`realpolitik.solve.logit_limit`)
against independent answers.

- pygambit 16.7.0's ``nash.logit_solve`` (the end of the principal branch of
  the agent logit QRE) on twelve random Bayesian trees
  (``reference/games/belief/limit_reference.json``, written by
  ``make_limit_reference.py`` beside it) and on the Gambit example trees of
  ``reference/games/reference.json`` (``logit_limit``): every action's
  probability at the information sets pygambit's profile reaches (an
  unreached set is not pinned by pygambit's stopping rule, a Nash regret);
- the normal-form tracer of ``solve/logit.py`` (its own pseudo-arc-length
  path in log-odds) on random 3x3 bimatrix games embedded as trees, whose
  branches fold back in lambda;
- the backward induction SPE on trees of perfect information with random
  (generic, hence unique-SPE) payoffs per draw;
- a signalling game worked out by hand (separating limit);
- the profile's conditional agent regret, recomputed by
  :func:`realpolitik.solve.regret.agent_regret` (NumPy, beliefs from the
  deepest common ancestor), at the sets the limit reaches.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hand_scenarios import SIGNAL
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.noise import LIMIT_DRAWS
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.gambit_io import read_game
from realpolitik.games.tree import TreeBuilder, TreeGame
from realpolitik.run.links import run_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve
from realpolitik.solve.backward_induction import solve_spe
from realpolitik.solve.dispatch import solve
from realpolitik.solve.logit import logit_limit
from realpolitik.solve.logit_limit import solve_logit_limit, trace_limit
from realpolitik.solve.regret import agent_regret

GAMES = Path(__file__).resolve().parents[1] / "reference" / "games"
#: Where pygambit reaches a set at least this often, its probabilities are compared.
REACHED = 1e-6
#: Largest difference allowed from pygambit's point (it stops at a relative
#: max regret of 1e-8, so a limit that mixes is within about that of its end).
TOL = 1e-5


def node_of_path(game: TreeGame) -> dict[tuple[str, ...], int]:
    tree = game.tree
    return {
        tuple(tree.action_labels(int(n))[k] for n, k in tree.path(node)): node
        for node in range(tree.n_nodes)
    }


def compare(game: TreeGame, ours: np.ndarray, sets: list[dict[str, Any]]) -> tuple[float, int]:
    """Largest difference at the sets pygambit reaches, and how many actions."""
    where = node_of_path(game)
    tree = game.tree
    worst, compared = 0.0, 0
    for infoset in sets:
        if infoset["reach"] < REACHED:
            continue
        s = int(tree.node_infoset[where[tuple(infoset["path"])]])
        assert list(tree.infoset_actions[s]) == infoset["actions"]
        lo = int(tree.action_offset[s])
        got = ours[lo : lo + len(infoset["probs"])]
        worst = max(worst, float(np.abs(got - np.asarray(infoset["probs"])).max()))
        compared += len(infoset["probs"])
    return worst, compared


#: Known (measured 2026-12-06): bayes_7's branch folds back in lambda five
#: times (turning points at mu = lambda x range 40.1, 21.8, 46.1, 43.4, 66.1
#: and 9.2, traced by the NumPy arc-length tracer of solve/homotopy.py); the
#: lambda schedule stepped over them onto another sequential equilibrium
#: (pure profiles 1.0 apart) without a word. The arc-length continuation on
#: small trees follows them and ends at pygambit's limit. On bayes_9 the
#: trace still fails (a limit that mixes, which the schedule cannot carry
#: past mu ~ 5e4) and says so; on bayes_11 the limit mixes and pygambit
#: stops earlier on the branch (7e-4).
LEAPT: set[str] = set()
OTHER_BRANCH: set[str] = set()
NOT_CONVERGED = {"bayes_9.efg"}
#: Gambit example trees whose limit is flagged (``jumped``), measured 2026-12-06.
FLAGGED_EXAMPLES = {"selten_horse"}
LOOSER = {"bayes_11.efg": 1e-3}


def test_matches_pygambit_logit_solve_on_bayesian_trees() -> None:
    with open(GAMES / "belief" / "limit_reference.json", encoding="utf-8") as handle:
        data = json.load(handle)
    assert len(data["trees"]) == 12
    total = 0
    for entry in data["trees"]:
        game = read_game(GAMES / "belief" / entry["file"])
        assert isinstance(game, TreeGame)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            solution = solve_logit_limit(game)
        assert solution.residual is not None
        if entry["file"] in NOT_CONVERGED:
            assert not np.isfinite(solution.residual[0])
            assert any("did not converge in 1 of 1 draws" in str(w.message) for w in caught)
            continue
        assert np.isfinite(solution.residual[0])
        leapt = [w for w in caught if "leapt over a stretch" in str(w.message)]
        assert len(leapt) == (entry["file"] in LEAPT) and len(caught) == len(leapt)
        worst, compared = compare(game, solution.behaviour[0], entry["infosets"])
        if entry["file"] in OTHER_BRANCH:
            assert worst > 0.5  # still an equilibrium: test_limit_has_no_agent_regret...
            continue
        assert worst <= LOOSER.get(entry["file"], 1e-6), (entry["file"], worst)
        total += compared
    assert total >= 100


def test_matches_pygambit_on_gambit_example_trees() -> None:
    with open(GAMES / "reference.json", encoding="utf-8") as handle:
        data = json.load(handle)
    seen = 0
    for entry in data["games"]:
        if not entry["is_tree"] or not entry["results"].get("logit_limit"):
            continue
        game = read_game(GAMES / entry["file"])
        assert isinstance(game, TreeGame)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = solve_logit_limit(game)
        # Selten's horse has a continuum of equilibria: the continuation cannot
        # follow its branch (a singular Jacobian) and the draw is flagged
        flagged = any("leapt over a stretch" in str(w.message) for w in caught)
        assert flagged == (entry["id"] in FLAGGED_EXAMPLES), entry["id"]
        reference = entry["results"]["logit_limit"][0]["probs"]
        flat = np.array(
            [p for player in reference.values() for s in player.values() for p in s.values()]
        )
        # pygambit's own order (players, their sets, their actions) is the tree's
        realised = ours.node_reach[0]
        tree = game.tree
        first = [int(tree.infoset_nodes[s][0]) for s in range(tree.n_infosets)]
        reached = np.repeat(
            [realised[tree.infoset_nodes[s]].sum() >= REACHED for s in range(tree.n_infosets)],
            np.diff(tree.action_offset),
        )
        assert len(first) == tree.n_infosets
        assert np.abs(ours.behaviour[0] - flat)[reached].max() <= TOL, entry["id"]
        assert ours.max_regret()[0] <= 1e-6
        seen += 1
    assert seen == 9


@pytest.mark.parametrize("path", ["cent4.efg", "pi3_one_move_each.efg", "pi_chance.efg"])
def test_perfect_information_limit_is_the_spe(path: str) -> None:
    base = read_game(GAMES / "games" / path)
    assert isinstance(base, TreeGame)
    rng = np.random.default_rng(7)
    draws = 64
    payoffs = rng.normal(size=(draws, *base.payoffs.shape[1:]))
    game = TreeGame(base.tree, payoffs)
    spe = solve_spe(game)
    limit = solve_logit_limit(game)
    assert np.array_equal(limit.behaviour, spe.behaviour)


def test_signalling_game_separates_in_the_limit() -> None:
    # by hand (hand_scenarios.SIGNAL): as lambda grows, the strong sender sends
    # A and the weak one B; the receiver, believing the signal, yields after A
    # and fights after B: P(A) = P(strong) = 0.6, P(fight) = P(weak) = 0.4
    result = forecast(load(text=SIGNAL, name="signal"), concept="logit-limit")
    actions = result.actions.set_index("action")["probability"]
    assert float(actions["A"]) == pytest.approx(0.6, abs=1e-12)
    assert float(actions["fight"]) == pytest.approx(0.4, abs=1e-12)


def test_noise_uses_the_limit_where_there_is_no_spe() -> None:
    result = forecast(load(text=SIGNAL, name="signal"), concept="qre")
    noise = result.to_json()["noise"]
    assert noise["best_response_concept"] == "logit-limit"
    assert noise["best_response_draws"] == 1
    best = {a["name"]: a["best_response"] for a in noise["actions"]}
    assert best["snd:message:A"] == pytest.approx(0.6, abs=1e-12)
    assert best["rcv:reply:fight"] == pytest.approx(0.4, abs=1e-12)


def test_limit_has_no_agent_regret_where_it_is_reached() -> None:
    # non-converged draws (reported as such) are many on these random trees
    # (their branches fold): the rate is measured, the regret is checked on
    # the converged ones
    rates = []
    jumped_total = 0
    for seed in range(12):
        game = read_game(GAMES / "belief" / f"bayes_{seed}.efg")
        assert isinstance(game, TreeGame)
        rng = np.random.default_rng(seed)
        payoffs = game.payoffs + rng.normal(scale=0.3, size=(16, *game.payoffs.shape[1:]))
        many = TreeGame(game.tree, payoffs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            solution = solve_logit_limit(many)
        converged = np.isfinite(np.asarray(solution.residual))
        rates.append(converged.mean())
        # draws that leapt over a fold are converged and said to be
        trace = trace_limit(many)
        assert np.array_equal(trace.converged, converged)
        leaps = int(trace.jumped.sum())
        said = [str(w.message) for w in caught if "leapt over" in str(w.message)]
        if leaps:
            assert len(said) == 1 and f"in {leaps} of 16 draws" in said[0]
        else:
            assert said == []
        jumped_total += leaps
        regret = agent_regret(many, solution.behaviour)  # (draws, sets)
        tree = many.tree
        reach = solution.node_reach
        set_reach = np.stack(
            [reach[:, tree.infoset_nodes[s]].sum(axis=1) for s in range(tree.n_infosets)], axis=1
        )
        span = np.ptp(payoffs.reshape(16, -1), axis=1)
        on_path = set_reach > 1e-9
        scaled = regret / span[:, None]
        checked = scaled[converged[:, None] & on_path]
        assert checked.size == 0 or checked.max() <= 1e-6
    # 154 of 192 on 2026-12-06 (161 with the lambda schedule alone, 2 of them
    # after a leap); the draws not converged are said to be
    assert np.mean(rates) >= 0.75
    assert jumped_total <= 2


def test_dispatch_and_status() -> None:
    game = read_game(GAMES / "belief" / "bayes_3.efg")
    assert isinstance(game, TreeGame)
    solution = solve(game, "logit-limit")
    assert solution.concept == "logit-limit"
    trace = trace_limit(game)
    assert trace.converged.all()
    assert np.array_equal(trace.profile, solution.behaviour)
    assert solution.lam is not None and solution.lam[0] == trace.lam[0] > 0


def test_noise_gap_is_paired_on_the_limit_draws() -> None:
    # p_strong uncertain: the limit separates (strong says A, weak says B, the
    # receiver fights after B), so its P(A) is each draw's p_strong, while
    # the QRE's is p sigma(lam) + (1 - p) sigma(-lam) by hand
    text = SIGNAL.replace(
        "p_strong: {dist: fixed, value: 0.6, source: s}",
        "p_strong: {dist: uniform, low: 0.2, high: 0.8, source: s}",
    )
    scenario = load(text=text, name="signal")
    result = forecast(scenario, concept="qre", lam=2.0, draws=300, seed=3)
    noise = result.to_json()["noise"]
    used = noise["best_response_draws"]
    assert noise["best_response_concept"] == "logit-limit" and used == LIMIT_DRAWS
    settings = Settings.resolve(scenario, "qre", 2.0, 300, 3)
    p = run_sampler(scenario, settings).draws(0, used)[:, 0]
    sigma = 1 / (1 + np.exp(-2.0))
    qre_a = p * sigma + (1 - p) * (1 - sigma)
    row = {a["name"]: a for a in noise["actions"]}["snd:message:A"]
    assert row["best_response"] == pytest.approx(p.mean(), abs=1e-9)
    assert row["gap"] == pytest.approx((qre_a - p).mean(), abs=1e-9)


def bimatrix_tree(tables: np.ndarray) -> TreeGame:
    """Bimatrix games ``tables`` ``(D, 2, K, K)`` as trees: player 1 picks a
    row, player 2 a column without seeing it (one information set)."""
    k = tables.shape[-1]
    b = TreeBuilder(["1", "2"])
    for i, node in enumerate(b.decision(b.root, "1", [f"r{i}" for i in range(k)])):
        for j, leaf in enumerate(b.decision(node, "2", [f"c{j}" for j in range(k)], infoset="2")):
            b.terminal(leaf, [i * k + j, 0])
    tree, marker = b.build()
    cell = marker[:, 0].astype(int)  # terminal t is cell (cell // k, cell % k)
    flat = tables.reshape(len(tables), 2, k * k)[:, :, cell].transpose(0, 2, 1)
    return TreeGame(tree, np.ascontiguousarray(flat))


def test_follows_folds_of_games_embedded_as_trees() -> None:
    # random 3x3 bimatrix games: on 4 of these 400 the principal branch turns
    # back in lambda below lambda = 200 (151, 200, 231, 259: the NumPy tracer
    # of solve/homotopy.py on the log-odds system), on many it ends at a
    # mixed equilibrium, an unstable fixed point of the sweeps, which a step
    # can leave for a stable (pure) one. The independent path: the
    # normal-form tracer of solve/logit.py (pseudo-arc-length on log-odds,
    # its own Jacobian) to the branch's end. Measured 2026-12-06: the lambda
    # schedule alone (the code before the continuation) ended more than TOL
    # from it on 22 without a warning (none of them at the folds, which are
    # S-shaped: a step past them lands on the branch's continuation), 3
    # flagged; with the continuation and the prediction test on none
    rng = np.random.default_rng(2026)
    tables = rng.normal(size=(400, 2, 3, 3))
    reference = logit_limit(tables)
    expected = np.concatenate(reference.probs, axis=1)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        trace = trace_limit(bimatrix_tree(tables))
    off = np.abs(trace.profile - expected).max(axis=1)
    flagged = ~trace.converged | trace.jumped
    assert off[~flagged].max() <= TOL
    assert flagged.mean() <= 0.02
    assert (trace.arcs > 0).all()  # small trees: followed by arc length first


def flagship_draws(rows: list[int]) -> TreeGame:
    """Draws ``rows`` of the first 512 of the built-in flagship (2000 draws,
    seed 7: the sample the failures were measured on, 2026-12-06)."""
    scenario = resolve("china-russia-2022")
    compiled = compile_scenario(scenario)
    sample = run_sampler(scenario, Settings.resolve(scenario, draws=2000, seed=7)).draws(0, 512)
    game = compiled.game(compiled.parameter_values(sample[rows]), terms=False)
    assert isinstance(game, TreeGame)
    return game


def test_a_second_leap_does_not_retry_the_first_ones_steps() -> None:
    # two flagship draws that fail (their limit is not reached: the trace
    # stops at lambda x range 151 and 227, where the steps fail); both leaps
    # leave from the same point, and the second, halved, used to retry the
    # first one's ratios one by one (the same steps, the same failures: 6
    # of 37 and 38 steps, measured 2026-12-06)
    game = flagship_draws([138, 188])
    trace = trace_limit(game)
    assert not trace.converged.any()
    assert trace.steps.tolist() == [31, 32]
