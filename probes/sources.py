"""Several probers' stores read as one: the dashboard's read path over many DuckDB files and
Parquet exports (`aoai-watch dashboard --db a.duckdb --db b.duckdb`, a glob, or a folder
`aoai-watch export` wrote).

`CombinedStore` is a `Store` whose `query` runs in an in-memory DuckDB that ATTACHes every file
READ_ONLY and defines one view per table, the UNION ALL BY NAME of that table in every source
that has it (a store from before a migration lacks a table or a column: it adds no rows, or nulls;
Azure Monitor rows imported into several stores count once);
a Parquet folder adds its rows to `probe_results` through `read_parquet` with hive partitioning
(`prober=X/date=YYYY-MM-DD/part-0.parquet`). The dashboard's queries run unchanged over it.

Reading as `Store` does: the files are attached for one query and detached (nothing keeps a lock
between two reads), a lock conflict is retried with jittered backoff up to the bound, and a
waiting writer's intent file is honoured. Writes are refused (`ReadOnlyStore`): alerts, imports,
drills and prunes go to one prober's own file.

`reader(sources)` is the one way in: a single DuckDB file is a plain `Store`, as it always was.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from .records import DrillRecords
from .result import ProbeResult
from .store import Store, StoreBusy, StoreUnusable, WriteReport

__all__ = ["CombinedStore", "ReadOnlyStore", "SourceProblem", "expand", "label", "problems", "reader", "sources_of"]

PROBES = "probe_results"
# Azure Monitor's view of a resource is the same whichever prober imported it: a point imported into
# two stores counts once (the newest import), by the table's own primary key
_ONCE = {
    "monitor_metrics": "region, metric, ts, deployment, status_code",
    "monitor_requests": "region, request_id",
}
PARQUET_LAYOUT = "prober=<name>/date=<YYYY-MM-DD>/part-0.parquet"


class ReadOnlyStore(Exception):
    """A write was asked of a combined view; the message names the stores and the fix."""


class SourceProblem(Exception):
    """A `--db` that cannot be read: the message is one line naming it, what is wrong and the fix."""


def expand(given: Sequence[str]) -> list[Path]:
    """Each `--db` as paths: a glob (`probers/*.duckdb`) expands to its matches, sorted; a plain
    path stays as given (it may not exist yet). Duplicates go. Raises SourceProblem for a glob that
    matches nothing."""
    out: list[Path] = []
    for text in given:
        if glob.has_magic(text):
            found = sorted(glob.glob(os.path.expanduser(text)))
            if not found:
                raise SourceProblem(
                    f"--db {text!r} matches no file. Fix: check the pattern (quote it, so aoai-watch "
                    "expands it rather than the shell), e.g. --db 'probers/*.duckdb'"
                )
            out += [Path(p) for p in found]
        else:
            out.append(Path(os.path.expanduser(text)))
    return list(dict.fromkeys(p.resolve() for p in out))


def _parquet_files(folder: Path) -> list[str]:
    return sorted(glob.glob(str(folder / "**" / "*.parquet"), recursive=True))


def problems(paths: Sequence[Path], lock_bound_s: float = 5.0) -> list[str]:
    """What is wrong with each source, one line each (file, what, fix); none when all can be read.
    With one source a missing file is fine (the dashboard waits for the first probe, as before);
    among several each must exist. A DuckDB file must be an aoai-watch store (it has the
    `schema_version` and `probe_results` tables), a folder must hold Parquet files."""
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            if not _parquet_files(path):
                found.append(
                    f"{path}: a folder without Parquet files. Fix: pass a DuckDB file, or a folder "
                    f"`aoai-watch export --parquet` wrote ({PARQUET_LAYOUT})"
                )
            continue
        if not path.exists():
            if len(paths) > 1:
                found.append(
                    f"{path}: no such file. Fix: check the path, or leave this --db out "
                    "(every store read together must exist)"
                )
            continue
        try:
            _, rows = Store(path, lock_bound_s=lock_bound_s).query(
                f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{PROBES}'"
            )
        except StoreUnusable as exc:
            found.append(str(exc))
            continue
        except StoreBusy:
            continue  # a writer holds it: it is a store; the dashboard's reads retry
        if not rows or not rows[0][0]:
            found.append(
                f"{path}: a DuckDB file, but not an aoai-watch store (no schema_version or {PROBES} table). "
                "Fix: pass the database `aoai-watch probe` writes (the config's `database`)"
            )
    return found


def sources_of(text: str) -> list[Path]:
    """The sources in an os.pathsep-separated list (how AOAI_WATCH_DB carries several)."""
    return [Path(p) for p in text.split(os.pathsep) if p]


def reader(sources: Sequence[str | Path], lock_bound_s: float = 10.0) -> Store:
    """A store to read `sources` through: one DuckDB file is a plain Store (it may be written as
    before); several, or a Parquet folder, a read-only CombinedStore."""
    paths = [Path(p) for p in sources]
    if len(paths) == 1 and not paths[0].is_dir():
        return Store(paths[0], lock_bound_s=lock_bound_s)
    return CombinedStore(paths, lock_bound_s=lock_bound_s)


def label(store: Store) -> str:
    """What the dashboard says it reads: the file, or `3 stores, read as one (read-only): a, b, c`."""
    if isinstance(store, CombinedStore):
        names = ", ".join(str(p) for p in store.sources)
        return f"{len(store.sources)} store(s) read as one (read-only): {names}"
    return str(store.path)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class CombinedStore(Store):
    """Read-only: several aoai-watch DuckDB files and Parquet folders as one store."""

    def __init__(self, sources: Sequence[str | Path], lock_bound_s: float = 10.0) -> None:
        if not sources:
            raise ValueError("a combined store needs at least one source")
        self.sources = tuple(Path(p) for p in sources)
        super().__init__(self.sources[0], lock_bound_s=lock_bound_s)
        self._stores = [Store(p, lock_bound_s=lock_bound_s) for p in self.sources]

    @property
    def key(self) -> str:
        """The sources as AOAI_WATCH_DB carries them (os.pathsep-separated)."""
        return os.pathsep.join(str(p) for p in self.sources)

    # --- writing: never into a combined view ---------------------------------------------------

    def _refuse(self, what: str) -> ReadOnlyStore:
        return ReadOnlyStore(
            f"{what} refused: {label(self)}. Writes go to one prober's own file. "
            "Fix: run the command with that file alone (--db PATH)"
        )

    def write(self, results: Sequence[ProbeResult]) -> WriteReport:
        raise self._refuse("writing probe rows")

    def write_tables(self, tables: dict[str, list[dict[str, Any]]], replace: bool = False) -> int:
        raise self._refuse("writing " + (", ".join(tables) or "tables"))

    def write_drills(self, records: DrillRecords) -> int:
        raise self._refuse("writing drill runs")

    def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        raise self._refuse("pruning")

    # --- reading ---------------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] = (), bound_s: float | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one query over every source: (column names, rows). No source with probes: no rows."""
        with self._combined(bound_s) as con:
            if con is None:
                return [], []
            cursor = con.execute(sql, list(params))
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()

    @contextlib.contextmanager
    def _combined(self, bound_s: float | None) -> Iterator[duckdb.DuckDBPyConnection | None]:
        bound = self.lock_bound_s if bound_s is None else bound_s
        deadline = time.monotonic() + bound
        con = duckdb.connect(":memory:")
        try:
            parts: dict[str, list[str]] = {}  # table -> the relations that hold its rows
            for number, (path, store) in enumerate(zip(self.sources, self._stores, strict=True)):
                if path.is_dir():
                    files = _parquet_files(path)
                    if files:
                        # the hive columns come from the paths: prober as written, date only partitions
                        parts.setdefault(PROBES, []).append(
                            f"(SELECT * EXCLUDE (date) FROM read_parquet({_quoted(str(path / '**' / '*.parquet'))}, "
                            "hive_partitioning = true, union_by_name = true, "
                            "hive_types = {'prober': VARCHAR, 'date': DATE}))"
                        )
                    continue
                if not path.exists():
                    raise StoreUnusable(
                        f"{path} no longer exists. Fix: restart the dashboard without it, or put the file back"
                    )
                alias = f"s{number}"
                self._attach(con, alias, store, deadline, bound)
                tables = con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
                    [alias],
                ).fetchall()
                names = {t for (t,) in tables}
                if "schema_version" not in names:
                    continue  # a file no probe has written into yet
                for table in sorted(names):
                    parts.setdefault(table, []).append(f"{alias}.main.{table}")
            if PROBES not in parts:
                yield None
                return
            for table, relations in parts.items():
                union = " UNION ALL BY NAME ".join(f"SELECT * FROM {r}" for r in relations)
                if table in _ONCE and len(relations) > 1:
                    union = (
                        f"SELECT * FROM ({union}) QUALIFY row_number() OVER "
                        f"(PARTITION BY {_ONCE[table]} ORDER BY imported_at DESC) = 1"
                    )
                con.execute(f"CREATE VIEW {table} AS {union}")
            yield con
        finally:
            con.close()  # detaches every file: no lock outlives the query

    def _attach(self, con: duckdb.DuckDBPyConnection, alias: str, store: Store, deadline: float, bound: float) -> None:
        """ATTACH one file READ_ONLY, retrying a lock conflict as Store does (a waiting writer first)."""
        store.retry_locked(
            lambda: con.execute(f"ATTACH {_quoted(str(store.path))} AS {alias} (READ_ONLY)"), deadline, bound, True
        )
