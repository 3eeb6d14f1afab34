"""``realpolitik solve`` against pygambit's results in ``reference/games``.

The JSON the command prints must carry, for every reference game, the same
equilibria as pygambit 16.7.0 computed (read from ``reference.json``), in
the same convention: ``probs[player][strategy]`` for strategy profiles,
``probs[player]["<player>:<infoset>"][action]`` for behaviour profiles.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from realpolitik.cli.main import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code = main(["solve", *args, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result: list[dict[str, Any]] = json.loads(captured.out)
    return result


def same_strategy_profile(a: dict[str, Any], b: dict[str, Any], tol: float) -> bool:
    return all(abs(a[player][s] - b[player][s]) <= tol for player in b for s in b[player])


def short(key: str) -> str:
    return ":".join(key.split(":")[:2])


def test_pure_nash_equals_enumpure_for_every_game(
    games_reference: dict[str, Any], reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for entry in games_reference["games"]:
        path = reference_dir / "games" / entry["file"]
        ours = run_json(capsys, str(path), "--concept", "pure-nash")
        theirs = entry["results"]["enumpure"]
        assert len(ours) == len(theirs), entry["id"]
        for profile in theirs:
            assert any(same_strategy_profile(o["probs"], profile["probs"], 0.0) for o in ours)
        for profile in ours:
            assert profile["max_regret"] == pytest.approx(0.0, abs=1e-12)


def test_mixed_nash_of_two_player_games_equals_enummixed(
    games_reference: dict[str, Any], reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checked = 0
    for entry in games_reference["games"]:
        theirs = entry["results"].get("enummixed")
        if not theirs:
            continue
        path = reference_dir / "games" / entry["file"]
        ours = run_json(capsys, str(path), "--concept", "mixed-nash")
        assert len(ours) == len(theirs), entry["id"]
        for profile in theirs:
            assert any(same_strategy_profile(o["probs"], profile["probs"], 1e-9) for o in ours), (
                entry["id"]
            )
        checked += 1
    assert checked >= 10  # the two-player normal forms and trees of the reference


def test_qre_at_the_stored_lambda(
    games_reference: dict[str, Any], reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for entry in games_reference["games"]:
        if entry["id"] in ("bos", "deg1", "mm2x2x2"):
            continue  # branch bifurcations: see tests/solve/test_logit.py
        path = reference_dir / "games" / entry["file"]
        point = entry["results"]["qre"][2]  # lambda near 1
        (ours,) = run_json(capsys, str(path), "--concept", "qre", "--lambda", repr(point["lambda"]))
        assert ours["lambda"] == pytest.approx(point["lambda"], abs=1e-12)
        if point["kind"] == "strategy":
            assert same_strategy_profile(ours["probs"], point["probs"], 1e-6), entry["id"]
        else:
            for player, sets in point["probs"].items():
                for key, actions in sets.items():
                    for action, value in actions.items():
                        assert ours["probs"][player][short(key)][action] == pytest.approx(
                            value, abs=1e-6
                        )
        assert ours["max_regret"] == pytest.approx(point["max_regret"], abs=1e-6), entry["id"]


def test_spe_of_perfect_information_trees(
    games_reference: dict[str, Any], reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for entry in games_reference["games"]:
        expected = entry["results"].get("spe_pure_backward_induction")
        if not expected:
            continue
        (ours,) = run_json(capsys, str(reference_dir / "games" / entry["file"]), "--concept", "spe")
        choices = {
            short(key): next(a for a, v in actions.items() if v == 1.0)
            for sets in ours["probs"].values()
            for key, actions in sets.items()
        }
        assert choices in [e["choices"] for e in expected], entry["id"]
        assert ours["max_regret"] == 0.0


def test_spe_of_a_general_tree_is_refused_in_one_line(
    reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["solve", str(reference_dir / "games" / "games" / "selten_horse.efg"), "--concept", "spe"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Use the agent QRE" in err


def test_malformed_file_gives_file_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nfg"
    bad.write_text('NFG 1 R "x" { "A" "B" } { 2 2 }\n1 2 3\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "realpolitik.cli.main", "solve", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}:")
    assert "Traceback" not in result.stderr
