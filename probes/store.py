"""The DuckDB store: schema and migrations, short writes, short reads, pruning.

DuckDB lets one process write *or* several read, never both (docs/design.md, "The store"), so:
- a writer collects a whole cycle's rows first and holds the lock for one short transaction;
- a reader opens read-only, runs one query and closes; nothing keeps a connection open;
- both retry a lock conflict with jittered backoff up to a bound, then say so (`StoreBusy`);
- a writer announces itself with an intent file (`<db>.write-intent`) while it waits, and readers
  hold back while it is there, so a stream of readers cannot starve the writer (an intent older
  than the bound is a crashed writer's and is ignored);
- a writer that still cannot get in appends its rows to a spool file beside the database
  (`<db>.spool.jsonl`, fsynced) and the next write ingests it: a probe measured is a probe stored.
Rows carry a unique id, so ingesting a spool twice (a crash between commit and truncate) adds nothing.

A database that cannot be used at all (the path is a directory, its folder cannot be written, the
file is corrupt) is `StoreUnusable`: one line naming the file and the fix. A write then keeps its
rows in the spool beside the database, or, where that folder cannot be written either, in
`fallback_dir()` (`$XDG_CACHE_HOME/aoai-watch`, default `~/.cache/aoai-watch`); the next write
that gets in ingests both. A corrupt file is never modified.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from ..failover.config import STANDARD
from ..failover.outcomes import GOOD, SUCCESSFUL, sql_list
from .records import DrillRecords, DrillRequestRow, DrillRow, FaultRow, as_row
from .result import ProbeResult, is_composite

__all__ = ["MIGRATIONS", "Store", "StoreBusy", "StoreUnusable", "WriteReport", "fallback_dir"]

MIGRATIONS: tuple[str, ...] = (
    # 1: probe results, model versions and their changes
    """
    CREATE TABLE probe_results (
        id VARCHAR PRIMARY KEY,
        ts TIMESTAMP NOT NULL,
        prober VARCHAR NOT NULL,
        region VARCHAR NOT NULL,
        deployment VARCHAR,
        kind VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        model VARCHAR,
        model_version VARCHAR,
        served_by VARCHAR,
        status_code INTEGER,
        latency_ms DOUBLE,
        ttft_ms DOUBLE,
        connect_ms DOUBLE,
        tokens_per_s DOUBLE,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cached_tokens INTEGER,
        cost_usd DOUBLE,
        retry_after_s DOUBLE,
        ratelimit_remaining_requests INTEGER,
        ratelimit_remaining_tokens INTEGER,
        request_id VARCHAR,
        error VARCHAR
    );
    CREATE TABLE deployment_versions (
        region VARCHAR NOT NULL, deployment VARCHAR NOT NULL, model_version VARCHAR NOT NULL,
        since TIMESTAMP NOT NULL, PRIMARY KEY (region, deployment)
    );
    CREATE TABLE model_changes (
        ts TIMESTAMP NOT NULL, prober VARCHAR, region VARCHAR NOT NULL, deployment VARCHAR NOT NULL,
        old_version VARCHAR, new_version VARCHAR NOT NULL
    );
    """,
    # 2: drill runs, their calls and the faults they injected (for the dashboard's Drills page)
    """
    CREATE TABLE drills (
        run_id VARCHAR PRIMARY KEY, drill VARCHAR NOT NULL, title VARCHAR, client VARCHAR, started TIMESTAMP NOT NULL,
        duration_s DOUBLE, passed BOOLEAN NOT NULL, error VARCHAR, expectations VARCHAR
    );
    CREATE TABLE drill_requests (
        run_id VARCHAR NOT NULL, call_id VARCHAR, shape VARCHAR, started_s DOUBLE, latency_s DOUBLE, ok BOOLEAN,
        region VARCHAR, error VARCHAR, tokens INTEGER
    );
    CREATE TABLE faults (
        run_id VARCHAR, kind VARCHAR NOT NULL, region VARCHAR NOT NULL, params VARCHAR, start_ts TIMESTAMP NOT NULL,
        end_ts TIMESTAMP
    );
    """,
    # 3: Azure Monitor's view of the same resources (import-metrics); keys make re-imports idempotent
    """
    CREATE TABLE monitor_metrics (
        region VARCHAR NOT NULL, metric VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, deployment VARCHAR NOT NULL,
        status_code VARCHAR NOT NULL, value DOUBLE, unit VARCHAR, resource_id VARCHAR NOT NULL,
        settled BOOLEAN NOT NULL, imported_at TIMESTAMP NOT NULL,
        PRIMARY KEY (region, metric, ts, deployment, status_code)
    );
    CREATE TABLE monitor_requests (
        region VARCHAR NOT NULL, request_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, operation VARCHAR,
        deployment VARCHAR, model VARCHAR, status_code INTEGER, duration_ms DOUBLE, stream_type VARCHAR,
        resource_id VARCHAR, imported_at TIMESTAMP NOT NULL,
        PRIMARY KEY (region, request_id)
    );
    CREATE TABLE monitor_imports (
        region VARCHAR NOT NULL, started TIMESTAMP NOT NULL, since TIMESTAMP NOT NULL, until TIMESTAMP NOT NULL,
        metric_rows INTEGER, log_rows INTEGER, error VARCHAR
    );
    """,
    # 4: the deployment's tier (provisioned or standard), a PTU's utilization, a stream's longest
    # gap; nullable, so old rows stay as they were: every deployment probed before was standard
    """
    ALTER TABLE probe_results ADD COLUMN tier VARCHAR;
    ALTER TABLE probe_results ADD COLUMN utilization_pct DOUBLE;
    ALTER TABLE probe_results ADD COLUMN max_gap_ms DOUBLE;
    UPDATE probe_results SET tier = 'standard';
    """,
    # 5: alerts (one row per firing episode of a rule) and every notification sent for them
    # (aoai_watch.alerts.state); no URL, key or signature is ever a column
    """
    CREATE TABLE alerts (
        id VARCHAR PRIMARY KEY, dedup_key VARCHAR NOT NULL, rule VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        region VARCHAR NOT NULL, summary VARCHAR NOT NULL, value DOUBLE, threshold DOUBLE,
        state VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, last_seen_at TIMESTAMP NOT NULL,
        resolved_at TIMESTAMP, notified_at TIMESTAMP
    );
    CREATE TABLE alert_deliveries (
        id VARCHAR PRIMARY KEY, alert_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        status VARCHAR NOT NULL, state VARCHAR NOT NULL, attempts INTEGER NOT NULL, http_status INTEGER,
        answer VARCHAR, created_at TIMESTAMP NOT NULL, last_attempt_at TIMESTAMP, delivered_at TIMESTAMP
    );
    """,
    # 6: what `prune` deleted, as the metrics' counter series (probes/metric_rows.py: series is
    # "requests", "duration_bucket", "tokens_prompt", ...; le a bucket's edge, else ''), which the
    # exporter adds back so its counters never go down
    """
    CREATE TABLE pruned_counts (
        region VARCHAR NOT NULL, deployment VARCHAR NOT NULL, kind VARCHAR NOT NULL, outcome VARCHAR NOT NULL,
        prober VARCHAR NOT NULL, series VARCHAR NOT NULL, le VARCHAR NOT NULL, value DOUBLE NOT NULL,
        PRIMARY KEY (region, deployment, kind, outcome, prober, series, le)
    );
    """,
)
_COLUMNS = ProbeResult.columns()
T = TypeVar("T")
# what a row spooled by an older version lacks reads as it did then (a spool outlives an upgrade)
_BEFORE_COLUMNS: dict[str, Any] = {"tier": STANDARD}


class StoreBusy(Exception):
    """The database stayed locked by another process past the retry bound."""


class StoreUnusable(Exception):
    """The database cannot be used at all; the message is one line naming the file and the fix."""


def fallback_dir() -> Path:
    """Where rows and locks go when the database's own folder cannot be written."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "aoai-watch"


