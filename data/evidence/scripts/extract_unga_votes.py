"""Extract UN General Assembly roll calls used by the evidence base.

Reads the Voeten UNGA voting data as packaged in the R package ``unvotes``
(github.com/dgrtwo/unvotes, data/un_votes.rda and data/un_roll_calls.rda;
the underlying data are dedicated to the public domain under CC0 by the
Harvard Dataverse record hdl:1902.1/12379) and writes one row per member
state and roll call to ``data/evidence/cases/unga_votes.csv``.

The ``unvotes`` data keep only yes/no/abstain; a member absent from a vote
has no row there and is written here as ``absent`` when it voted in another
roll call of the same session year (so it was a member).

Usage::

    python data/evidence/scripts/extract_unga_votes.py /path/to/unvotes/data

Needs ``pyreadr`` and ``pandas`` (not dependencies of realpolitik).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyreadr

# rcid in the unvotes data -> (resolution, date as adopted, case, what a yes vote means)
ROLL_CALLS: dict[int, tuple[str, str, str, str]] = {
    4829: (
        "A/RES/62/249",
        "2008-05-15",
        "georgia_2008",
        "yes = supports return of IDPs to Abkhazia (Georgian position)",
    ),
    5847: (
        "A/63/L.79 no-action motion",
        "2009-09-09",
        "georgia_2008",
        "yes = supports Russia's motion to take no action (Russian position)",
    ),
    5047: (
        "A/RES/64/296",
        "2010-09-07",
        "georgia_2008",
        "yes = supports IDP return to Abkhazia and South Ossetia (Georgian position)",
    ),
    5114: (
        "A/RES/65/287",
        "2011-06-29",
        "georgia_2008",
        "yes = supports IDP return (Georgian position)",
    ),
    5310: (
        "A/RES/68/274",
        "2014-06-05",
        "georgia_2008",
        "yes = supports IDP return (Georgian position)",
    ),
    5135: (
        "A/RES/66/176",
        "2011-12-19",
        "syria_2011",
        "yes = condemns human rights violations by Syrian authorities",
    ),
    5180: (
        "A/RES/66/253",
        "2012-02-16",
        "syria_2011",
        "yes = backs Arab League plan, condemns Syrian government",
    ),
    5309: (
        "A/RES/68/262",
        "2014-03-27",
        "crimea_2014",
        "yes = affirms Ukraine's territorial integrity, referendum invalid",
    ),
    5489: (
        "A/RES/71/205",
        "2016-12-19",
        "crimea_2014",
        "yes = condemns human rights abuses in Russian-occupied Crimea",
    ),
    5558: (
        "A/RES/72/190",
        "2017-12-19",
        "crimea_2014",
        "yes = condemns human rights abuses in Crimea",
    ),
    6125: ("A/RES/73/194", "2018-12-17", "crimea_2014", "yes = condemns militarization of Crimea"),
    6155: (
        "A/RES/73/263",
        "2018-12-22",
        "crimea_2014",
        "yes = condemns human rights abuses in Crimea",
    ),
    9075: ("A/RES/74/17", "2019-12-09", "crimea_2014", "yes = condemns militarization of Crimea"),
    9111: (
        "A/RES/74/168",
        "2019-12-18",
        "crimea_2014",
        "yes = condemns human rights abuses in Crimea",
    ),
    5134: (
        "A/RES/66/175",
        "2011-12-19",
        "iran_oil_2012",
        "yes = condemns human rights in Iran (proxy for siding with the coalition)",
    ),
    5240: (
        "A/RES/67/182",
        "2012-12-20",
        "iran_oil_2012",
        "yes = condemns human rights situation in Iran (proxy)",
    ),
    6133: (
        "A/RES/73/181",
        "2018-12-17",
        "iran_2018",
        "yes = condemns human rights situation in Iran (proxy)",
    ),
    9131: (
        "A/RES/74/167",
        "2019-12-18",
        "iran_2018",
        "yes = condemns human rights situation in Iran (proxy)",
    ),
    5241: (
        "A/RES/67/183",
        "2012-12-20",
        "syria_2011",
        "yes = condemns human rights violations by Syrian authorities",
    ),
}


def main(data_dir: Path, out: Path) -> None:
    """Write the long table of votes (member state x roll call)."""
    votes = pyreadr.read_r(str(data_dir / "un_votes.rda"))["un_votes"]
    calls = pyreadr.read_r(str(data_dir / "un_roll_calls.rda"))["un_roll_calls"]
    votes["rcid"] = votes["rcid"].astype(int)
    calls = calls.set_index("rcid")
    rows = []
    for rcid, (res, adopted, case, meaning) in ROLL_CALLS.items():
        year = str(calls.loc[rcid, "date"])[:4]
        session_ids = calls.index[calls["date"].astype(str).str[:4] == year]
        members = votes[votes["rcid"].isin(session_ids)][["country", "country_code"]]
        members = members.drop_duplicates("country")
        cast = votes[votes["rcid"] == rcid].set_index("country")["vote"].astype(str)
        for country, code in members.itertuples(index=False):
            rows.append(
                {
                    "case": case,
                    "resolution": res,
                    "date": adopted,
                    "rcid": rcid,
                    "country": country,
                    "iso2": code,
                    "vote": cast.get(country, "absent"),
                    "yes_means": meaning,
                }
            )
    table = pd.DataFrame(rows).sort_values(["date", "resolution", "country"])
    table.to_csv(out, index=False)
    print(f"{len(table)} rows -> {out}")


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("unvotes/data")
    here = Path(__file__).resolve().parents[1]
    main(src, here / "cases" / "unga_votes.csv")
