"""The tier split in a real headless Chromium over a database with PTU probes
(tests/app/test_tiers.py's): the Overview at `tiers=provisioned` draws both its charts, the
sidebar's navigation keeps the tier in the URL, and the Latency page draws visible marks for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from aoai_watch.probes.store import Store

from tests.app.browsing import HTML_MARKS, chromium
from tests.app.test_browser_pages import VISIBLE_MARKS
from tests.app.test_serve import CHART, SHOTS, running_dashboard
from tests.app.test_tiers import ptu_rows


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("browser-tiers") / "ptu.duckdb"
    Store(path).write(ptu_rows(datetime.now(UTC).replace(tzinfo=None)))
    with running_dashboard(path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as tabs:
        yield tabs


def test_the_provisioned_split_draws_and_survives_navigation(served: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})  # type: ignore[attr-defined]
    page.goto(f"{served}/?refresh=0&tiers=provisioned", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_timeout(800)  # let the last chart finish drawing
    assert page.locator('[data-testid="stException"]').count() == 0
    tiers = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]', has_text="Deployment tiers")
    assert tiers.count() == 1 and "provisioned" in tiers.inner_text()
    charts = page.evaluate(HTML_MARKS)
    assert len(charts) == 2 and all(n > 0 for n in charts), charts  # the SLO bars, the status history
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tiers-overview-provisioned.png"), full_page=True)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Latency").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/latency') && location.search.includes('tiers=')")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    page.wait_for_timeout(800)
    assert parse_qs(urlsplit(page.url).query)["tiers"] == ["provisioned"]
    assert page.locator('[data-testid="stException"]').count() == 0
    charts = page.evaluate(VISIBLE_MARKS)
    assert charts and [title for title, seen in charts if seen == 0] == []
    page.screenshot(path=str(SHOTS / "tiers-latency-provisioned.png"), full_page=True)
    page.close()
