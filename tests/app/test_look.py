"""app/look.py: one region order, stable colours, numbers for people."""

from __future__ import annotations

import math

from aoai_watch.app import look


def test_the_composite_comes_first_then_priority_then_name() -> None:
    regions = ["westus3", "swedencentral", "failover", "eastus2", "aaa"]
    assert look.region_order(regions, {"eastus2": 1, "swedencentral": 2}) == [
        "failover",
        "eastus2",
        "swedencentral",
        "aaa",
        "westus3",
    ]
    assert look.region_order(regions)[0] == "failover"


def test_a_regions_colour_depends_only_on_its_name() -> None:
    one = look.region_colours(["eastus2", "swedencentral", "norwayeast"])
    other = look.region_colours(["norwayeast", "failover", "eastus2"])
    assert one["eastus2"] == other["eastus2"] and one["norwayeast"] == other["norwayeast"]
    assert other["failover"] == look.COMPOSITE_COLOUR
    assert len(set(one.values())) == 3


def test_numbers_read_as_people_write_them() -> None:
    assert look.ms(3571.7167) == "3,572 ms"
    assert look.percent(0.8786) == "87.86%"
    # cut, never rounded up: a missed 99.9% target never reads as met, one failure never as 100%
    assert look.percent(0.99899) == "99.89%" and look.percent(0.999999) == "99.99%" and look.percent(1.0) == "100.00%"
    assert look.percent(0.9988) == "99.88%" and look.percent(0.999, 1) == "99.9%"
    assert look.burn(135.71234) == "135.7x"
    assert look.budget_left(0.25) == "75.0%"
    assert look.budget_left(135.7143) == "overspent 136x"
    assert look.budget_left(1.5) == "overspent 1.5x"
    assert look.usd(0.13616680000001224) == "$0.14"
    assert look.usd(0.0008237123) == "$0.0008237"
    assert look.usd(0) == "$0.00"
    assert look.count(12345.0) == "12,345"


def test_missing_values_are_empty_cells() -> None:
    for fmt in (look.ms, look.percent, look.burn, look.budget_left, look.usd, look.count):
        assert fmt(None) == "" and fmt(math.nan) == ""


def test_times_spans_and_server_text_read_short() -> None:
    from datetime import datetime

    import pandas as pd

    at = datetime(2026, 12, 1, 14, 3, 5)
    assert look.utc_time(at) == "14:03:05 UTC" and look.utc_time(at, with_date=True) == "2026-12-01 14:03 UTC"
    assert look.utc_time(None) == "" and look.utc_time(pd.NaT) == ""
    assert [look.span(s) for s in (45, 240, 3 * 3600 + 1800, 12 * 3600, 30 * 86400)] == [
        "45 s",
        "4 min",
        "3.5 h",
        "12 h",
        "30 days",
    ]
    assert look.short_text("first line\nsecond") == "first line"
    assert look.short_text("y" * 100, 20) == "y" * 17 + "..."
    assert look.short_text(None) == ""


def test_measured_values_seconds_and_times_read_as_people_write_them() -> None:
    import pandas as pd

    assert look.number(0.13616680000001224) == "0.1362" and look.number(3571.7167) == "3,572"
    assert look.number(1.0) == "1" and look.number(0.0985623) == "0.09856"
    assert look.seconds(7.06) == "7.1 s"
    assert look.utc(pd.Timestamp("2026-12-02 04:47:12.328944")) == "2026-12-02 04:47:12"
    for fmt in (look.number, look.seconds, look.utc):
        assert fmt(None) == "" and fmt(math.nan) == ""
    assert look.utc(pd.NaT) == ""
