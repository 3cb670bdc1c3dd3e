"""The dashboard in a real headless Chromium (Playwright driving Debian's chromium): every page
loads over a prepared database, its Plotly charts render, the numbers shown match the database,
and each page leaves a screenshot (tests/artifacts/, or $AOAI_WATCH_SCREENSHOTS)."""

from __future__ import annotations

import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aoai_watch.app import serve
from aoai_watch.app.serve import CHROMIUM, CHROMIUM_ARGS
from aoai_watch.probes.store import Store

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
SHOTS = Path(os.environ.get("AOAI_WATCH_SCREENSHOTS", Path(__file__).parents[1] / "artifacts"))


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser") / "dash.duckdb"
    prepare(db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = serve.start(db, port=port, quiet=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.3)
    yield url, db
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: object, url: str, name: str) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(f"{url}/{PAGES[name]}?refresh=0&range=24h", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    page.wait_for_timeout(500)  # let the last chart finish drawing before the screenshot
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return page


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_renders_its_charts(dashboard: tuple[str, Path], browser: object, name: str) -> None:
    page = open_page(browser, dashboard[0], name)
    charts = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')  # type: ignore[attr-defined]
    assert charts.count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    page.close()  # type: ignore[attr-defined]


def test_overview_chart_shows_the_databases_availability(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "overview")
    bars = page.evaluate(  # type: ignore[attr-defined]
        "() => { const d = document.querySelector('.js-plotly-plot').data[0]; return [d.x, d.y]; }"
    )
    shown = dict(zip(bars[0], bars[1], strict=True))
    _, rows = Store(db).query(
        "SELECT region, 100.0 * count(*) FILTER (WHERE outcome IN "
        "('ok','slow','not_found','content_filter')) / count(*) FROM probe_results GROUP BY region"
    )
    for region, availability in rows:
        assert shown[region] == pytest.approx(availability, abs=0.2)
    page.close()  # type: ignore[attr-defined]


def test_cost_page_shows_the_month_so_far(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "cost")
    metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()  # type: ignore[attr-defined]
    _, rows = Store(db).query(
        "SELECT sum(cost_usd) FROM probe_results WHERE ts >= date_trunc('month', now()::TIMESTAMP)"
    )
    assert float(metric.strip("$").replace(",", "")) == pytest.approx(rows[0][0], rel=0.01, abs=0.0001)
    page.close()  # type: ignore[attr-defined]


def test_monitor_page_plots_azures_availability_from_the_database(dashboard: tuple[str, Path], browser: object) -> None:
    url, db = dashboard
    page = open_page(browser, url, "monitor")
    traces = page.evaluate(  # type: ignore[attr-defined]
        "() => Object.fromEntries(document.querySelector('.js-plotly-plot').data.map(t => [t.name, Array.from(t.y)]))"
    )
    _, rows = Store(db).query(
        "SELECT region, min(a) FROM (SELECT region, 100.0 * (sum(value) - coalesce(sum(value) FILTER "
        "(WHERE status_code LIKE '5%'), 0)) / sum(value) AS a FROM monitor_metrics WHERE metric = "
        "'AzureOpenAIRequests' GROUP BY region, time_bucket(INTERVAL '15 minutes', ts)) GROUP BY region"
    )
    for region, lowest in rows:
        assert min(traces[f"{region} (Azure Monitor)"]) == pytest.approx(lowest, abs=0.01)
    assert "disagreement" in traces  # the swedencentral bucket no probe saw
    page.close()  # type: ignore[attr-defined]
