"""bench/stores: the dashboard's heaviest read (`Store.hourly_stats`, per region, kind and hour
over 30 days) over three probers' stores attached as one (probes/sources.py) against one store of
the same total size (the same rows in one file), in the same run: target <= 1.5x. Each store is
bench/dashboard.py's month (30 days x 12 targets x one probe a minute, 518,400 rows), one per
prober; the single store holds all three (1,555,200 rows).

Rerun: make bench   (or: .venv/bin/python -m bench stores [--quick])
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from aoai_watch.probes.store import Store

from bench.dashboard import _month

PROBERS = ("frankfurt", "dublin", "virginia")


def _stores(folder: Path) -> tuple[list[Path], Path, int]:
    """Three month stores, one per prober, and one store holding all their rows."""
    paths = []
    for prober in PROBERS:
        path = folder / f"{prober}.duckdb"
        _month(path)
        con = duckdb.connect(str(path))
        con.execute("UPDATE probe_results SET prober = ?, id = ? || '-' || id", [prober, prober])
        con.execute("CHECKPOINT")
        con.close()
        paths.append(path)
    one = folder / "one.duckdb"
    Store(one).write([])  # the schema, then the three stores' rows
    con = duckdb.connect(str(one))
    for number, path in enumerate(paths):
        con.execute(f"ATTACH '{path}' AS s{number} (READ_ONLY)")
        con.execute(f"INSERT INTO probe_results SELECT * FROM s{number}.probe_results ORDER BY ts")
        con.execute(f"DETACH s{number}")
    (rows,) = con.execute("SELECT count(*) FROM probe_results").fetchone()
    con.execute("CHECKPOINT")
    con.close()
    return paths, one, int(rows)


def _median_s(read: object, rounds: int) -> float:
    times = []
    for _ in range(rounds + 1):  # the first warms the OS page cache and is not counted
        started = time.perf_counter()
        read()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main(quick: bool = False) -> int:
    from aoai_watch.probes.sources import CombinedStore

    print("bench/stores  (rerun: make bench, or .venv/bin/python -m bench stores)", flush=True)
    rounds = 3 if quick else 9
    with tempfile.TemporaryDirectory() as tmp:
        paths, one, rows = _stores(Path(tmp))
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
        combined, single = CombinedStore(paths), Store(one)
        assert combined.hourly_stats(since)[1] == single.hourly_stats(since)[1], "the two reads must agree"
        # interleaved rounds: a burst of load on this shared machine lands on both sides of the ratio
        three, alone = [], []
        for _ in range(rounds):
            three.append(_median_s(lambda: combined.hourly_stats(since), 1))
            alone.append(_median_s(lambda: single.hourly_stats(since), 1))
    t3, t1 = statistics.median(three), statistics.median(alone)
    ratio = t3 / t1
    ok = ratio <= 1.5
    print(
        f"  hourly_stats over 30 days, {rows:,} rows: three attached stores (3 x {rows // 3:,}) {t3 * 1000:.0f} ms, "
        f"one store of the same rows {t1 * 1000:.0f} ms: ratio {ratio:.2f}x; target <= 1.5x {'PASS' if ok else 'FAIL'}",
        flush=True,
    )
    return 0 if ok else 1
