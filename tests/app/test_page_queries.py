"""The reads of every page but the Overview, and the arithmetic over them, on the two databases
people open (tests/app/page_data.py) and on real probes over the simulator: numbers shown twice
agree, provisional buckets are not judged, and a model change is a change only when a deployment
answers another version."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from aoai_watch.app import agreement, queries, spend, tables
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover.outcomes import SUCCESSFUL
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.runner import run_cycle
from aoai_watch.probes.store import Store

from tests.app import page_data
from tests.conftest import KEY
from tests.probes.conftest import write_config

NOW = datetime(2026, 11, 25, 10, 4, 30)


@pytest.fixture(scope="module")
def minutes(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("minutes") / "minutes.duckdb"
    page_data.minutes(path, NOW)
    return Store(path)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("month") / "month.duckdb"
    page_data.month(path, NOW)
    return Store(path)


def last(days: float = 0, hours: float = 0, **filters: tuple[str, ...]) -> queries.Filters:
    return queries.Filters(NOW - timedelta(days=days, hours=hours), NOW + timedelta(minutes=1), **filters)


@pytest.mark.parametrize("range_days", [1, 30])
@pytest.mark.parametrize("db", ["minutes", "month"])
def test_the_spend_headline_is_the_tables_sum_and_the_databases(
    request: pytest.FixtureRequest, db: str, range_days: int
) -> None:
    store: Store = request.getfixturevalue(db)
    f = last(days=range_days)
    rows = queries.spend(store, f, NOW)
    by_day = spend.by_day(rows)
    total = spend.total_usd(rows)
    assert total == pytest.approx(by_day["cost_usd"].sum(), rel=1e-12) and total > 0
    shown = tables.spend_by_day(by_day, total)
    assert shown["cost"].iloc[-1] == tables.look.usd(total) and shown["day (UTC)"].iloc[-1] == "total"
    tokens = spend.tokens_by_kind(rows)
    assert (tokens["prompt_tokens"] + tokens["completion_tokens"]).sum() == by_day["tokens"].sum()
    _, ((in_db,),) = store.query("SELECT sum(cost_usd) FROM probe_results WHERE ts >= ? AND ts < ?", [f.since, f.until])
    assert total == pytest.approx(in_db, rel=1e-9)


def test_every_spend_number_honours_the_kind_filter(month: Store) -> None:
    chat = queries.spend(month, last(days=30, kinds=("chat",)), NOW)
    assert set(chat["kind"]) == {"chat"}
    _, ((in_db,),) = month.query(
        "SELECT sum(cost_usd) FROM probe_results WHERE kind = 'chat' AND ts >= ?", [NOW - timedelta(days=30)]
    )
    assert spend.total_usd(chat) == pytest.approx(in_db, rel=1e-9)
    first = NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    _, ((in_month,),) = month.query(
        "SELECT sum(cost_usd) FROM probe_results WHERE kind = 'chat' AND ts >= ? AND ts < ?",
        [first, NOW + timedelta(minutes=1)],
    )
    assert spend.month(chat, NOW).spent_usd == pytest.approx(in_month, rel=1e-9)


def test_a_projection_needs_an_hour_of_data_and_says_what_it_is_based_on(minutes: Store, month: Store) -> None:
    few = spend.month(queries.spend(minutes, last(days=1), NOW), NOW)
    assert few.projected_usd is None and few.spent_usd > 0 and 0 < few.data_hours < spend.MIN_PROJECTION_HOURS
    full = spend.month(queries.spend(month, last(days=1), NOW), NOW)  # the month began before the range
    assert full.first == NOW.replace(day=1, hour=0, minute=0, second=0)
    assert full.data_hours == pytest.approx((NOW - full.first).total_seconds() / 3600)
    assert full.projected_usd == pytest.approx(full.spent_usd / full.data_hours * 24 * 30, rel=1e-6)  # November


def test_the_bucket_azure_has_not_counted_yet_is_provisional_not_a_disagreement(minutes: Store) -> None:
    overlay = agreement.with_rates(queries.monitor_overlay(minutes, last(hours=1), "1 minute"))
    current = overlay[overlay["bucket"] == overlay["bucket"].max()].iloc[0]
    # probes got answers in the current minute; Azure has counted none of them yet
    assert current["probes_answered"] > 0 and current["az_points"] == 0 and not current["settled"]
    assert agreement.disagreements(overlay).empty
    older = overlay[overlay["bucket"] <= overlay["bucket"].min() + timedelta(minutes=1)]
    assert older["settled"].all()  # what Azure settled is judged


def test_a_settled_bucket_azure_counted_nothing_for_is_still_judged(tmp_path: Path) -> None:
    """Past the settled horizon an absence is real: probes answered, Azure counted no request."""
    path = tmp_path / "gap.duckdb"
    page_data.minutes(path, NOW, length=timedelta(minutes=8))
    gap = (NOW - timedelta(minutes=6)).replace(second=0)
    with duckdb.connect(str(path)) as con:  # Azure's points for one settled minute are missing
        con.execute("DELETE FROM monitor_metrics WHERE ts = ?", [gap])
    overlay = queries.monitor_overlay(Store(path), last(hours=1), "1 minute")
    flags = agreement.disagreements(agreement.with_rates(overlay))
    assert sorted(zip(flags["region"], flags["bucket"], flags["disagreement"], strict=True)) == [
        (region, pd.Timestamp(gap), "probes missing from Azure") for region in ("eastus2", "swedencentral")
    ]


def test_a_demo_with_every_probe_kind_has_no_model_change(minutes: Store) -> None:
    runs = queries.model_versions(minutes, last(days=1))
    assert set(zip(runs["region"], runs["deployment"], strict=True)) == {
        ("eastus2", "gpt-4o"),
        ("swedencentral", "gpt-4o"),
    }
    assert tables.model_changes(runs).empty and runs["previous_version"].isna().all()


def test_old_realtime_rows_naming_the_deployment_are_no_change(tmp_path: Path) -> None:
    """A database from before the realtime probe read session.model: realtime rows say `gpt-4o`."""
    path = tmp_path / "old.duckdb"
    page_data.minutes(path, NOW)
    Store(path).write(
        [
            ProbeResult("eastus2", "gpt-4o", "realtime", ts=NOW - timedelta(seconds=s), model_version="gpt-4o")
            for s in range(3, 200, 5)
        ]
    )
    assert tables.model_changes(queries.model_versions(Store(path), last(days=1))).empty


def test_thirty_days_hold_exactly_the_one_model_update(month: Store) -> None:
    changes = tables.model_changes(queries.model_versions(month, last(days=30)))
    assert list(zip(changes["region"], changes["from"], changes["to"], strict=True)) == [
        ("swedencentral", page_data.VERSION, page_data.NEW_VERSION)
    ]
    assert tables.model_changes(queries.model_versions(month, last(days=1))).empty  # long before this range


def test_a_change_in_the_first_minute_of_the_range_is_a_change(month: Store) -> None:
    start = NOW.replace(second=0) - timedelta(days=30) + timedelta(days=page_data.CHANGE_DAY)
    f = queries.Filters(start, start + timedelta(hours=1))
    (change,) = tables.model_changes(queries.model_versions(month, f)).itertuples(index=False)
    assert change.to == page_data.NEW_VERSION  # the version before the range came from before it


def test_model_versions_honour_the_kind_filter(month: Store) -> None:
    runs = queries.model_versions(month, last(days=30, kinds=("embeddings",)))
    assert runs.empty  # embeddings report the model's name, which is the deployment's: no version


def test_real_probes_of_every_kind_change_nothing_until_the_model_is_updated(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    """All kinds, through the real probe runner over the simulator's sockets: no change in steady
    cycles; one `model_version` fault on eastus2 is exactly one change, seen by every kind."""
    env = {"PROBE_KEY": KEY}  # the key tests/conftest.py's simulator accepts
    config = write_config(sim, tmp_path)
    store = Store(config.database)
    for _ in range(2):
        results = run_cycle(config, environ=env)
        assert {r.outcome for r in results} <= set(SUCCESSFUL), [r.error for r in results if r.error]
        store.write(results)
    f = queries.Filters(datetime(2000, 1, 1), datetime(2100, 1, 1))
    runs = queries.model_versions(store, f)
    assert len(runs) == 2 and tables.model_changes(runs).empty  # one run per region's gpt-4o, every kind in it
    sim.add_fault("model_version", "eastus2", {"version": "gpt-4o-2024-11-20"})
    results = run_cycle(config, environ=env)
    store.write(results)
    seen = {r.kind: r.model_version for r in results if r.region == "eastus2"}
    assert seen["realtime"] == seen["chat"] == seen["stream"] == "gpt-4o-2024-11-20"  # session.model, updated
    changes = tables.model_changes(queries.model_versions(store, f))
    assert list(zip(changes["region"], changes["from"], changes["to"], strict=True)) == [
        ("eastus2", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20")
    ]
