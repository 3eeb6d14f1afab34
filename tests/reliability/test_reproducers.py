"""The reproducers of the reliability campaign (issue 11), each a regression test.

Every failure a user can cause must end in one line and exit code 2 (no
traceback, nothing half-written), and no input may give a wrong answer with
exit code 0. Where an answer is asserted, it is checked against pygambit
(a peer) or a hand calculation written next to it.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.bargaining.data import read_bdm_csv, read_deu3
from realpolitik.bargaining.ktab_io import read_ktab_csv, read_ktab_xml
from realpolitik.cli.main import main
from realpolitik.errors import GameClassError, InputError, NumericError, StoreError
from realpolitik.games.gambit_io import read_efg, read_nfg
from realpolitik.games.recall import recall_violations
from realpolitik.games.reduced_form import reduced_normal_form
from realpolitik.limits import MAX_BARGAIN_ACTORS, MAX_BARGAIN_DIMENSIONS, MAX_GAME_PLAYERS
from realpolitik.solve.equilibria import solve_game
from realpolitik.strict_json import dumps_strict

gbt = pytest.importorskip("pygambit")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) >= 1 and "Traceback" not in err, err
    assert fragment in lines[0], lines[0]


# --------------------------------------------------------------------------- KTAB XML

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Scenario [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Scenario><name>&d;&d;&d;&d;&d;</name></Scenario>
"""


def test_entity_expansion_in_ktab_xml_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 600  # the campaign's file was 565 bytes and hung > 60 s
    started = time.perf_counter()
    code, _, err = run_cli(["bargain", "run", str(path)], capsys)
    assert time.perf_counter() - started < 10
    one_line_error(code, err, "document type declaration")


def test_external_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ext.xml"
    path.write_text('<!DOCTYPE Scenario SYSTEM "file:///etc/passwd"><Scenario/>')
    with pytest.raises(InputError, match="document type declaration"):
        read_ktab_xml(path)


def test_xml_text_is_read_in_linear_time(tmp_path: Path) -> None:
    # one element holding 4 MB of text in many pieces (expat splits it): the
    # old reader appended to a string per piece
    body = "&amp;x" * 700_000
    path = tmp_path / "long.xml"
    path.write_text(f"<Scenario><name>{body}</name></Scenario>")
    started = time.perf_counter()
    with pytest.raises(InputError, match="Dimensions"):
        read_ktab_xml(path)
    assert time.perf_counter() - started < 5


def _ktab_xml(actors: int, dims: int) -> str:
    names = "".join(f"<dName>d{d}</dName>" for d in range(dims))
    coords = "".join("<dCoord>50</dCoord>" for _ in range(dims))
    sals = "".join(f"<dSal>{100 / dims:g}</dSal>" for _ in range(dims))
    people = "".join(
        f"<Actor><name>a{a}</name><description/><capability>1</capability>"
        f"<Position>{coords}</Position><Salience>{sals}</Salience></Actor>"
        for a in range(actors)
    )
    return f"<Scenario><Dimensions>{names}</Dimensions><Actors>{people}</Actors></Scenario>"


def test_ktab_caps(tmp_path: Path) -> None:
    xml = tmp_path / "many.xml"
    xml.write_text(_ktab_xml(3, MAX_BARGAIN_DIMENSIONS + 1))
    with pytest.raises(InputError, match=f"at most {MAX_BARGAIN_DIMENSIONS}"):
        read_ktab_xml(xml)
    xml.write_text(_ktab_xml(MAX_BARGAIN_ACTORS + 1, 1))
    with pytest.raises(InputError, match=f"at most {MAX_BARGAIN_ACTORS}"):
        read_ktab_xml(xml)
    csv = tmp_path / "many.csv"
    csv.write_text(f"n,d,3,{MAX_BARGAIN_DIMENSIONS + 1}\n")
    with pytest.raises(InputError, match=f"at most {MAX_BARGAIN_DIMENSIONS}"):
        read_ktab_csv(csv)
    rows = "".join(f"a{a},x,1,50,50\n" for a in range(5000))
    csv.write_text("n,d,3,1\nActor,Description,Influence,P Position,P Salience\n" + rows)
    with pytest.raises(InputError, match="actor lines"):
        read_ktab_csv(csv)


