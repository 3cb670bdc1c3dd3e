"""Every dashboard page in AppTest, with data (the prepared database of tests/app/conftest.py) and
with an empty database. Queries and figures as plain functions: test_queries.py, test_figures.py."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
from aoai_watch.app import look
from aoai_watch.app.slo_tables import availability_column
from aoai_watch.failover.outcomes import GOOD, sql_list
from aoai_watch.probes.config import SloTargets
from aoai_watch.probes.store import Store
from streamlit.testing.v1 import AppTest

from tests.app import overview_data
from tests.app.dashboard_data import prepare
from tests.app.html_tables import tables

APP = str(Path(__file__).parents[2] / "app" / "dashboard.py")
PAGES = [
    "views/overview.py",
    "views/latency.py",
    "views/errors.py",
    "views/cost.py",
    "views/drills.py",
    "views/models.py",
    "views/monitor.py",
]


def run_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["refresh"] = "0"
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_data(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> None:
    at = run_page(monkeypatch, db, page)
    assert at.title and not at.info, [i.value for i in at.info]


def test_drills_page_shows_the_stored_run_its_expectations_and_its_timeline(
    monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    at = run_page(monkeypatch, db, "views/drills.py")
    assert at.title[0].value == "Drills"
    runs = at.dataframe[0].value
    assert list(runs["drill"]) == ["01-eastus2-outage"] and list(runs["result"]) == ["pass"]  # a word, not an emoji
    (run,) = at.selectbox(key="drill_run").options
    assert run.endswith(" 01-eastus2-outage (pass)")
    assert [m.value for m in at.markdown] == [":green-badge[pass] `success_ratio >= 0.99`, measured 1"]
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    points = {t["name"]: len(plotly_values(t["x"])) for t in spec["data"]}
    assert points == {"eastus2 ok": 20, "swedencentral ok": 40}  # the 60 drill requests, by region
    (fault,) = spec["layout"]["shapes"]
    assert (fault["x0"], fault["x1"]) == (2.0, 4.0)  # the http_error fault, 2 s to 4 s into the drill


def plotly_values(array: list | dict) -> np.ndarray:
    """A trace's values as Plotly's JSON carries them: a list, or base64 with a dtype."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_an_empty_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str) -> None:
    at = run_page(monkeypatch, tmp_path / "empty.duckdb", page)
    assert "No probe results" in at.info[0].value and "aoai-watch probe" in at.info[0].value


