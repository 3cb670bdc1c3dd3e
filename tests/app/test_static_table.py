"""app/static_table.py: the Overview's tables as plain HTML, escaped, every row, styles kept."""

from __future__ import annotations

import pandas as pd
from aoai_watch.app import static_table

from tests.app.html_tables import tables_in

HOSTILE = '<img src=x onerror="alert(1)">'


def test_cells_and_headers_are_text_never_markup() -> None:
    table = pd.DataFrame({"region": [HOSTILE, "eastus2"], "<th>": ["a & b", "1"]})
    markup = static_table.to_html(table, "regions")
    assert "<img" not in markup and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in markup
    assert "<th>" not in markup.replace('<th id="', "")  # the header named <th> is escaped too
    (read,) = tables_in(markup).values()
    assert list(read.columns) == ["region", "<th>"]  # a browser shows the text as it was
    assert read.to_dict("list") == {"region": [HOSTILE, "eastus2"], "<th>": ["a & b", "1"]}


def test_every_row_shows_a_missing_value_is_an_empty_cell_and_no_index() -> None:
    table = pd.DataFrame({"region": [f"r{i}" for i in range(40)], "cost": [None] + ["$1.00"] * 39})
    read = tables_in(static_table.to_html(table, "costs"))["costs"]
    assert len(read) == 40 and list(read.columns) == ["region", "cost"]  # no index column, no cut-off
    assert read["cost"][0] == "" and read["cost"][1] == "$1.00"


def test_cell_styles_are_kept_and_tables_are_named_apart() -> None:
    table = pd.DataFrame({"state": ["down", "up"]})
    styled = table.style.map(lambda v: "color: #d62728" if v == "down" else "", subset=["state"])
    markup = static_table.to_html(styled, "regions") + static_table.to_html(table, "burn-rate-alerts")
    assert "#T_aoai-regions_row0_col0" in markup and "color: #d62728" in markup  # down, in its colour
    assert "#T_aoai-regions_row1_col0" not in markup  # up: unstyled
    assert list(tables_in(markup)) == ["regions", "burn-rate-alerts"]
