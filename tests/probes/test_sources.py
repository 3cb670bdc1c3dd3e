"""Several probers' stores read as one (probes/sources.py), over real DuckDB files written by
`Store.write`: the dashboard's own queries see the sum of the stores, tables or columns a store
lacks add nothing, writes are refused, and a bad source is named with the fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from aoai_watch.app import queries
from aoai_watch.probes.sources import CombinedStore, ReadOnlyStore, SourceProblem, expand, problems, reader
from aoai_watch.probes.store import Store

from tests.app import probers_data


@pytest.fixture(scope="module")
def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, now: datetime) -> list[Path]:
    return probers_data.write(tmp_path_factory.mktemp("probers"), now)


def test_one_file_is_a_plain_store_and_several_a_combined_one(stores: list[Path]) -> None:
    assert type(reader(stores[:1])) is Store
    combined = reader(stores)
    assert isinstance(combined, CombinedStore) and combined.sources == tuple(stores)


def test_the_dashboards_queries_over_two_stores_count_both(stores: list[Path], now: datetime) -> None:
    combined = CombinedStore(stores)
    assert combined.count() == sum(Store(p).count() for p in stores) == 2 * 3 * probers_data.MINUTES
    f = queries.Filters(now - timedelta(days=1), now + timedelta(minutes=1))
    table = queries.overview(combined, f, 2000).set_index("region")
    for region in probers_data.REGIONS:
        assert (table.loc[region, "valid"], table.loc[region, "good"]) == probers_data.expected(None, region)
    assert queries.choices(combined) == (["eastus2", "failover", "swedencentral"], ["chat"])


def test_a_store_from_before_a_migration_adds_nulls_not_errors(
    tmp_path: Path, stores: list[Path], now: datetime
) -> None:
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))  # an aoai-watch store as migration 1 left it: no tier, no alert tables
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.execute(
        "CREATE TABLE probe_results (id VARCHAR PRIMARY KEY, ts TIMESTAMP NOT NULL, prober VARCHAR NOT NULL, "
        "region VARCHAR NOT NULL, deployment VARCHAR, kind VARCHAR NOT NULL, outcome VARCHAR NOT NULL, "
        "latency_ms DOUBLE, error VARCHAR)"
    )
    con.execute("INSERT INTO probe_results VALUES ('x', ?, 'old', 'westus3', 'gpt-4o', 'chat', 'ok', 250, NULL)", [now])
    con.close()
    combined = CombinedStore([*stores, old])
    f = queries.Filters(now - timedelta(days=1), now + timedelta(minutes=1), tiers=("standard",))
    table = queries.overview(combined, f, 2000).set_index("region")
    assert table.loc["westus3", "valid"] == 1  # no tier column there: read as standard, as for one old store
    assert queries.alerts_firing(combined).empty  # the alert tables exist in the others only


def test_writes_to_a_combined_view_are_refused_with_the_fix(stores: list[Path]) -> None:
    combined = CombinedStore(stores)
    for write in (
        lambda: combined.write([]),
        lambda: combined.write_tables({"alerts": []}),
        lambda: combined.prune(timedelta(days=1)),
    ):
        with pytest.raises(ReadOnlyStore, match=r"read as one \(read-only\).*Fix: run the command with that file"):
            write()
    assert [Store(p).count() for p in stores] == [3 * probers_data.MINUTES] * 2


def test_a_glob_expands_sorted_and_one_matching_nothing_is_named(stores: list[Path], tmp_path: Path) -> None:
    folder = stores[0].parent
    assert expand([str(folder / "*.duckdb")]) == sorted(p.resolve() for p in stores)
    with pytest.raises(SourceProblem, match=r"matches no file\. Fix: check the pattern"):
        expand([str(tmp_path / "nothing-*.duckdb")])


def test_each_bad_source_is_one_line_naming_it_and_the_fix(stores: list[Path], tmp_path: Path) -> None:
    missing, foreign, corrupt, empty_dir = (tmp_path / n for n in ("gone.duckdb", "other.duckdb", "bad.duckdb", "d"))
    duckdb.connect(str(foreign)).execute("CREATE TABLE sales (amount INTEGER)").close()
    corrupt.write_bytes(b"not a database\n" * 50)
    empty_dir.mkdir()
    found = problems([stores[0], missing, foreign, corrupt, empty_dir])
    assert len(found) == 4, found
    assert found[0].startswith(f"{missing}: no such file. Fix:")
    assert found[1].startswith(f"{foreign}: a DuckDB file, but not an aoai-watch store") and "Fix:" in found[1]
    assert "not a DuckDB database" in found[2] and "Fix:" in found[2]
    assert found[3].startswith(f"{empty_dir}: a folder without Parquet files. Fix:")
    assert problems([missing]) == []  # one store alone may not exist yet: the dashboard waits for probes


def test_a_store_removed_after_start_is_named(stores: list[Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(stores[1].read_bytes())
    combined = CombinedStore([stores[0], copy])
    assert combined.count() == 2 * 3 * probers_data.MINUTES
    copy.unlink()
    with pytest.raises(Exception, match=r"no longer exists\. Fix:"):
        combined.count()


def test_a_write_lock_held_by_another_process_is_waited_for_then_read(stores: list[Path]) -> None:
    import subprocess
    import sys

    # a writer in another process holding the file for a moment, as a probe cycle does
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(0.5)"
    writer = subprocess.Popen([sys.executable, "-c", hold, str(stores[1])], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        assert CombinedStore(stores, lock_bound_s=60).count() == 2 * 3 * probers_data.MINUTES
    finally:
        writer.wait(60)
