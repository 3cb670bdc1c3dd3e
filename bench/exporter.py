"""bench/exporter: how long one Prometheus scrape of `aoai-watch exporter` takes over 30 days x 12
targets x one probe a minute (518,400 rows, bench/dashboard's store), with no cache (every scrape
reads the store: the worst case, a cache period of 0); target under 200 ms. The baseline, in the
same run: a scrape of an exporter over an empty store (the HTTP server, one read-only connect and
the exposition, without the rows).

Rerun: make bench   (or: .venv/bin/python -m bench exporter [--quick])
"""

from __future__ import annotations

import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.dashboard import _month


def _scrape_times(db: Path, rounds: int) -> tuple[list[float], int]:
    """Scrape times in seconds (a real HTTP GET of /metrics each), and the last answer's size."""
    from aoai_watch.probes.exporter import StoreMetrics, serve_metrics
    from aoai_watch.probes.store import Store

    server, _ = serve_metrics(StoreMetrics(Store(db), cache_s=0), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        times, size = [], 0
        for i in range(rounds + 1):  # the first scrape warms the file cache and is not counted
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as answer:
                size = len(answer.read())
            if i:
                times.append(time.perf_counter() - started)
        return times, size
    finally:
        server.shutdown()


def main(quick: bool = False) -> int:
    from aoai_watch.probes.store import Store

    print("bench/exporter  (rerun: make bench, or .venv/bin/python -m bench exporter)", flush=True)
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory() as tmp:
        month, empty = Path(tmp) / "month.duckdb", Path(tmp) / "empty.duckdb"
        rows = _month(month)
        Store(empty).write([])  # the schema, no rows
        full, size = _scrape_times(month, rounds)
        base, _ = _scrape_times(empty, rounds)
    full_ms, base_ms = statistics.median(full) * 1000, statistics.median(base) * 1000
    ok = full_ms < 200
    print(
        f"  one scrape over {rows:,} rows (30 days x 12 targets x 1/min), no cache: median {full_ms:.0f} ms "
        f"(max {max(full) * 1000:.0f} ms, {size / 1024:.0f} KiB); over an empty store {base_ms:.0f} ms "
        f"(ratio {full_ms / base_ms:.1f}x); target < 200 ms {'PASS' if ok else 'FAIL'}",
        flush=True,
    )
    return 0 if ok else 1
