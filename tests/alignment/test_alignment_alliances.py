"""The hand-coded treaty table (``alignment/data/alliances.csv``) and the ally columns.

Checked against facts written here independently of the table: NATO's
membership count after each enlargement (NATO, "Member countries",
nato.int/cps/en/natohq/topics_52044.htm), the CSTO's members in 2013 and 2021
(CSTO official site), the Rio Treaty parties that voted in the Organ of
Consultation of September 2019 (19 states, of which Cuba and Venezuela's
Guaido-appointed delegation are coded out as the table's notes explain), the
parties of the US bilateral defence treaties and Compacts (State Department,
Interior), and known facts of single members (Mexico left the Rio Treaty in
2004, North Macedonia joined NATO in 2020, Uzbekistan left the CSTO in 2012
but kept its 2005 allied-relations treaty with Russia).

The in-force rule is re-implemented here from its definition (rather than
imported from the build script), so the shipped columns are checked against
the table by a second reading.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from realpolitik.alignment.data import load_table, provenance, vintage_rows

ALLIANCES = Path(
    str(resources.files("realpolitik.alignment").joinpath("data").joinpath("alliances.csv"))
)

#: NATO members after each accession date (NATO, "Member countries").
NATO_COUNT = {1949: 12, 1951: 12, 1952: 14, 1955: 15, 1981: 15, 1982: 16, 1998: 16,
              1999: 19, 2003: 19, 2004: 26, 2008: 26, 2009: 28, 2013: 28, 2016: 28,
              2017: 29, 2019: 29, 2020: 30, 2021: 30}  # fmt: skip
CSTO = {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"}
#: Rio Treaty parties voting in the Organ of Consultation, 23 September 2019 (16 for,
#: Uruguay against, Trinidad and Tobago abstaining, Cuba absent), Venezuela's seat held
#: by the National Assembly's delegation.
RIO_2019 = {"ARG", "BHS", "BRA", "CHL", "COL", "CRI", "CUB", "DOM", "SLV", "GTM", "HTI",
            "HND", "PAN", "PRY", "PER", "TTO", "USA", "URY", "VEN"}  # fmt: skip


@pytest.fixture(scope="module")
def treaties() -> pd.DataFrame:
    return pd.read_csv(ALLIANCES, dtype=str, keep_default_na=False)


def _year(value: object) -> int:
    return int(str(value)[:4])


def bound_at(treaties: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows with a defence pledge binding their member on 31 December ``year``."""
    keep = []
    for row in treaties.itertuples(index=False):
        live = _year(row.start) <= year
        live &= not row.end or _year(row.end) > year
        live &= not row.denounced or _year(row.denounced) > year
        keep.append(live and row.defence == "1")
    return treaties[keep]


def allies_at(treaties: pd.DataFrame, year: int, side: str) -> set[str]:
    live = bound_at(treaties, year)
    mine = set(live.loc[live["member"] == side, "treaty"])
    return set(live.loc[live["treaty"].isin(mine), "member"]) - {side}


def test_every_row_has_a_source_and_a_pre_2022_date(treaties: pd.DataFrame) -> None:
    assert len(treaties) > 0
    assert (treaties["source"].str.len() > 20).all()
    assert (treaties["obligation"].str.len() > 10).all()
    assert set(treaties["defence"]) == {"0", "1"}
    for column in ("start", "end", "denounced"):
        for value in treaties[column]:
            if value:
                assert re.fullmatch(r"\d{4}(-\d{2}-\d{2})?", value), value
                assert _year(value) <= 2021, value


def test_nato_counts_match_the_official_list(treaties: pd.DataFrame) -> None:
    nato = treaties[treaties["treaty"] == "north_atlantic_treaty"]
    for year, count in NATO_COUNT.items():
        assert len(bound_at(nato, year)) == count, year


def test_csto_and_rio(treaties: pd.DataFrame) -> None:
    for year in (2013, 2021):
        live = bound_at(treaties, year)
        assert set(live.loc[live["treaty"] == "collective_security_treaty", "member"]) == CSTO
    rio = bound_at(treaties, 2019)
    rio_2019 = set(rio.loc[rio["treaty"] == "rio_treaty", "member"])
    assert rio_2019 == RIO_2019 - {"CUB", "VEN"}
    assert "MEX" not in rio_2019 and not RIO_2019 & {"MEX", "BOL", "ECU", "NIC"}


def test_the_shipped_columns_follow_the_table(treaties: pd.DataFrame) -> None:
    table = load_table()
    for vintage, year in ((2014, 2013), (2022, 2021)):
        rows = vintage_rows(table, vintage).set_index("iso3")
        for side, column in (("USA", "ally_usa"), ("RUS", "ally_rus")):
            assert set(rows.index[rows[column] == 1]) == allies_at(treaties, year, side)
            assert set(rows[column]) <= {0.0, 1.0}


def test_known_members(treaties: pd.DataFrame) -> None:
    table = load_table()
    y2014 = vintage_rows(table, 2014).set_index("iso3")
    y2022 = vintage_rows(table, 2022).set_index("iso3")
    for iso in ("JPN", "KOR", "PHL", "AUS", "THA", "FSM", "MHL", "PLW", "BRA", "TUR"):
        assert y2014.at[iso, "ally_usa"] == 1 and y2022.at[iso, "ally_usa"] == 1, iso
    for iso in ("MEX", "JAM", "CUB", "ISR", "IND", "PAK", "BOL", "VEN", "NIC", "ECU"):
        assert y2014.at[iso, "ally_usa"] == 0 and y2022.at[iso, "ally_usa"] == 0, iso
    for iso in ("MKD", "MNE"):
        assert y2014.at[iso, "ally_usa"] == 0 and y2022.at[iso, "ally_usa"] == 1, iso
    assert y2022.loc[sorted(CSTO - {"RUS"} | {"UZB"}), "ally_rus"].eq(1).all()
    assert y2022.loc[["AZE", "CHN", "SYR", "PRK", "IND"], "ally_rus"].eq(0).all()
    assert y2014["ally_rus"].sum() == 6 and y2022["ally_rus"].sum() == 6
    assert y2014["ally_usa"].sum() == 52 and y2022["ally_usa"].sum() == 54


def test_provenance_names_the_table_not_atop() -> None:
    prov = provenance().set_index("column")
    for column in ("ally_usa", "ally_rus"):
        assert "alliances.csv" in str(prov.at[column, "source"])
        assert "ATOP" not in str(prov.at[column, "licence"])
