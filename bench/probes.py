"""bench/probes: a probe cycle's concurrency, the store's ingest rate, the dashboard's heaviest query.

1. One cycle over 200 targets (40 simulated regions x chat, stream, responses_chain, embeddings,
   realtime; every answer held 200 ms) against the slowest single probe run alone, in the same run:
   target under 2x (the targets run concurrently; a serial cycle would take ~200x).
2. Store ingest: rows/s through `Store.write` (batches of one cycle, 200 rows, each its own
   connect + transaction, as the cron writer does) against a bare DuckDB `executemany` of the same
   rows on one open connection: the price of holding the lock only for milliseconds.
3. The heaviest dashboard read, `Store.hourly_stats` over 30 days x 12 targets x 1 probe a minute
   (518,400 rows), against a plain `count(*)` over the same table: target under 300 ms.

Rerun: make bench   (or: .venv/bin/python -m bench probes [--quick])
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from aoai_watch.failover.outcomes import SUCCESSFUL

from bench.simulator import server

KEY = "bench-key"
REGIONS = 40
KINDS = '["chat", "stream", "responses_chain", "embeddings", "realtime"]'
SIMULATOR = textwrap.dedent("""
    import asyncio, signal, sys
    from aoai_watch.chaos.simulator import LatencyModel, RegionSpec, Simulator
    from aoai_watch.chaos.simulator.cli import serve
    from aoai_watch.chaos.simulator.model import DeploymentSpec
    from aoai_watch.chaos.simulator.simulator import new_event_loop

    held = LatencyModel(ttft_ms=200, per_token_ms=0, jitter_sigma=0)
    deployments = tuple(DeploymentSpec.for_model(m, m, tpm=0, rpm=0) for m in ("gpt-4o", "text-embedding-3-small"))
    regions = [RegionSpec(name=f"r{i:02d}", deployments=deployments, api_key="bench-key", latency=held)
               for i in range(int(sys.argv[1]))]
    new_event_loop().run_until_complete(serve(Simulator(regions), sys.argv[3], open("/dev/null", "w")))
