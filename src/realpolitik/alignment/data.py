"""The covariate table of the 193 UN members, read, checked and turned into a design matrix.

Why this module exists: the alignment game and its estimation see only arrays
(a design matrix ``X[country, covariate]``, a region index, the observed votes);
this is where a table, shipped or a user's, becomes them, and where its
mistakes are caught with the file, line and column: an unknown or repeated
country code, a missing value (refused, or imputed with a stated rule, or the
country dropped, and said), a vote coded outside yes/no/abstain/absent.

The shipped table (``data/covariates.csv``) is built by
``scripts/build_alignment_data.py`` from public pre-2022 sources; every column's
source, years and licence are in ``data/provenance.csv`` beside it. It holds two
vintages with the same definitions: ``2014`` (measured up to 2013, with the
votes on A/RES/68/262) and ``2022`` (the latest values published before 2022).

Covariates and the literature behind them
-----------------------------------------
- ``affinity``: UN voting agreement with Russia minus agreement with the US
  (the roll-call affinity of Gartzke 1998 and Voeten 2000; Bailey, Strezhnev
  and Voeten 2017 for ideal points), a state's revealed alignment.
- ``related_votes``: the state's past stance on resolutions affirming Georgia's
  and Ukraine's territorial integrity (past behaviour on the same issue).
- ``absent_rate``: how often the state does not vote at all (capacity and
  strategic absence; Panke 2013 on small states at the UNGA).
- ``vdem_accountability``: V-Dem's vertical accountability index, regime type
  (democracies defend liberal norms: Dixon 1981, Kim and Russett 1996).
- ``ally_usa``, ``ally_rus``: a defence treaty in force with either side,
  coded from treaty texts in ``data/alliances.csv`` (the concept as in ATOP,
  Leeds et al. 2002; alliance ties and UN voting: Kim and Russett 1996).
- ``region``: the UN M49 region, the peer group of the bandwagoning term.

References
----------
Gartzke, E. (1998). Kant we all just get along? *AJPS* 42(1).
Voeten, E. (2000). Clashes in the Assembly. *International Organization* 54(2).
Bailey, M., Strezhnev, A. and Voeten, E. (2017). Estimating dynamic state
preferences from United Nations voting data. *JCR* 61(2).
Kim, S. Y. and Russett, B. (1996). The new politics of voting alignments in
the UN General Assembly. *International Organization* 50(4).
Leeds, B. A. et al. (2002). Alliance Treaty Obligations and Provisions,
1815-1944. *International Interactions* 28(3).
Panke, D. (2013). *Unequal Actors in Equalising Institutions*. Palgrave.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from realpolitik.alignment.choices import CHOICES, parse_vote
from realpolitik.errors import InputError

__all__ = [
    "NUMERIC_COLUMNS",
    "Design",
    "ImputeRule",
    "Scaling",
    "design_matrix",
    "load_table",
    "provenance",
    "raw_covariates",
    "table_path",
    "vintage_rows",
]

#: Numeric columns of the table; ``affinity`` is derived from two of them.
NUMERIC_COLUMNS: tuple[str, ...] = (
    "agree_rus",
    "agree_usa",
    "absent_rate",
    "related_votes",
    "ally_rus",
    "ally_usa",
    "vdem_accountability",
)
_REQUIRED = ("vintage", "iso3", "name", "region", "subregion", *NUMERIC_COLUMNS)
#: Covariates a model may name: the numeric columns and the derived ones.
DERIVED = {"affinity": ("agree_rus", "agree_usa")}
#: Largest table accepted (rows), so that a wrong file is refused before use.
MAX_ROWS = 10_000

ImputeRule = Literal["error", "subregion-mean", "drop"]
_ISO3 = re.compile(r"^[A-Z]{3}$")
#: Columns holding roll-call votes (``vote_68_262``): each cell yes/no/abstain/absent or empty.
_VOTE = re.compile(r"^vote_[A-Za-z0-9_]+$")


def _data_path(name: str) -> Path:
    return Path(str(resources.files("realpolitik.alignment").joinpath("data").joinpath(name)))


def table_path() -> Path:
    """Where the shipped covariate table is."""
    return _data_path("covariates.csv")


def provenance() -> pd.DataFrame:
    """Source, years, definition and licence of every column of the shipped table."""
    return pd.read_csv(_data_path("provenance.csv"), keep_default_na=False)


def load_table(path: str | Path | None = None, *, impute: ImputeRule = "error") -> pd.DataFrame:
    """Read and check a covariate table (the shipped one when ``path`` is None).

    Parameters
    ----------
    path : a CSV with the columns of the shipped table (``imputed`` and the
        vote columns, ``vote_<id>`` such as ``vote_68_262``, optional; a vote
        is yes/no/abstain/absent or Y/N/A/X, or empty where not recorded).
    impute : what to do with a missing numeric value: ``"error"`` refuses the
        table (naming file, line and column), ``"subregion-mean"`` fills it with
        the mean of the country's UN M49 sub-region in the same vintage (else
        its region), ``"drop"`` leaves the country out of that vintage. Either
        of the last two is said in a warning naming the countries.

    Returns
    -------
    The table with a ``line`` column (its line in the file) and an ``imputed``
    column listing the columns filled for each row.
    """
    file = str(path) if path is not None else str(table_path())
    try:
        table = pd.read_csv(file, keep_default_na=False, na_values=[""], dtype=str)
    except FileNotFoundError:
        raise InputError("covariate table not found", file=file) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"not a CSV table: {' '.join(str(error).split())}", file=file) from None
    if len(table) > MAX_ROWS:
        raise InputError(f"table has {len(table)} rows; at most {MAX_ROWS} are read", file=file)
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=file, line=1)
    table = table.copy()
    table["line"] = np.arange(len(table)) + 2
    if "imputed" not in table.columns:
        table["imputed"] = ""
    table["imputed"] = table["imputed"].fillna("")
    for code, line in zip(table["iso3"], table["line"], strict=True):
        if not isinstance(code, str) or not _ISO3.match(code):
            raise InputError(
                f"{code!r} is not an ISO 3166 alpha-3 code", file=file, line=int(line),
                field="iso3",
            )  # fmt: skip
    try:
        table["vintage"] = table["vintage"].astype(int)
    except ValueError:
        raise InputError("vintage must be a year", file=file, field="vintage") from None
    repeated = table[table.duplicated(["vintage", "iso3"])]
    if len(repeated):
        twice = repeated.iloc[0]
        raise InputError(
            f"{twice['iso3']} appears twice in vintage {twice['vintage']}",
            file=file, line=int(twice["line"]), field="iso3",
        )  # fmt: skip
    for column in NUMERIC_COLUMNS:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{table[column].iloc[first]!r} is not a number",
                file=file, line=first + 2, field=column,
            )  # fmt: skip
        finite = np.isfinite(values.fillna(0.0))
        if not finite.all():
            row = table[~finite].iloc[0]
            raise InputError("not a finite number", file=file, line=int(row["line"]), field=column)
        table[column] = values
    for column in [c for c in table.columns if _VOTE.match(str(c))]:
        table[column] = [
            "" if pd.isna(raw) or raw == "" else
            parse_vote(str(raw), file=file, line=int(line), field=str(column))
            for raw, line in zip(table[column], table["line"], strict=True)
        ]  # fmt: skip
    return _fill_gaps(table, impute, file)


def _fill_gaps(table: pd.DataFrame, impute: ImputeRule, file: str) -> pd.DataFrame:
    gaps = table[list(NUMERIC_COLUMNS)].isna()
    if not gaps.to_numpy().any():
        return table
    rows, cols = np.nonzero(gaps.to_numpy())
    if impute == "error":
        row = table.iloc[rows[0]]
        column = NUMERIC_COLUMNS[cols[0]]
        raise InputError(
            f"{row['iso3']} has no value; fill it, or choose --impute subregion-mean or "
            "--impute drop",
            file=file, line=int(row["line"]), field=column,
        )  # fmt: skip
    hit = sorted({f"{table.iloc[r]['iso3']} ({table.iloc[r]['vintage']})" for r in rows})
    if impute == "drop":
        warnings.warn(
            f"{file}: dropped {len(hit)} country-vintage(s) with missing values: {', '.join(hit)}",
            stacklevel=3,
        )
        return table[~gaps.any(axis=1)].reset_index(drop=True)
    for column in NUMERIC_COLUMNS:
        gap = table[column].isna()
        if not gap.any():
            continue
        for keys in (["vintage", "subregion"], ["vintage", "region"]):
            table[column] = table[column].fillna(table.groupby(keys)[column].transform("mean"))
        if table[column].isna().any():
            row = table[table[column].isna()].iloc[0]
            raise InputError(
                "no other country of its region has a value to impute from",
                file=file, line=int(row["line"]), field=column,
            )  # fmt: skip
        table.loc[gap, "imputed"] = [
            ";".join(filter(None, [old, column])) for old in table.loc[gap, "imputed"]
        ]
    warnings.warn(
        f"{file}: imputed missing values with the sub-region mean for {', '.join(hit)}",
        stacklevel=3,
    )
    return table


def vintage_rows(table: pd.DataFrame, vintage: int, *, file: str = "") -> pd.DataFrame:
    """The rows of one vintage, sorted by ISO3 code."""
    rows = table[table["vintage"] == vintage].sort_values("iso3").reset_index(drop=True)
    if rows.empty:
        found = ", ".join(str(v) for v in sorted(table["vintage"].unique()))
        raise InputError(
            f"no rows of vintage {vintage} (the table has {found})", file=file or None,
            field="vintage",
        )  # fmt: skip
    return rows


@dataclass(frozen=True)
class Scaling:
    """Centre and scale of each covariate (those of the fitting sample), applied
    to every vintage alike so that coefficients keep their meaning."""

    columns: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]

    @classmethod
    def of(cls, raw: npt.NDArray[np.float64], columns: tuple[str, ...]) -> Scaling:
        """Mean and standard deviation of each column of ``raw`` (constant ones kept at 1)."""
        scale = raw.std(axis=0, ddof=0)
        return cls(columns, raw.mean(axis=0), np.where(scale > 0, scale, 1.0))


@dataclass(frozen=True)
class Design:
    """What the game and the likelihood need from the table, for one vintage.

    ``X[country, k]`` has a constant first column (``const``) and the
    standardised covariates after it; ``region[country]`` indexes
    ``region_names``; ``votes[country]`` indexes :data:`CHOICES` (None when the
    vintage has no recorded vote).
    """

    iso3: tuple[str, ...]
    names: tuple[str, ...]
    region: npt.NDArray[np.intp]
    region_names: tuple[str, ...]
    columns: tuple[str, ...]
    X: npt.NDArray[np.float64]
    raw: npt.NDArray[np.float64]
    scaling: Scaling
    votes: npt.NDArray[np.intp] | None

    @property
    def n_countries(self) -> int:
        return len(self.iso3)

    def index_of(self, iso3: str, *, file: str | None = None) -> int:
        """Row of a country; an unknown code is the user's mistake (``file``:
        the covariate table, named in the message)."""
        try:
            return self.iso3.index(iso3.upper())
        except ValueError:
            raise InputError(
                f"country code {iso3!r} is not in the covariate table ({self.n_countries} "
                "members in this vintage)",
                file=file,
                field="country",
            ) from None


def raw_covariates(rows: pd.DataFrame, columns: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """``raw[country, k]``: the named covariates on their own scale (``affinity`` derived)."""
    out = np.empty((len(rows), len(columns)))
    for k, column in enumerate(columns):
        if column in DERIVED:
            a, b = DERIVED[column]
            out[:, k] = rows[a].to_numpy(float) - rows[b].to_numpy(float)
        elif column in NUMERIC_COLUMNS:
            out[:, k] = rows[column].to_numpy(float)
        else:
            known = ", ".join([*NUMERIC_COLUMNS, *DERIVED])
            raise InputError(f"unknown covariate {column!r}; known: {known}", field="covariates")
    return out


def design_matrix(
    rows: pd.DataFrame,
    columns: tuple[str, ...],
    *,
    scaling: Scaling | None = None,
    region_column: str = "region",
    vote_column: str | None = None,
) -> Design:
    """The design of one vintage's rows (see :func:`vintage_rows`).

    Parameters
    ----------
    columns : covariates (numeric columns or ``affinity``), without the constant.
    scaling : centre and scale to apply; None standardises with these rows'
        own means and standard deviations (done on the fitting sample).
    region_column : the peer groups of the bandwagoning term.
    vote_column : the observed votes, if any.
    """
    raw = raw_covariates(rows, columns)
    scaling = scaling if scaling is not None else Scaling.of(raw, columns)
    if scaling.columns != columns:
        raise InputError(
            f"scaling is for {list(scaling.columns)}, the model for {list(columns)}",
            field="scaling",
        )
    X = np.column_stack([np.ones(len(rows)), (raw - scaling.mean) / scaling.scale])
    region_names = tuple(sorted(rows[region_column].astype(str).unique()))
    region = np.searchsorted(np.array(region_names), rows[region_column].astype(str).to_numpy())
    votes = None
    if vote_column is not None:
        coded = rows[vote_column].astype(str)
        if (coded == "").any():
            missing = rows.loc[coded == "", "iso3"].tolist()
            raise InputError(f"no vote recorded for {', '.join(missing)}", field=vote_column)
        votes = np.array([CHOICES.index(v) for v in coded], dtype=np.intp)
    return Design(
        iso3=tuple(rows["iso3"]),
        names=tuple(rows["name"].astype(str)),
        region=region.astype(np.intp),
        region_names=region_names,
        columns=("const", *columns),
        X=X,
        raw=raw,
        scaling=scaling,
        votes=votes,
    )
