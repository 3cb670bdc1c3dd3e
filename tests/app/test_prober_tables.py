"""app.slo_tables' split by prober as plain functions over hand-built frames: rows in the one
region order, numbers written for people, and a notice only where some probers miss an objective
and others meet it."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from aoai_watch.app.slo_tables import availability_column, latency_column, prober_notes, prober_table
from aoai_watch.probes.config import SloTargets

SLO = SloTargets()
T0 = datetime(2026, 12, 1, 12, 0, 0)


def row(region: str, prober: str, valid: int, good: int, fast: int | None = None) -> dict[str, object]:
    bad = valid - good
    return {
        "region": region,
        "prober": prober,
        "valid": valid,
        "good": good,
        "successful": good,
        "fast": good if fast is None else fast,
        "last_bad_ts": T0 if bad else pd.NaT,
        "last_bad_outcome": "connect_error" if bad else None,
    }


SPLIT = pd.DataFrame(
    [
        row("eastus2", "dublin", 1000, 1000),
        row("eastus2", "frankfurt", 1000, 900),
        row("failover", "dublin", 1000, 1000),
        row("failover", "frankfurt", 1000, 1000),
        row("swedencentral", "dublin", 1000, 1000, fast=900),  # slow from Dublin only
        row("swedencentral", "frankfurt", 1000, 1000),
    ]
)


def test_rows_follow_the_region_order_and_read_for_people() -> None:
    table = prober_table(SPLIT, ["failover", "eastus2", "swedencentral"], SLO)
    assert list(table["region"]) == ["failover", "failover", "eastus2", "eastus2", "swedencentral", "swedencentral"]
    east = table[table["region"] == "eastus2"].set_index("prober")
    assert east.loc["frankfurt", availability_column(SLO)] == "90.00%"
    assert east.loc["frankfurt", "SLOs"] == "missed: availability" and east.loc["dublin", "SLOs"] == "met"
    assert (east.loc["frankfurt", "probes"], east.loc["frankfurt", "failed"]) == ("1,000", "100")
    assert (
        east.loc["frankfurt", "last failure"].startswith("connect_error at ")
        and east.loc["dublin", "last failure"] == ""
    )
    sweden = table[table["region"] == "swedencentral"].set_index("prober")
    assert sweden.loc["dublin", latency_column(SLO)] == "90.00%" and sweden.loc["dublin", "SLOs"] == "missed: latency"


def test_a_notice_names_only_the_regions_that_fail_from_some_probers() -> None:
    assert prober_notes(SPLIT, ["failover", "eastus2", "swedencentral"], SLO) == [
        "eastus2 misses availability only from frankfurt (met from dublin): a network path from there, not Azure",
        "swedencentral misses latency only from dublin (met from frankfurt): a network path from there, not Azure",
    ]
    everywhere = pd.DataFrame([row("eastus2", "dublin", 1000, 900), row("eastus2", "frankfurt", 1000, 900)])
    assert prober_notes(everywhere, ["eastus2"], SLO) == []  # failing from everywhere: Azure, not a path
