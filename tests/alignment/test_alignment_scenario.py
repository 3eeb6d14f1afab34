"""Alignment scenarios: the built-in one, and every mistake reported with its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import realpolitik.alignment.validate as validate_module
from realpolitik.alignment import align, load_table
from realpolitik.alignment.data import provenance
from realpolitik.alignment.scenario import builtin_names, load_alignment_scenario
from realpolitik.alignment.validate import check_alignment_scenario
from realpolitik.errors import InputError

BUILTIN = "unga-2022-aggression"


def _text() -> str:
    return Path(load_alignment_scenario(BUILTIN).file).read_text()


def test_builtin_is_dated_and_sourced() -> None:
    assert BUILTIN in builtin_names()
    sc = load_alignment_scenario(BUILTIN)
    assert sc.as_of == dt.date(2022, 2, 23) and sc.vintage == 2022
    for source in sc.sources.values():
        assert dt.date.fromisoformat(source["date"]) <= sc.as_of
    for param in sc.crisis:
        assert param.judgement or param.source in sc.sources
    assert sc.covariance.shape == (len(sc.names), len(sc.names))


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = _text()
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message", "needle"),
    [
        ("    date: 2022-02-22", "    date: 2022-03-02", "after as_of", "2022-03-02"),
        ("    effect: {yes: 1.0, no: -1.0}", "    effect: {yes: 1.0, maybe: -1.0}",
         "not one of yes/no/abstain/absent", "maybe"),
        # a distribution's problem is placed on its parameter, as in game scenarios
        ("    mode: 0.5\n", "    mode: 2.5\n", "mode=2.5 lies outside", "  severity:"),
        ("    dist: uniform\n", "    dist: lognormal-ish\n", "did you mean `lognormal`",
         "  sanctions_pressure:"),
        ("    times: ally_usa", "    times: gdp", "unknown covariate", "times: gdp"),
        ("  peer_groups: region", "  peer_groups: continent", "must be one of", "continent"),
    ],
)  # fmt: skip
def test_mistakes_are_located(
    tmp_path: Path, old: str, new: str, message: str, needle: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError, match=message) as caught:
        load_alignment_scenario(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path)
    assert problem.line == _line_of(path, needle)


def test_a_crisis_parameter_needs_a_source_or_a_judgement(tmp_path: Path) -> None:
    text = _text()
    start = text.index("    source: us_treasury_2022_02_22\n    judgement:")
    end = text.index("\n", text.index("2014.", start)) + 1
    path = tmp_path / "unsourced.yaml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(InputError, match="missing 'source' or 'judgement'"):
        load_alignment_scenario(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        _text()
        .replace("    date: 2022-02-22", "    date: 2022-03-02", 1)
        .replace("  peer_groups: region", "  peer_groups: continent", 1)
    )
    with pytest.raises(InputError) as caught:
        load_alignment_scenario(path)
    assert len(caught.value.problems) == 2


def test_unknown_scenario_name() -> None:
    with pytest.raises(InputError, match="unknown alignment scenario"):
        load_alignment_scenario("no-such-crisis")


def test_a_scenario_can_name_its_own_table(tmp_path: Path) -> None:
    frame = load_table().drop(columns=["line"])
    pick = (frame["vintage"] == 2022) & (frame["iso3"] == "IND")
    frame.loc[pick, ["related_votes", "agree_usa"]] = [1.0, 0.9]  # as the US's closest partner
    frame.to_csv(tmp_path / "mine.csv", index=False)
    path = tmp_path / "own-table.yaml"
    path.write_text(_text().replace("vintage: 2022\n", "vintage: 2022\ntable: mine.csv\n", 1))
    shipped = align(BUILTIN, draws=1).countries.set_index("iso3")
    mine = align(path, draws=1).countries.set_index("iso3")
    assert mine.at["IND", "yes"] > shipped.at["IND", "yes"] + 0.1
    assert mine.at["USA", "yes"] == pytest.approx(shipped.at["USA", "yes"], abs=0.01)


def test_nothing_dated_2022_or_later_enters_the_fit() -> None:
    """The built-in fit reads the 2014 vintage and the vote of 27 March 2014
    (its date as provenance.csv records it, read independently here)."""
    check = check_alignment_scenario(BUILTIN)
    assert check.scenario.fit["vintage"] == 2014 and check.scenario.fit["vote"] == "vote_68_262"
    recorded = provenance().set_index("column").at["vote_68_262", "years_vintage_2014"]
    assert check.vote_dates == (dt.date.fromisoformat(str(recorded)),) == (dt.date(2014, 3, 27),)
    assert all(d.year < 2022 for d in check.vote_dates)


def test_a_fitted_vote_dated_after_as_of_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    table = provenance()
    table.loc[table["column"] == "vote_68_262", "years_vintage_2014"] = "2022-03-02"
    monkeypatch.setattr(validate_module, "provenance", lambda: table)
    with pytest.raises(InputError, match="dated 2022-03-02, after as_of 2022-02-23"):
        check_alignment_scenario(BUILTIN)
