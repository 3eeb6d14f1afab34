"""Defence ties with the US and with Russia, from the hand-coded treaty table.

Why a script of its own: the columns ``ally_usa`` and ``ally_rus`` of the
alignment covariates used to come from ATOP v4.01 (Leeds et al. 2002) through
a repository that states no licence, so they could not ship as package data.
Treaty membership is a public fact: ``src/realpolitik/alignment/data/alliances.csv``
codes it by hand from treaty texts and depositaries' or organisations' member
lists, one row per treaty and member, each with its source. This module reads
that table and answers "who is bound to defend whom at the end of year Y"; the
build script (``build_alignment_data.py``) turns the answer into the two columns.

The table (columns ``treaty, member, start, end, denounced, obligation,
defence, source, url, note``):

- ``start``, ``end``, ``denounced``: ISO dates, or a bare year where the day
  was not established (a year means "during that year"); ``end`` empty while
  the member is still bound.
- ``denounced``: the date a member gave notice of leaving. From then on it is
  not counted even while the treaty binds it for a notice period (the Rio
  Treaty runs two more years after a denunciation, Art. 25): a state that has
  announced it will not honour the pledge is not aligned by it.
- ``defence``: 1 if the treaty obliges a party to come to the defence of
  another (mutual, or one-sided as in the Compacts of Free Association); 0 for
  rows kept to document why a treaty is *not* counted.

Rule: ``ally_usa`` (``ally_rus``) is 1 for a member when, at 31 December of
the snapshot year, some treaty with ``defence == 1`` binds both the member and
the US (Russia) and neither has denounced it. A treaty counts in either
direction (the US pledge to the Compact states is one-sided).

Run ``python scripts/alignment_alliances.py [--years 2013 2021]`` to print the
allies per snapshot; ``build_alignment_data.py`` prints the differences from the
ATOP-based coding when a copy of ``joshuaalley/treaty-depth`` is at hand.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

ALLIANCES = Path(__file__).resolve().parents[1] / "src/realpolitik/alignment/data/alliances.csv"
COLUMNS = ("treaty", "member", "start", "end", "denounced", "obligation", "defence",
           "source", "url", "note")  # fmt: skip
_DATE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")
#: ISO3 of the two sides
USA, RUSSIA = "USA", "RUS"


def read_alliances(path: Path = ALLIANCES) -> pd.DataFrame:
    """The treaty table, checked: known columns, ISO3 members, dates as ISO or a year,
    a source for every row, 0/1 defence."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(table.columns) != COLUMNS:
        sys.exit(f"{path}: columns {list(table.columns)}, expected {list(COLUMNS)}")
    for line, row in enumerate(table.itertuples(index=False), start=2):
        if not re.fullmatch(r"[A-Z]{3}", str(row.member)):
            sys.exit(f"{path}:{line}: member {row.member!r} is not ISO3")
        for field in ("start", "end", "denounced"):
            value = getattr(row, field)
            if (value or field == "start") and not _DATE.match(value):
                sys.exit(f"{path}:{line}: {field} {value!r} is not a date or a year")
        if row.defence not in ("0", "1") or not row.source:
            sys.exit(f"{path}:{line}: defence must be 0/1 and source given")
    return table


def _on_or_before(value: str, year: int) -> bool:
    """Whether a date (or a bare year: some day in it) is on or before 31 December ``year``."""
    return int(value[:4]) <= year


def in_force(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows with a defence obligation binding their member at 31 December ``year``
    and not denounced by then."""
    started = table["start"].map(lambda v: _on_or_before(v, year))
    ended = table["end"].map(lambda v: bool(v) and _on_or_before(v, year))
    denounced = table["denounced"].map(lambda v: bool(v) and _on_or_before(v, year))
    live = started & ~ended & ~denounced & (table["defence"] == "1")
    return table[live]


def allies(table: pd.DataFrame, year: int, side: str) -> set[str]:
    """Members bound with ``side`` (ISO3) by a live defence treaty at the end of ``year``."""
    live = in_force(table, year)
    treaties = set(live.loc[live["member"] == side, "treaty"])
    return set(live.loc[live["treaty"].isin(treaties), "member"]) - {side}


def members(table: pd.DataFrame, treaty: str, year: int) -> set[str]:
    """Members of one treaty counted at the end of ``year``."""
    live = in_force(table, year)
    return set(live.loc[live["treaty"] == treaty, "member"])


def atop_allies(mirrors: Path, year: int, cow_side: int) -> set[int]:
    """COW codes sharing an ATOP v4.01 defence pact with ``cow_side`` in ``year``
    (the coding this table replaces; read only to compare)."""
    git_dir = mirrors / "joshuaalley+treaty-depth" / "repo"
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show",
         "4908275a7b23f904142856818e5e1ac46127deeb:data/atop-member-level.csv"],
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"cannot read ATOP under {git_dir}")
    atop = pd.read_csv(io.BytesIO(done.stdout))
    live = atop[
        (atop["defense"] == 1)
        & (atop["yrent"] <= year)
        & ((atop["yrexit"] == 0) | (atop["yrexit"] >= year))
    ]
    pacts = set(live.loc[live["member"] == cow_side, "atopid"])
    return set(live.loc[live["atopid"].isin(pacts), "member"]) - {cow_side}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="*", default=[2013, 2021])
    args = parser.parse_args()
    table = read_alliances()
    print(f"{len(table)} rows, {table['treaty'].nunique()} treaties")
    for year in args.years:
        for side in (USA, RUSSIA):
            found = sorted(allies(table, year, side))
            print(f"{year} allies of {side} ({len(found)}): {' '.join(found)}")
        print(f"{year} NATO members: {len(members(table, 'north_atlantic_treaty', year))}")


if __name__ == "__main__":
    main()