def fallback_path(database: Path, suffix: str) -> Path:
    """`database`'s own file of `suffix` in `fallback_dir()` (named after the database's full path)."""
    digest = hashlib.sha1(str(database.absolute()).encode()).hexdigest()[:10]
    return fallback_dir() / f"{database.name}-{digest}{suffix}"


def _unusable(path: Path, exc: BaseException) -> StoreUnusable:
    if path.is_dir():
        return StoreUnusable(
            f"{path} is a directory, not a DuckDB file. Fix: point `database` (or --db) at a file, "
            f"e.g. {path / 'aoai-watch.duckdb'}"
        )
    if "not a valid DuckDB database" in str(exc):
        return StoreUnusable(
            f"{path} is not a DuckDB database (corrupt, or another kind of file); it was left untouched. "
            "Fix: move it aside (the next probe starts a new one) or point `database` (or --db) elsewhere"
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return StoreUnusable(
        f"{path} cannot be opened for writing ({reason}). Fix: make its folder writable or point "
        "`database` (or --db) at a writable place"
    )


@dataclass(frozen=True)
class WriteReport:
    written: int  # rows committed now (spooled rows from earlier included)
    spooled: int  # rows set aside in a spool file because the database stayed locked or is unusable
    model_changes: int = 0
    problem: str | None = None  # the database is unusable: one line naming it, the fix, where rows went


def _is_lock_conflict(exc: BaseException) -> bool:
    # DuckDB reports a held lock as an IOException whose text is the only distinction
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class Store:
    """One DuckDB file. `lock_bound_s` bounds how long a write or read waits for the lock."""

    def __init__(
        self,
        path: str | Path,
        lock_bound_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.path = Path(path)
        self.spool_path = self.path.with_name(self.path.name + ".spool.jsonl")
        self.intent_path = self.path.with_name(self.path.name + ".write-intent")
        self.lock_bound_s = lock_bound_s
        self._sleep = sleep
        self._rng = rng or random.Random()

    def retry_locked(self, attempt: Callable[[], T], deadline: float, bound: float, yield_to_writer: bool) -> T:
        """`attempt()` (open or attach this file), retried with jittered backoff while another
        process holds the file's lock, until `deadline` (monotonic; `bound` seconds from the start,
        for the message): then StoreBusy. A reader (`yield_to_writer`) first lets a writer that
        announced itself in. Any other DuckDB error is StoreUnusable naming the file."""
        delay = 0.01
        while True:
            if yield_to_writer and self._writer_waiting() and time.monotonic() < deadline:
                self._sleep(self._rng.uniform(0.005, 0.02))  # let the waiting writer in first
                continue
            try:
                return attempt()
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc):
                    raise _unusable(self.path, exc) from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"{self.path} stayed locked by another process for {bound:g} s "
                        "(a probe cycle writing, or a program keeping it open)"
                    ) from None
                self._sleep(self._rng.uniform(delay / 2, delay))
                delay = min(delay * 1.5, 0.1)

    @contextlib.contextmanager
    def _connect(self, read_only: bool, bound_s: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        bound = self.lock_bound_s if bound_s is None else bound_s
        deadline = time.monotonic() + bound
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.intent_path.touch()
            except OSError as exc:
                raise _unusable(self.path, exc) from None
        try:
            con = self.retry_locked(
                lambda: duckdb.connect(str(self.path), read_only=read_only), deadline, bound, read_only
            )
        finally:
            if not read_only:
                self.intent_path.unlink(missing_ok=True)
        try:
            yield con
        finally:
            con.close()

    def _writer_waiting(self) -> bool:
        try:
            age = time.time() - self.intent_path.stat().st_mtime
        except FileNotFoundError:
            return False
        return age < self.lock_bound_s

    # --- writing -----------------------------------------------------------------------------

    def write(self, results: Sequence[ProbeResult]) -> WriteReport:
        """Commit `results` (and any spooled rows) in one short transaction, or spool them."""
        rows = [r.as_row() for r in results]
        spooled = self._read_spool()
        try:
            with self._connect(read_only=False) as con:
                migrate(con)
                con.execute("BEGIN TRANSACTION")
                _insert(con, [*spooled, *rows])
                changes = _note_model_versions(con, rows)
                con.execute("COMMIT")
        except StoreBusy:
            self._spool(rows)
            return WriteReport(0, len(rows) + len(spooled))
        except StoreUnusable as exc:
            where = self._spool(rows)
            return WriteReport(0, len(rows) + len(spooled), problem=f"{exc}. The rows are kept in {where}")
        if spooled:
            for path in self._spool_paths():
                path.unlink(missing_ok=True)
        return WriteReport(len(rows) + len(spooled), 0, changes)

    def write_tables(self, tables: dict[str, list[dict[str, Any]]], replace: bool = False) -> int:
        """Insert rows into other tables (drills, monitor_metrics, ...) in one short transaction;
        `replace`: a row whose primary key exists replaces it (idempotent re-imports). Raises
        StoreBusy when the lock stays held (these rows are not spooled)."""
        written = 0
        with self._connect(read_only=False) as con:
            migrate(con)
            con.execute("BEGIN TRANSACTION")
            for table, rows in tables.items():
                if not rows:
                    continue
                columns = list(rows[0])
                one = "(" + ", ".join("?" for _ in columns) + ")"
                for start in range(0, len(rows), 250):
                    chunk = rows[start : start + 250]
                    con.execute(
                        f"INSERT {'OR REPLACE ' if replace else ''}INTO {table} ({', '.join(columns)}) VALUES "
                        + ", ".join([one] * len(chunk)),
                        [row[c] for row in chunk for c in columns],
                    )
                written += len(rows)
            con.execute("COMMIT")
        return written

    def write_drills(self, records: DrillRecords) -> int:
        """Insert drill runs, the calls they made and the faults they set (see probes/records.py) in
        one short transaction; the rows written. Raises StoreBusy when the lock stays held (these
        rows are not spooled)."""
        return self.write_tables(
            {
                DrillRow.TABLE: [as_row(r) for r in records.drills],
                DrillRequestRow.TABLE: [as_row(r) for r in records.requests],
                FaultRow.TABLE: [as_row(r) for r in records.faults],
            }
        )

    def _spool_paths(self) -> tuple[Path, Path]:
        return self.spool_path, fallback_path(self.path, ".spool.jsonl")

    def _spool(self, rows: list[dict[str, Any]]) -> Path:
        """Append `rows` to the spool beside the database, else to the fallback one; where they went."""
        text = "".join(json.dumps(row, default=_json_default) + "\n" for row in rows)
        for path in self._spool_paths():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as spool:
                    spool.write(text)
                    spool.flush()
                    os.fsync(spool.fileno())
                return path
            except OSError:
                continue
        raise StoreUnusable(f"no spool file could be written beside {self.path} or in {fallback_dir()}")

    def _read_spool(self) -> list[dict[str, Any]]:
        rows = []
        for path in self._spool_paths():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash mid-append
                row["ts"] = datetime.fromisoformat(row["ts"])
                rows.append(row)
        return rows

    # --- reading -----------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] = (), bound_s: float | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only query: (column names, rows). An absent or empty database gives no rows."""
        if not self.path.exists():
            return [], []
        with self._connect(read_only=True, bound_s=bound_s) as con:
            if not _has_schema(con):
                return [], []
            cursor = con.execute(sql, list(params))
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()

    def read(self, reader: Callable[[duckdb.DuckDBPyConnection], T], empty: T, bound_s: float | None = None) -> T:
        """Run `reader` on one read-only connection (several queries, one short visit); `empty`
        when the database is absent or has no schema yet."""
        if not self.path.exists():
            return empty
        with self._connect(read_only=True, bound_s=bound_s) as con:
            return reader(con) if _has_schema(con) else empty

    def count(self) -> int:
        _, rows = self.query("SELECT count(*) FROM probe_results")
        return rows[0][0] if rows else 0

    def hourly_stats(
        self, since: datetime, latency_threshold_ms: float = 2000.0
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Per region, kind and hour since `since`: probes, good probes (availability), probes under
        the latency threshold, and p50/p95/p99 latency. The heaviest read the dashboard makes."""
        good, successful = sql_list(GOOD), sql_list(SUCCESSFUL)
        return self.query(
            f"""
            SELECT region, kind, date_trunc('hour', ts) AS hour,
                   count(*) AS probes,
                   count(*) FILTER (WHERE outcome IN {good}) AS good,
                   count(*) FILTER (WHERE outcome IN {successful} AND latency_ms <= ?) AS fast,
                   quantile_cont(latency_ms, 0.5) FILTER (WHERE outcome IN {successful}) AS p50_ms,
                   quantile_cont(latency_ms, 0.95) FILTER (WHERE outcome IN {successful}) AS p95_ms,
                   quantile_cont(latency_ms, 0.99) FILTER (WHERE outcome IN {successful}) AS p99_ms
            FROM probe_results WHERE ts >= ?
            GROUP BY ALL ORDER BY region, kind, hour
            """,
            [latency_threshold_ms, since],
        )

    def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete probe rows older than `older_than`; returns how many went. What they counted is
        added to `pruned_counts` in the same transaction, so the exporter's counters keep it."""
        if not self.path.exists():
            return 0
        cutoff = (now or datetime.now(UTC).replace(tzinfo=None)) - older_than
        with self._connect(read_only=False) as con:
            migrate(con)
            con.execute("BEGIN TRANSACTION")
            deleted = _scalar(con, "SELECT count(*) FROM probe_results WHERE ts < ?", [cutoff])
            if deleted:
                _keep_pruned_counts(con, cutoff)
            con.execute("DELETE FROM probe_results WHERE ts < ?", [cutoff])
            con.execute("DELETE FROM model_changes WHERE ts < ?", [cutoff])
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        return int(deleted)


def _keep_pruned_counts(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> None:
    """Add the counter series of the rows before `cutoff` to `pruned_counts` (summed per key)."""
    from .metric_rows import PRUNED_TABLE, aggregate_sql, long_rows

    cursor = con.execute(aggregate_sql("WHERE ts < ?"), [cutoff])
    names = [d[0] for d in cursor.description or []]
    rows = [(*key, series, le, value) for key, series, le, value in long_rows(names, cursor.fetchall())]
    for start in range(0, len(rows), 250):
        chunk = rows[start : start + 250]
        con.execute(
            f"INSERT INTO {PRUNED_TABLE} VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            + " ON CONFLICT DO UPDATE SET value = value + excluded.value",
            [v for row in chunk for v in row],
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the one row an aggregate query returns."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise duckdb.Error(f"no row from an aggregate query: {sql}")
    return row[0]


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"))


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this file lacks, in order, each in its own transaction; the version."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    current = int(_scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))
    for number, sql in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
        con.execute("COMMIT")
        current = number
    return current


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], batch: int = 250) -> None:
    """Multi-row INSERTs: about 20x faster than executemany here, which keeps the lock short."""
    one = "(" + ", ".join("?" for _ in _COLUMNS) + ")"
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        params = [row.get(column, _BEFORE_COLUMNS.get(column)) for row in chunk for column in _COLUMNS]
        con.execute(
            f"INSERT OR IGNORE INTO probe_results ({', '.join(_COLUMNS)}) VALUES " + ", ".join([one] * len(chunk)),
            params,
        )


def _note_model_versions(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> int:
    """Keep each deployment's current model version; every change (within the batch too, in time
    order) is a `model_changes` row. A "version" equal to the deployment's name is no report (realtime
    probes before they read `session.model` right recorded the name): skipped, as the dashboard's
    Model versions page skips it (app/queries.model_versions)."""
    current: dict[tuple[str, str], str] = {}
    changes = 0
    for row in sorted(rows, key=lambda r: r["ts"]):
        version = row.get("model_version")
        if (
            not version
            or version == row.get("deployment")
            or not row.get("deployment")
            or is_composite(row.get("kind"))
        ):
            continue
        key = (row["region"], row["deployment"])
        if key not in current:
            found = con.execute(
                "SELECT model_version FROM deployment_versions WHERE region = ? AND deployment = ?", list(key)
            ).fetchone()
            if found is None:
                con.execute("INSERT INTO deployment_versions VALUES (?, ?, ?, ?)", [*key, version, row["ts"]])
                current[key] = version
                continue
            current[key] = found[0]
        if current[key] != version:
            con.execute(
                "UPDATE deployment_versions SET model_version = ?, since = ? WHERE region = ? AND deployment = ?",
                [version, row["ts"], *key],
            )
            con.execute(
                "INSERT INTO model_changes VALUES (?, ?, ?, ?, ?, ?)",
                [row["ts"], row.get("prober"), *key, current[key], version],
            )
            current[key] = version
            changes += 1
    return changes
