"""app/controls.py's pure parts: the range a page opens at, the status history's cell, and the
filters read from the URL and the session, with a notice for each bad URL value. (The pages
themselves: test_dashboard.py; in a browser: test_browser_overview.py.)"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from aoai_watch.app import controls

REGIONS, KINDS = ["failover", "eastus2", "swedencentral"], ["chat", "failover", "stream"]


@pytest.mark.parametrize(
    ("covered", "key"),
    [
        (timedelta(minutes=4), "1h"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=3), "6h"),
        (timedelta(hours=20), "24h"),
        (timedelta(days=3), "24h"),  # more than the default: the default
        (None, "24h"),
    ],
)
def test_a_page_opens_at_the_smallest_range_that_covers_the_data(covered: timedelta | None, key: str) -> None:
    assert controls.fitted_range(covered) == key


def test_range_covering_reaches_back_far_enough() -> None:
    assert controls.range_covering(timedelta(minutes=3)) == "1h"
    assert controls.range_covering(timedelta(hours=7)) == "24h"
    assert controls.range_covering(timedelta(days=90)) == "30d"


@pytest.mark.parametrize(
    ("span", "largest"),
    [
        (timedelta(minutes=4), "1 minute"),
        (timedelta(hours=3), "15 minutes"),
        (timedelta(hours=24), "15 minutes"),
        (timedelta(days=2), "1 hour"),
        (timedelta(days=30), "6 hours"),
    ],
)
def test_the_status_history_has_at_least_thirty_cells_across_the_data(span: timedelta, largest: str) -> None:
    bucket = pd.Timedelta(controls.cells_bucket(span, largest))
    assert span / bucket >= controls.MIN_CELLS and bucket <= pd.Timedelta(largest)


def test_cells_never_grow_past_the_ranges_own_bucket() -> None:
    assert controls.cells_bucket(timedelta(days=30), "6 hours") == "6 hours"  # 120 cells, not 30 of a day
    assert controls.cells_bucket(timedelta(seconds=20), "1 minute") == "5 seconds"  # the smallest there is


def read(url: dict[str, str], saved: dict[str, str] | None = None) -> tuple[dict[str, object], list[str]]:
    return controls.read_filters(url, saved or {}, REGIONS, KINDS, "1h")


def test_filters_come_from_the_url_then_the_session_then_the_defaults() -> None:
    assert read({}) == ({"range": "1h", "regions": [], "kinds": [], "tiers": [], "probers": [], "refresh": True}, [])
    saved = {"range": "7d", "regions": "eastus2", "kinds": "chat", "refresh": "0"}
    assert read({}, saved)[0] == {
        "range": "7d",
        "regions": ["eastus2"],
        "kinds": ["chat"],
        "tiers": [],
        "probers": [],
        "refresh": False,
    }
    url = {"range": "6h", "regions": "swedencentral,eastus2", "kinds": ""}
    assert read(url, saved)[0] == {
        "range": "6h",
        "regions": ["swedencentral", "eastus2"],
        "kinds": [],  # the URL's empty choice (all kinds) wins over the session's
        "tiers": [],
        "probers": [],
        "refresh": False,  # the URL does not name it: the session's
    }


def test_a_bad_range_is_named_with_the_range_shown_instead() -> None:
    values, notices = read({"range": "bogus"})
    assert values["range"] == "1h"
    assert notices == ["URL parameter `range=bogus` is not a time range (1h, 6h, 24h, 7d, 30d): showing 1h."]


def test_unknown_regions_and_kinds_are_named_and_the_known_ones_kept() -> None:
    values, notices = read({"regions": "eastus2,nowhere", "kinds": "telepathy"})
    assert values["regions"] == ["eastus2"] and values["kinds"] == []
    assert notices == [
        "URL parameter `regions`: no probes of regions `nowhere` in this database: showing eastus2.",
        "URL parameter `kinds`: no probes of kinds `telepathy` in this database: showing all kinds.",
    ]


def test_a_bad_refresh_is_named_and_a_notice_cannot_carry_markdown() -> None:
    _, notices = read({"refresh": "yes", "range": "`[x](https://evil.example)`\nmore"})
    assert notices[0].startswith("URL parameter `range='[x](https://evil.example)'` is not")  # one line, in code
    assert notices[1] == "URL parameter `refresh=yes` is not 0 or 1: auto-refresh is on."


def test_a_views_key_names_every_field_of_its_context(tmp_path: object) -> None:
    """cached.view remembers a page by `Context.key`: a field left out of it would let two views
    share one page's HTML."""
    import dataclasses
    from datetime import datetime
    from pathlib import Path

    from aoai_watch.app import queries
    from aoai_watch.probes.config import SloTargets
    from aoai_watch.probes.store import Store

    now = datetime(2026, 12, 1, 12, 0)
    ctx = controls.Context(
        Store(Path(str(tmp_path)) / "k.duckdb"), queries.Filters(now - timedelta(hours=1), now), SloTargets(), now, "1h"
    )
    assert len(ctx.key) == len(dataclasses.fields(controls.Context))
    hash(ctx.key)  # hashable, as a cache key must be
    for change in ({"range_key": "6h"}, {"now": now + timedelta(seconds=15)}, {"probers": ("dublin",)}):
        assert dataclasses.replace(ctx, **change).key != ctx.key, change  # type: ignore[arg-type]