""")


def _config(urls: dict[str, str], folder: Path, regions: list[str]) -> Path:
    text = f'database = "{folder / "bench.duckdb"}"\n'
    for name in regions:
        text += (
            f'[[regions]]\nname = "{name}"\nendpoint = "{urls[name]}"\napi_key_env = "BENCH_KEY"\n'
            '[regions.deployments]\ngpt-4o = "gpt-4o"\ntext-embedding-3-small = "text-embedding-3-small"\n'
            'gpt-realtime = "gpt-4o"\n'
        )
    text += f"[probes]\nkinds = {KINDS}\ntimeout_s = 20\nmax_tokens = 4\n"
    path = folder / f"bench-{len(regions)}.toml"
    path.write_text(text)
    return path


def cycle_bench(quick: bool) -> tuple[str, bool]:
    from aoai_watch.probes.config import load_config
    from aoai_watch.probes.runner import run_cycle

    env = {"BENCH_KEY": KEY}
    with tempfile.TemporaryDirectory() as tmp, server(sys.executable, "-c", SIMULATOR, str(REGIONS)) as ready:
        folder = Path(tmp)
        urls = ready["regions"]
        single = load_config(_config(urls, folder, ["r00"]))
        full = load_config(_config(urls, folder, sorted(urls)))
        kinds = ("chat", "stream", "responses_chain", "embeddings", "realtime")
        singles: dict[str, list[float]] = {kind: [] for kind in kinds}
        cycles = []
        # rounds interleave the single probes and the full cycle, so a burst of load on this shared
        # machine lands on both sides of the ratio rather than on one
        for _ in range(1 if quick else 3):
            for kind in kinds:
                started = time.perf_counter()
                (result,) = run_cycle(single, (kind,), environ=env)
                singles[kind].append(time.perf_counter() - started)
                assert result.outcome in SUCCESSFUL, result.error
            started = time.perf_counter()
            results = run_cycle(full, environ=env)
            cycles.append(time.perf_counter() - started)
        slowest_s, slowest_kind = max((statistics.median(times), kind) for kind, times in singles.items())
        bad = [r for r in results if r.outcome not in SUCCESSFUL]
        cycle_s = statistics.median(cycles)
    ratio = cycle_s / slowest_s
    ok = ratio < 2 and not bad
    line = (
        f"  cycle of {len(results)} targets: {cycle_s:.2f} s; slowest single probe ({slowest_kind}) "
        f"{slowest_s:.2f} s; ratio {ratio:.2f}x (target < 2x){'' if not bad else f', {len(bad)} failed'} "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return line, ok


def _rows(count: int) -> list:
    from aoai_watch.probes.result import ProbeResult

    start = datetime(2026, 11, 1)
    return [
        ProbeResult(
            region=f"r{i % 12}",
            deployment="gpt-4o",
            kind="chat",
            prober="bench",
            ts=start + timedelta(seconds=i),
            latency_ms=200.0 + i % 50,
            prompt_tokens=20,
            completion_tokens=4,
            cost_usd=0.0001,
            model_version="gpt-4o-2024-08-06",
        )
        for i in range(count)
    ]


def ingest_bench(quick: bool) -> tuple[str, bool]:
    from aoai_watch.probes.result import ProbeResult
    from aoai_watch.probes.store import MIGRATIONS, Store

    rows = _rows(2_000 if quick else 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        started = time.perf_counter()
        for i in range(0, len(rows), 200):
            store.write(rows[i : i + 200])
        store_s = time.perf_counter() - started
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"))
        con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
        con.execute(MIGRATIONS[0])
        columns = ProbeResult.columns()
        sql = f"INSERT INTO probe_results ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        started = time.perf_counter()
        for i in range(0, len(rows), 200):
            con.executemany(sql, [[getattr(r, c) for c in columns] for r in rows[i : i + 200]])
        bare_s = time.perf_counter() - started
        con.close()
    store_rate, bare_rate = len(rows) / store_s, len(rows) / bare_s
    return (
        f"  ingest: Store.write {store_rate:,.0f} rows/s (200-row cycles, connect + transaction each) vs bare "
        f"executemany {bare_rate:,.0f} rows/s on an open connection: ratio {store_rate / bare_rate:.2f}x",
        True,
    )


def query_bench(quick: bool) -> tuple[str, bool]:
    from aoai_watch.probes.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "month.duckdb"
        Store(path).write([])  # schema
        con = duckdb.connect(str(path))
        # 30 days x 12 targets x 1 probe a minute, 0.3% failures, latency 150-2,650 ms
        con.execute("""
            INSERT INTO probe_results (id, ts, prober, region, deployment, kind, outcome, latency_ms, status_code)
            SELECT 'g' || i, TIMESTAMP '2026-10-26' + to_minutes(i // 12), 'bench',
                   'region' || (i % 4), 'gpt-4o', ['chat', 'stream', 'embeddings'][1 + (i // 4) % 3],
                   CASE WHEN hash(i) % 1000 < 3 THEN 'server_error' ELSE 'ok' END,
                   150 + hash(i * 7) % 2500, 200
            FROM range(30 * 24 * 60 * 12) t(i)
        """)
        (count,) = con.execute("SELECT count(*) FROM probe_results").fetchone()
        con.execute("CHECKPOINT")
        con.close()
        store = Store(path)
        since = datetime(2026, 10, 26)
        heavy, plain = [], []
        for _ in range(3 if quick else 7):
            started = time.perf_counter()
            store.hourly_stats(since)
            heavy.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.query("SELECT count(*) FROM probe_results WHERE ts >= ?", [since])
            plain.append(time.perf_counter() - started)
    heavy_ms, plain_ms = statistics.median(heavy) * 1000, statistics.median(plain) * 1000
    ok = heavy_ms < 300
    return (
        f"  heaviest dashboard read (hourly availability, latency share and p50/p95/p99 per region and kind) over "
        f"{count:,} rows: {heavy_ms:.0f} ms vs count(*) {plain_ms:.0f} ms (both include open/close); "
        f"target < 300 ms {'PASS' if ok else 'FAIL'}",
        ok,
    )


def main(quick: bool = False) -> int:
    print("bench/probes  (rerun: make bench, or .venv/bin/python -m bench probes)", flush=True)
    status = 0
    for bench in (cycle_bench, ingest_bench, query_bench):
        line, ok = bench(quick)
        print(line, flush=True)
        status |= 0 if ok else 1
    return status
