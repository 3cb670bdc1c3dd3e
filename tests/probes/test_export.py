"""`aoai-watch export --parquet DIR` (probes/export.py) over real stores written by Store.write:
hive-style files by prober and UTC day, idempotent (a re-exported day is replaced, never
duplicated; days outside `--since` are left alone), progress a line per file, and the dashboard
reading such a folder as `--db` (probes/sources.py) with the numbers of the store it came from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from aoai_watch.app import queries
from aoai_watch.app.cli import main
from aoai_watch.probes.export import export_parquet, partition_file
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.sources import CombinedStore, reader
from aoai_watch.probes.store import Store

DAYS = 3
EVERY = timedelta(minutes=10)


def midnight(now: datetime) -> datetime:
    return datetime.combine(now.date(), datetime.min.time())


def probes(prober: str, start: datetime, end: datetime) -> list[ProbeResult]:
    out, ts, n = [], start, 0
    while ts < end:
        for region in ("eastus2", "swedencentral"):
            bad = region == "eastus2" and n % 5 == 0
            out.append(
                ProbeResult(
                    region=region,
                    deployment="gpt-4o",
                    kind="chat",
                    outcome="server_error" if bad else "ok",
                    ts=ts,
                    prober=prober,
                    status_code=503 if bad else 200,
                    latency_ms=400.0 + n % 9,
                    cost_usd=0.0001,
                )
            )
        ts, n = ts + EVERY, n + 1
    return out


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    """Two probers (one with a space in its name) over the three whole UTC days before today."""
    path = tmp_path / "prober.duckdb"
    today = midnight(datetime.now(UTC).replace(tzinfo=None))
    Store(path).write(
        [
            *probes("frankfurt", today - DAYS * timedelta(days=1), today),
            *probes("office 2", today - timedelta(days=1), today),
        ]
    )
    return path


def parquet_rows(folder: Path) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT prober, date, count(*), count(DISTINCT id) FROM read_parquet('{folder}/**/*.parquet', "
            "hive_partitioning = true) GROUP BY ALL ORDER BY date, prober"
        ).fetchall()
    finally:
        con.close()


def test_files_by_prober_and_day_hold_every_row_once(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    lines: list[str] = []
    done = export_parquet(store, out, progress=lines.append)
    total = Store(store).count()
    assert (done.rows, done.partitions) == (total, DAYS + 1)
    today = midnight(datetime.now(UTC).replace(tzinfo=None))
    days = [(today - timedelta(days=d)).date() for d in range(DAYS, 0, -1)]
    for day in days:
        assert partition_file(out, "frankfurt", day).is_file()
    assert (
        partition_file(out, "office 2", days[-1]) == out / "prober=office%202" / f"date={days[-1]}" / "part-0.parquet"
    )
    rows = parquet_rows(out)
    assert sum(r[2] for r in rows) == total and all(r[2] == r[3] for r in rows)  # every row, once
    assert ("office 2", days[-1], 2 * 144, 2 * 144) in rows  # the name decoded as written
    assert len(lines) == DAYS + 1 and lines[0].startswith(f"[1/{DAYS + 1}] prober=frankfurt date={days[0]}: ")
    assert not list(out.rglob("*.tmp"))


def test_re_exporting_replaces_the_days_it_covers_and_leaves_the_rest(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    export_parquet(store, out)
    first = parquet_rows(out)
    export_parquet(store, out)  # the same again: nothing doubles
    assert parquet_rows(out) == first
    oldest = partition_file(out, "frankfurt", first[0][1])
    before = oldest.stat().st_mtime_ns
    # new probes late on the last day; then only the last day is exported again (since: its noon)
    today = midnight(datetime.now(UTC).replace(tzinfo=None))
    late = probes("frankfurt", today - timedelta(minutes=5), today)
    Store(store).write(late)
    done = export_parquet(store, out, since=today - timedelta(hours=12))
    assert done.since == today - timedelta(days=1)  # widened to the whole day
    after = parquet_rows(out)
    grown = {(r[0], r[1]): r[2] for r in after}
    was = {(r[0], r[1]): r[2] for r in first}
    last_day = (today - timedelta(days=1)).date()
    assert grown[("frankfurt", last_day)] == was[("frankfurt", last_day)] + len(late)
    assert {k: v for k, v in grown.items() if k[1] != last_day} == {k: v for k, v in was.items() if k[1] != last_day}
    assert all(r[2] == r[3] for r in after)  # still every row once
    assert oldest.stat().st_mtime_ns == before  # a day outside --since was not rewritten


def test_the_dashboard_reads_an_exported_folder_with_the_stores_numbers(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    export_parquet(store, out)
    lake = reader([out])
    assert isinstance(lake, CombinedStore)
    now = datetime.now(UTC).replace(tzinfo=None)
    f = queries.Filters(now - timedelta(days=7), now)
    columns = ["region", "valid", "good", "successful", "fast", "cost_usd"]
    from_store = queries.overview(Store(store), f, 2000)[columns]
    from_lake = queries.overview(lake, f, 2000)[columns]
    assert from_lake.round(9).equals(from_store.round(9))
    assert queries.probers(lake) == ["frankfurt", "office 2"]
    assert queries.tiers(lake) == ["standard"] and queries.alerts_firing(lake).empty
    one = f.__class__(f.since, f.until, probers=("office 2",))
    assert int(queries.overview(lake, one, 2000)["valid"].sum()) == 2 * 144


def test_the_command_shows_progress_and_refuses_what_it_cannot_read(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lake"
    assert main(["export", "--db", str(store), "--parquet", str(out), "--since", "2d"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("] prober=") == 3  # the last two days of frankfurt, the last of office 2
    assert "into 3 file(s) (prober x day)" in captured.out and "(whole days, UTC)" in captured.out
    for argv, expected in (
        (["--db", str(tmp_path / "gone.duckdb")], "gone.duckdb: no such file. Fix: pass the database"),
        (["--db", str(store), "--since", "soon"], "--since 'soon': write days or hours such as 7d"),
    ):
        assert main(["export", *argv, "--parquet", str(out)]) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
    foreign = tmp_path / "sales.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE sales (amount INTEGER)").close()
    assert main(["export", "--db", str(foreign), "--parquet", str(out)]) == 2
    assert "not an aoai-watch store" in capsys.readouterr().err
