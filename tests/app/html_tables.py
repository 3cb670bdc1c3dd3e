"""Read back the tables app/static_table.py draws (the Overview's), as a user sees them: each
`<div data-table="name">` on a page, its header row and its cells' text, as a DataFrame of strings."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
from streamlit.testing.v1 import AppTest


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, tuple[list[str], list[list[str]]]] = {}
        self._name: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and found.get("data-table"):
            self._name = found["data-table"]
            self.tables[self._name] = ([], [])
        elif self._name and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._row is not None and self._cell is not None and tag in ("th", "td"):
            self._row.append("".join(self._cell))
            self._cell = None
        elif self._name and self._row is not None and tag == "tr":
            header, rows = self.tables[self._name]
            if header:
                rows.append(self._row)
            else:  # the first row is the header
                header.extend(self._row)
            self._row = None
        elif tag == "table":
            self._name = None


def tables_in(markup: str) -> dict[str, pd.DataFrame]:
    """Every named table in `markup`, by name."""
    parser = _Tables()
    parser.feed(markup)
    return {name: pd.DataFrame(rows, columns=header) for name, (header, rows) in parser.tables.items()}


def tables(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every named static table on the page `at` ran, by name, in page order."""
    found: dict[str, pd.DataFrame] = {}
    for element in at.html:
        found |= tables_in(element.value)
    return found
