"""The Overview in a real headless Chromium over the two databases of overview_data.py -- four
minutes of a demo-like run and 30 days of one probe a minute -- at the default filters: every chart
draws marks, each region's state card shows its state in colour with its reason, the sidebar's
links keep every filter, and a card's link opens that region's errors. Screenshots go to
tests/artifacts/ (or $AOAI_WATCH_SCREENSHOTS): overview-minutes.png, overview-month.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from aoai_watch.app import look

from tests.app import overview_data
from tests.app.browsing import HTML_MARKS, settle
from tests.app.test_serve import SHOTS, browser, marks, running_dashboard

__all__ = ["browser"]  # the Chromium fixture, shared with test_serve.py

CARD = '[data-testid="stHtml"] .aoai-state'
EXPECTED = {  # what each database's cards must say now
    "minutes": {"failover": "up", "eastus2": "degraded", "swedencentral": "degraded", "westus3": "down"},
    "month": {"failover": "up", "eastus2": "down", "swedencentral": None, "westus3": None},  # None: any state
}


@pytest.fixture(scope="module", params=["minutes", "month"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(name, URL) of the dashboard over a freshly written database of that name."""
    name = request.param
    db = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    getattr(overview_data, name)(db, datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    with running_dashboard(db) as url:
        yield name, url


def open_overview(browser: object, url: str, query: str = "refresh=0") -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})  # type: ignore[attr-defined]
    page.goto(f"{url}/?{query}", wait_until="networkidle", timeout=60_000)
    page.wait_for_selector(CARD, timeout=60_000)
    settle(page, f"() => {{ const n = ({HTML_MARKS})(); return n.length === 2 && n.every(m => m > 0); }}")
    return page


def filters_in(url: str) -> dict[str, str]:
    query = parse_qs(urlparse(url).query, keep_blank_values=True)
    return {k: v[-1] for k, v in query.items() if k in ("range", "regions", "kinds", "refresh")}


def test_overview_at_the_default_filters_draws_every_chart_and_each_regions_state(
    served: tuple[str, str], browser: object
) -> None:
    name, url = served
    page = open_overview(browser, url)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    charts = page.evaluate(HTML_MARKS)  # type: ignore[attr-defined]
    assert len(charts) == 2 and all(n > 0 for n in charts), charts  # the SLO bars, the status history
    bars = [m for m in marks(page, "bar")]
    for axis in ("availability %", "under 2 s %"):  # both panels of the SLO bars draw every region
        assert len([b for b in bars if axis in b]) == len(EXPECTED[name]), axis
    cards = page.locator(CARD)  # type: ignore[attr-defined]
    shown = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.is_visible()
        word = card.locator(".aoai-state-word")
        state = card.get_attribute("data-state")
        assert word.inner_text().strip().lower() == state  # the state in words...
        colour = word.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == _rgb(look.STATE_COLOURS[state])  # ...and in its colour
        reason = card.locator(".aoai-reason")
        assert reason.is_visible() and reason.inner_text().strip(), card.get_attribute("data-region")
        shown[card.get_attribute("data-region")] = (state, reason.inner_text().strip())
    assert list(shown) == list(EXPECTED[name])  # the one region order: composite, then by name
    for region, state in EXPECTED[name].items():
        assert state is None or shown[region][0] == state, (region, shown[region])
    if name == "minutes":
        assert shown["westus3"][1].endswith("connect_error: Connection error.")
        assert page.url.endswith("range=1h&regions=&kinds=") or filters_in(page.url)["range"] == "1h"  # type: ignore[attr-defined]
        assert "opened at 1h, the smallest range that covers them" in page.inner_text("body")  # type: ignore[attr-defined]
    else:
        assert shown["eastus2"][1].endswith("server_error 503: Service unavailable")
        assert filters_in(page.url)["range"] == "24h"  # type: ignore[attr-defined]
    drills = marks(page, "fault")
    assert drills, "the drill faults are drawn"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"overview-{name}.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("refresh=0&range=6h&regions=eastus2,swedencentral&kinds=chat", None),
        ("refresh=0", "defaults"),  # the defaults are carried too: the range the page opened at
    ],
)
def test_sidebar_navigation_keeps_every_filter(
    served: tuple[str, str], browser: object, query: str, kept: str | None
) -> None:
    _, url = served
    page = open_overview(browser, url, query)
    before = filters_in(page.url)  # type: ignore[attr-defined]
    assert set(before) == {"range", "regions", "kinds", "refresh"}
    if kept is None:
        assert before == {"range": "6h", "regions": "eastus2,swedencentral", "kinds": "chat", "refresh": "0"}
    for title, path in (("Errors & 429s", "/errors"), ("Latency", "/latency"), ("Overview", "/")):
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            "path => location.pathname.endsWith(path) && location.search.includes('range=')", arg=path, timeout=30_000
        )
        page.wait_for_selector("h1", timeout=30_000)  # type: ignore[attr-defined]
        page.wait_for_function("t => document.querySelector('h1').innerText.trim() === t", arg=title, timeout=30_000)  # type: ignore[attr-defined]
        assert filters_in(page.url) == before, title  # type: ignore[attr-defined]
        chosen = page.locator('[data-testid="stSidebar"] input[aria-label="Time range"]')  # type: ignore[attr-defined]
        assert chosen.input_value() == before["range"], title  # the widgets show them too, not only the URL
    page.close()  # type: ignore[attr-defined]


def test_a_cards_link_opens_that_regions_errors(served: tuple[str, str], browser: object) -> None:
    name, url = served
    page = open_overview(browser, url)
    region = "westus3" if name == "minutes" else "eastus2"  # the region that is down
    link = page.locator('[data-testid="stPageLink"] a', has_text="Errors & 429s here")  # type: ignore[attr-defined]
    regions = [c.get_attribute("data-region") for c in page.locator(CARD).all()]  # type: ignore[attr-defined]
    link.nth(regions.index(region)).click()
    page.wait_for_function("() => location.pathname.endsWith('/errors')", timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_function("t => document.querySelector('h1').innerText.trim() === t", arg="Errors & 429s")  # type: ignore[attr-defined]
    assert filters_in(page.url)["regions"] == region and filters_in(page.url)["range"] == "1h"  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
