"""A small table drawn as plain HTML (`st.html`) instead of `st.dataframe`'s canvas grid.

Why: the grid is a large component that the browser builds on every load; the Overview's tables
hold a row per region (a dozen at most) and need no sorting or scrolling, and drawing them as HTML
took about 0.3 s off the Overview's warm load in headless Chromium over a month of probes (medians
of grid and HTML, alternating in one run). Every row shows, with no inner scrolling; a wide table
scrolls sideways on a narrow screen.

Every cell and header is HTML-escaped here (a region or error text comes from the database), and
`st.html` sanitises the result again with DOMPurify. The table carries `data-table="<name>"`, so a
test (or a user's scraper) can find it by name."""

from __future__ import annotations

import html

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["CSS", "to_html"]

# Streamlit's table look (its theme's font, thin borders, a tinted header), without the grid; the
# greys are mixed from the text colour, so a dark theme reads as well as the light one.
CSS = """
.aoai-table { overflow-x: auto; margin-bottom: 0.5rem; }
.aoai-table table { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
.aoai-table th, .aoai-table td { border: 1px solid color-mix(in srgb, currentColor 12%, transparent);
  padding: 0.25rem 0.5rem; text-align: left; white-space: nowrap; }
.aoai-table th { background: color-mix(in srgb, currentColor 4%, transparent); font-weight: 600; }
"""


def to_html(table: pd.DataFrame | Styler, name: str) -> str:
    """`table` (a DataFrame, or a Styler whose cell styles are kept) as one escaped HTML table
    without its index, an empty cell for a missing value, wrapped in `<div class="aoai-table"
    data-table="name">`, with the CSS it needs."""
    styler = table if isinstance(table, Styler) else table.style
    styler = (
        styler.hide(axis="index")
        .format(escape="html", na_rep="")
        .format_index(escape="html", axis=1)
        .set_uuid(f"aoai-{name}")  # stable ids for its cell styles, one table apart from another
    )
    return (
        f'<style>{CSS}</style><div class="aoai-table" data-table="{html.escape(name, quote=True)}">'
        f"{styler.to_html()}</div>"
    )
