"""The shipped covariate table and its reader.

Checked against facts independent of the build: the official tally of
A/RES/68/262 (100 yes, 11 no, 58 abstentions, 24 absent; A/68/PV.80), the
per-member record vendored in ``tests/reference/domain`` (from the ukraine-viz
project, not from Voeten's data), hand-computed
imputations, and the rule that nothing dated 2022 or later enters.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.alignment.data import (
    NUMERIC_COLUMNS,
    design_matrix,
    load_table,
    provenance,
    vintage_rows,
)
from realpolitik.errors import InputError

#: An independent per-member record of the 68/262 votes (vendored, see tests/reference/README.md).
SHARED_VOTES = (
    Path(__file__).resolve().parents[1] / "reference/domain/unga_68-262_crimea_2014_votes.csv"
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_table()


def test_every_member_once_per_vintage(table: pd.DataFrame) -> None:
    for vintage in (2014, 2022):
        rows = vintage_rows(table, vintage)
        assert len(rows) == 193
        assert rows["iso3"].is_unique
        assert not rows[list(NUMERIC_COLUMNS)].isna().to_numpy().any()
    assert set(vintage_rows(table, 2014)["iso3"]) == set(vintage_rows(table, 2022)["iso3"])


def test_the_2014_tally_is_the_official_one(table: pd.DataFrame) -> None:
    votes = vintage_rows(table, 2014)["vote_68_262"].value_counts().to_dict()
    assert votes == {"yes": 100, "no": 11, "abstain": 58, "absent": 24}


def test_the_2014_votes_match_an_independent_record(table: pd.DataFrame) -> None:
    ref = pd.read_csv(SHARED_VOTES)
    letters = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}
    expected = dict(zip(ref["iso3"], ref.iloc[:, 2].map(letters), strict=True))
    ours = vintage_rows(table, 2014).set_index("iso3")["vote_68_262"].to_dict()
    assert ours == expected


def test_known_facts_of_the_covariates(table: pd.DataFrame) -> None:
    rows = vintage_rows(table, 2022).set_index("iso3")
    assert rows.at["RUS", "agree_rus"] == 1.0 and rows.at["USA", "agree_usa"] == 1.0
    # NATO members are US allies; CSTO members are Russia's
    assert rows.loc[["DEU", "POL", "TUR", "CAN"], "ally_usa"].eq(1).all()
    assert rows.loc[["ARM", "BLR", "KAZ", "KGZ", "TJK"], "ally_rus"].eq(1).all()
    assert rows.at["CHN", "ally_rus"] == 0 and rows.at["CHN", "ally_usa"] == 0
    # Ukraine and Georgia vote as the sponsors of their own resolutions
    assert rows.at["UKR", "related_votes"] == 1.0 and rows.at["GEO", "related_votes"] == 1.0
    assert rows.at["RUS", "related_votes"] == -1.0


def test_nothing_dated_2022_or_later() -> None:
    prov = provenance()
    assert set(prov["column"]) >= {*NUMERIC_COLUMNS, "iso3", "region", "vote_68_262"}
    for column in ("years_vintage_2014", "years_vintage_2022"):
        for text in prov[column]:
            years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", text)]
            assert all(y <= 2021 for y in years), text
    assert prov["years_vintage_2022"].str.contains("2020").any()  # the latest, V-Dem
    for source in prov["source"]:
        if source.startswith("src/realpolitik/alignment/data/alliances.csv"):
            continue  # hand-coded: its dates are checked in test_alignment_alliances.py
        published = re.search(r"\((\d{4}-\d{2}-\d{2})\)", source)
        assert published is not None and published.group(1) < "2022-01-01", source
    assert all(prov["licence"].str.len() > 0)


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_missing_value_is_refused_with_its_line(tmp_path: Path, table: pd.DataFrame) -> None:
    frame = table.drop(columns=["line"]).copy()
    row = int(np.flatnonzero((frame["vintage"] == 2022) & (frame["iso3"] == "FRA"))[0])
    frame.loc[row, "vdem_accountability"] = np.nan
    path = _write(tmp_path, frame)
    with pytest.raises(InputError) as caught:
        load_table(path)
    problem = caught.value.problems[0]
    assert problem.line == row + 2 and problem.field == "vdem_accountability"
    assert "FRA" in problem.message


def test_subregion_mean_imputation_is_said_and_right(tmp_path: Path, table: pd.DataFrame) -> None:
    frame = table.drop(columns=["line"]).copy()
    pick = (frame["vintage"] == 2022) & (frame["iso3"] == "FRA")
    sub = frame.loc[pick, "subregion"].iloc[0]
    peers = frame[(frame["vintage"] == 2022) & (frame["subregion"] == sub) & ~pick]
    frame.loc[pick, "vdem_accountability"] = np.nan
    with pytest.warns(UserWarning, match="FRA"):
        filled = load_table(_write(tmp_path, frame), impute="subregion-mean")
    got = filled.loc[(filled["vintage"] == 2022) & (filled["iso3"] == "FRA")]
    assert got["vdem_accountability"].iloc[0] == pytest.approx(peers["vdem_accountability"].mean())
    assert "vdem_accountability" in got["imputed"].iloc[0]


def test_drop_leaves_the_country_out(tmp_path: Path, table: pd.DataFrame) -> None:
    frame = table.drop(columns=["line"]).copy()
    frame.loc[(frame["vintage"] == 2022) & (frame["iso3"] == "FRA"), "agree_usa"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = load_table(_write(tmp_path, frame), impute="drop")
    assert any("FRA" in str(w.message) for w in caught)
    assert "FRA" not in set(vintage_rows(kept, 2022)["iso3"])
    assert "FRA" in set(vintage_rows(kept, 2014)["iso3"])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("vote_68_262", "maybe", "not one of yes/no/abstain/absent"),
        ("iso3", "France", "not an ISO 3166"),
        ("agree_rus", "high", "not a number"),
    ],
)
def test_bad_cells_name_line_and_column(
    tmp_path: Path, table: pd.DataFrame, column: str, value: str, message: str
) -> None:
    frame = table.drop(columns=["line"]).astype(str).replace("nan", "")
    frame.loc[5, column] = value
    with pytest.raises(InputError, match=message) as caught:
        load_table(_write(tmp_path, frame))
    assert caught.value.problems[0].line == 7
    assert caught.value.problems[0].field == column


def test_design_standardises_and_derives_affinity(table: pd.DataFrame) -> None:
    rows = vintage_rows(table, 2014)
    design = design_matrix(rows, ("affinity", "ally_usa"))
    assert design.columns == ("const", "affinity", "ally_usa")
    assert np.allclose(design.X[:, 0], 1.0)
    assert np.allclose(design.X[:, 1:].mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(design.X[:, 1:].std(axis=0), 1.0)
    affinity = rows["agree_rus"].to_numpy() - rows["agree_usa"].to_numpy()
    assert np.allclose(design.raw[:, 0], affinity)
    later = design_matrix(vintage_rows(table, 2022), ("affinity", "ally_usa"),
                          scaling=design.scaling)  # fmt: skip
    assert np.allclose(later.X[:, 1] * design.scaling.scale[0] + design.scaling.mean[0],
                       later.raw[:, 0])  # fmt: skip
    with pytest.raises(InputError, match="not in the covariate table"):
        design.index_of("XYZ")