# --------------------------------------------------------------------------- BDM and DEU


def test_bdm_actor_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 1000 actors drove SMP to 15.8 GB; 5000, EUM to 7.1 GB
    path = tmp_path / "big.csv"
    rows = "".join(f"a{a},1,{a % 100},0.5\n" for a in range(1000))
    path.write_text("Actor,Capability,Position,Salience\n" + rows)
    started = time.perf_counter()
    code, _, err = run_cli(["bargain", "run", str(path), "--model", "smp"], capsys)
    assert time.perf_counter() - started < 10
    one_line_error(code, err, f"at most {MAX_BARGAIN_ACTORS}")


def test_bdm_numbers_beyond_the_magnitude_cap_name_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("Actor,Capability,Position,Salience\na,1,1e300,0.5\nb,1,2,0.5\nc,1,3,0.5\n")
    with pytest.raises(InputError, match="position 1e\\+300 is beyond") as info:
        read_bdm_csv(path)
    assert info.value.problems[0].line == 2


def test_deu_actor_cap(tmp_path: Path) -> None:
    names = [f"p{a}\ts{a}" for a in range(MAX_BARGAIN_ACTORS + 1)]
    header = "isnr\tout\t" + "\t".join(names)
    caps = "\t\t" + "\t".join("1\t" for _ in range(MAX_BARGAIN_ACTORS + 1))
    path = tmp_path / "deu.tsv"
    path.write_text(header + "\n" + caps + "\n")
    with pytest.raises(InputError, match=f"at most {MAX_BARGAIN_ACTORS} actors"):
        read_deu3(path)


# --------------------------------------------------------------------------- scenario YAML

SCENARIO = """id: tiny
sources:
  s: A source
actors:
  a: Alpha
  b: Beta
parameters:
  x: {dist: uniform, low: 0, high: HIGH, source: s}
  y: {dist: fixed, value: VALUE, source: s}
moves:
  - id: first
    actor: a
    actions: {go: Go ahead, stop: Stop}
payoffs:
  a:
    gain: "x * (a == go) - y"
  b:
    cost: "-x"
metrics:
  win: "a == go"
solve: {concept: qre, lambda: LAM}
"""
HUGE = "9" * 309


@pytest.mark.parametrize(
    ("high", "value", "lam", "field"),
    [
        (HUGE, "1", "3", "parameters.x.high"),
        ("1", HUGE, "3", "parameters.y.value"),
        ("1", "1", HUGE, "solve.lambda"),
        ("1", "1.0e+200", "3", "parameters.y.value"),
    ],
)
def test_huge_yaml_numbers_name_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    high: str,
    value: str,
    lam: str,
    field: str,
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO.replace("HIGH", high).replace("VALUE", value).replace("LAM", lam))
    code, _, err = run_cli(["forecast", str(path)], capsys)
    one_line_error(code, err, f"{field}: the number")


# --------------------------------------------------------------------------- Gambit files


def _players(n: int) -> str:
    names = " ".join(f'"P{i}"' for i in range(n))
    return f'NFG 1 R "many" {{ {names} }} {{ {" ".join("1" for _ in range(n))} }}\n' + " ".join(
        "0" for _ in range(n)
    )


@pytest.mark.parametrize("players", [26, 64])
def test_too_many_players_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], players: int
) -> None:
    path = tmp_path / "many.nfg"
    path.write_text(_players(players))
    for concept in ("pure-nash", "mixed-nash", "qre"):
        code, _, err = run_cli(["solve", str(path), "--concept", concept], capsys)
        one_line_error(code, err, f"more than {MAX_GAME_PLAYERS} players")


def test_gambit_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    from realpolitik.games.gambit_io import efg, lexer

    # each cap patched in the module that checks it
    monkeypatch.setattr(efg, "MAX_GAME_NODES", 5)
    with pytest.raises(InputError, match="more than 5 nodes"):
        read_efg("c.efg", text=_chain(3))
    text = 'NFG 1 R "" { "a" "b" } { 100001 1 }\n'
    with pytest.raises(InputError, match="player 1 has 100001 strategies"):
        read_nfg("s.nfg", text=text)
    text = 'NFG 1 R "" { "a" "b" "c" } { 1000 1000 11 }\n'
    with pytest.raises(InputError, match="11000000 strategy profiles; at most 10000000"):
        read_nfg("p.nfg", text=text)
    monkeypatch.setattr(lexer, "MAX_INPUT_BYTES", 100)
    with pytest.raises(InputError, match="at most 100 are read"):
        read_nfg("big.nfg", text=PD_BIG + " " * 100)


