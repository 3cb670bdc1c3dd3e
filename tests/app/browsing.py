"""Debian's Chromium for the browser tests, as a returning viewer uses it: every page a module opens
shares one browser context, so Streamlit's scripts are fetched and compiled once per server, not
once per test (about a second each). Pages keep their own Streamlit session; nothing else is shared
that the tests read (Streamlit keeps no state in cookies or storage)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aoai_watch.app.serve import CHROMIUM, CHROMIUM_ARGS

# per HTML chart on the page (the Overview's, app/overview_charts.py): how many marks it has drawn
HTML_MARKS = (
    "() => Array.from(document.querySelectorAll('[data-testid=\"stHtml\"] [data-chart]'))"
    ".map(c => c.querySelectorAll('[data-mark]').length)"
)


class Tabs:
    """`new_page(viewport=...)`, as on a playwright Browser, but each page a tab of one context."""

    def __init__(self, browser: Any) -> None:
        self._context = browser.new_context()

    def new_page(self, viewport: dict[str, int] | None = None) -> Any:
        page = self._context.new_page()
        if viewport:
            page.set_viewport_size(viewport)
        return page


@contextlib.contextmanager
def chromium() -> Iterator[Tabs]:
    """Headless Chromium until the block ends."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Tabs(browser)
        finally:
            browser.close()


def settle(page: Any, drawn: str, timeout_ms: int = 20_000) -> bool:
    """Wait until the JS predicate `drawn` holds on `page` (every chart has drawn its marks), rather
    than a fixed pause; False once `timeout_ms` passes, so the caller's assertion says what is missing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(drawn, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True
