"""The DuckDB store: schema versions, writes, reads, the spool under a held lock, model changes,
pruning. Lock conflicts need another process: DuckDB shares one instance within a process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aoai_watch.probes.records import DrillRecords, DrillRequestRow, DrillRow, FaultRow
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import MIGRATIONS, Store, StoreBusy


def row(**overrides: object) -> ProbeResult:
    values = {
        "region": "eastus2",
        "deployment": "gpt-4o",
        "kind": "chat",
        "prober": "t",
        "latency_ms": 100.0,
        "model_version": "gpt-4o-2024-08-06",
    }
    values.update(overrides)
    return ProbeResult(**values)  # type: ignore[arg-type]


def hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that keeps a read-write connection open (like a careless dashboard)."""
    script = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_empty_or_absent_database_reads_as_no_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "absent.duckdb")
    assert store.query("SELECT * FROM probe_results") == ([], [])
    assert store.count() == 0 and not (tmp_path / "absent.duckdb").exists()  # reading never creates it


def test_write_migrates_and_rows_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.duckdb")
    first = row(prompt_tokens=10, completion_tokens=2, cost_usd=0.00005, error=None)
    report = store.write([first, row(region="swedencentral")])
    assert (report.written, report.spooled) == (2, 0)
    _, versions = store.query("SELECT max(version) FROM schema_version")
    assert versions == [(len(MIGRATIONS),)]
    names, rows = store.query("SELECT * FROM probe_results WHERE region = ?", ["eastus2"])
    record = dict(zip(names, rows[0], strict=True))
    assert record["id"] == first.id and record["prompt_tokens"] == 10 and record["ts"] == first.ts
    store.write([first])  # the same row again (a spool ingested twice) adds nothing
    assert store.count() == 2


def test_a_locked_database_spools_and_the_next_write_ingests(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    Store(path).write([row()])
    holder = hold_lock(path, 3)
    try:
        store = Store(path, lock_bound_s=0.3)
        started = time.monotonic()
        report = store.write([row(kind="stream"), row(kind="embeddings")])
        assert report.spooled == 2 and report.written == 0
        assert time.monotonic() - started < 2  # bounded, not stuck
        assert store.spool_path.exists()
        with pytest.raises(StoreBusy, match="stayed locked by another process"):
            store.query("SELECT 1")
    finally:
        holder.wait(10)
    report = Store(path).write([row(kind="realtime")])
    assert report.written == 3 and not Store(path).spool_path.exists()
    assert Store(path).count() == 4


def test_model_version_change_is_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.duckdb")
    store.write([row()])
    assert store.write([row()]).model_changes == 0
    assert store.write([row(model_version="gpt-4o-2024-11-20")]).model_changes == 1
    _, changes = store.query("SELECT region, deployment, old_version, new_version FROM model_changes")
    assert changes == [("eastus2", "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20")]


def test_prune_deletes_only_old_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.duckdb")
    now = datetime(2026, 11, 25, 12, 0)
    store.write([row(ts=now - timedelta(days=100)), row(ts=now - timedelta(days=91)), row(ts=now - timedelta(days=1))])
    assert store.prune(timedelta(days=90), now=now) == 2
    assert store.count() == 1


def test_hourly_stats_count_good_fast_and_percentiles(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.duckdb")
    hour = datetime(2026, 11, 25, 10, 0)
    rows = [row(ts=hour + timedelta(minutes=i), latency_ms=float(100 * (i + 1))) for i in range(30)]
    rows += [
        row(ts=hour + timedelta(minutes=40), outcome="server_error", latency_ms=5.0),
        row(ts=hour + timedelta(minutes=41), outcome="not_found", latency_ms=7.0),
    ]
    store.write(rows)
    names, stats = store.hourly_stats(hour - timedelta(days=1), latency_threshold_ms=2000)
    record = dict(zip(names, stats[0], strict=True))
    assert (record["probes"], record["good"], record["fast"]) == (32, 31, 20)  # 100..2000 ms are fast
    assert record["p50_ms"] == 1550.0 and record["p99_ms"] == pytest.approx(2971, abs=1)


def test_drill_records_are_written_to_their_tables(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.duckdb")
    started = datetime(2026, 1, 1, 12, 0, 0)
    records = DrillRecords(
        drills=[
            DrillRow(
                run_id="r1",
                drill="outage",
                title="An outage",
                client="bundled",
                started=started,
                duration_s=4.5,
                passed=True,
                error=None,
                expectations="[]",
            )
        ],
        requests=[
            DrillRequestRow(
                run_id="r1",
                call_id=f"c{i}",
                shape="chat",
                started_s=i * 0.1,
                latency_s=0.05,
                ok=i != 1,
                region="eastus2",
                error=None if i != 1 else "APIStatusError: 503",
                tokens=10,
            )
            for i in range(3)
        ],
        faults=[
            FaultRow(
                run_id="r1",
                kind="http_error",
                region="eastus2",
                params='{"status": 503}',
                start_ts=started + timedelta(seconds=1),
                end_ts=None,
            )
        ],
    )
    assert store.write_drills(records) == 5
    assert store.query("SELECT drill, passed, error FROM drills")[1] == [("outage", True, None)]
    assert store.query("SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM drill_requests")[1] == [(3, 1)]
    assert store.query("SELECT kind, region, end_ts FROM faults")[1] == [("http_error", "eastus2", None)]
