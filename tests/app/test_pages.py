"""Every page but the Overview in AppTest, over a few minutes of demo and over 30 days
(tests/app/page_data.py), at the default filters: it draws its charts, every table cell reads as
people write it (no `None`, no `nan`, no 0.13616680000001224), and the numbers shown twice agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from aoai_watch.app import look
from aoai_watch.probes.store import Store
from streamlit.testing.v1 import AppTest

from tests.app import page_data
from tests.app.html_tables import tables

APP = str(Path(__file__).parents[2] / "app" / "dashboard.py")
PAGES = ["latency", "errors", "cost", "drills", "models", "monitor"]
DECIMAL = re.compile(r"[\d,]*\.\d+")


def unrounded(cell: str) -> bool:
    """A decimal number with more than five significant digits: 3571.7167, 0.13616680000001224."""
    return any(len(n.replace(",", "").replace(".", "").lstrip("0")) > 5 for n in DECIMAL.findall(cell))


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    now = datetime.now(UTC).replace(tzinfo=None)
    folder = tmp_path_factory.mktemp("pages")
    page_data.minutes(folder / "minutes.duckdb", now)
    page_data.month(folder / "month.duckdb", now)
    return {"minutes": folder / "minutes.duckdb", "month": folder / "month.duckdb"}


def run_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["refresh"] = "0"
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cells(at: AppTest) -> list[str]:
    """Every cell of every table on the page: its grids and its static HTML tables (the Overview's)."""
    shown = [table.value for table in at.dataframe] + list(tables(at).values())
    return [str(v) for table in shown for v in table.to_numpy().ravel()]


@pytest.mark.parametrize("db", ["minutes", "month"])
@pytest.mark.parametrize("page", PAGES)
def test_each_page_draws_its_charts_and_tables_for_people(
    monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path], db: str, page: str
) -> None:
    at = run_page(monkeypatch, databases[db], page)
    assert at.get("plotly_chart"), "no chart"
    shown = cells(at)
    assert shown or page == "latency", "no table"  # Latency lists slow probes, and a demo has none
    assert not [c for c in shown if c in ("None", "nan", "NaN", "NaT", "<NA>")]
    assert not [c for c in shown if unrounded(c)]


@pytest.mark.parametrize("db", ["minutes", "month"])
def test_the_spend_headline_is_the_tables_total_and_the_databases(
    monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path], db: str
) -> None:
    at = run_page(monkeypatch, databases[db], "cost")
    metrics = {m.label: m.value for m in at.metric}
    table = at.dataframe[0].value
    assert table["day (UTC)"].iloc[-1] == "total"
    assert metrics["Probe spend in this range"] == table["cost"].iloc[-1]
    since = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)) - pd.Timedelta(days=1)
    _, ((in_db,),) = Store(databases[db]).query(
        "SELECT sum(cost_usd) FROM probe_results WHERE ts >= ?", [since.to_pydatetime()]
    )
    assert metrics["Probe spend in this range"] == look.usd(in_db)


def test_a_projection_from_minutes_of_data_is_withheld_and_says_why(
    monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path]
) -> None:
    at = run_page(monkeypatch, databases["minutes"], "cost")
    assert {m.label: m.value for m in at.metric}["Projected for the month"] == "not yet"
    assert any("from 1 hour of data" in c.value for c in at.caption)


def test_model_versions_change_nothing_in_a_demo_and_once_in_the_month(
    monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path]
) -> None:
    assert [s.value for s in run_page(monkeypatch, databases["minutes"], "models").subheader] == ["Changes (0)"]
    month = run_page(monkeypatch, databases["month"], "models", range="30d")
    assert [s.value for s in month.subheader] == ["Changes (1)"]
    (change,) = month.dataframe[0].value.itertuples(index=False)
    assert (change.region, change._3, change.to) == ("swedencentral", page_data.VERSION, page_data.NEW_VERSION)


def test_the_current_minute_azure_has_not_counted_is_no_disagreement(
    monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path]
) -> None:
    at = run_page(monkeypatch, databases["minutes"], "monitor", range="1h")
    assert at.subheader[0].value == "Disagreements (0)"
    assert at.success and "agree in every settled bucket" in at.success[0].value
    assert any("provisional" in c.value for c in at.caption), [c.value for c in at.caption]


def test_drill_results_are_words_in_colour(monkeypatch: pytest.MonkeyPatch, databases: dict[str, Path]) -> None:
    at = run_page(monkeypatch, databases["month"], "drills")
    runs = at.dataframe[0]
    assert set(runs.value["result"]) == {"pass", "FAIL"}  # the month holds one failed run
    styles = runs.proto.arrow_data.styler.styles
    assert f"color: {look.STATE_COLOURS['down']}" in styles and f"color: {look.STATE_COLOURS['up']}" in styles
    assert all(m.value.startswith((":green-badge[pass]", ":red-badge[FAIL]")) for m in at.markdown)
    assert any("measured 0.1362" in m.value for m in at.markdown)  # 0.13616680000001224, rounded
