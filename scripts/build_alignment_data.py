"""Build the covariate table of the alignment model (all 193 UN members, pre-2022 data only).

Why a script: every number in ``src/realpolitik/alignment/data/covariates.csv``
must be rebuildable from public sources pinned to commits published before
23 February 2022, with its source, year and licence recorded beside it
(``provenance.csv``). The package only reads the built table.

Sources (each a public GitHub repository, read from a bare git copy at a pinned
commit; get them with ``git clone --mirror https://github.com/OWNER/NAME`` into
``MIRRORS/OWNER+NAME/repo``, or with the project's fetch tool):

- ``dgrtwo/unvotes`` @ 7eb7034 (2021-03-08), MIT package; the data are Erik
  Voeten's UNGA roll calls (Harvard Dataverse hdl:1902.1/12379, CC0):
  ``data/un_votes.rda`` (votes 1946-2019, yes/no/abstain only) and
  ``data-raw/UNVotesPublished.RData`` (Voeten's 2016 release with COW codes and
  absences, code 8).
- ``vdeminstitute/demspaces`` @ 86948fe (2021-03-26): V-Dem v11 indicators
  (Coppedge et al. 2021, CC BY-SA 4.0) per country-year through 2020.
- ``src/realpolitik/alignment/data/alliances.csv``: defence treaties binding a
  member and the US or Russia, coded by hand from treaty texts and official
  member lists (NATO, the OAS depositary, the State Department, the CSTO...),
  every row with its source; read by ``alignment_alliances.py`` beside this
  script. It replaces ATOP v4.01 (``joshuaalley/treaty-depth`` @ 4908275, no
  licence stated), which is read only to print the differences when present.
- ``datasets/country-codes`` @ 4b783b0 (2020-10-15), ODC PDDL: ISO 3166 codes
  and UN M49 regions.

Covariates are measured in two vintages with the same definitions: ``2014``
(windows ending 2013, for the fit on resolution 68/262 of 27 March 2014) and
``2022`` (windows ending with the latest value each source had published
before 2022: UN votes through 2019, V-Dem through 2020, treaties in force at
the end of 2021).

Run: ``python scripts/build_alignment_data.py --mirrors /work/.mirror``
(needs the ``data`` extra: ``pip install -e ".[data]"``, for pyreadr).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
from alignment_alliances import RUSSIA, USA, allies, atop_allies, read_alliances

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "realpolitik" / "alignment" / "data"


@dataclass(frozen=True)
class Pin:
    """A file in a public repository at a pinned commit."""

    repo: str
    commit: str
    published: str
    path: str

    def read(self, mirrors: Path) -> bytes:
        git_dir = mirrors / self.repo.replace("/", "+") / "repo"
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"{self.commit}:{self.path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"cannot read {self.repo}@{self.commit}:{self.path} under {git_dir}")
        return done.stdout

    def cite(self) -> str:
        return f"github.com/{self.repo}@{self.commit[:7]} ({self.published}) {self.path}"


UNVOTES = "dgrtwo/unvotes", "7eb7034314ff79c49c9e0785fcd9d216fa04cf14", "2021-03-08"
UN_VOTES = Pin(*UNVOTES, "data/un_votes.rda")
UN_ROLL_CALLS = Pin(*UNVOTES, "data/un_roll_calls.rda")
VOETEN_2016 = Pin(*UNVOTES, "data-raw/UNVotesPublished.RData")
VDEM = Pin(
    "vdeminstitute/demspaces",
    "86948fe9537aff4ca171be9df8abad6f5ada82a6",
    "2021-03-26",
    "create-data/output/dv_data_1968_on.csv",
)
COUNTRY_CODES = Pin(
    "datasets/country-codes",
    "4b783b025f20754680389f7604a86f51d9de30c9",
    "2020-10-15",
    "data/country-codes.csv",
)

#: The roll call of A/RES/68/262 in Voeten's data (27 March 2014).
RCID_68_262 = 5309
VOTE_CODES = {1: "yes", 2: "abstain", 3: "no", 8: "absent"}

#: Correlates of War codes of the members that the V-Dem file (keyed by
#: Gleditsch-Ward code and ISO-like text id) does not hold. Source: COW State
#: System Membership List v2016 (correlatesofwar.org). Every code is checked
#: below against the members' recorded votes.
COW_OF_SMALL_STATES = {
    "AND": 232, "ATG": 58, "BHR": 692, "BHS": 31, "BLZ": 80, "BRN": 835, "DMA": 54,
    "FSM": 987, "GRD": 55, "KIR": 946, "KNA": 60, "LCA": 56, "LIE": 223, "MCO": 221,
    "MHL": 983, "MLT": 338, "NRU": 970, "PLW": 986, "SMR": 331, "STP": 403, "SYC": 591,
    "TON": 955, "TUV": 947, "VCT": 57, "VUT": 935, "WSM": 990,
}  # fmt: skip
#: Where Gleditsch and Ward's code differs from COW's for a current member
#: (Gleditsch & Ward 1999, Table 1): Germany, Serbia, Yemen.
GW_TO_COW = {260: 255, 340: 345, 678: 679}

COW_RUSSIA, COW_USA = 365, 2
ISO2_RUSSIA, ISO2_USA = "RU", "US"

#: Resolutions affirming a state's territorial integrity against Russian-backed
#: secession or annexation (Georgia: IDPs from Abkhazia and South Ossetia;
#: Ukraine: Crimea), by vintage; only those adopted before the vintage's cut-off.
GEORGIA_IDP = {
    2008: "62/249", 2009: "63/307", 2010: "64/296", 2011: "65/287", 2012: "66/283",
    2013: "67/268", 2014: "68/274", 2015: "69/286", 2016: "70/265", 2017: "71/290",
    2018: "72/280", 2019: "73/298",
}  # fmt: skip
UKRAINE = ("68/262", "71/205", "72/190", "73/194", "73/263", "74/17", "74/168")


@dataclass(frozen=True)
class Vintage:
    """When the covariates are measured, with the same definitions in each vintage."""

    name: int
    votes_from: str
    votes_to: str
    related: tuple[str, ...]
    vdem_year: int
    treaty_year: int


VINTAGES = (
    Vintage(
        2014,
        "2011-01-01",
        "2013-12-31",
        tuple(r for y, r in GEORGIA_IDP.items() if y <= 2013),
        vdem_year=2013,
        treaty_year=2013,
    ),
    Vintage(
        2022,
        "2017-01-01",
        "2019-12-31",
        tuple(r for y, r in GEORGIA_IDP.items() if y >= 2014) + UKRAINE,
        vdem_year=2020,
        treaty_year=2021,
    ),
)


def read_un_votes(mirrors: Path) -> pd.DataFrame:
    """``un_votes`` with integer roll-call ids, string votes and Serbia as ``RS``
    (the package maps COW 345 to Yugoslavia's ``YU`` for every year; all our
    windows are after 2006, when COW 345 is Serbia)."""
    votes = read_rda(UN_VOTES, mirrors, "un_votes")
    code = votes["country_code"].astype(str).replace({"YU": "RS"})
    return votes.assign(
        rcid=votes["rcid"].astype(int), vote=votes["vote"].astype(str), country_code=code
    )


def read_rda(pin: Pin, mirrors: Path, name: str) -> pd.DataFrame:
    """One data frame from an R data file (pyreadr reads from a path only)."""
    tmp = Path("/tmp") / f"realpolitik-align-{pin.commit[:7]}-{Path(pin.path).name}"
    tmp.write_bytes(pin.read(mirrors))
    try:
        frame: pd.DataFrame = pyreadr.read_r(str(tmp))[name]
    finally:
        tmp.unlink()
    return frame


def members_and_codes(mirrors: Path) -> pd.DataFrame:
    """The 193 members (those with a vote or an absence on 68/262), with COW, ISO2/3, M49."""
    voeten = read_rda(VOETEN_2016, mirrors, "x")
    roll = voeten[voeten["rcid"] == RCID_68_262]
    roll = roll[roll["vote"].isin(list(VOTE_CODES))]
    vdem = pd.read_csv(io.BytesIO(VDEM.read(mirrors)))
    ids = vdem[["gwcode", "country_text_id"]].drop_duplicates()
    cow_of = {str(t): GW_TO_COW.get(int(g), int(g)) for g, t in ids.itertuples(index=False)}
    cow_of.update(COW_OF_SMALL_STATES)
    iso_of_cow = {c: iso for iso, c in cow_of.items()}
    codes = pd.read_csv(io.BytesIO(COUNTRY_CODES.read(mirrors)), keep_default_na=False)
    codes = codes.set_index("ISO3166-1-Alpha-3")
    rows = []
    for ccode, vote in roll[["ccode", "vote"]].itertuples(index=False):
        iso3 = iso_of_cow.get(int(ccode))
        if iso3 is None or iso3 not in codes.index:
            sys.exit(f"no ISO3 code for COW {ccode}")
        row = codes.loc[iso3]
        rows.append(
            {
                "iso3": iso3,
                "iso2": row["ISO3166-1-Alpha-2"],
                "cow": int(ccode),
                "name": row["CLDR display name"],
                "region": row["Region Name"],
                "subregion": row["Sub-region Name"],
                "vote_68_262": VOTE_CODES[int(vote)],
            }
        )
    members = pd.DataFrame(rows).sort_values("iso3").reset_index(drop=True)
    if len(members) != 193 or members["iso3"].duplicated().any():
        sys.exit(f"expected 193 distinct members, found {len(members)}")
    return members


def check_codes_against_votes(members: pd.DataFrame, mirrors: Path) -> float:
    """Lowest share of agreeing votes between Voeten's COW-keyed record and the
    ISO2-keyed ``un_votes`` record, per member, on the 2011-2015 roll calls: a
    wrong COW-ISO pairing shows as a low share."""
    voeten = read_rda(VOETEN_2016, mirrors, "x")
    voeten = voeten[(voeten["year"] >= 2011) & voeten["vote"].isin([1, 2, 3])]
    votes = read_un_votes(mirrors)
    votes = votes[votes["rcid"].isin(voeten["rcid"].unique())]
    code = {1: "yes", 2: "abstain", 3: "no"}
    left = voeten.assign(vote=voeten["vote"].map(code), rcid=voeten["rcid"].astype(int))
    left = left.merge(members[["cow", "iso2"]], left_on="ccode", right_on="cow")
    both = left.merge(
        votes, left_on=["rcid", "iso2"], right_on=["rcid", "country_code"], suffixes=("", "_u")
    )
    share = (both["vote"] == both["vote_u"]).groupby(both["iso2"]).mean()
    if len(share) != 193:
        sys.exit(f"vote check covers {len(share)} members, not 193")
    worst = float(share.min())
    if worst < 0.95:
        sys.exit(f"COW-ISO mapping suspect: {share.idxmin()} agrees on {worst:.2%} of votes")
    return worst


def vote_covariates(members: pd.DataFrame, vintage: Vintage, mirrors: Path) -> pd.DataFrame:
    """UN voting affinity with Russia and the US, absence rate, and stance on related votes."""
    calls = read_rda(UN_ROLL_CALLS, mirrors, "un_roll_calls")
    votes = read_un_votes(mirrors)
    dates = pd.to_datetime(calls["date"])
    window = calls[(dates >= vintage.votes_from) & (dates <= vintage.votes_to)]
    rcids = set(window["rcid"].astype(int))
    sample = votes[votes["rcid"].isin(rcids)]
    wide = sample.pivot_table(index="country_code", columns="rcid", values="vote", aggfunc="first")
    out = pd.DataFrame(index=members["iso2"])
    for iso2, col in ((ISO2_RUSSIA, "agree_rus"), (ISO2_USA, "agree_usa")):
        ref = wide.loc[iso2]
        same = wide.eq(ref, axis=1)
        present = wide.notna() & ref.notna()
        out[col] = (same & present).sum(axis=1) / present.sum(axis=1)
    # absences: roll calls of a session in which the state cast at least one
    # vote, minus those it voted on (un_votes records yes/no/abstain only)
    session_of = dict(zip(window["rcid"].astype(int), window["session"], strict=True))
    calls_in_session = window["session"].value_counts()
    cast = sample.groupby(["country_code", sample["rcid"].map(session_of)]).size()
    expected = cast.index.get_level_values(1).map(calls_in_session).to_numpy()
    by_state = pd.DataFrame({"cast": cast.to_numpy(), "expected": expected}, index=cast.index)
    totals = by_state.groupby(level=0).sum()
    out["absent_rate"] = 1.0 - totals["cast"] / totals["expected"]
    # stance on the related roll calls (adoptions and procedural motions on the
    # listed resolutions), oriented by the sponsor's vote (Georgia on its
    # items, Ukraine on its own): +1 as the sponsor, 0 abstain, -1 against
    wanted = {f"R/{r}" for r in vintage.related} | {f"A/RES/{r}" for r in vintage.related}
    related = calls[calls["unres"].isin(wanted)]
    related = related[pd.to_datetime(related["date"]) <= vintage.votes_to]
    found = {u.removeprefix("R/").removeprefix("A/RES/") for u in related["unres"]}
    missing = sorted(set(vintage.related) - found)
    if missing:
        print(f"vintage {vintage.name}: not in the roll calls: {', '.join(missing)}")
    rel = votes[votes["rcid"].isin(set(related["rcid"].astype(int)))]
    unres = dict(zip(related["rcid"].astype(int), related["unres"], strict=True))
    sponsor_of = {
        rcid: "UA" if u.removeprefix("R/").removeprefix("A/RES/") in UKRAINE else "GE"
        for rcid, u in unres.items()
    }
    sponsor_iso2 = rel["rcid"].map(sponsor_of)
    by_call = rel.set_index(["rcid", "country_code"])["vote"]
    sponsor_vote = [by_call.get((r, s)) for r, s in zip(rel["rcid"], sponsor_iso2, strict=True)]
    score = np.where(
        rel["vote"].to_numpy() == "abstain",
        0.0,
        np.where(rel["vote"].to_numpy() == np.asarray(sponsor_vote, dtype=object), 1.0, -1.0),
    )
    out["related_votes"] = pd.Series(score, index=rel.index).groupby(rel["country_code"]).mean()
    out.attrs["related_calls"] = len(related)
    out.attrs["related_used"] = sorted(found)
    out.attrs["window_calls"] = len(rcids)
    return out.reset_index(names="iso2")


def alliance_covariates(members: pd.DataFrame, vintage: Vintage) -> pd.DataFrame:
    """1 if a defence treaty in force and not denounced at the end of the vintage's
    treaty year binds the member and Russia / the US (``alliances.csv``)."""
    table = read_alliances()
    year = vintage.treaty_year
    out = pd.DataFrame({"iso3": members["iso3"]})
    for side, col in ((RUSSIA, "ally_rus"), (USA, "ally_usa")):
        out[col] = out["iso3"].isin(allies(table, year, side)).astype(float)
    unknown = set(table["member"]) - set(members["iso3"])
    if unknown:
        sys.exit(f"alliances.csv names non-members: {sorted(unknown)}")
    return out


def compare_with_atop(members: pd.DataFrame, table: pd.DataFrame, mirrors: Path) -> None:
    """Print where the treaty-coded columns differ from the ATOP v4.01 coding that
    they replace (ATOP ends in 2018, so the 2022 vintage is compared with 2018)."""
    if not (mirrors / "joshuaalley+treaty-depth" / "repo").exists():
        print("ATOP copy not found: no comparison")
        return
    iso_of = dict(zip(members["cow"], members["iso3"], strict=True))
    for vintage in VINTAGES:
        year = min(vintage.treaty_year, 2018)
        rows = table[table["vintage"] == vintage.name].set_index("iso3")
        for cow, col in ((COW_RUSSIA, "ally_rus"), (COW_USA, "ally_usa")):
            atop = {iso_of[c] for c in atop_allies(mirrors, year, cow) if c in iso_of}
            ours = set(rows.index[rows[col] == 1])
            print(
                f"{col} {vintage.name} vs ATOP {year}: ours {len(ours)}, ATOP {len(atop)}; "
                f"only ours: {' '.join(sorted(ours - atop)) or '-'}; "
                f"only ATOP: {' '.join(sorted(atop - ours)) or '-'}"
            )


def regime_covariate(members: pd.DataFrame, vintage: Vintage, mirrors: Path) -> pd.Series:
    """V-Dem vertical accountability index (v2x_veracc_osp, 0-1) in the vintage's year."""
    vdem = pd.read_csv(io.BytesIO(VDEM.read(mirrors)))
    year = vdem[vdem["year"] == vintage.vdem_year].set_index("country_text_id")
    return members["iso3"].map(year["v2x_veracc_osp"])


