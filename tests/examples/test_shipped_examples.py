"""The example inputs that ship with the package: ``realpolitik examples``
lists every file with commands that run, ``--copy`` copies them, and the EC
emissions file reproduces the published mean trajectory of Bueno de
Mesquita's example (Scholz et al. 2011; the numbers of
tests/reference/bargaining/README.md)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pytest

import realpolitik as rp
from realpolitik.cli.main import main
from realpolitik.examples import EXAMPLES

#: Published mean position, rounds 0-10 (Scholz, Calbert and Smith 2011).
PUBLISHED_MEAN = [7.390, 7.461, 7.553, 7.590, 7.358, 7.349, 7.415, 7.510, 7.572, 7.325, 7.242]


def test_the_list_names_every_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == [e.file for e in EXAMPLES]
    for row in rows:
        assert Path(row["path"]).is_file()
        assert row["commands"] and all(row["path"] in c for c in row["commands"])
    folder = Path(rp.example_path(EXAMPLES[0].file)).parent
    shipped = {p.name for p in folder.iterdir() if p.suffix not in (".py", ".pyc") and p.is_file()}
    assert shipped == {e.file for e in EXAMPLES}


def _commands() -> list[tuple[str, list[str]]]:
    out = []
    for example in EXAMPLES:
        for command in example.commands:
            args = shlex.split(command.format(path=rp.example_path(example.file)))[1:]
            out.append((f"{example.file}: {' '.join(args[:1])}", args))
    return out


@pytest.mark.parametrize(("name", "args"), _commands(), ids=[n for n, _ in _commands()])
def test_every_listed_command_runs(
    name: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # export-gambit writes its file here
    assert main([*args, "--format", "json"] if args[0] in ("solve",) else args) == 0, name


def test_copy_writes_every_file_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "--copy", str(tmp_path / "ex")]) == 0
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == sorted(e.file for e in EXAMPLES)
    assert main(["examples", "--copy", str(tmp_path / "ex")]) == 2  # never overwritten
    assert "already holds" in capsys.readouterr().err


def test_the_ec_example_reproduces_the_published_trajectory() -> None:
    run = rp.bargain(rp.example_path("ec-emissions.csv"), rounds=10)
    assert isinstance(run, rp.BargainingRun)
    np.testing.assert_allclose(run.extra["mean"][:, 0], PUBLISHED_MEAN, atol=5e-4)
