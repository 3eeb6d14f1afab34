"""The results store: every ensemble run, its draws and outcomes, in one DuckDB file.

Why this module exists: a forecast over 10^6 draws is worth keeping, both to
look at again (which draws made China help Russia?) and to finish a run that
was interrupted. DuckDB (Raasveldt & Muehleisen 2019) is an embedded columnar
database: one file, no server, fast appends of whole arrays and Parquet
export built in.

Layout (schema version 1; :data:`SCHEMA_VERSION`):

``realpolitik_store(key, value)``
    The marker: ``format = realpolitik-results-store``, the schema version and
    the writer. A file without it is not opened (nor modified).
``runs``
    One row per run: id, scenario id, title, content hash and full text (a
    resumed run solves exactly the same scenario even if the file has since
    changed), settings (JSON: concept, lambda, method, the sampler's record),
    seed, draws requested and done, the names of the per-draw columns, the
    reduction block size, package versions, status (``running``,
    ``interrupted``, ``complete``, ``failed``), a message, timestamps.
``chunks``
    One row per chunk written: its draw range, the sums over each aligned
    block of its draws and histogram counts (what the forecast summaries
    fold; see :mod:`realpolitik.analysis.forecast_summary`), the counts stored
    sparsely as ``[index, count, index, count, ...]``.
``draws_<id>``
    Per run, one row per draw: ``draw`` and one column per parameter.
``outcomes_<id>``
    Per run, one row per draw: ``draw``, ``modal_path`` (index into the run's
    ``paths``), each action's probability (columns named ``actor:action``)
    and each metric's expected value.

What a run keeps (``settings["keep"]``, :data:`KEEPS`; ``--keep``):

``all`` (default)
    both per-draw tables.
``outcomes``
    no ``draws_<id>`` table: the parameter draws are regenerated from the
    recorded sampler when asked for (they are a function of the seed).
``summary``
    neither per-draw table, only the chunk rows: reading the run back
    re-evaluates its draws and checks them against the stored sums.

Outcome columns that nearly repeat an earlier column (a metric that is an
action's probability computed another way; the second of two actions, whose
probability is one minus the first's) are found on the run's first chunk and
recorded in ``settings["predictors"]``: such a column is stored as the XOR of
its bits with those of its prediction (a BIGINT, 0 where they agree and a few
low bits where they differ by rounding), which DuckDB's bit packing shrinks
to a few bits a row; reading XORs back, bit for bit. DuckDB compresses every
column (ALP for doubles, bit packing for integers). Bytes per draw for each
``keep``: BENCHMARKS.md.

Per-run tables (rather than one long table) keep a draw's values in named
columns, which is what an analyst queries (``SELECT * FROM draws_3 WHERE
partnership_value > 2``) and what Parquet export writes, and let appends go
at DuckDB's full speed.

Writing: one writer (DuckDB locks the file against other processes); each
chunk's draws, outcomes, chunk row and the run's progress are written in one
transaction, so a run killed at any moment (even SIGKILL) leaves the file
consistent: whole chunks only, ``draws_done`` equal to the rows present.
Chunks of 122 880 draws (DuckDB's row-group size) are written straight to the
file as whole row groups.

References
----------
Raasveldt, M., & Muehleisen, H. (2019). DuckDB: an embeddable analytical
    database. *SIGMOD 2019*, 1981-1984.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError, RealpolitikError, StoreError

FloatArray = NDArray[np.float64]

__all__ = [
    "DEFAULT_STORE",
    "FORMAT",
    "KEEPS",
    "SCHEMA_VERSION",
    "STATUSES",
    "RunInterrupted",
    "RunRecord",
    "Store",
    "StoredChunk",
    "package_versions",
]

DEFAULT_STORE = Path("realpolitik.duckdb")
"""Where the store is when no ``--store`` is given."""

FORMAT = "realpolitik-results-store"
"""Value of the marker row ``format`` (a realpolitik store has it; nothing else does)."""

SCHEMA_VERSION = 1
"""Version of the layout above; a file with a larger one is refused."""

KEEPS = ("summary", "outcomes", "all")
"""What a run stores per draw (see the module docstring)."""

STATUSES = ("running", "interrupted", "complete", "failed")
"""A run's status. A killed process leaves ``running``; a resume accepts it."""

MEMORY_LIMIT = "1GB"
"""DuckDB's buffer pool for a store. Written chunks are on disk already; a
larger pool would keep them in memory as well (by default DuckDB may use 80%
of the machine's memory), which is what bounded an ensemble of 10^7 draws
to well under 4 GB."""

