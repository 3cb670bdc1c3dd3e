"""Every dashboard page in AppTest, with data and with an empty database; queries and figures as
plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from aoai_watch.app import figures, queries
from aoai_watch.failover.outcomes import GOOD, sql_list
from aoai_watch.probes.store import Store
from streamlit.testing.v1 import AppTest

from tests.app.dashboard_data import prepare

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


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dash") / "dash.duckdb"
    prepare(path)
    return path


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
    assert (at.title and not at.info) or page == "views/drills.py"


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


def test_queries_and_figures_as_plain_functions(db: Path) -> None:
    store = Store(db)
    now = datetime.now(UTC).replace(tzinfo=None)
    f = queries.Filters(now - timedelta(days=1), now + timedelta(minutes=1))
    overview = queries.overview(store, f, 2000)
    assert set(overview["region"]) == {"eastus2", "swedencentral", "failover"}
    chart = figures.availability(overview, 0.999)
    shown = chart.data.set_index("region")
    ratios = (overview["good"] / overview["valid"] * 100).set_axis(overview["region"])
    assert shown["availability_pct"].to_dict() == pytest.approx(ratios.to_dict(), abs=1e-3)
    # eastus2 (an outage every 30 min) is red, the others green; the dashed target line sits at 99.9
    assert shown.loc["eastus2", "colour"] == "#d62728" and shown.loc["swedencentral", "colour"] == "#2ca02c"
    assert chart.spec["layer"][2]["encoding"]["y"]["datum"] == pytest.approx(99.9)
    assert chart.spec["layer"][0]["encoding"]["y"]["scale"]["domain"][0] < ratios.min()  # the lowest bar shows
    history = queries.status_history(store, f, "15 minutes")
    faults = queries.fault_windows(store, f)
    drawn = figures.status_history(history, pd.Timedelta("15 minutes"), faults).data
    cells, shaded = drawn[drawn["layer"] == "cell"], drawn[drawn["layer"] == "fault"]
    assert len(faults) >= 1 and list(shaded["region"]) == list(faults["region"])  # each fault on its region's row
    # the 2-second fault darkens exactly the 15-minute bucket it ran in; its tooltip keeps the real times
    bucket = history[history["region"] == "eastus2"]["bucket"]
    inside = bucket[
        (bucket <= faults["start_ts"].iloc[0]) & (faults["start_ts"].iloc[0] < bucket + pd.Timedelta("15 min"))
    ]
    assert list(shaded["bucket"]) == list(inside) and list(shaded["bucket_end"]) == [
        inside.iloc[0] + pd.Timedelta("15 min")
    ]
    assert list(shaded["fault_until"]) == [f"{faults['recorded_end_ts'].iloc[0]:%Y-%m-%d %H:%M:%S}"]
    unrecorded = figures.status_history(history, pd.Timedelta("15 minutes"), faults.assign(recorded_end_ts=pd.NaT))
    assert list(unrecorded.data["fault_until"].dropna()) == ["not recorded"]
    # a fault for a region the chart does not show adds no row
    other = faults.assign(region="westus")
    assert "westus" not in set(figures.status_history(history, pd.Timedelta("15 minutes"), other).data["region"])
    assert len(cells) == len(history) and ((cells["bucket_end"] - cells["bucket"]) == pd.Timedelta("15 min")).all()
    east = cells[cells["region"] == "eastus2"]
    assert east["bad_share"].between(0, 1).all() and (east["bad_share"] > 0).any()
    assert (cells.loc[cells["region"] == "swedencentral", "bad_share"] == 0).all()
    limits = queries.rate_limits(store, f)
    assert len(limits) == 4 and (limits["retry_after_s"] == 10).all()
    assert limits["recovered_after_s"].notna().all() and (limits["recovered_after_s"] > 0).all()
    assert isinstance(figures.rate_limits(limits), go.Figure)
    latency = queries.latency_over_time(store, f, "15 minutes")
    fig = figures.latency_over_time(latency, 2000, queries.fault_windows(store, f))
    assert any(t.name == "eastus2 p99" for t in fig.data) and fig.layout.shapes  # 2 s line and a shaded fault
    spent, projected = queries.month_to_date(store, now)
    assert spent > 0 and projected >= spent
    assert len(queries.model_changes(store)) == 1
    counts = queries.window_counts(store, now, [300, 3600])
    east = counts[counts["region"] == "eastus2"].iloc[0]
    assert 59 <= east["valid_3600"] <= 60 and 4 <= east["valid_300"] <= 6


def test_monitor_page_flags_the_bucket_where_azure_saw_errors_the_probes_missed(
    monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    at = run_page(monkeypatch, db, "views/monitor.py")
    flags = at.dataframe[0].value
    assert list(flags["region"]) == ["swedencentral"] and list(flags["disagreement"]) == ["Azure errors unseen"]
    assert "20 5xx" in flags["detail"][0]
    matched = at.dataframe[1].value.set_index("region")
    assert matched.loc["eastus2", "in_azure_logs"] == matched.loc["eastus2", "probes_with_id"] > 0
    assert matched.loc["eastus2", "outside_azure_median_ms"] == pytest.approx(35.0)


def test_monitor_page_without_imported_metrics_explains_the_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aoai_watch.probes.result import ProbeResult

    db = tmp_path / "probes-only.duckdb"
    Store(db).write([ProbeResult(region="eastus2", deployment="gpt-4o", kind="chat", outcome="ok", prober="t")])
    at = run_page(monkeypatch, db, "views/monitor.py")
    assert "aoai-watch import-metrics" in at.info[0].value and "Monitoring Reader" in at.info[0].value
