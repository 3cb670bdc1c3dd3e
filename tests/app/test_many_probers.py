"""The dashboard over two probers' stores read as one (AOAI_WATCH_DB carrying both paths), in
AppTest: every page renders, the Overview counts both, the prober filter (sidebar and URL
`probers=`) narrows every count and survives navigation, the split by prober agrees with the
regions table and names the region that fails from one prober only, and the pages that would
write say why they do not."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aoai_watch.app import look
from aoai_watch.app.slo_tables import availability_column
from aoai_watch.probes.config import SloTargets
from streamlit.testing.v1 import AppTest

from tests.app import probers_data
from tests.app.html_tables import tables
from tests.app.test_dashboard import APP, PAGES, shown

AVAILABILITY = availability_column(SloTargets())


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return probers_data.write(tmp_path_factory.mktemp("two-probers"), now)


def open_page(monkeypatch: pytest.MonkeyPatch, stores: list[Path], page: str = PAGES[0], **params: str) -> AppTest:
    monkeypatch.setenv("AOAI_WATCH_DB", os.pathsep.join(str(p) for p in stores))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"refresh": "0", **params})
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def regions_table(at: AppTest) -> dict[str, dict[str, str]]:
    return tables(at)["regions"].set_index("region").to_dict("index")


@pytest.mark.parametrize("page", [*PAGES, "views/alerts.py"])
def test_every_page_renders_over_two_stores(monkeypatch: pytest.MonkeyPatch, stores: list[Path], page: str) -> None:
    at = open_page(monkeypatch, stores, page)
    assert at.title and not at.error, [e.value for e in at.error]
    assert any("2 store(s) read as one (read-only)" in c.value for c in at.sidebar.caption)


def test_the_overview_counts_both_stores_and_offers_a_prober_filter(
    monkeypatch: pytest.MonkeyPatch, stores: list[Path]
) -> None:
    at = open_page(monkeypatch, stores)
    table = regions_table(at)
    for region in probers_data.REGIONS:
        valid, good = probers_data.expected(None, region)
        assert table[region]["probes"] == look.count(valid)
        assert table[region][AVAILABILITY] == look.percent(good / valid)
    probers = at.sidebar.multiselect(key="probers")
    assert probers.options == ["dublin", "frankfurt"] and probers.value == []
    assert shown(at, "probers") == ""  # in the URL like every filter, all probers by default


def test_the_url_prober_filter_narrows_every_count(monkeypatch: pytest.MonkeyPatch, stores: list[Path]) -> None:
    at = open_page(monkeypatch, stores, probers="frankfurt")
    assert at.sidebar.multiselect(key="probers").value == ["frankfurt"]
    table = regions_table(at)
    valid, good = probers_data.expected("frankfurt", "eastus2")
    assert table["eastus2"]["probes"] == look.count(valid)
    assert table["eastus2"][AVAILABILITY] == look.percent(good / valid)
    assert "By prober" not in [s.value for s in at.subheader]  # one prober shown: nothing to split
    alerts = tables(at)["burn-rate-alerts"]  # the burn-rate table counts the same probes
    assert set(alerts[alerts["region"] == "eastus2"]["long probes"]) >= {look.count(valid)}


def test_choosing_a_prober_in_the_sidebar_survives_navigation(
    monkeypatch: pytest.MonkeyPatch, stores: list[Path]
) -> None:
    at = open_page(monkeypatch, stores)
    at.sidebar.multiselect(key="probers").select("dublin").run()
    assert shown(at, "probers") == "dublin"
    assert regions_table(at)["eastus2"][AVAILABILITY] == look.percent(1.0)  # from Dublin it never failed
    at.switch_page("views/errors.py").run()
    assert not at.exception
    assert at.sidebar.multiselect(key="probers").value == ["dublin"] and shown(at, "probers") == "dublin"


def test_the_split_by_prober_agrees_with_the_regions_table_and_names_the_one_path(
    monkeypatch: pytest.MonkeyPatch, stores: list[Path]
) -> None:
    at = open_page(monkeypatch, stores)
    assert "By prober" in [s.value for s in at.subheader]
    split = tables(at)["by-prober"]
    assert list(split.columns[:2]) == ["region", "prober"]
    assert list(split["region"]) == ["failover", "failover", "eastus2", "eastus2", "swedencentral", "swedencentral"]
    table = regions_table(at)
    for region in probers_data.REGIONS:  # each region's probers sum to its row: the same probes, split
        rows = split[split["region"] == region]
        assert sum(int(p.replace(",", "")) for p in rows["probes"]) == int(table[region]["probes"].replace(",", ""))
        for _, row in rows.iterrows():
            valid, good = probers_data.expected(row["prober"], region)
            assert row[AVAILABILITY] == look.percent(good / valid) and row["probes"] == look.count(valid)
    east = split[split["region"] == "eastus2"].set_index("prober")
    assert east.loc["frankfurt", "SLOs"].startswith("missed: availability") and east.loc["dublin", "SLOs"] == "met"
    assert east.loc["frankfurt", "last failure"].startswith("connect_error at ")
    assert [w.value for w in at.warning] == [
        "eastus2 misses availability only from frankfurt (met from dublin): a network path from there, not Azure"
    ]


def test_one_store_shows_no_prober_filter_and_no_split(monkeypatch: pytest.MonkeyPatch, stores: list[Path]) -> None:
    at = open_page(monkeypatch, stores[:1], probers="dublin")
    assert "probers" not in [w.key for w in at.sidebar.multiselect]
    assert "By prober" not in [s.value for s in at.subheader]
    assert any("URL parameter `probers`" in w.value for w in at.warning)  # named, and everything shown
    assert "probers" not in at.query_params


def test_the_pages_that_would_write_say_why_not(monkeypatch: pytest.MonkeyPatch, stores: list[Path]) -> None:
    alerts = open_page(monkeypatch, stores, "views/alerts.py")
    assert any("never into a combined view" in i.value and "--db ONE.duckdb" in i.value for i in alerts.info)
    monitor = open_page(monkeypatch, stores, "views/monitor.py")
    assert any("Imports go to one store" in c.value for c in monitor.caption)


def test_the_dashboard_over_a_parquet_export_shows_what_the_stores_show(
    monkeypatch: pytest.MonkeyPatch, stores: list[Path], tmp_path: Path
) -> None:
    from aoai_watch.probes.export import export_parquet

    lake = tmp_path / "lake"
    for path in stores:  # each prober exports into the one folder, as into a shared bucket
        export_parquet(path, lake)
    over_stores = open_page(monkeypatch, stores)
    over_lake = open_page(monkeypatch, [lake])
    lake_tables, store_tables = tables(over_lake), tables(over_stores)
    assert lake_tables["regions"].equals(store_tables["regions"])
    assert lake_tables["by-prober"].equals(store_tables["by-prober"])
    assert over_lake.sidebar.multiselect(key="probers").options == ["dublin", "frankfurt"]
    assert not over_lake.error


def test_links_carry_the_prober_filter(monkeypatch: pytest.MonkeyPatch, stores: list[Path]) -> None:
    from urllib.parse import parse_qs

    at = open_page(monkeypatch, stores, probers="frankfurt")
    queries = [parse_qs(link.proto.query_string) for link in at.page_link]
    assert queries and all(q.get("probers") == ["frankfurt"] for q in queries)  # a card's link to its errors


@pytest.mark.parametrize("page", [*PAGES, "views/alerts.py"])
def test_every_page_renders_over_a_parquet_export(
    monkeypatch: pytest.MonkeyPatch, stores: list[Path], tmp_path: Path, page: str
) -> None:
    from aoai_watch.probes.export import export_parquet

    lake = tmp_path / "lake"
    export_parquet(stores[0], lake)  # probes only: the pages over other tables explain they have none
    at = open_page(monkeypatch, [lake], page)
    assert at.title and not at.error, [e.value for e in at.error]