#: Errors of the file beneath the store: DuckDB's (IO, corruption, fatal)
#: and the operating system's.
try:
    import duckdb as _duckdb_module

    _STORE_ERRORS: tuple[type[BaseException], ...] = (_duckdb_module.Error, OSError)
except ImportError:  # pragma: no cover - duckdb is a dependency
    _STORE_ERRORS = (OSError,)

_MAGIC = b"DUCK"
_MAGIC_OFFSET = 8

_SCHEMA = """
CREATE TABLE realpolitik_store (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE SEQUENCE run_ids START 1;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    scenario VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    scenario_file VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    settings VARCHAR NOT NULL,
    seed BIGINT,
    draws BIGINT NOT NULL,
    draws_done BIGINT NOT NULL,
    parameters VARCHAR[] NOT NULL,
    actions VARCHAR[] NOT NULL,
    paths VARCHAR[] NOT NULL,
    metrics VARCHAR[] NOT NULL,
    block INTEGER NOT NULL,
    versions VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE TABLE chunks (
    run_id INTEGER NOT NULL,
    start BIGINT NOT NULL,
    stop BIGINT NOT NULL,
    block_sums DOUBLE[] NOT NULL,
    counts BIGINT[] NOT NULL,
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, start)
);
"""


def package_versions() -> dict[str, str]:
    """Versions that can change results in the last bits (recorded with each run)."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in ("realpolitik", "numpy", "scipy", "pandas", "duckdb"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are installed
            out[name] = "unknown"
    return out


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def store_failure(path: Path, error: BaseException) -> StoreError:
    """One line for a failure of the store's file: a full disk, a permission
    refused, or a damaged (truncated, overwritten) file, with what to do."""
    text = " ".join(str(error).split())
    lowered = text.lower()
    if "no space left" in lowered or "disk is full" in lowered or "disk full" in lowered:
        return StoreError(
            f"the disk holding the results store {path} is full; chunks already committed "
            "are intact: free some space, then `realpolitik run --resume RUN_ID --store "
            f"{path}` (see `realpolitik runs list --store {path}`)"
        )
    if "permission denied" in lowered or "read-only file system" in lowered:
        return StoreError(
            f"cannot write the results store {path}: permission denied; give a --store in "
            "a folder you can write, or fix the file's permissions"
        )
    reason = text if len(text) <= 160 else text[:157] + "..."
    return StoreError(
        f"the store is damaged at {path} ({reason}); `realpolitik runs check --store {path}` "
        "lists what is intact; restore it from a backup copy, or move it aside and start a "
        "new store"
    )


def _rollback(con: Any) -> None:
    """Roll back, keeping the error that caused it: after a full disk or a
    fatal error DuckDB may have ended the transaction itself, and its "no
    transaction is active" would hide the reason."""
    with contextlib.suppress(StoreError):
        con.rollback()


class _Guarded:
    """A DuckDB connection whose every call turns DuckDB's and the operating
    system's errors into :class:`~realpolitik.errors.StoreError` (one line,
    exit code 2) instead of a traceback.

    Why a wrapper: a damaged file shows itself in whichever query first reads
    the bad block (opening, listing, resuming, exporting), so the translation
    has to sit under all of them. Results that are themselves connections
    (``execute`` returns one) are wrapped too, so ``fetchall`` is guarded.
    """

    def __init__(self, connection: Any, path: Path) -> None:
        self._inner = connection
        self._path = path

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute
        path = self._path

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attribute(*args, **kwargs)
            except _STORE_ERRORS as error:
                raise store_failure(path, error) from None
            if type(result) is type(self._inner):
                return _Guarded(result, path)
            return result

        return call


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a stored run between or during chunks: the chunk in
    progress was rolled back, the run marked ``interrupted``; it can be
    resumed. A ``KeyboardInterrupt``, so code that catches those still does."""

    def __init__(self, run_id: int, done: int, total: int, path: Path) -> None:
        self.run_id = run_id
        self.done = done
        self.total = total
        self.path = path
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: what was kept and how to go on."""
        return (
            f"run {self.run_id} interrupted after {self.done} of {self.total} draws (kept in "
            f"{self.path}); resume with: realpolitik run --resume {self.run_id} --store {self.path}"
        )


