"""The dashboard's queries as plain functions over the prepared database (tests/app/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from aoai_watch.app import queries, spend, tables
from aoai_watch.probes.store import Store


def test_overview_has_both_regions_and_the_failover_composite(overview: pd.DataFrame) -> None:
    assert set(overview["region"]) == {"eastus2", "swedencentral", "failover"}


def test_fault_windows_hold_the_one_drill_fault_on_its_region(faults: pd.DataFrame) -> None:
    assert list(faults["region"]) == ["eastus2"]  # the prepared drill run has one fault


def test_rate_limits_are_the_429s_with_their_retry_after_and_recovery(limits: pd.DataFrame) -> None:
    assert len(limits) == 4 and (limits["retry_after_s"] == 10).all()
    assert limits["recovered_after_s"].notna().all() and (limits["recovered_after_s"] > 0).all()


def test_month_to_date_spend_is_positive_and_the_projection_not_below_it(
    store: Store, filters: queries.Filters, now: datetime
) -> None:
    month = spend.month(queries.spend(store, filters, now), now)  # three hours of data: past the minimum
    assert month.spent_usd > 0 and month.projected_usd is not None and month.projected_usd >= month.spent_usd


def test_model_changes_record_the_one_version_change(store: Store, filters: queries.Filters) -> None:
    assert len(tables.model_changes(queries.model_versions(store, filters))) == 1


def test_window_counts_hold_one_probe_a_minute(store: Store, filters: queries.Filters, now: datetime) -> None:
    counts = queries.window_counts(store, filters, now, [300, 3600])
    east = counts[counts["region"] == "eastus2"].iloc[0]
    assert 59 <= east["valid_3600"] <= 60 and 4 <= east["valid_300"] <= 6


def test_window_counts_honour_the_filters_and_count_what_the_range_counts(
    store: Store, filters: queries.Filters, now: datetime, overview: pd.DataFrame
) -> None:
    day = 24 * 3600  # as long as the range (the filters' 24 h)
    counts = queries.window_counts(store, filters, now, [300, day]).set_index("region")
    assert counts["valid_86400"].to_dict() == overview.set_index("region")["valid"].to_dict()
    only = queries.Filters(filters.since, filters.until, ("eastus2",), ("stream",))
    assert queries.window_counts(store, only, now, [300, day]).empty  # the prepared probes are all chat
    chat = queries.Filters(filters.since, filters.until, ("eastus2",), ("chat",))
    assert list(queries.window_counts(store, chat, now, [300, day])["region"]) == ["eastus2"]


def test_overview_names_each_regions_last_failure(overview: pd.DataFrame) -> None:
    east = overview.set_index("region").loc["eastus2"]
    assert east["last_bad_outcome"] in ("server_error", "rate_limited")
    assert east["last_bad_status"] in (503, 429) and east["last_bad_error"] == f"HTTP {east['last_bad_status']:.0f}"
    assert pd.isna(overview.set_index("region").loc["swedencentral", "last_bad_ts"])


def test_recent_probes_are_each_regions_newest_oldest_first(
    store: Store, filters: queries.Filters, now: datetime
) -> None:
    recent = queries.recent_probes(store, filters, now - timedelta(minutes=30), per_region=10)
    assert recent.groupby("region").size().to_dict() == {"eastus2": 10, "failover": 10, "swedencentral": 10}
    east = recent[recent["region"] == "eastus2"]["ts"]
    assert east.is_monotonic_increasing and east.iloc[-1] == now - timedelta(minutes=1)


def test_first_probe_is_the_databases_oldest(store: Store, now: datetime, tmp_path: Path) -> None:
    assert queries.first_probe(store) == now - timedelta(hours=3)
    assert queries.first_probe(Store(tmp_path / "empty.duckdb")) is None