def test_overview_numbers_match_the_database(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    at = run_page(monkeypatch, db, PAGES[0])
    table = tables(at)["regions"]
    east = table[table["region"] == "eastus2"].iloc[0]
    _, rows = Store(db).query(
        f"SELECT count(*) FILTER (WHERE outcome IN {sql_list(GOOD)}) "
        "* 1.0 / count(*), count(*) FROM probe_results WHERE region = 'eastus2'"
    )
    assert east[availability_column(SloTargets())] == look.percent(rows[0][0])  # the range holds all 3 hours
    assert east["probes"] == look.count(rows[0][1])
    assert next(iter(table["region"])) == "failover"  # the composite first: it is the promise


def test_the_default_range_fits_the_data_and_says_so(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    at = run_page(monkeypatch, db, PAGES[0])  # 3 hours of probes: 6h covers them, 24h would be mostly empty
    assert at.sidebar.selectbox(key="range").value == "6h" and at.query_params["range"] in ("6h", ["6h"])
    assert any("opened at 6h, the smallest range that covers them" in c.value for c in at.caption)


def shown(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def test_a_bad_url_value_is_named_with_what_is_shown_instead(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"refresh": "0", "range": "bogus", "regions": "eastus2,atlantis"})
    at.run()
    assert [w.value for w in at.warning] == [
        "URL parameter `range=bogus` is not a time range (1h, 6h, 24h, 7d, 30d): showing 6h.",
        "URL parameter `regions`: no probes of regions `atlantis` in this database: showing eastus2.",
    ]
    assert (shown(at, "range"), shown(at, "regions")) == ("6h", "eastus2")  # the URL says what is shown
    assert list(tables(at)["regions"]["region"]) == ["eastus2"]


def test_filters_survive_sidebar_navigation(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    at = run_page(monkeypatch, db, PAGES[0])
    at.sidebar.selectbox(key="range").set_value("24h").run()
    at.sidebar.multiselect(key="regions").set_value(["eastus2", "failover"]).run()
    at.sidebar.multiselect(key="kinds").set_value(["chat"]).run()
    for page in ("views/errors.py", "views/latency.py", PAGES[0]):
        at.query_params.clear()  # what Streamlit's sidebar navigation sends: the page, no query string
        at.switch_page(page).run()
        assert not at.exception and not at.warning
        assert {k: shown(at, k) for k in ("range", "regions", "kinds", "refresh")} == {
            "range": "24h",
            "regions": "eastus2,failover",
            "kinds": "chat",
            "refresh": "0",
        }, page
        assert at.sidebar.multiselect(key="regions").value == ["eastus2", "failover"]
    assert list(tables(at)["regions"]["region"]) == ["failover", "eastus2"]  # the one order, not the chosen one


@pytest.fixture(scope="module")
def minutes_db(tmp_path_factory: pytest.TempPathFactory, now: datetime) -> Path:
    path = tmp_path_factory.mktemp("minutes") / "minutes.duckdb"
    overview_data.minutes(path, now)
    return path


def cards(at: AppTest) -> dict[str, tuple[str, str]]:
    """Each state card's region: (its state, its reason), read from the card's HTML."""
    found = {}
    for element in at.html:
        card = re.search(r'data-region="([^"]+)" data-state="([^"]+)"', element.value)
        reason = re.search(r'class="aoai-reason"[^>]*>([^<]*)<', element.value)
        if card and reason:
            found[card.group(1)] = (card.group(2), html.unescape(reason.group(1)))
    return found


def test_overview_shows_each_regions_state_with_its_reason_and_a_link_to_its_errors(
    monkeypatch: pytest.MonkeyPatch, minutes_db: Path
) -> None:
    at = run_page(monkeypatch, minutes_db, PAGES[0])
    found = cards(at)
    assert list(found) == ["failover", "eastus2", "swedencentral", "westus3"]  # the one region order
    assert {r: s for r, (s, _) in found.items()} == {
        "failover": "up",
        "eastus2": "degraded",  # 503s and 429s now and then
        "swedencentral": "degraded",  # one answer in eight over 2 s: the latency SLO, flagged
        "westus3": "down",  # refused for the last minute and a half
    }
    assert re.fullmatch(r"\d\d:\d\d:\d\d UTC connect_error: Connection error\.", found["westus3"][1])
    assert re.search(r"(server_error 503: Service unavailable|rate_limited 429: Rate limit)", found["eastus2"][1])
    assert found["swedencentral"][1].startswith("slow: ")
    links = {link.value: link.proto for link in at.page_link}
    west = [proto for label, proto in links.items() if "westus3" in proto.query_string]
    assert len(west) == 1 and west[0].page.endswith("errors")
    assert parse_qs(west[0].query_string)["regions"] == ["westus3"] and parse_qs(west[0].query_string)["range"] == [
        "1h"
    ]
    table = tables(at)["regions"].set_index("region")
    assert table["state"].to_dict() == {r: s for r, (s, _) in found.items()}  # the table agrees with the cards


def test_every_count_on_the_overview_honours_the_kind_filter(monkeypatch: pytest.MonkeyPatch, minutes_db: Path) -> None:
    monkeypatch.setenv("AOAI_WATCH_DB", str(minutes_db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"refresh": "0", "kinds": "chat"})
    at.run()
    table = tables(at)["regions"].set_index("region")
    alerts = tables(at)["burn-rate-alerts"]
    _, rows = Store(minutes_db).query("SELECT region, count(*) FROM probe_results WHERE kind = 'chat' GROUP BY region")
    assert table["probes"].to_dict() == {region: look.count(n) for region, n in rows}  # no composite: it is no chat
    for region, n in rows:  # every window of an hour or more holds all four minutes: the same probes
        assert set(alerts[alerts["region"] == region]["long probes"]) == {look.count(n)}, region


def test_burn_rate_samples_agree_with_the_table_at_7d(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The 3 hours of data inside every window of 6 h or more, and inside the 7d range: one count,
    a probe of the last few seconds included (the page's clock moves in steps of 15 s)."""
    from aoai_watch.probes.result import ProbeResult

    db = tmp_path / "dash.duckdb"
    prepare(db)
    just_now = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=20)
    Store(db).write(
        [ProbeResult(region="eastus2", deployment="gpt-4o", kind="chat", outcome="ok", ts=just_now, prober="t")]
    )
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"refresh": "0", "range": "7d"})
    at.run()
    probes = tables(at)["regions"].set_index("region")["probes"]
    alerts = tables(at)["burn-rate-alerts"]
    covering = alerts[alerts["windows"].isin(["6h / 30m", "24h / 2h", "3d / 6h"])]
    assert len(covering) == 3 * len(probes)
    for region, long_probes in zip(covering["region"], covering["long probes"], strict=True):
        assert long_probes == probes[region], region


def test_monitor_page_flags_the_bucket_where_azure_saw_errors_the_probes_missed(
    monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    at = run_page(monkeypatch, db, "views/monitor.py")
    flags = at.dataframe[0].value
    assert list(flags["region"]) == ["swedencentral"] and list(flags["disagreement"]) == ["Azure errors unseen"]
    assert "20 5xx" in flags["detail"][0]
    matched = at.dataframe[1].value.set_index("region")
    found = matched.loc["eastus2", "found in Azure's logs"]
    assert found == matched.loc["eastus2", "probes with a request id"] and int(found.replace(",", "")) > 0
    assert matched.loc["eastus2", "outside Azure (median)"] == "35 ms"


def test_monitor_page_without_imported_metrics_explains_the_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aoai_watch.probes.result import ProbeResult

    db = tmp_path / "probes-only.duckdb"
    Store(db).write([ProbeResult(region="eastus2", deployment="gpt-4o", kind="chat", outcome="ok", prober="t")])
    at = run_page(monkeypatch, db, "views/monitor.py")
    assert "aoai-watch import-metrics" in at.info[0].value and "Monitoring Reader" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_a_corrupt_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str
) -> None:
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a database\n" * 50)
    at = run_page(monkeypatch, corrupt, page)
    assert len(at.error) == 1 and "not a DuckDB database" in at.error[0].value and "Fix:" in at.error[0].value
