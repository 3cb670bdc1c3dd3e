"""Every page but the Overview in a real headless Chromium, over a few minutes of demo and over 30
days (tests/app/page_data.py), at the default filters (and the month at 30d): every chart draws at
least one data mark a person can see (a marker, a line segment, a bar at least a pixel wide and
tall; a lone point drawn as a line, or a bar one millisecond wide, counts for nothing), and each
page leaves a screenshot, `pages-<database>-<page>.png`, in tests/artifacts/ (or
$AOAI_WATCH_SCREENSHOTS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.app import browsing, page_data
from tests.app.test_serve import CHART, PAGES, SHOTS, running_dashboard

MY_PAGES = ["latency", "errors", "cost", "drills", "models", "monitor"]
# per Plotly chart on the page: its title and how many of its data marks are drawn big enough to see
VISIBLE_MARKS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot'))
.map(p => {
  const marks = Array.from(p.querySelectorAll('.scatterlayer .point, .barlayer .point path, .scatterlayer .js-line'));
  const seen = marks.filter(e => {
    const box = e.getBBox();
    return e.closest('.barlayer') ? box.width >= 1 && box.height >= 1 : box.width >= 1 || box.height >= 1;
  });
  return [(p.layout.title && p.layout.title.text) || '', seen.length];
})"""
EVERY_CHART_DRAWN = (
    f"() => {{ const c = ({VISIBLE_MARKS})(); return c.length > 0 && c.every(([, seen]) => seen > 0); }}"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with browsing.chromium() as tabs:
        yield tabs


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    folder = tmp_path_factory.mktemp("browser-pages")
    page_data.minutes(folder / "minutes.duckdb", now)
    page_data.month(folder / "month.duckdb", now)
    with running_dashboard(folder / "minutes.duckdb") as minutes, running_dashboard(folder / "month.duckdb") as month:
        yield {"minutes": minutes, "month": month}


@pytest.mark.parametrize(("db", "query"), [("minutes", ""), ("month", ""), ("month", "&range=30d")])
@pytest.mark.parametrize("name", MY_PAGES)
def test_every_chart_draws_a_visible_mark(
    dashboards: dict[str, str], chromium: object, db: str, query: str, name: str
) -> None:
    page = chromium.new_page(viewport={"width": 1400, "height": 2400})  # type: ignore[attr-defined]
    page.goto(f"{dashboards[db]}/{PAGES[name]}?refresh=0{query}", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector(CHART, timeout=60_000)
    browsing.settle(page, EVERY_CHART_DRAWN)  # every chart has drawn before the screenshot
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"pages-{db}{query.replace('&range=', '-')}-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    charts = page.evaluate(VISIBLE_MARKS)  # type: ignore[attr-defined]
    assert charts, "no chart"
    assert [title for title, seen in charts if seen == 0] == []
    page.close()  # type: ignore[attr-defined]


def test_the_alerts_page_shows_firing_alerts_history_and_deliveries(chromium: object, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real `alert` run (a prober silent for 11 minutes, three channels of a local receiver, one refusing with
    a 404) stored what the page shows: the alert firing with its value, and each delivery's state."""
    from datetime import timedelta

    from aoai_watch.alerts.run import evaluate

    from tests.alerts.conftest import SECRETS, T0, probes, store_probes, write_config
    from tests.alerts.receiver import Receiver

    with Receiver() as receiver:
        config = write_config(tmp_path, receiver)
        receiver.script.append(404)
        env = {**SECRETS, "AOAI_ALERT_HOOK": f"{receiver.url}/hook/T0SECRETPATH0hook"}
        env |= {"AOAI_ALERT_SLACK": f"{receiver.url}/s/XXXXslacksecret", "AOAI_ALERT_TEAMS": f"{receiver.url}/t"}
        store_probes(config, probes("eastus2", T0 - timedelta(minutes=30), 30))
        evaluate(config, now=T0 + timedelta(minutes=10), environ=env, sleep=lambda s: None)  # silent for 11 min
    with running_dashboard(config.database) as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1600})  # type: ignore[attr-defined]
        page.goto(f"{url}/alerts?refresh=0", wait_until="networkidle", timeout=60_000)
        page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
        page.wait_for_timeout(800)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "pages-alerts.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
        text = page.inner_text("body")  # type: ignore[attr-defined]
        assert "Firing now (1)" in text and "History" in text and "Deliveries" in text
        assert page.locator('[data-testid="stDataFrame"]').count() == 3  # type: ignore[attr-defined]
        assert "T0SECRETPATH0hook" not in page.content()  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]
