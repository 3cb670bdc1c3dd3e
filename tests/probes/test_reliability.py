"""The store under the conditions it lives in: a writer probing every 0.2 s while four reader
processes query without pause (zero lost rows, zero errors either side), and writers killed with
SIGKILL mid-write (every committed row survives, the file opens)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.store import Store

from tests.probes.conftest import ENV, write_config

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
    assert written["errors"] == [] and written["cycles"] >= 50
    assert all(s["errors"] == [] and s["queries"] > 50 for s in reader_stats), reader_stats
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