def _chain(decisions: int) -> str:
    """One player; at decision i: stop (payoff i) or go; the end pays n."""
    lines = ['EFG 2 R "chain" { "A" }', '""']
    for i in range(decisions):
        lines.append(f'p "" 1 {i + 1} "" {{ "stop" "go" }} 0')
        lines.append(f't "" {i + 1} "" {{ {i} }}')
    lines.append(f't "" {decisions + 1} "" {{ {decisions} }}')
    return "\n".join(lines) + "\n"


def test_a_deep_chain_has_its_reduced_form_quickly() -> None:
    # a 1000-node chain (500 decisions): RecursionError after 3.5 s; 4000 nodes: 55 s
    text = _chain(2000)
    game = read_efg("chain.efg", text=text)
    started = time.perf_counter()
    nf = reduced_normal_form(game)
    assert time.perf_counter() - started < 10
    # by hand: stop at decision i (strategy "2...21*...*"), or go throughout
    assert nf.strategies[0][0] == "1" + "*" * 1999
    assert nf.strategies[0][-1] == "2" * 2000
    assert len(nf.strategies[0]) == 2001
    assert np.array_equal(nf.payoffs[0, 0], np.arange(2001.0))
    profiles = solve_game(game, "pure-nash")
    assert len(profiles) == 1 and profiles[0]["probs"]["A"]["2" * 2000] == 1.0
    # the peer counts the same reduced strategies
    peer = gbt.read_efg(io.StringIO(_chain(200)))
    assert (
        len(peer.to_arrays()[0])
        == 201
        == len(reduced_normal_form(read_efg("c", text=_chain(200))).strategies[0])
    )


IMPERFECT_RECALL = """EFG 2 R "forget" { "A" "B" }
""
p "" 1 1 "" { "L" "R" } 0
p "" 1 2 "" { "l" "r" } 0
t "" 1 "" { 1, 0 }
t "" 2 "" { 0, 1 }
p "" 1 2 "" { "l" "r" } 0
t "" 3 "" { 0, 2 }
t "" 4 "" { 2, 0 }
"""
ABSENT_MINDED = """EFG 2 R "absent-minded driver" { "D" }
""
p "" 1 1 "" { "exit" "continue" } 0
t "" 1 "" { 0 }
p "" 1 1 "" { "exit" "continue" } 0
t "" 2 "" { 4 }
t "" 3 "" { 1 }
"""


@pytest.mark.parametrize("text", [IMPERFECT_RECALL, ABSENT_MINDED])
def test_imperfect_recall_is_refused_by_spe_and_qre_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    peer = gbt.read_efg(io.StringIO(text))
    assert not peer.is_perfect_recall
    assert recall_violations(read_efg("x.efg", text=text).tree)
    path = tmp_path / "forget.efg"
    path.write_text(text)
    for concept in ("spe", "qre"):
        code, _, err = run_cli(["solve", str(path), "--concept", concept], capsys)
        one_line_error(code, err, "needs perfect recall")
        assert "--concept pure-nash or mixed-nash" in err
        assert "--concept qre" not in err  # spe no longer recommends what refuses


def test_perfect_recall_of_the_reference_games(reference_dir: Path) -> None:
    for path in sorted((reference_dir / "games" / "games").glob("*.efg")):
        text = path.read_text()
        assert bool(recall_violations(read_efg(path.name, text=text).tree)) == (
            not gbt.read_efg(io.StringIO(text)).is_perfect_recall
        ), path.name


# --------------------------------------------------------------------------- wrong answers

PD_BIG = """NFG 1 R "PD" { "Row" "Column" } { 2 2 }
3 3  5 0  0 5  1000000000000 1
"""


