"""app.slo_tables: the Overview's region and alert tables as plain functions over hand-built
frames, written for people (app/look.py) and in the one region order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from aoai_watch.app.slo_tables import (
    alert_table,
    availability_column,
    fast_column,
    latency_column,
    region_table,
    styled,
)
from aoai_watch.app.states import RegionState
from aoai_watch.probes import slo
from aoai_watch.probes.config import SloTargets

T0 = datetime(2026, 12, 1, 12, 0, 0)
SLO = SloTargets()


def overview_row(region: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "region": region,
        "valid": 1000,
        "good": 999,
        "successful": 990,
        "fast": 985,
        "first_ts": T0,
        "last_ts": T0 + timedelta(hours=12),
        "cost_usd": 0.13616680000001224,
    }
    row.update(values)
    return row


def state(region: str, word: str = "up") -> RegionState:
    return RegionState(region, word, T0, False, "no failure in this range", "")


def test_region_table_is_written_for_people_in_the_states_order() -> None:
    frame = pd.DataFrame(
        [overview_row("eastus2", good=865, fast=871, successful=990), overview_row("failover")]  # query order
    )
    states = [state("failover"), state("eastus2", "down"), state("westus3", "no data")]
    table = region_table(frame, states, timedelta(days=1), SLO).set_index("region")
    assert list(table.index) == ["failover", "eastus2", "westus3"]  # the states' order, not the query's
    assert table.loc["failover", "state"] == "up" and table.loc["eastus2", "state"] == "down"
    assert table.loc["failover", availability_column(SLO)] == "99.90%"
    assert table.loc["failover", "budget left"] == "0.0%"  # 1 bad of an allowed 1
    assert table.loc["eastus2", "budget left"] == "overspent 135x"  # 135 bad of an allowed 1: no -13,400%
    assert table.loc["eastus2", latency_column(SLO)] == "87.97%"  # 87.979...%, cut to two decimals
    assert table.loc["eastus2", "SLOs"] == "missed: availability, latency"
    assert table.loc["failover", "SLOs"] == "met"  # 99.9% available, 985 of 990 (99.49%) under 2 s
    assert table.loc["failover", "probes"] == "1,000" and table.loc["failover", "cost"] == "$0.14"
    assert table.loc["failover", "data covers"] == "50%"  # 12 h of a 24 h range
    assert (table.loc["westus3"].drop("state") == "").all()  # no probes: empty cells, never `None`


def test_column_names_carry_their_targets() -> None:
    assert availability_column(SLO) == "availability (99.9%)"
    assert latency_column(SloTargets(latency_threshold_s=1.5, latency_target=0.95)) == "under 1.5 s (95.0%)"


def test_fast_column_names_the_threshold() -> None:
    assert fast_column(SloTargets(latency_threshold_s=2.0)) == "under 2 s"
    assert fast_column(SloTargets(latency_threshold_s=1.5)) == "under 1.5 s"


def counts(region: str, good_300: int = 60, good_3600: int = 60) -> dict[str, object]:
    row: dict[str, object] = {"region": region}
    for w in slo.windows():
        row[f"valid_{w}"] = 60
        row[f"good_{w}"] = 60
    row["good_300"], row["good_3600"] = good_300, good_3600
    return row


def test_alert_table_fires_only_where_both_windows_burn_with_rates_for_people() -> None:
    table = alert_table(pd.DataFrame([counts("eastus2", 55, 55)]), 0.999)  # 5 of 60 bad in both
    assert len(table) == len(slo.ALERT_ROWS)
    assert list(table["windows"]) == ["1h / 5m", "6h / 30m", "24h / 2h", "3d / 6h"]
    fast = table.iloc[0]
    assert fast["firing"] == "FIRING" and fast["severity"] == "page" and fast["threshold"] == "14.4x"
    assert (fast["long burn"], fast["long probes"], fast["short burn"], fast["short probes"]) == (
        "83.3x",
        "60",
        "83.3x",
        "60",
    )
    assert (table.iloc[1:]["firing"] == "ok").all()


def test_alert_table_marks_the_rows_the_guard_holds_back() -> None:
    # one failure in the last 5 minutes: the fast row burns 16.7x / 200x but holds 1 bad probe of 3
    table = alert_table(pd.DataFrame([counts("eastus2", 59, 59)]), 0.999)
    assert table.iloc[0]["firing"] == "held back (1 of 3 bad)"
    assert alert_table(pd.DataFrame([counts("eastus2", 59, 59)]), 0.999, min_bad_events=1).iloc[0]["firing"] == "FIRING"
    html = styled(table).to_html()
    assert "color: #d62728" not in html  # held back is not the firing colour


def test_alert_table_follows_the_one_region_order() -> None:
    frame = pd.DataFrame([counts("eastus2"), counts("failover"), counts("swedencentral")])
    table = alert_table(frame, 0.999, ["failover", "swedencentral", "eastus2"])
    assert list(dict.fromkeys(table["region"])) == ["failover", "swedencentral", "eastus2"]


def test_alert_table_of_no_counts_is_empty() -> None:
    assert alert_table(pd.DataFrame(columns=["region"]), 0.999).empty


def test_styled_tables_colour_states_misses_and_firing_rows() -> None:
    frame = pd.DataFrame([overview_row("eastus2", good=865)])
    html = styled(region_table(frame, [state("eastus2", "down")], timedelta(days=1), SLO), SLO).to_html()
    assert "background-color: #d62728" in html  # the down state's colour
    alerts = styled(alert_table(pd.DataFrame([counts("eastus2", 55, 55)]), 0.999)).to_html()
    assert alerts.count("color: #d62728") == 1  # the one firing row
