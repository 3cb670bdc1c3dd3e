"""The DuckDB store: schema versions, writes, reads, the spool under a held lock, model changes,
pruning. Lock conflicts need another process: DuckDB shares one instance within a process.

And the store under the conditions it lives in: a writer probing every 0.2 s while four reader
processes query without pause (zero lost rows, zero errors either side), and writers killed with
SIGKILL mid-write (every committed row survives, the file opens)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.records import DrillRecords, DrillRequestRow, DrillRow, FaultRow
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import MIGRATIONS, Store, StoreBusy, StoreUnusable

from tests.probes.conftest import ENV, write_config


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
    holder = hold_lock(path, 60)  # held far longer than the checks take, even on a loaded machine
    try:
        store = Store(path, lock_bound_s=0.3)
        started = time.monotonic()
        report = store.write([row(kind="stream"), row(kind="embeddings")])
        assert report.spooled == 2 and report.written == 0
        assert time.monotonic() - started < 5  # bounded (0.3 s), not stuck until the holder lets go
        assert store.spool_path.exists()
        with pytest.raises(StoreBusy, match="stayed locked by another process"):
            store.query("SELECT 1")
    finally:
        holder.kill()  # the careless dashboard goes away
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


def test_a_version_that_is_only_the_deployments_name_is_no_change(tmp_path: Path) -> None:
    """Realtime probes before they read session.model recorded the deployment's name as its version."""
    store = Store(tmp_path / "m.duckdb")
    store.write([row()])
    assert store.write([row(kind="realtime", model_version="gpt-4o"), row()]).model_changes == 0
    assert store.query("SELECT count(*) FROM model_changes")[1] == [(0,)]


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


DURATION_S = 30


WRITER = """
import json, sys, threading, time
from aoai_watch.probes.config import load_config
from aoai_watch.probes.schedule import run_loop

config = load_config(sys.argv[1])
stop = threading.Event()
threading.Timer(float(sys.argv[2]), stop.set).start()
stats = {"cycles": 0, "rows": 0, "spooled": 0, "errors": []}

def on_cycle(outcome):
    if isinstance(outcome, Exception):
        stats["errors"].append(repr(outcome))
        return
    stats["cycles"] += 1
    stats["rows"] += len(outcome.results)
    stats["spooled"] += outcome.stored.spooled

run_loop(config, on_cycle, kinds=("chat", "embeddings"), every_s=0.2, stop=stop, environ={"PROBE_KEY": sys.argv[3]})
print(json.dumps(stats), flush=True)
"""

READER = """
import json, sys, time
from aoai_watch.probes.store import Store, StoreBusy

store = Store(sys.argv[1], lock_bound_s=10)
stop_at = time.monotonic() + float(sys.argv[2])
queries, errors, last = 0, [], 0
while time.monotonic() < stop_at:
    try:
        _, rows = store.query("SELECT count(*), max(latency_ms) FROM probe_results")
        last = rows[0][0] if rows else 0
        queries += 1
    except Exception as exc:
        errors.append(repr(exc))
print(json.dumps({"queries": queries, "errors": errors, "last": last}), flush=True)
"""


@pytest.mark.timeout(DURATION_S + 200)  # the subprocesses' own timeouts, not the suite's 120 s, bound it
def test_writer_and_four_readers_for_30_seconds_lose_nothing(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat", "embeddings"]')
    Store(config.database).write([])  # create the file, so readers have something to open from the start
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(config.path), str(DURATION_S), ENV["PROBE_KEY"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(config.database), str(DURATION_S)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    out, err = writer.communicate(timeout=DURATION_S + 60)
    assert writer.returncode == 0, err
    written = json.loads(out)
    reader_stats = []
    for reader in readers:
        r_out, r_err = reader.communicate(timeout=DURATION_S + 60)
        assert reader.returncode == 0, r_err
        reader_stats.append(json.loads(r_out))
    Store(config.database).write([])  # ingest anything a locked moment left in the spool
    # the point is zero errors and zero loss while both sides were busy; how many cycles and queries
    # fit in 30 s depends on the machine (34 cycles, not 150, with four readers on two busy cores; far
    # fewer at load average 9): a few of each is enough to have overlapped
    assert written["errors"] == [] and written["cycles"] >= 3, written
    assert all(s["errors"] == [] and s["queries"] >= 3 for s in reader_stats), reader_stats
    assert Store(config.database).count() == written["rows"]  # zero lost rows


KILLED_WRITER = """
import sys
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

store = Store(sys.argv[1])
prefix = sys.argv[2]
for batch in range(10_000):
    rows = [ProbeResult(region="eastus2", deployment="d", kind="chat", prober="k", latency_ms=1.0,
                        id=f"{prefix}-{batch}-{i}") for i in range(50)]
    store.write(rows)
    print(batch, flush=True)
"""


@pytest.mark.timeout(300)  # twenty interpreter start-ups: slow on a loaded machine
def test_sigkill_mid_write_twenty_times_keeps_every_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "killed.duckdb"
    rng = random.Random(20)
    committed: set[str] = set()
    for run in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(path), f"r{run}"], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # at least one batch is in before the kill
        assert first.strip() == "0"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait(10)
        batches = [0, *[int(line) for line in rest.split()]]
        committed |= {f"r{run}-{b}-{i}" for b in batches for i in range(50)}
    store = Store(path)
    _, rows = store.query("SELECT id FROM probe_results")
    present = {r[0] for r in rows}
    assert committed <= present  # every batch the writer saw committed is there
    assert len(present) - len(committed) <= 20 * 50  # at most one unreported batch per kill
    # and the file still takes writes
    assert Store(path).write([]).written == 0


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


def unusable_paths(tmp_path: Path) -> dict[str, Path]:
    """A directory where the file should be, a path under a regular file (its folder cannot be
    created: what a read-only folder does for a non-root user), and a corrupt file."""
    (tmp_path / "isdir.duckdb").mkdir()
    (tmp_path / "plainfile").write_text("not a folder")
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"this is not a DuckDB database file\n" * 100)
    return {
        "directory": tmp_path / "isdir.duckdb",
        "unwritable folder": tmp_path / "plainfile" / "x.duckdb",
        "corrupt": corrupt,
    }


@pytest.mark.parametrize("case", ["directory", "unwritable folder", "corrupt"])
def test_an_unusable_database_keeps_the_rows_says_why_in_one_line_and_leaves_the_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = unusable_paths(tmp_path)[case]
    before = path.read_bytes() if path.is_file() else None
    rows = [ProbeResult(region="eastus2", deployment="gpt-4o", kind="chat", latency_ms=5.0) for _ in range(3)]
    report = Store(path).write(rows)
    assert report.written == 0 and report.spooled == 3 and report.problem is not None
    assert "\n" not in report.problem and str(path) in report.problem and "Fix:" in report.problem
    assert (path.read_bytes() if path.is_file() else None) == before  # a corrupt file is never modified
    if case != "unwritable folder":  # there nothing exists to read: no rows, no error
        with pytest.raises(StoreUnusable, match="Fix:"):
            Store(path).query("SELECT count(*) FROM probe_results")
    # the user follows the fix; the next write ingests the kept rows, wherever they were kept
    if case == "directory":
        path.rmdir()
    elif case == "corrupt":
        path.rename(tmp_path / "corrupt.moved-aside")
    else:
        (tmp_path / "plainfile").unlink()
    assert Store(path).write([]).written == 3 and Store(path).count() == 3
