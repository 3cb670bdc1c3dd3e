"""app.slo_tables: the Overview's region and alert tables as plain functions over hand-built frames."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from aoai_watch.app import slo
from aoai_watch.app.slo_tables import alert_table, fast_column, region_table
from aoai_watch.probes.config import SloTargets

T0 = datetime(2026, 12, 1, 12, 0, 0)


def overview_row(region: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "region": region,
        "valid": 1000,
        "good": 999,
        "successful": 990,
        "fast": 980,
        "first_ts": T0,
        "last_ts": T0 + timedelta(hours=12),
        "last_outcome": "ok",
        "last_bad_ts": T0 + timedelta(hours=1),
        "last_good_ts": T0 + timedelta(hours=12),
        "cost_usd": 0.5,
    }
    row.update(values)
    return row


def test_region_table_states_ratios_budget_and_coverage() -> None:
    frame = pd.DataFrame(
        [
            overview_row("failover"),
            overview_row("eastus2", good=990, last_outcome="server_error", last_good_ts=T0 + timedelta(hours=11)),
        ]
    )
    table = region_table(frame, timedelta(days=1), SloTargets()).set_index("region")
    assert list(table.index) == ["failover", "eastus2"]  # the query's order is kept
    assert table.loc["failover", "state"] == "up since 13:00:00"  # since the last bad probe
    assert table.loc["eastus2", "state"] == "DOWN since 23:00:00"  # since the last good one
    assert table.loc["failover", "availability"] == pytest.approx(0.999)
    assert table.loc["failover", "budget left"] == pytest.approx(0.0)  # 1 bad of an allowed 1
    assert table.loc["eastus2", "budget left"] == pytest.approx(-9.0)  # 10 bad of an allowed 1
    assert table.loc["failover", fast_column(SloTargets())] == pytest.approx(980 / 990)
    assert table.loc["failover", "window with data"] == pytest.approx(0.5)  # 12 h of a 24 h range


def test_a_good_last_outcome_that_is_not_ok_is_still_up() -> None:
    frame = pd.DataFrame([overview_row("eastus2", last_outcome="not_found", last_bad_ts=pd.NaT)])
    assert region_table(frame, timedelta(days=1), SloTargets())["state"].tolist() == ["up"]


def test_fast_column_names_the_threshold() -> None:
    assert fast_column(SloTargets(latency_threshold_s=2.0)) == "under 2 s"
    assert fast_column(SloTargets(latency_threshold_s=1.5)) == "under 1.5 s"


def test_alert_table_fires_only_where_both_windows_burn() -> None:
    windows = slo.windows()
    counts = {"region": "eastus2"}
    for w in windows:
        counts[f"valid_{w}"] = 60
        counts[f"good_{w}"] = 60
    counts["good_300"] = 55  # 5 of 60 bad in the last 5 minutes
    counts["good_3600"] = 55  # and the same 5 in the hour
    table = alert_table(pd.DataFrame([counts]), 0.999)
    assert len(table) == len(slo.ALERT_ROWS)
    fast = table[table["windows"] == "1h / 5m"].iloc[0]
    assert fast["firing"] == "FIRING" and fast["samples"] == "60 / 60" and fast["severity"] == "page"
    assert fast["long burn"] == pytest.approx((5 / 60) / 0.001)
    assert (table[table["windows"] != "1h / 5m"]["firing"] == "ok").all()


def test_alert_table_of_no_counts_is_empty() -> None:
    assert alert_table(pd.DataFrame(columns=["region"]), 0.999).empty
