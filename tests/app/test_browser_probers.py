"""The Overview in a real headless Chromium over two probers' stores read as one (the Streamlit
child gets both through AOAI_WATCH_DB): both charts draw, the sidebar offers the prober filter, the
split by prober and its notice show, and `probers=` in the URL narrows the page to one prober."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.app import probers_data
from tests.app.test_browser_overview import CARD, open_overview
from tests.app.test_serve import browser, running_dashboard

__all__ = ["browser"]  # the Chromium fixture, shared with test_serve.py

NOTICE = "eastus2 misses availability only from frankfurt (met from dublin)"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stores = probers_data.write(tmp_path_factory.mktemp("browser-probers"), now)
    with running_dashboard(stores) as address:  # type: ignore[arg-type]
        yield address


def test_the_overview_over_two_stores_splits_eastus2_by_prober(url: str, browser: object) -> None:
    page = open_overview(browser, url)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator(CARD).count() == len(probers_data.REGIONS)  # type: ignore[attr-defined]
    charts = page.locator('[data-testid="stHtml"] [data-chart]')  # type: ignore[attr-defined]
    assert charts.count() == 2
    sidebar = page.locator('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    assert sidebar.get_by_text("Probers", exact=True).is_visible()
    assert "2 store(s) read as one (read-only)" in sidebar.inner_text()
    assert page.get_by_text(NOTICE).is_visible()  # type: ignore[attr-defined]
    heading = page.get_by_role("heading", name="By prober")  # type: ignore[attr-defined]
    heading.scroll_into_view_if_needed()
    assert heading.is_visible()
    assert "probers=" in page.url  # type: ignore[attr-defined]


def test_probers_in_the_url_narrow_the_overview_to_one_prober(url: str, browser: object) -> None:
    page = open_overview(browser, url, "refresh=0&probers=dublin")
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert page.get_by_text(NOTICE).count() == 0  # type: ignore[attr-defined]
    assert page.get_by_role("heading", name="By prober").count() == 0  # type: ignore[attr-defined]
    east = page.locator(f'{CARD}[data-region="eastus2"]')  # type: ignore[attr-defined]
    assert east.get_attribute("data-state") == "up"  # from Dublin eastus2 never failed