def test_pure_nash_tolerance_is_per_player() -> None:
    # one payoff of 1e12 made the column player's gain of 1 look like rounding
    ours = solve_game(read_nfg("pd.nfg", text=PD_BIG), "pure-nash")
    peer = gbt.nash.enumpure_solve(gbt.read_nfg(io.StringIO(PD_BIG)))
    theirs = [
        [[float(eq[s]) for s in p.strategies] for p in peer.game.players] for eq in peer.equilibria
    ]
    mine = [[list(p["probs"][n].values()) for n in ("Row", "Column")] for p in ours]
    assert mine == theirs == [[[0.0, 1.0], [0.0, 1.0]]]
    assert all(p["max_regret"] == 0.0 for p in ours)


def test_pure_nash_with_float_payoffs_keeps_relative_ties() -> None:
    # non-integer payoffs differing by rounding still tie, per player
    a = np.array([[0.1 + 0.2, 0.0], [0.3, 0.0]])
    b = np.array([[1e12, 0.0], [1e12, 0.0]])
    from realpolitik.solve.pure_nash import pure_nash_mask

    mask = pure_nash_mask(np.stack([a, b])[None])[0]
    assert mask[0, 0] and mask[1, 0]


STAGE_HUGE = """EFG 2 R "stage" { "A" "B" }
""
p "" 1 1 "" { "U" "D" } 0
p "" 2 1 "" { "l" "r" } 0
t "" 1 "" { 9e307, 1 }
t "" 2 "" { 9e307, 0 }
p "" 2 1 "" { "l" "r" } 0
t "" 3 "" { 0, 1 }
t "" 4 "" { 0, 0 }
"""


def test_spe_with_payoffs_near_the_float_limit() -> None:
    # the stage came back as a 50/50 mix over U, which dominates
    profile = solve_game(read_efg("s.efg", text=STAGE_HUGE), "spe")[0]
    assert profile["probs"]["A"]["A:0"] == {"U": 1.0, "D": 0.0}
    assert profile["probs"]["B"]["B:0"] == {"l": 1.0, "r": 0.0}
    assert profile["max_regret"] == 0.0
    peer = gbt.nash.enumpure_solve(gbt.read_efg(io.StringIO(STAGE_HUGE)))
    assert [
        [float(eq[s]) for s in p.strategies] for p in peer.game.players for eq in peer.equilibria
    ] == [
        [1.0, 0.0],
        [1.0, 0.0],
    ]


def test_qre_refuses_lambda_times_payoff_beyond_the_float_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.efg"
    path.write_text(STAGE_HUGE)
    code, _, err = run_cli(["solve", str(path), "--concept", "qre"], capsys)
    one_line_error(code, err, "payoffs: the logit QRE at lambda = 1")
    with pytest.raises(GameClassError):
        solve_game(read_nfg("pd.nfg", text=PD_BIG.replace("1000000000000", "1e200")), "qre")


