"""Every dashboard page in AppTest, with data (the prepared database of tests/app/conftest.py) and
with an empty database. Queries and figures as plain functions: test_queries.py, test_figures.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from aoai_watch.failover.outcomes import GOOD, sql_list
from aoai_watch.probes.store import Store
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[2] / "app" / "dashboard.py")
PAGES = [
    "views/overview.py",
    "views/latency.py",
    "views/errors.py",
    "views/cost.py",
    "views/drills.py",
    "views/models.py",
    "views/monitor.py",
]


def run_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["refresh"] = "0"
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_data(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> None:
    at = run_page(monkeypatch, db, page)
    assert at.title and not at.info, [i.value for i in at.info]


def test_drills_page_shows_the_stored_run_its_expectations_and_its_timeline(
    monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    at = run_page(monkeypatch, db, "views/drills.py")
    assert at.title[0].value == "Drills"
    runs = at.dataframe[0].value
    assert list(runs["drill"]) == ["01-eastus2-outage"] and list(runs["result"]) == ["pass"]  # a word, not an emoji
    (run,) = at.selectbox(key="drill_run").options
    assert run.endswith(" 01-eastus2-outage (pass)")
    assert [m.value for m in at.markdown] == [":green-badge[pass] `success_ratio >= 0.99`, measured 1"]
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    points = {t["name"]: len(plotly_values(t["x"])) for t in spec["data"]}
    assert points == {"eastus2 ok": 20, "swedencentral ok": 40}  # the 60 drill requests, by region
    (fault,) = spec["layout"]["shapes"]
    assert (fault["x0"], fault["x1"]) == (2.0, 4.0)  # the http_error fault, 2 s to 4 s into the drill


def plotly_values(array: list | dict) -> np.ndarray:
    """A trace's values as Plotly's JSON carries them: a list, or base64 with a dtype."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_an_empty_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str) -> None:
    at = run_page(monkeypatch, tmp_path / "empty.duckdb", page)
    assert "No probe results" in at.info[0].value and "aoai-watch probe" in at.info[0].value


def test_overview_numbers_match_the_database(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    at = run_page(monkeypatch, db, PAGES[0])
    table = at.dataframe[0].value
    east = table[table["region"] == "eastus2"].iloc[0]
    _, rows = Store(db).query(
        f"SELECT count(*) FILTER (WHERE outcome IN {sql_list(GOOD)}) "
        "* 1.0 / count(*) FROM probe_results WHERE region = 'eastus2'"
    )
    assert east["availability"] == pytest.approx(rows[0][0], abs=0.002)  # the 24h window holds all 3 hours
    assert next(iter(table["region"])) == "failover"  # the composite first: it is the promise


def test_filters_are_mirrored_into_the_url(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    at = run_page(monkeypatch, db, PAGES[0])
    at.sidebar.selectbox(key="range").set_value("6h").run()
    at.sidebar.multiselect(key="regions").set_value(["eastus2"]).run()
    assert at.query_params["range"] in ("6h", ["6h"]) and at.query_params["regions"] in ("eastus2", ["eastus2"])
    assert list(at.dataframe[0].value["region"]) == ["eastus2"]


def test_monitor_page_flags_the_bucket_where_azure_saw_errors_the_probes_missed(
    monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    at = run_page(monkeypatch, db, "views/monitor.py")
    flags = at.dataframe[0].value
    assert list(flags["region"]) == ["swedencentral"] and list(flags["disagreement"]) == ["Azure errors unseen"]
    assert "20 5xx" in flags["detail"][0]
    matched = at.dataframe[1].value.set_index("region")
    found = matched.loc["eastus2", "found in Azure's logs"]
    assert found == matched.loc["eastus2", "probes with a request id"] and int(found.replace(",", "")) > 0
    assert matched.loc["eastus2", "outside Azure (median)"] == "35 ms"


def test_monitor_page_without_imported_metrics_explains_the_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aoai_watch.probes.result import ProbeResult

    db = tmp_path / "probes-only.duckdb"
    Store(db).write([ProbeResult(region="eastus2", deployment="gpt-4o", kind="chat", outcome="ok", prober="t")])
    at = run_page(monkeypatch, db, "views/monitor.py")
    assert "aoai-watch import-metrics" in at.info[0].value and "Monitoring Reader" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_a_corrupt_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str
) -> None:
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a database\n" * 50)
    at = run_page(monkeypatch, corrupt, page)
    assert len(at.error) == 1 and "not a DuckDB database" in at.error[0].value and "Fix:" in at.error[0].value
