"""Provenance in scenario files (scenario/provenance.py): dated sources,
``as_of`` as a date, judgement instead of (or beside) a source, and the
warnings for sources dated after ``as_of`` or undated.

Expected lines are written out by hand from the small file below (its line
numbers are counted in the comments); dates are compared by hand.
"""

from __future__ import annotations

import datetime

import pytest

from realpolitik.cli.main import main
from realpolitik.errors import InputError
from realpolitik.scenario.load import builtin_names, load, resolve
from realpolitik.scenario.provenance import first_day

BASE = """\
id: p
as_of: "2022-02-23"
sources:
  early: {cite: "An early source", date: "2022-01-14"}
  late: {cite: "A later source", date: "2022-09-21"}
  month: {cite: "A source known to the month", date: "2022-02"}
  nodate: {cite: "An undated source"}
  unused: {cite: "A reference no parameter cites", date: "2023-01-01"}
actors: {a: A}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: early}
  y: {dist: uniform, low: 0, high: 1, judgement: "no source gives a number"}
moves:
  - id: m
    actor: a
    actions: [go, stay]
payoffs:
  a:
    g: "(x + y) * (a == go)"
"""
# line 4: early, 5: late, 6: month, 7: nodate, 8: unused; 11: x, 12: y


def scenario(text: str):  # type: ignore[no-untyped-def]
    return load(text=text, name="p.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        scenario(text)
    return caught.value.lines()


def test_first_day_of_partial_dates() -> None:
    assert first_day("2022") == datetime.date(2022, 1, 1)
    assert first_day("2022-02") == datetime.date(2022, 2, 1)
    assert first_day("2022-02-23") == datetime.date(2022, 2, 23)
    with pytest.raises(ValueError):
        first_day("2022-02-30")
    with pytest.raises(ValueError):
        first_day("Feb 2022")


def test_sources_keep_date_url_and_page() -> None:
    sc = scenario(
        BASE.replace(
            'early: {cite: "An early source", date: "2022-01-14"}',
            'early: {cite: "An early source", date: "2022-01-14", url: "https://x.org", '
            'page: "table 4"}',
        )
    )
    early = sc.sources["early"]
    assert (early.date, early.url, early.page) == ("2022-01-14", "https://x.org", "table 4")
    assert sc.as_of == "2022-02-23"


def test_judgement_alone_is_enough_and_marks_the_parameter() -> None:
    sc = scenario(BASE)
    assert sc.parameters["y"].is_judgement and sc.parameters["y"].sources == ()
    assert not sc.parameters["x"].is_judgement
    assert sc.parameters["y"].judgement == "no source gives a number"


def test_no_warning_when_every_cited_source_is_dated_by_as_of() -> None:
    # the uncited source dated 2023 is a reference only
    assert scenario(BASE).warnings == ()


def test_post_dated_and_undated_cited_sources_warn_one_line_each() -> None:
    text = BASE.replace("source: early}", "source: [early, late, nodate, month]}")
    lines = [str(w) for w in scenario(text).warnings]
    assert lines == [
        "p.yaml:5: sources.late.date: source 'late' is dated 2022-09-21, after as_of "
        "2022-02-23, but x cite it; cite a source published by then, or mark the value as "
        "judgement and say why",
        "p.yaml:7: sources.nodate: source 'nodate' has no date, so it cannot be checked "
        "against as_of 2022-02-23 (cited by x); give its publication date",
    ]
    # "2022-02" counts from 1 February: not after 23 February


def test_without_as_of_nothing_is_checked() -> None:
    text = BASE.replace('as_of: "2022-02-23"\n', "").replace(
        "source: early}", "source: [late, nodate]}"
    )
    assert scenario(text).warnings == ()


def test_yaml_dates_unquoted_are_read_as_dates() -> None:
    text = BASE.replace('as_of: "2022-02-23"', "as_of: 2022-02-23").replace(
        'date: "2022-09-21"', "date: 2022-09-21"
    )
    assert scenario(text).sources["late"].date == "2022-09-21"


def test_a_date_that_does_not_parse_is_an_error_with_its_line() -> None:
    assert problems(BASE.replace('date: "2022-09-21"', 'date: "Sept 2022"')) == [
        "p.yaml:5: sources.late.date: a source's date is YYYY-MM-DD, YYYY-MM or YYYY (its "
        "publication), got text 'Sept 2022'"
    ]
    assert problems(BASE.replace('as_of: "2022-02-23"', 'as_of: "2022-02-30"')) == [
        "p.yaml:2: as_of: as_of must be a date YYYY-MM-DD (the day of the information used, "
        "e.g. \"2022-02-23\"), got text '2022-02-30'"
    ]


def test_neither_source_nor_judgement_is_an_error() -> None:
    text = BASE.replace(', judgement: "no source gives a number"}', "}")
    assert problems(text) == [
        "p.yaml:12: parameters.y: missing 'source' or 'judgement': every parameter cites where "
        "its value comes from (a key of 'sources', e.g. source: [hung2022]) or says why it is "
        'the analyst\'s judgement (judgement: "...")'
    ]
    assert problems(BASE.replace('judgement: "no source gives a number"', 'judgement: ""')) == [
        "p.yaml:12: parameters.y.judgement: a judgement says why the value was chosen; it is empty"
    ]


def test_validate_prints_warnings_and_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "p.yaml"  # type: ignore[operator]
    path.write_text(BASE.replace("source: early}", "source: late}"), encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code == 0
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {path}:5: sources.late.date: ")
    assert captured.out.startswith("ok: p:")


def test_validate_refuses_a_bad_date_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "p.yaml"  # type: ignore[operator]
    path.write_text(BASE.replace('date: "2022-01-14"', 'date: "14/01/2022"'), encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.splitlines() == [
        f"error: {path}:4: sources.early.date: a source's date is YYYY-MM-DD, YYYY-MM or YYYY "
        "(its publication), got text '14/01/2022'"
    ]


@pytest.mark.parametrize("name", builtin_names())
def test_no_builtin_scenario_cites_a_source_dated_after_its_as_of(name: str) -> None:
    sc = resolve(name)
    day = datetime.date.fromisoformat(sc.as_of)
    for parameter in sc.parameters.values():
        for sid in parameter.sources:
            date = sc.sources[sid].date
            assert date, f"{parameter.id} cites undated {sid}"
            assert first_day(date) <= day, f"{parameter.id} cites {sid} of {date}"
    assert not [w for w in sc.warnings if "after as_of" in w.message]


def test_flagship_post_dated_seed_text_is_kept_but_cited_by_no_parameter() -> None:
    sc = resolve("china-russia-2022")
    # Hung's op-ed (July 2022) keeps its date: it names a view, sets no number
    assert sc.sources["hung2022"].date == "2022-07-29"
    cited = {s for p in sc.parameters.values() for s in p.sources}
    assert "hung2022" not in cited
    # the view's changes are judgement that say so
    hung = next(v for v in sc.views if v.id == "hung")
    assert all(p.judgement for p in hung.parameters.values())