@dataclass(frozen=True)
class RunRecord:
    """One run as the store describes it (everything but the scenario text)."""

    id: int
    scenario: str
    title: str
    scenario_hash: str
    scenario_file: str
    settings: Mapping[str, Any]
    seed: int | None
    draws: int
    draws_done: int
    parameters: tuple[str, ...]
    actions: tuple[str, ...]
    paths: tuple[str, ...]
    metrics: tuple[str, ...]
    block: int
    versions: Mapping[str, str]
    status: str
    message: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @property
    def keep(self) -> str:
        """What the run stores per draw: ``summary``, ``outcomes`` or ``all``."""
        return str(self.settings.get("keep", "all"))

    @property
    def predictors(self) -> dict[str, tuple[str, str]]:
        """Outcome columns stored as the XOR with a prediction: ``{name: (source,
        "same" | "complement")}`` (see the module docstring)."""
        found = self.settings.get("predictors", {})
        return {str(k): (str(v[0]), str(v[1])) for k, v in found.items()}

    @property
    def resumable(self) -> bool:
        """True when draws remain and nothing is known to be wrong."""
        return self.status in ("running", "interrupted") and self.draws_done < self.draws

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description (``realpolitik runs show --format json``)."""
        return {
            "id": self.id,
            "scenario": self.scenario,
            "title": self.title,
            "scenario_hash": self.scenario_hash,
            "scenario_file": self.scenario_file,
            "status": self.status,
            "message": self.message,
            "draws": self.draws,
            "draws_done": self.draws_done,
            "seed": self.seed,
            "settings": dict(self.settings),
            "parameters": list(self.parameters),
            "actions": list(self.actions),
            "paths": list(self.paths),
            "metrics": list(self.metrics),
            "block": self.block,
            "versions": dict(self.versions),
            "created_at": self.created_at.isoformat(timespec="seconds") + "Z",
            "updated_at": self.updated_at.isoformat(timespec="seconds") + "Z",
            "finished_at": (
                None
                if self.finished_at is None
                else self.finished_at.isoformat(timespec="seconds") + "Z"
            ),
        }


@dataclass(frozen=True, eq=False)
class StoredChunk:
    """A chunk read back: per-draw arrays (draws first) and the block sums."""

    start: int
    stop: int
    action_probability: FloatArray  # (D, actions)
    modal_path: NDArray[np.int64]  # (D,)
    metrics: FloatArray  # (D, metrics)
    block_sums: FloatArray  # (blocks x width,) as written, flattened
    counts: NDArray[np.int64]  # (k, 2) the nonzero counts: (flat index, count)
    parameters: FloatArray | None = field(default=None)  # (D, k) when asked for


_RUN_COLUMNS = (
    "id, scenario, title, scenario_hash, scenario_file, settings, seed, draws, draws_done, "
    "parameters, actions, paths, metrics, block, versions, status, message, created_at, "
    "updated_at, finished_at"
)


class Store:
    """A realpolitik results store (see the module docstring).

    Open with :meth:`open`; use as a context manager, or :meth:`close`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "results.duckdb"
    >>> with Store.open(path) as store:
    ...     store.runs()
    []
    """

    def __init__(self, path: Path, connection: Any, read_only: bool) -> None:
        self.path = path
        self.read_only = read_only
        self._con: Any = connection

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, path: str | Path = DEFAULT_STORE, *, create: bool = True, read_only: bool = False
    ) -> Store:
        """Open a store, creating it when the file does not exist and ``create``.

        Raises
        ------
        InputError
            If the file is not a realpolitik store (it is left untouched), was
            written by a newer schema, is locked by another process, or does
            not exist and ``create`` is false.
        """
        path = Path(path)
        if path.is_dir():
            raise InputError(
                f"--store {path} is a directory; give a file such as {path}/runs.duckdb"
            )
        if not path.exists():
            if not create or read_only:
                raise InputError(
                    f"no results store at {path}; run `realpolitik forecast SCENARIO --draws N "
                    f"--store {path}` to create one"
                )
            cls._create(path)
        else:
            cls._check(path)
        try:
            connection = duckdb.connect(
                str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT}
            )
        except duckdb.Error as error:
            raise cls._open_error(path, error) from None
        return cls(path, _Guarded(connection, path), read_only)

    @staticmethod
    def _open_error(path: Path, error: Exception) -> RealpolitikError:
        text = " ".join(str(error).split())
        if "lock" in text.lower():
            pid = text.split("PID")[-1].strip(" )") if "PID" in text else ""
            who = f" (process {pid.split()[0]})" if pid else ""
            return InputError(
                f"results store {path} is in use by another process{who}; wait for it to "
                "finish, or give another --store"
            )
        return store_failure(path, error)

    @classmethod
    def _check(cls, path: Path) -> None:
        """Refuse, without writing, a file that is not a realpolitik store."""
        try:
            with open(path, "rb") as handle:
                head = handle.read(_MAGIC_OFFSET + len(_MAGIC))
        except OSError as error:
            raise InputError(f"cannot read results store {path}: {error.strerror}") from None
        not_store = (
            f"{path} is not a realpolitik results store; it was left untouched. Give a new "
            "file name to --store, or an existing store"
        )
        if head[_MAGIC_OFFSET:] != _MAGIC:
            raise InputError(not_store + " (the file is not a DuckDB database)")
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise cls._open_error(path, error) from None
        try:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = "
                "'realpolitik_store'"
            ).fetchall()
            marker: dict[str, str] = {}
            if found[0][0]:
                marker = dict(con.execute("SELECT key, value FROM realpolitik_store").fetchall())
        except duckdb.Error as error:
            raise store_failure(path, error) from None
        finally:
            con.close()
        if marker.get("format") != FORMAT:
            raise InputError(not_store + " (a DuckDB database without realpolitik's tables)")
        version = marker.get("schema_version", "?")
        if version != str(SCHEMA_VERSION):
            raise InputError(
                f"results store {path} has schema version {version}; this realpolitik reads "
                f"version {SCHEMA_VERSION}; use the realpolitik that wrote it"
            )

    @staticmethod
    def _create(path: Path) -> None:
        """Write an empty store beside ``path`` and move it into place (atomic)."""
        if not path.parent.exists():
            raise InputError(f"cannot create results store {path}: folder {path.parent} is missing")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(_SCHEMA)
                con.executemany(
                    "INSERT INTO realpolitik_store VALUES (?, ?)",
                    [
                        ("format", FORMAT),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("created_by", f"realpolitik {package_versions()['realpolitik']}"),
                        ("created_at", _now().isoformat(timespec="seconds") + "Z"),
                    ],
                )
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if tmp.with_name(tmp.name + ".wal").exists():
                # the schema is still only in the write-ahead log: the
                # checkpoint failed (a full disk fails it without an error)
                raise store_failure(path, OSError("No space left on device"))
            if path.exists():
                raise InputError(f"results store {path} appeared while being created; try again")
            os.replace(tmp, path)
        except duckdb.Error as error:
            raise store_failure(path, error) from None
        except PermissionError:
            raise store_failure(path, PermissionError("permission denied")) from None
        except OSError as error:
            raise InputError(f"cannot create results store {path}: {error.strerror}") from None
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the file (committed chunks are durable already)."""
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connection(self) -> Any:
        """The DuckDB connection, for queries of your own (do not write through it)."""
        if self._con is None:
            raise ValueError("the store is closed")
        return self._con

    # ------------------------------------------------------------------ writing
    def _writable(self) -> Any:
        if self.read_only:
            raise InputError(f"results store {self.path} was opened read-only")
        return self.connection

    def create_run(
        self,
        *,
        scenario: str,
        title: str,
        scenario_hash: str,
        scenario_file: str,
        scenario_text: str,
        settings: Mapping[str, Any],
        seed: int | None,
        draws: int,
        parameters: Sequence[str],
        actions: Sequence[str],
        paths: Sequence[str],
        metrics: Sequence[str],
        block: int,
    ) -> int:
        """Record a new run (status ``running``) and create its tables; return its id."""
        keep = str(settings.get("keep", "all"))
        if keep not in KEEPS:
            raise InputError(f"--keep must be one of {', '.join(KEEPS)}, got {keep!r}")
        con = self._writable()
        now = _now()
        outcome_columns = ["draw", "modal_path", *actions, *metrics]
        for names in (["draw", *parameters], outcome_columns):
            if len(set(names)) != len(names):
                raise ValueError(f"column names must be unique: {names}")
        con.begin()
        try:
            run_id = int(con.execute("SELECT nextval('run_ids')").fetchall()[0][0])
            con.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}, scenario_text) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 'running', '', ?, ?, NULL, ?)",
                [
                    run_id,
                    scenario,
                    title,
                    scenario_hash,
                    scenario_file,
                    json.dumps(settings, sort_keys=True),
                    seed,
                    draws,
                    list(parameters),
                    list(actions),
                    list(paths),
                    list(metrics),
                    block,
                    json.dumps(package_versions(), sort_keys=True),
                    now,
                    now,
                    scenario_text,
                ],
            )
            columns = ", ".join(f"{_quote(p)} DOUBLE NOT NULL" for p in parameters)
            if keep == "all":
                con.execute(
                    f"CREATE TABLE draws_{run_id} (draw BIGINT NOT NULL"
                    + (f", {columns}" if columns else "")
                    + ")"
                )
            # outcomes_<id> is created with the first chunk, once the
            # predicted columns (stored as BIGINT) are known
            con.commit()
        except BaseException:
            _rollback(con)
            raise
        return run_id

    def write_chunk(
        self,
        run_id: int,
        start: int,
        stop: int,
        *,
        parameters: FloatArray,
        action_probability: FloatArray,
        modal_path: NDArray[np.integer[Any]],
        metrics: FloatArray,
        block_sums: FloatArray,
        counts: NDArray[np.integer[Any]] | None = None,
    ) -> None:
        """Append draws ``start .. stop - 1`` of a run in one transaction.

        ``counts`` (any shape, integers) is kept sparsely: only its nonzero
        entries, by flat index.

        Chunks must come in order (``start`` equal to the run's ``draws_done``);
        on any error or interruption the transaction is rolled back and the
        store is as before the call.
        """
        con = self._writable()
        m = stop - start
        for name, array in (
            ("parameters", parameters),
            ("action_probability", action_probability),
            ("modal_path", modal_path),
            ("metrics", metrics),
        ):
            if array.shape[0] != m:
                raise ValueError(f"{name} has {array.shape[0]} rows for draws [{start}, {stop})")
        draw = np.arange(start, stop, dtype=np.int64)
        draws_frame: dict[str, Any] = {"draw": draw}
        draws_frame.update({f"c{j}": parameters[:, j] for j in range(parameters.shape[1])})
        values = np.column_stack([action_probability, metrics]).astype(np.float64)
        flat = np.zeros(0, dtype=np.int64) if counts is None else np.ravel(counts)
        nonzero = np.flatnonzero(flat)
        sparse = np.column_stack([nonzero, flat[nonzero]]).astype(np.int64).ravel()
        # the chunk's row as a one-row frame whose cells are the arrays:
        # DuckDB reads an array cell into a LIST in C++, where a Python list
        # of the flagship's 10^5-draw block sums (1.2 x 10^6 values) took
        # 0.3 s in the forecast's tail
        chunk_row = pd.DataFrame(
            {
                "run_id": np.array([run_id], dtype=np.int32),
                "start": np.array([start], dtype=np.int64),
                "stop": np.array([stop], dtype=np.int64),
                "block_sums": [np.ascontiguousarray(block_sums, dtype=np.float64).ravel()],
                "counts": [sparse],
            }
        )
        con.begin()
        try:
            rows = con.execute("SELECT draws_done FROM runs WHERE id = ?", [run_id]).fetchall()
            row = rows[0] if rows else None
            if row is None:
                raise InputError(f"no run {run_id} in {self.path}")
            if int(row[0]) != start:
                raise ValueError(f"run {run_id} has {row[0]} draws done; cannot append at {start}")
            record = self.run(run_id)
            if record.keep == "all":
                con.append(f"draws_{run_id}", pd.DataFrame(draws_frame, copy=False))
            if record.keep != "summary":
                names = [*record.actions, *record.metrics]
                predictors = record.predictors
                if start == 0:
                    predictors = _find_predictors(names, values)
                    settings = {
                        **record.settings,
                        "predictors": {k: list(v) for k, v in predictors.items()},
                    }
                    con.execute(
                        "UPDATE runs SET settings = ? WHERE id = ?",
                        [json.dumps(settings, sort_keys=True), run_id],
                    )
                    columns = ", ".join(
                        f"{_quote(c)} {'BIGINT' if c in predictors else 'DOUBLE'} NOT NULL"
                        for c in names
                    )
                    con.execute(
                        f"CREATE TABLE outcomes_{run_id} (draw BIGINT NOT NULL, modal_path "
                        "INTEGER NOT NULL" + (f", {columns}" if columns else "") + ")"
                    )
                out_frame: dict[str, Any] = {
                    "draw": draw,
                    "modal_path": modal_path.astype(np.int32),
                }
                for j, name in enumerate(names):
                    out_frame[f"v{j}"] = (
                        _xor(values[:, j], _predict(values, names, predictors[name]))
                        if name in predictors
                        else values[:, j]
                    )
                con.append(f"outcomes_{run_id}", pd.DataFrame(out_frame, copy=False))
            now = _now()
            con.register("chunk_row", chunk_row)
            try:
                con.execute(
                    "INSERT INTO chunks SELECT run_id, start, stop, block_sums, counts, ? "
                    "FROM chunk_row",
                    [now],
                )
            finally:
                con.unregister("chunk_row")
            con.execute(
                "UPDATE runs SET draws_done = ?, updated_at = ? WHERE id = ?",
                [stop, now, run_id],
            )
            con.commit()
        except BaseException:
            _rollback(con)
            raise

    def set_status(self, run_id: int, status: str, message: str = "") -> None:
        """Mark a run ``running``, ``interrupted``, ``complete`` or ``failed``."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        con = self._writable()
        now = _now()
        con.execute(
            "UPDATE runs SET status = ?, message = ?, updated_at = ?, finished_at = ? WHERE id = ?",
            [status, message, now, now if status == "complete" else None, run_id],
        )

    def delete(self, run_id: int) -> None:
        """Remove a run and its tables."""
        self.run(run_id)
        con = self._writable()
        con.begin()
        try:
            con.execute(f"DROP TABLE IF EXISTS draws_{int(run_id)}")
            con.execute(f"DROP TABLE IF EXISTS outcomes_{int(run_id)}")
            con.execute("DELETE FROM chunks WHERE run_id = ?", [run_id])
            con.execute("DELETE FROM runs WHERE id = ?", [run_id])
            con.commit()
        except BaseException:
            _rollback(con)
            raise

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _record(row: Sequence[Any]) -> RunRecord:
        (
            run_id,
            scenario,
            title,
            scenario_hash,
            scenario_file,
            settings,
            seed,
            draws,
            draws_done,
            parameters,
            actions,
            paths,
            metrics,
            block,
            versions,
            status,
            message,
            created_at,
            updated_at,
            finished_at,
        ) = row
        return RunRecord(
            id=int(run_id),
            scenario=scenario,
            title=title,
            scenario_hash=scenario_hash,
            scenario_file=scenario_file,
            settings=json.loads(settings),
            seed=None if seed is None else int(seed),
            draws=int(draws),
            draws_done=int(draws_done),
            parameters=tuple(parameters),
            actions=tuple(actions),
            paths=tuple(paths),
            metrics=tuple(metrics),
            block=int(block),
            versions=json.loads(versions),
            status=status,
            message=message,
            created_at=created_at,
            updated_at=updated_at,
            finished_at=finished_at,
        )

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        rows = self.connection.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id").fetchall()
        return [self._record(r) for r in rows]

    def run(self, run_id: int) -> RunRecord:
        """One run.

        Raises
        ------
        InputError
            If there is no such run (the message lists the runs there are).
        """
        rows = self.connection.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", [int(run_id)]
        ).fetchall()
        if not rows:
            found = self.connection.execute("SELECT id FROM runs ORDER BY id").fetchall()
            ids = [str(r[0]) for r in found]
            known = f"runs there: {', '.join(ids)}" if ids else "the store has no runs yet"
            raise InputError(f"no run {run_id} in results store {self.path}; {known}")
        return self._record(rows[0])

    def scenario_text(self, run_id: int) -> str:
        """The scenario file's text as it was when the run started."""
        self.run(run_id)
        rows = self.connection.execute(
            "SELECT scenario_text FROM runs WHERE id = ?", [int(run_id)]
        ).fetchall()
        return str(rows[0][0])

    def chunks(self, run_id: int, *, parameters: bool = False) -> Iterator[StoredChunk]:
        """The run's chunks in draw order, with their per-draw arrays."""
        record = self.run(run_id)
        con = self.connection
        ranges = con.execute(
            "SELECT start, stop, block_sums, counts FROM chunks WHERE run_id = ? ORDER BY start",
            [record.id],
        ).fetchall()
        n_actions, n_metrics = len(record.actions), len(record.metrics)
        for start, stop, sums, counts in ranges:
            start, stop = int(start), int(stop)
            if record.keep == "summary":
                raise InputError(
                    f"run {record.id} kept only its summaries (--keep summary): it has no "
                    "per-draw outcomes; realpolitik re-evaluates its draws to read it"
                )
            got = con.execute(
                f"SELECT * FROM outcomes_{record.id} WHERE draw >= ? AND draw < ? ORDER BY draw",
                [start, stop],
            ).fetchnumpy()
            columns = list(got)
            values = [np.asarray(got[c]) for c in columns]
            decoded = _decode(record, np.column_stack(values[2:]) if len(values) > 2 else None)
            values = values[:2] + ([*decoded.T] if decoded is not None else [])
            if len(values[0]) != stop - start:
                raise InputError(
                    f"results store {self.path} is inconsistent: run {record.id} chunk "
                    f"[{start}, {stop}) has {len(values[0])} outcome rows"
                )
            actions = np.column_stack(values[2 : 2 + n_actions]) if n_actions else None
            metric_values = (
                np.column_stack(values[2 + n_actions : 2 + n_actions + n_metrics])
                if n_metrics
                else None
            )
            m = stop - start
            params = None
            if parameters and record.keep == "all":
                frame = con.execute(
                    f"SELECT * EXCLUDE (draw) FROM draws_{record.id} WHERE draw >= ? AND draw < ? "
                    "ORDER BY draw",
                    [start, stop],
                ).fetchnumpy()
                params = np.column_stack([np.asarray(v, dtype=np.float64) for v in frame.values()])
            sums_array = np.asarray(sums, dtype=np.float64)
            yield StoredChunk(
                start=start,
                stop=stop,
                action_probability=(
                    np.asarray(actions, dtype=np.float64)
                    if actions is not None
                    else np.zeros((m, 0))
                ),
                modal_path=np.asarray(values[1], dtype=np.int64),
                metrics=(
                    np.asarray(metric_values, dtype=np.float64)
                    if metric_values is not None
                    else np.zeros((m, 0))
                ),
                block_sums=sums_array,
                counts=np.asarray(counts, dtype=np.int64).reshape(-1, 2),
                parameters=params,
            )

    def chunk_sums(self, run_id: int) -> list[tuple[int, int, FloatArray, NDArray[np.int64]]]:
        """Each chunk's draw range, block sums and sparse counts, in draw order
        (all a ``--keep summary`` run stores)."""
        record = self.run(run_id)
        rows = self.connection.execute(
            "SELECT start, stop, block_sums, counts FROM chunks WHERE run_id = ? ORDER BY start",
            [record.id],
        ).fetchall()
        return [
            (
                int(a),
                int(b),
                np.asarray(sums, dtype=np.float64),
                np.asarray(counts, dtype=np.int64).reshape(-1, 2),
            )
            for a, b, sums, counts in rows
        ]

    def _require(self, record: RunRecord, table: str) -> None:
        kept = {"draws": ("all",), "outcomes": ("all", "outcomes")}[table]
        if record.keep not in kept:
            raise InputError(
                f"run {record.id} was stored with --keep {record.keep}: it has no per-draw "
                f"{table}; realpolitik.stored_draws regenerates the draws from the recorded "
                "sampler"
            )

    def draws(self, run_id: int) -> pd.DataFrame:
        """The run's parameter draws, one row per draw, in draw order."""
        record = self.run(run_id)
        self._require(record, "draws")
        frame: pd.DataFrame = self.connection.execute(
            f"SELECT * FROM draws_{record.id} ORDER BY draw"
        ).df()
        return frame

    def outcomes(self, run_id: int) -> pd.DataFrame:
        """The run's per-draw outcomes (with ``modal_path_label``), in draw order."""
        record = self.run(run_id)
        self._require(record, "outcomes")
        return self._outcome_frame(record)

    def _outcome_frame(self, record: RunRecord) -> pd.DataFrame:
        """The outcomes table decoded (predicted columns XORed back), with labels."""
        frame: pd.DataFrame = self.connection.execute(
            f"SELECT o.*, (SELECT paths FROM runs WHERE id = {record.id})[o.modal_path + 1] "
            f"AS modal_path_label FROM outcomes_{record.id} AS o ORDER BY draw"
        ).df()
        names = [*record.actions, *record.metrics]
        if record.predictors and len(frame):
            decoded = _decode(record, np.column_stack([frame[n].to_numpy() for n in names]))
            assert decoded is not None
            for j, name in enumerate(names):
                frame[name] = decoded[:, j]
        return frame

    def export_parquet(self, run_id: int, directory: str | Path) -> list[Path]:
        """Write ``run-<id>.json``, ``run-<id>-draws.parquet`` and
        ``run-<id>-outcomes.parquet`` into ``directory`` (created if missing)."""
        record = self.run(run_id)
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"cannot create folder {folder}: {error.strerror}") from None
        meta = folder / f"run-{record.id}.json"
        draws = folder / f"run-{record.id}-draws.parquet"
        outcomes = folder / f"run-{record.id}-outcomes.parquet"
        con = self.connection
        written = [meta]
        if record.keep == "all":
            con.execute(
                f"COPY (SELECT * FROM draws_{record.id} ORDER BY draw) TO "
                f"'{_sql_path(draws)}' (FORMAT parquet)"
            )
            written.append(draws)
        if record.keep != "summary":
            frame = self._outcome_frame(record)  # decoded here: SQL cannot XOR doubles' bits
            con.register("decoded_outcomes", frame)
            try:
                con.execute(f"COPY decoded_outcomes TO '{_sql_path(outcomes)}' (FORMAT parquet)")
            finally:
                con.unregister("decoded_outcomes")
            written.append(outcomes)
        try:
            meta.write_text(json.dumps(record.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot write {meta}: {error.strerror}") from None
        return written


#: A prediction is kept when its XOR with the column fits this many bits in
#: every row of the first chunk (rounding differences); otherwise the column
#: is stored as it is.
PREDICTION_BITS = 32
#: Rows a candidate prediction is first tried on.
PREDICTOR_HEAD = 1024


def _predict(values: FloatArray, names: Sequence[str], how: tuple[str, str]) -> FloatArray:
    source = values[:, list(names).index(how[0])]
    prediction: FloatArray = 1.0 - source if how[1] == "complement" else source
    return prediction


def _xor(column: FloatArray, prediction: FloatArray) -> NDArray[np.int64]:
    bits: NDArray[np.int64] = (
        np.ascontiguousarray(column).view(np.uint64)
        ^ np.ascontiguousarray(prediction).view(np.uint64)
    ).view(np.int64)
    return bits


def _width(column: FloatArray, prediction: FloatArray) -> int:
    """Bits of the largest XOR of a column with its prediction."""
    return int(np.abs(_xor(column, prediction)).max()).bit_length()


def _find_predictors(names: Sequence[str], values: FloatArray) -> dict[str, tuple[str, str]]:
    """For each column, the earlier column (or one minus it) whose bits agree
    with it best, if they differ by at most :data:`PREDICTION_BITS` low bits
    in every row; chains are not allowed (a source is stored as it is)."""
    found: dict[str, tuple[str, str]] = {}
    if values.shape[0] == 0:
        return found
    # A pair too wide on the first rows is too wide on all of them: the first
    # rows rule out most pairs (every pair of 57 columns over 10^5 rows took
    # about 2 s, the tail of a forecast of benchmark (a)); the rest are
    # measured on every row, so the choice is the same as measuring all.
    head = values[:PREDICTOR_HEAD]
    for j in range(1, len(names)):
        best: tuple[int, tuple[str, str]] | None = None
        for i in range(j):
            if names[i] in found:
                continue
            for how in ("same", "complement"):
                if _width(head[:, j], _predict(head, names, (names[i], how))) > PREDICTION_BITS:
                    continue
                width = _width(values[:, j], _predict(values, names, (names[i], how)))
                if width <= PREDICTION_BITS and (best is None or width < best[0]):
                    best = (width, (names[i], how))
        if best is not None:
            found[names[j]] = best[1]
    return found


def _decode(record: RunRecord, stored: NDArray[Any] | None) -> FloatArray | None:
    """The outcome values (draws x columns) from the stored columns."""
    if stored is None:
        return None
    names = [*record.actions, *record.metrics]
    predictors = record.predictors
    values = np.empty(stored.shape, dtype=np.float64)
    plain = [j for j, n in enumerate(names) if n not in predictors]
    values[:, plain] = stored[:, plain].astype(np.float64)
    for j, name in enumerate(names):
        if name in predictors:
            prediction = _predict(values, names, predictors[name])
            bits = stored[:, j].astype(np.int64).view(np.uint64) ^ prediction.view(np.uint64)
            values[:, j] = bits.view(np.float64)
    return values


def check_store(path: str | Path) -> list[tuple[int | None, str]]:
    """Read every block of a store and check its bookkeeping.

    Returns
    -------
    One ``(run id or None, problem)`` per problem found (empty: intact).
    Every column of every run's tables is scanned (DuckDB verifies each
    block's checksum as it reads it), the rows counted against the run's
    ``draws_done``, and the chunk rows checked to tile ``[0, draws_done)``.

    Raises
    ------
    StoreError, InputError
        If the file cannot be opened at all (then nothing is intact).
    """
    problems: list[tuple[int | None, str]] = []
    with Store.open(path, create=False, read_only=True) as store:
        try:
            records = store.runs()
        except StoreError as error:
            return [(None, f"the list of runs cannot be read: {error.one_line()}")]
        con = store.connection
        for record in records:
            try:
                problems.extend((record.id, p) for p in _check_run(con, record))
            except StoreError as error:
                problems.append((record.id, error.one_line()))
    return problems


def _check_run(con: Any, record: RunRecord) -> list[str]:
    """The problems of one run's tables: those its ``keep`` stores (the
    outcomes table is created with the first chunk)."""
    found: list[str] = []
    tables = [f"draws_{record.id}"] if record.keep == "all" else []
    if record.keep != "summary" and record.draws_done > 0:
        tables.append(f"outcomes_{record.id}")
    for table in tables:
        columns = [
            str(row[0])
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table],
            ).fetchall()
        ]
        if not columns:
            found.append(f"table {table} is missing")
            continue
        scans = ", ".join(f"sum(hash({_quote(c)}))" for c in columns)
        rows = con.execute(f"SELECT count(*), {scans} FROM {table}").fetchall()
        if int(rows[0][0]) != record.draws_done:
            found.append(
                f"{table} has {rows[0][0]} rows but the run records {record.draws_done} draws"
            )
    spans = con.execute(
        "SELECT start, stop FROM chunks WHERE run_id = ? ORDER BY start", [record.id]
    ).fetchall()
    expected = 0
    for start, stop in spans:
        if int(start) != expected:
            found.append(f"chunks leave a gap or overlap at draw {expected}")
            break
        expected = int(stop)
    else:
        if expected != record.draws_done:
            found.append(f"chunks cover {expected} draws but the run records {record.draws_done}")
    return found


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