def test_a_qre_short_of_its_lambda_is_marked_incomplete(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from realpolitik.cli.games import mark_incomplete

    profiles = [{"lambda": 0.731}, {"lambda": 1.0}]
    with pytest.warns(UserWarning, match="ended at lambda = 0.731, short of the requested 1"):
        mark_incomplete(profiles, 1.0)
    assert [p["status"] for p in profiles] == ["incomplete", "complete"]


def test_solve_json_reports_a_complete_qre(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pd.nfg"
    path.write_text(PD_BIG.replace("1000000000000", "1"))
    code, out, _ = run_cli(["solve", str(path), "--concept", "qre", "--format", "json"], capsys)
    assert code == 0
    profile = json.loads(out)[0]
    assert profile["status"] == "complete" and profile["lambda"] == profile["lambda_requested"]


def test_strict_json_names_the_overflowed_value() -> None:
    with pytest.raises(NumericError, match=r"^forecast\.metrics\[1\]\.mean overflowed"):
        dumps_strict({"forecast": {"metrics": [{"mean": 1.0}, {"mean": float("inf")}]}})
    assert dumps_strict({"x": np.float64(2.5)}, default=float) == '{\n  "x": 2.5\n}'


# --------------------------------------------------------------------------- the store


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    path = folder / "runs.duckdb"
    assert (
        main(["run", LEGACY_FLAGSHIP, "--draws", "3000", "--chunk", "1000", "--store", str(path)])
        == 0
    )
    return path


def test_damaged_stores_are_one_line(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the campaign: 16 of 116 truncated or overwritten stores gave tracebacks
    capsys.readouterr()
    rng = np.random.default_rng(11)
    size = stored.stat().st_size
    for k in range(12):
        copy = tmp_path / f"t{k}.duckdb"
        data = bytearray(stored.read_bytes())
        if k % 2:
            start = int(rng.integers(0, size - 4096))
            data[start : start + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
        else:
            data = data[: int(rng.integers(16, size))]
        copy.write_bytes(bytes(data))
        for args in (
            ["runs", "list"],
            ["runs", "show", "1"],
            ["runs", "check"],
            ["run", "--resume", "1"],
        ):
            code, _, err = run_cli([*args, "--store", str(copy)], capsys)
            assert code in (0, 2) and "Traceback" not in err, (k, args, err)
            if code == 2:
                assert err.count("\n") <= 3, err


def test_runs_check(stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code, _, err = run_cli(["runs", "check", "--store", str(stored)], capsys)
    assert code == 0 and "every run is intact" in err
    copy = tmp_path / "bad.duckdb"
    data = bytearray(stored.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 65536] = os.urandom(65536)
    copy.write_bytes(bytes(data))
    code, _, err = run_cli(["runs", "check", "--store", str(copy)], capsys)
    assert code == 2 and "damaged" in err


def test_store_failures_become_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    from realpolitik.store import duckdb_store

    for message, fragment in (
        ("IO Error: Could not write file: No space left on device", "disk holding"),
        ('IO Error: Cannot open file "x": Permission denied', "permission denied"),
        ("FATAL Error: checksum mismatch", "the store is damaged at"),
    ):
        failure = duckdb_store.store_failure(tmp_path / "s.duckdb", duckdb.IOException(message))
        assert isinstance(failure, StoreError) and fragment in str(failure)

    real_connect = duckdb.connect

    def refusing(path: str, *args: object, **kwargs: object) -> object:
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')

    monkeypatch.setattr(duckdb, "connect", refusing)
    code, _, err = run_cli(
        ["run", LEGACY_FLAGSHIP, "--draws", "100", "--store", str(tmp_path / "x.duckdb")],
        capsys,
    )
    monkeypatch.setattr(duckdb, "connect", real_connect)
    one_line_error(code, err, "permission denied")
    assert not list(tmp_path.glob("*.duckdb*"))  # nothing half-written


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_is_one_line_and_the_store_stays_consistent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        store = mount / "x.duckdb"
        code, _, err = run_cli(
            [
                "run",
                LEGACY_FLAGSHIP,
                "--draws",
                "200000",
                "--chunk",
                "20000",
                "--store",
                str(store),
            ],
            capsys,
        )
        one_line_error(code, err, "disk holding the results store")
        code, _, err = run_cli(["runs", "check", "--store", str(store)], capsys)
        assert code == 0, err
    finally:
        subprocess.run(["umount", str(mount)], check=False)


STAGE = STAGE_HUGE.replace("9e307", "9")


def test_a_stage_qre_short_of_its_lambda_is_reported_by_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A branch that ends early (here: at most two steps) used to be reported
    at the requested lambda; the lambda reached is now reported, with a
    warning and ``status: incomplete``."""
    from realpolitik.solve import logit
    from realpolitik.solve.homotopy import TraceOptions

    traced = logit.logit_qre

    def short(payoffs: object, lam: object, **kwargs: object) -> logit.LogitQRE:
        return traced(payoffs, lam, options=TraceOptions(max_steps=2))  # type: ignore[arg-type]

    monkeypatch.setattr(logit, "logit_qre", short)
    path = tmp_path / "stage.efg"
    path.write_text(STAGE)
    code, out, err = run_cli(
        ["solve", str(path), "--concept", "qre", "--lambda", "50", "--format", "json"], capsys
    )
    assert code == 0
    profile = json.loads(out)[0]
    assert profile["status"] == "incomplete"
    assert 0 < profile["lambda"] < 50 == profile["lambda_requested"]
    assert "short of the requested 50" in err