def impute(table: pd.DataFrame, column: str, imputed: pd.Series) -> None:
    """Fill a column's gaps with the mean of the same M49 sub-region (else region) in the
    same vintage, and name the column in the row's ``imputed`` list."""
    gap = table[column].isna()
    for keys in (["vintage", "subregion"], ["vintage", "region"]):
        means = table.groupby(keys)[column].transform("mean")
        table[column] = table[column].fillna(means)
    imputed[gap] = imputed[gap].str.cat([column] * int(gap.sum()), sep=";").str.strip(";")


def build(mirrors: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    members = members_and_codes(mirrors)
    worst = check_codes_against_votes(members, mirrors)
    print(f"COW-ISO pairing: every member agrees on at least {worst:.1%} of 2011-2015 votes")
    frames = []
    notes: dict[int, dict[str, object]] = {}
    for vintage in VINTAGES:
        frame = members[["iso3", "name", "region", "subregion"]].copy()
        frame.insert(0, "vintage", vintage.name)
        votes = vote_covariates(members, vintage, mirrors)
        frame = frame.join(votes.drop(columns="iso2").set_index(frame.index))
        ties = alliance_covariates(members, vintage)
        frame[["ally_rus", "ally_usa"]] = ties[["ally_rus", "ally_usa"]].to_numpy()
        frame["vdem_accountability"] = regime_covariate(members, vintage, mirrors).to_numpy()
        frame["vote_68_262"] = members["vote_68_262"] if vintage.name == 2014 else ""
        notes[vintage.name] = dict(votes.attrs)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    imputed = pd.Series("", index=table.index)
    gaps = {c: int(table[c].isna().sum()) for c in table.columns}
    for column in ("agree_rus", "agree_usa", "absent_rate", "vdem_accountability"):
        impute(table, column, imputed)
    # never voted on a related resolution: counted as abstaining (0)
    gap = table["related_votes"].isna()
    table.loc[gap, "related_votes"] = 0.0
    imputed[gap] = imputed[gap].str.cat(["related_votes"] * int(gap.sum()), sep=";").str.strip(";")
    table["imputed"] = imputed
    for column in ("agree_rus", "agree_usa", "absent_rate", "related_votes",
                   "vdem_accountability"):  # fmt: skip
        table[column] = table[column].astype(float).round(4)
    print("missing before imputation:", {k: v for k, v in gaps.items() if v})
    print("related resolutions found:", {k: v["related_used"] for k, v in notes.items()})
    print("related roll calls:", {k: v["related_calls"] for k, v in notes.items()})
    print("roll calls in the windows:", {k: v["window_calls"] for k, v in notes.items()})
    compare_with_atop(members, table, mirrors)
    return table, provenance(notes)


class _Treaties:
    """The hand-coded treaty table as a provenance source (not a pinned repository)."""

    @staticmethod
    def cite() -> str:
        latest = max(read_alliances()[["start", "end", "denounced"]].replace("", "0").max())
        return (
            "src/realpolitik/alignment/data/alliances.csv: treaty texts and official member "
            f"lists, one source per row (latest date in the table {latest})"
        )


TREATIES = _Treaties()
TREATY_LICENCE = (
    "facts of treaty membership coded by the project from public treaty texts and member "
    "lists; the table is the project's own (no third-party database)"
)


def provenance(notes: dict[int, dict[str, object]]) -> pd.DataFrame:
    voeten = "CC0 1.0 (Voeten, Harvard Dataverse hdl:1902.1/12379); packaged by unvotes (MIT)"
    rows: list[tuple[str, Pin | _Treaties, str, str, str, str, str]] = [
        ("iso3", COUNTRY_CODES, "-", "-", "ISO 3166-1 alpha-3", "ODC PDDL 1.0",
         "members: the 193 states with a vote or an absence on 68/262 in Voeten's data"),
        ("name", COUNTRY_CODES, "-", "-", "CLDR display name", "ODC PDDL 1.0", ""),
        ("region", COUNTRY_CODES, "-", "-", "UN M49 region", "ODC PDDL 1.0", ""),
        ("subregion", COUNTRY_CODES, "-", "-", "UN M49 sub-region", "ODC PDDL 1.0", ""),
        ("agree_rus", UN_VOTES, "2011-2013", "2017-2019",
         "share of roll calls on which the state voted as Russia (both voting)", voeten,
         "UN votes after 2019 are not in the source; impute: sub-region mean"),
        ("agree_usa", UN_VOTES, "2011-2013", "2017-2019",
         "share of roll calls on which the state voted as the US (both voting)", voeten,
         "impute: sub-region mean"),
        ("absent_rate", UN_VOTES, "2011-2013", "2017-2019",
         "share of roll calls without a vote, in sessions where the state voted at least once",
         voeten, "impute: sub-region mean"),
        ("related_votes", UN_VOTES,
         "2008-2013: " + ", ".join(map(str, notes[2014]["related_used"])),
         "2014-2019: " + ", ".join(map(str, notes[2022]["related_used"])),
         "mean over roll calls on resolutions affirming Georgia's or Ukraine's territorial "
         "integrity (adoptions and procedural motions) of +1 voting as the sponsor (Georgia or "
         "Ukraine), 0 abstaining, -1 voting against it", voeten,
         "never voted on one: 0 (as abstaining)"),
        ("ally_rus", TREATIES, "in force 2013-12-31", "in force 2021-12-31",
         "1 if a treaty with a defence obligation (alliances.csv, defence = 1) binds the state "
         "and Russia at the end of the year and neither has denounced it", TREATY_LICENCE,
         "CSTO (Art. 4), the Russia-Armenia (1997) and Russia-Uzbekistan (2005) treaties; "
         "the CIS Charter and the Union State treaty are listed but not counted"),
        ("ally_usa", TREATIES, "in force 2013-12-31", "in force 2021-12-31",
         "1 if a treaty with a defence obligation (alliances.csv, defence = 1) binds the state "
         "and the US at the end of the year and neither has denounced it", TREATY_LICENCE,
         "NATO, Rio Treaty, ANZUS, Manila Pact, US-Japan, US-Korea, US-Philippines, Compacts "
         "of Free Association; the OAS Charter is not counted (Art. 29 defers to the Rio "
         "Treaty)"),
        ("vdem_accountability", VDEM, "2013", "2020",
         "V-Dem v11 vertical accountability index v2x_veracc_osp (0-1)", "CC BY-SA 4.0 (V-Dem)",
         "V-Dem v11 (March 2021) holds data through 2020; 26 small members are not in the "
         "file: impute: sub-region mean"),
        ("vote_68_262", VOETEN_2016, "2014-03-27", "-",
         "vote on A/RES/68/262 (yes/no/abstain/absent); vintage 2014 only", voeten,
         "tally 100/11/58/24 as the official record A/68/PV.80"),
    ]  # fmt: skip
    return pd.DataFrame(
        [
            {
                "column": col,
                "source": pin.cite(),
                "years_vintage_2014": y2014,
                "years_vintage_2022": y2022,
                "definition": definition,
                "licence": licence,
                "notes": note,
            }
            for col, pin, y2014, y2022, definition, licence, note in rows
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--check-against",
        type=Path,
        default=None,
        help="a CSV of the 68/262 votes (iso3, vote Y/N/A/X) to compare with",
    )
    args = parser.parse_args()
    table, prov = build(args.mirrors)
    if args.check_against is not None:
        ref = pd.read_csv(args.check_against)
        code = dict(zip(ref.iloc[:, 0], ref.iloc[:, 2], strict=True))
        letters = {"yes": "Y", "no": "N", "abstain": "A", "absent": "X"}
        ours = table[table["vintage"] == 2014].set_index("iso3")["vote_68_262"].map(letters)
        differ = [iso for iso, v in ours.items() if code.get(iso) != v]
        print(f"68/262 votes differing from {args.check_against.name}: {differ or 'none'}")
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "covariates.csv", index=False, float_format="%.4f")
    prov.to_csv(args.out / "provenance.csv", index=False)
    print(f"wrote {args.out / 'covariates.csv'} ({len(table)} rows) and provenance.csv")
    counts = table[table["vintage"] == 2014]["vote_68_262"].value_counts().to_dict()
    print("68/262:", counts)


if __name__ == "__main__":
    main()
