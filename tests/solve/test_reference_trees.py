"""Tree solvers against pygambit 16.7.0's results in ``reference/games``.

Every tree game of ``reference.json`` is read from its ``.efg`` file and
solved; the expected values are pygambit's (computed by the reference's
authors, read here, never copied into the package):

- the agent logit QRE at every stored lambda (the ``lambda`` Gambit reached,
  not the one requested) equals ``qre`` to 1e-6, for perfect-information,
  staged and general trees alike, by the path follower and by belief
  iteration (which also takes a lambda per draw);
- the fast backward pass agrees with the general path-following solver where
  both apply;
- the SPE of perfect-information trees is one of
  ``spe_pure_backward_induction``;
- pure Nash equilibria of the reduced strategic form equal ``enumpure``;
- the reported max regret of each QRE point equals pygambit's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from realpolitik.games.gambit_io import read_game
from realpolitik.games.reduced_form import reduced_normal_form
from realpolitik.games.tree import TreeClass, TreeGame
from realpolitik.solve.agent_qre import agent_qre_path
from realpolitik.solve.backward_induction import solve_tree
from realpolitik.solve.belief_iteration import agent_qre_fixed_point
from realpolitik.solve.pure_nash import pure_nash_mask, pure_nash_profiles
from realpolitik.solve.regret import max_regret
from realpolitik.solve.tree_solution import behaviour_profile

QRE_TOL = 1e-6


def tree_games(reference: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in reference["games"] if g["is_tree"]]


def load(entry: dict[str, Any], reference_dir: Path) -> TreeGame:
    game = read_game(reference_dir / "games" / entry["file"])
    assert isinstance(game, TreeGame)
    return game


def short_key(key: str) -> str:
    """ "Player 1:0:(1,1)" -> "Player 1:0" (the label is optional)."""
    return ":".join(key.split(":")[:2])


def choices_of(tree_profile: dict[str, Any]) -> dict[str, str]:
    """``{"<player>:<infoset>": action}`` of a pure behaviour profile (the
    form of the reference's ``spe_pure_*`` lists)."""
    out = {}
    for sets in tree_profile.values():
        for key, actions in sets.items():
            chosen = [a for a, v in actions.items() if v == 1.0]
            assert len(chosen) == 1, "not a pure profile"
            out[short_key(key)] = chosen[0]
    return out


def profile_distance(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    worst = 0.0
    for player, sets in theirs.items():
        for key, actions in sets.items():
            for action, value in actions.items():
                worst = max(worst, abs(ours[player][short_key(key)][action] - value))
    return worst


@pytest.fixture(scope="module")
def trees(games_reference: dict[str, Any]) -> list[dict[str, Any]]:
    found = tree_games(games_reference)
    assert len(found) == 9  # the reference's trees; fail loudly if the data changes
    return found


def test_agent_qre_matches_gambit_on_every_tree(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    for entry in trees:
        game = load(entry, reference_dir)
        points = entry["results"]["qre"]
        lams = sorted({p["lambda"] for p in points})
        solutions = agent_qre_path(game, lams)
        for point in points:
            sol = solutions[lams.index(point["lambda"])]
            assert sol.lam is not None and sol.lam[0] == pytest.approx(point["lambda"], abs=1e-12)
            ours = behaviour_profile(game.tree, sol.behaviour[0])
            assert profile_distance(ours, point["probs"]) < QRE_TOL, (entry["id"], point["lambda"])
            # pygambit's max_regret (player-level, absolute units)
            regret = float(max_regret(game, sol.behaviour)[0])
            assert regret == pytest.approx(point["max_regret"], abs=1e-6), entry["id"]


def test_belief_iteration_matches_gambit_on_every_tree(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    # the fast agent QRE of large trees (belief iteration), without its
    # path-follower fallback, on every stored point of every tree
    for entry in trees:
        game = load(entry, reference_dir)
        for point in entry["results"]["qre"]:
            sol = agent_qre_fixed_point(game, point["lambda"], fallback=False)
            assert sol.residual is not None and sol.residual[0] < 1e-9, entry["id"]
            ours = behaviour_profile(game.tree, sol.behaviour[0])
            assert profile_distance(ours, point["probs"]) < QRE_TOL, (entry["id"], point["lambda"])


def test_belief_iteration_takes_a_lambda_per_draw(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    entry = next(e for e in trees if e["id"] == "stripped_poker")
    game = load(entry, reference_dir)
    lams = np.array([0.3, 1.0, 4.0])
    together = agent_qre_fixed_point(game.take(np.zeros(3, dtype=np.int64)), lams)
    for k, lam in enumerate(lams):
        alone = agent_qre_fixed_point(game, float(lam))
        np.testing.assert_allclose(together.behaviour[k], alone.behaviour[0], atol=1e-9)


def test_backward_pass_qre_matches_gambit_where_it_applies(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    covered = []
    for entry in trees:
        game = load(entry, reference_dir)
        if game.tree.tree_class == TreeClass.GENERAL:
            continue
        covered.append(entry["id"])
        for point in entry["results"]["qre"]:
            sol = solve_tree(game, "qre", lam=point["lambda"])
            ours = behaviour_profile(game.tree, sol.behaviour[0])
            assert profile_distance(ours, point["probs"]) < QRE_TOL, (entry["id"], point["lambda"])
    # perfect-information trees and the two staged ones (two_stage_pd, entry_accommodation)
    assert {"cent4", "pi_chance", "two_stage_pd", "entry_accommodation"} <= set(covered)


def test_spe_is_one_of_gambits_backward_induction_equilibria(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    checked = 0
    for entry in trees:
        expected = entry["results"].get("spe_pure_backward_induction")
        if not expected:
            continue
        game = load(entry, reference_dir)
        sol = solve_tree(game)
        ours = choices_of(behaviour_profile(game.tree, sol.behaviour[0]))
        assert ours in [e["choices"] for e in expected], entry["id"]
        checked += 1
    assert checked >= 4


def test_spe_of_staged_trees_is_subgame_perfect(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    """Where Gambit's list comes from brute force over pure profiles (staged
    trees), our SPE is among them whenever it is pure."""
    for entry in trees:
        game = load(entry, reference_dir)
        if game.tree.tree_class != TreeClass.STAGED:
            continue
        sol = solve_tree(game)
        pure = np.all((sol.behaviour == 0) | (sol.behaviour == 1))
        expected = entry["results"].get("spe_pure_bruteforce", [])
        if pure:
            ours = choices_of(behaviour_profile(game.tree, sol.behaviour[0]))
            assert ours in [e["choices"] for e in expected], entry["id"]
        assert float(max_regret(game, sol.behaviour)[0]) < 1e-9


def test_pure_nash_of_trees_equals_enumpure(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    for entry in trees:
        game = load(entry, reference_dir)
        nf = reduced_normal_form(game)
        assert [list(s) for s in nf.strategies] == [
            entry["strategies"][p] for p in entry["players"]
        ]
        _, profiles = pure_nash_profiles(pure_nash_mask(nf.payoffs))
        ours = {
            tuple(nf.strategies[i][int(k)] for i, k in enumerate(profile)) for profile in profiles
        }
        theirs = {
            tuple(next(s for s, v in e["probs"][p].items() if v == 1.0) for p in entry["players"])
            for e in entry["results"]["enumpure"]
        }
        assert ours == theirs, entry["id"]


def test_general_trees_refuse_spe_with_a_clear_message(
    trees: list[dict[str, Any]], reference_dir: Path
) -> None:
    from realpolitik.errors import GameClassError

    for entry in trees:
        game = load(entry, reference_dir)
        if game.tree.tree_class != TreeClass.GENERAL:
            continue
        with pytest.raises(GameClassError, match="Use the agent QRE"):
            solve_tree(game)
