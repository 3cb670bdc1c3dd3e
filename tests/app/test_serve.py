"""The dashboard in a real headless Chromium (Playwright driving Debian's chromium): every page
loads over a prepared database, its charts render (Plotly; the Overview's two are plain HTML), the
numbers shown match the database, and each page leaves a screenshot (tests/artifacts/, or
$AOAI_WATCH_SCREENSHOTS)."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aoai_watch.app import controls, serve
from aoai_watch.failover.outcomes import GOOD, sql_list
from aoai_watch.probes.store import Store

from tests.app.browsing import chromium
from tests.app.dashboard_data import prepare

PAGES = {
    "overview": "",
    "latency": "latency",
    "errors": "errors",
    "cost": "cost",
    "drills": "drills",
    "models": "models",
    "monitor": "monitor",
}
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot, [data-testid="stHtml"] [data-chart]'
SHOTS = Path(os.environ.get("AOAI_WATCH_SCREENSHOTS", Path(__file__).parents[1] / "artifacts"))


@contextlib.contextmanager
def running_dashboard(db: Path) -> Iterator[str]:
    """`aoai-watch dashboard` over `db` on a free port, until the block ends; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = serve.start(db, port=port, quiet=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser") / "dash.duckdb"
    prepare(db)
    with running_dashboard(db) as url:
        yield url, db


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as tabs:
        yield tabs


def open_page(browser: object, url: str, name: str, screenshot: bool = True) -> object:
    """Open a page and wait for its charts; `screenshot` leaves `<name>.png` in SHOTS (the README's
    pictures: never from a database made to attack the page)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(f"{url}/{PAGES[name]}?refresh=0&range=24h", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector(CHART, timeout=60_000)
    if screenshot:
        page.wait_for_timeout(500)  # let the last chart finish drawing before the screenshot
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return page


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_renders_its_charts(dashboard: tuple[str, Path], browser: object, name: str) -> None:
    page = open_page(browser, dashboard[0], name)
    charts = page.locator(CHART)  # type: ignore[attr-defined]
    assert charts.count() >= (2 if name == "overview" else 1)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    page.close()  # type: ignore[attr-defined]


def test_overview_chart_shows_the_databases_availability(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "overview")
    shown = {  # what each drawn bar of the availability chart says it is
        mark["region"]: float(mark["availability %"]) for mark in marks(page, "bar") if "availability %" in mark
    }
    _, rows = Store(db).query(
        "SELECT region, 100.0 * count(*) FILTER (WHERE outcome IN "
        f"{sql_list(GOOD)}) / count(*) FROM probe_results GROUP BY region"
    )
    assert rows and set(shown) == {region for region, _ in rows}
    for region, availability in rows:
        assert shown[region] == pytest.approx(availability, abs=0.01)
    page.close()  # type: ignore[attr-defined]


def test_overview_status_history_marks_the_buckets_with_failures(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "overview")
    cells = [cell for cell in marks(page, "cell")]
    bucket = controls.cells_bucket(timedelta(hours=3), controls.BUCKETS["24h"])  # 3 hours of data at 24h
    assert bucket == "5 minutes"  # 36 cells across the 3 hours, not 12 of 15 minutes
    _, rows = Store(db).query(
        "SELECT region, count(*), count(*) FILTER (WHERE bad > 0) FROM (SELECT region, time_bucket(INTERVAL "
        f"'{bucket}', ts) AS b, count(*) FILTER (WHERE outcome NOT IN {sql_list(GOOD)}) "
        "AS bad FROM probe_results GROUP BY ALL) GROUP BY region"
    )
    assert {region for region, _, _ in rows} == {"eastus2", "swedencentral", "failover"}
    for region, buckets, failing in rows:
        drawn = [cell for cell in cells if cell["region"] == region]
        assert len(drawn) == buckets
        assert sum(cell["state"] != "up" for cell in drawn) == failing
    assert any(failing for _, _, failing in rows)  # the prepared data has failures to show
    page.close()  # type: ignore[attr-defined]


def marks(page: object, kind: str) -> list[dict[str, str]]:
    """The drawn marks of one kind ("bar", "cell", "fault") of the Overview's HTML charts, each as
    the fields its hover text names, one a line ("region: eastus2", "availability %: 94.4", ...)."""
    labels = page.evaluate(  # type: ignore[attr-defined]
        'kind => Array.from(document.querySelectorAll(\'[data-testid="stHtml"] [data-chart] '
        "[data-mark=\"' + kind + '\"]')).map(e => e.getAttribute('title'))",
        kind,
    )
    return [dict(part.split(": ", 1) for part in label.split("\n")) for label in labels if label]


def test_cost_page_shows_the_ranges_spend_and_the_month_so_far(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "cost")
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()  # type: ignore[attr-defined]
    in_range, this_month = (float(v.strip("$").replace(",", "")) for v in values[:2])
    _, ((everything,),) = Store(db).query("SELECT sum(cost_usd) FROM probe_results")  # the 24h hold all 3 hours
    _, ((month,),) = Store(db).query(
        "SELECT sum(cost_usd) FROM probe_results WHERE ts >= date_trunc('month', now()::TIMESTAMP)"
    )
    assert in_range == pytest.approx(everything, abs=0.005)  # shown to the cent
    assert this_month == pytest.approx(month, abs=0.005)
    page.close()  # type: ignore[attr-defined]


def test_monitor_page_plots_azures_availability_from_the_database(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "monitor")
    # each series' points, its partial-bucket tail too (same legend group); the values Plotly drew (_fullData:
    # `data` keeps numpy's base64 form)
    traces: dict[str, list[float]] = {}
    for group, ys in page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelector('.js-plotly-plot')._fullData.map(t => [t.legendgroup || t.name, Array.from(t.y)])"
    ):
        traces.setdefault(group, []).extend(y for y in ys if y is not None)
    _, rows = Store(db).query(
        "SELECT region, min(a) FROM (SELECT region, 100.0 * (sum(value) - coalesce(sum(value) FILTER "
        "(WHERE status_code LIKE '5%'), 0)) / sum(value) AS a FROM monitor_metrics WHERE metric = "
        "'AzureOpenAIRequests' GROUP BY region, time_bucket(INTERVAL '15 minutes', ts)) GROUP BY region"
    )
    assert {region for region, _ in rows} == {"eastus2", "swedencentral"}
    for region, lowest in rows:
        assert min(traces[f"{region} (Azure Monitor)"]) == pytest.approx(lowest, abs=0.01)
    assert "disagreement" in traces  # the swedencentral bucket no probe saw
    page.close()  # type: ignore[attr-defined]


def test_a_shared_link_to_a_page_opens_that_page_on_a_fresh_server(
    dashboard: tuple[str, Path], browser: object
) -> None:
    """The first visitor after a restart follows a link to Latency: they get the dashboard's own
    navigation and wide layout, not a bare page script (Streamlit's old `pages/` discovery)."""
    with running_dashboard(dashboard[1]) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        page.goto(f"{url}/latency?refresh=0&range=24h", wait_until="networkidle", timeout=60_000)
        page.wait_for_selector(CHART, timeout=60_000)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text().split("\n")
        assert [item for item in nav if item.strip()] == [
            "Overview",
            "Latency",
            "Errors & 429s",
            "Tokens & cost",
            "Drills",
            "Model versions",
            "Azure Monitor",
            "Alerts",
        ]
        assert page.locator("h1").first.inner_text().strip() == "Latency"
        page.close()


HOSTILE = '<a href="https://evil.example/" style="color:red;font-size:40px">click</a>'
LINKS_TO_EVIL = (
    "() => Array.from(document.querySelectorAll('a')).filter(a => ((a.getAttribute('href') || '') +"
    " (a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')).includes('evil.example')).length"
)
DRAWN_AS_TEXT = (
    "() => Array.from(document.querySelectorAll('.js-plotly-plot text'))"
    ".some(t => t.textContent.includes('<a href=\"https://evil.example/\"'))"
)


def test_hostile_strings_from_the_database_are_drawn_as_text(
    tmp_path_factory: pytest.TempPathFactory, browser: object
) -> None:
    """A model version a server reported and a fault name, each an HTML link with styles: Plotly
    charts show the characters, and no page holds a link to it (nor the Overview's status history,
    whose hover text shows them as text)."""
    from datetime import UTC, datetime

    from aoai_watch.probes.result import ProbeResult

    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    prepare(db)
    now = datetime.now(UTC).replace(tzinfo=None)
    store = Store(db)
    store.write(
        [
            ProbeResult(
                region="eastus2",
                deployment="gpt-4o",
                kind="chat",
                outcome="ok",
                ts=now - timedelta(minutes=m),
                prober="test",
                model="gpt-4o",
                model_version=HOSTILE,
                status_code=200,
                latency_ms=300.0,
            )
            for m in (1, 2)
        ]
    )
    started = store.query("SELECT started FROM drills WHERE run_id = 'run1'")[1][0][0]
    store.write_tables(
        {
            "faults": [
                {
                    "run_id": "run1",
                    "kind": HOSTILE,
                    "region": "eastus2",
                    "params": "{}",
                    "start_ts": started + timedelta(seconds=1),
                    "end_ts": started + timedelta(seconds=5),
                }
            ]
        }
    )
    with running_dashboard(db) as url:
        for name in ("models", "drills"):
            page = open_page(browser, url, name, screenshot=False)
            assert page.evaluate(LINKS_TO_EVIL) == 0, name  # type: ignore[attr-defined]
            assert page.evaluate(DRAWN_AS_TEXT), name  # type: ignore[attr-defined]
            page.close()  # type: ignore[attr-defined]
        page = open_page(browser, url, "overview", screenshot=False)
        fault = page.locator(  # type: ignore[attr-defined]
            '[data-testid="stHtml"] [data-chart="status-history"] [data-mark="fault"][title*="evil.example"]'
        ).first
        assert fault.is_visible() and "<a href" in fault.get_attribute("title")  # the hover text, as text
        assert page.evaluate(LINKS_TO_EVIL) == 0  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]
