"""The dashboard's queries as plain functions over the prepared database (tests/app/conftest.py)."""

from __future__ import annotations

from datetime import datetime

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


def test_window_counts_hold_one_probe_a_minute(store: Store, now: datetime) -> None:
    counts = queries.window_counts(store, now, [300, 3600])
    east = counts[counts["region"] == "eastus2"].iloc[0]
    assert 59 <= east["valid_3600"] <= 60 and 4 <= east["valid_300"] <= 6
