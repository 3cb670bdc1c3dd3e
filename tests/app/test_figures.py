"""The dashboard's figures as plain functions, drawn from the queries over the prepared database
(tests/app/conftest.py): what each chart would show, checked on its data and spec."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from aoai_watch.app import figures, queries
from aoai_watch.probes.store import Store

WIDTH = pd.Timedelta("15 minutes")


@pytest.fixture(scope="module")
def ratios(overview: pd.DataFrame) -> pd.Series:
    """Each region's availability in percent, by region: what the bars must show."""
    return (overview["good"] / overview["valid"] * 100).set_axis(overview["region"])


@pytest.fixture(scope="module")
def availability(overview: pd.DataFrame) -> figures.VegaChart:
    return figures.availability(overview, 0.999)


@pytest.fixture(scope="module")
def drawn(history: pd.DataFrame, faults: pd.DataFrame) -> pd.DataFrame:
    return figures.status_history(history, WIDTH, faults).data


@pytest.fixture(scope="module")
def cells(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "cell"]


@pytest.fixture(scope="module")
def shaded(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "fault"]


def test_availability_bars_show_each_regions_ratio(availability: figures.VegaChart, ratios: pd.Series) -> None:
    shown = availability.data.set_index("region")
    assert shown["availability_pct"].to_dict() == pytest.approx(ratios.to_dict(), abs=1e-3)


def test_availability_colours_eastus2_red_and_swedencentral_green(availability: figures.VegaChart) -> None:
    # eastus2 has an outage every 30 min
    shown = availability.data.set_index("region")
    assert shown.loc["eastus2", "colour"] == "#d62728" and shown.loc["swedencentral", "colour"] == "#2ca02c"


def test_availability_target_line_sits_at_the_slo(availability: figures.VegaChart) -> None:
    assert availability.spec["layer"][2]["encoding"]["y"]["datum"] == pytest.approx(99.9)  # the dashed line


def test_availability_axis_starts_below_the_lowest_bar(availability: figures.VegaChart, ratios: pd.Series) -> None:
    assert availability.spec["layer"][0]["encoding"]["y"]["scale"]["domain"][0] < ratios.min()  # the lowest bar shows


def test_status_history_draws_each_fault_on_its_regions_row(faults: pd.DataFrame, shaded: pd.DataFrame) -> None:
    assert len(faults) >= 1 and list(shaded["region"]) == list(faults["region"])


def test_status_history_fault_darkens_exactly_the_bucket_it_ran_in(
    history: pd.DataFrame, faults: pd.DataFrame, shaded: pd.DataFrame
) -> None:
    # the 2-second fault darkens exactly the 15-minute bucket it ran in
    bucket = history[history["region"] == "eastus2"]["bucket"]
    start = faults["start_ts"].iloc[0]
    inside = bucket[(bucket <= start) & (start < bucket + WIDTH)]
    assert len(inside) == 1
    assert list(shaded["bucket"]) == list(inside) and list(shaded["bucket_end"]) == [inside.iloc[0] + WIDTH]


def test_status_history_fault_tooltip_keeps_the_recorded_end(faults: pd.DataFrame, shaded: pd.DataFrame) -> None:
    assert list(shaded["fault_until"]) == [f"{faults['recorded_end_ts'].iloc[0]:%Y-%m-%d %H:%M:%S}"]


def test_status_history_fault_without_a_recorded_end_says_not_recorded(
    history: pd.DataFrame, faults: pd.DataFrame
) -> None:
    unrecorded = figures.status_history(history, WIDTH, faults.assign(recorded_end_ts=pd.NaT))
    assert list(unrecorded.data["fault_until"].dropna()) == ["not recorded"]


def test_status_history_fault_of_a_region_not_shown_adds_no_row(history: pd.DataFrame, faults: pd.DataFrame) -> None:
    other = faults.assign(region="westus")
    assert "westus" not in set(figures.status_history(history, WIDTH, other).data["region"])


def test_status_history_has_one_cell_per_bucket_each_one_bucket_wide(
    history: pd.DataFrame, cells: pd.DataFrame
) -> None:
    assert len(cells) == len(history) and ((cells["bucket_end"] - cells["bucket"]) == WIDTH).all()


def test_status_history_shades_eastus2s_failures_and_leaves_swedencentral_clean(cells: pd.DataFrame) -> None:
    east = cells[cells["region"] == "eastus2"]
    sweden = cells[cells["region"] == "swedencentral"]
    assert len(east) > 0 and len(sweden) > 0
    assert east["bad_share"].between(0, 1).all() and (east["bad_share"] > 0).any()
    assert (sweden["bad_share"] == 0).all()


def test_rate_limits_figure_is_a_plotly_figure(limits: pd.DataFrame) -> None:
    assert len(limits) > 0
    assert isinstance(figures.rate_limits(limits), go.Figure)


def test_latency_over_time_draws_p99_lines_and_shades_the_fault(
    store: Store, filters: queries.Filters, faults: pd.DataFrame
) -> None:
    latency = queries.latency_over_time(store, filters, "15 minutes")
    fig = figures.latency_over_time(latency, 2000, faults, width=WIDTH)
    assert any(t.name == "eastus2 p99" for t in fig.data) and fig.layout.shapes  # 2 s line and a shaded fault


HOSTILE = '<a href="https://evil.example/" style="color:red;font-size:40px">click</a><b>&</b>'
AT = pd.Timestamp("2025-01-01 10:00")


def _strings(value: object) -> list[str]:
    """Every string in a figure's JSON: names, hovers, annotations, tick text, data."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if hasattr(value, "tolist"):
        return _strings(value.tolist())
    return []


def _hostile_figures() -> dict[str, go.Figure]:
    h = HOSTILE
    faults = pd.DataFrame({"start_ts": [AT], "end_ts": [AT + WIDTH], "fault": [h], "region": [h]})
    rates = pd.DataFrame(
        {"region": [h], "bucket": [AT], "bucket_end": [AT + WIDTH], "last_ts": [AT + WIDTH / 2]}
        | {"az_availability": [99.0], "probe_availability": [98.0], "settled": [True]}
        | {"az_tokens": [10], "probe_tokens": [2], "az_points": [3]}
    )
    latency = {"region": [h], "bucket": [AT], "last_ts": [AT], "p50_ms": [1.0], "p95_ms": [2.0], "p99_ms": [3.0]}
    return {
        "latency_over_time": figures.latency_over_time(
            pd.DataFrame(latency | {"ttft_p50_ms": [1.0], "probes": [4]}), 2000, faults, width=WIDTH
        ),
        "latency_distribution": figures.latency_distribution(pd.DataFrame({"region": [h], "latency_ms": [5.0]}), 2000),
        "outcomes_over_time": figures.outcomes_over_time(
            pd.DataFrame({"outcome": [h], "bucket": [AT], "probes": [3], "first_ts": [AT]}), faults
        ),
        "rate_limits": figures.rate_limits(
            pd.DataFrame({"region": [h], "retry_after_s": [1.0], "recovered_after_s": [2.0]})
        ),
        "cost": figures.cost(pd.DataFrame({"region": [h], "day": [AT], "cost_usd": [0.1], "first_ts": [AT]})),
        "tokens_by_kind": figures.tokens_by_kind(
            pd.DataFrame({"kind": [h], "prompt_tokens": [1], "completion_tokens": [2]})
        ),
        "drill_timeline": figures.drill_timeline(
            pd.DataFrame({"region": [h], "ok": [True], "started_s": [0.5], "latency_s": [0.1]}),
            pd.DataFrame({"start_s": [0.0], "end_s": [1.0], "fault": [h], "region": [h]}),
        ),
        "model_versions": figures.model_versions(
            pd.DataFrame(
                {"region": [h, h], "deployment": [h, h], "model_version": [h, "v2"], "previous_version": [None, h]}
                | {"first_ts": [AT, AT + WIDTH], "last_ts": [AT + WIDTH / 2, AT + WIDTH * 2], "probes": [3, 4]}
            )
        ),
        "monitor_availability": figures.monitor_availability(
            rates, pd.DataFrame({"region": [h], "bucket": [AT], "disagreement": [h]}), 0.999
        ),
        "monitor_requests": figures.monitor_requests(
            pd.DataFrame({"region": [h], "status_code": [h], "bucket": [AT], "requests": [4], "first_ts": [AT]})
        ),
        "monitor_tokens": figures.monitor_tokens(rates),
    }


@pytest.mark.parametrize("name", list(_hostile_figures()))
def test_plotly_draws_strings_from_the_database_as_text_not_html(name: str) -> None:
    fig = _hostile_figures()[name]
    # the markup the figures write themselves (a hover's line break, Plotly's box for the trace name) goes
    strings = [re.sub(r"</?extra>|<br>", "", s) for s in _strings(fig.to_plotly_json())]
    assert [s for s in strings if "<" in s] == []
    assert any("&lt;a href=" in s for s in strings)  # the string is there, drawn as text
    assert not any("&amp;lt;" in s for s in strings)  # escaped once, not twice


def test_escaping_leaves_plain_names_alone(store: Store, filters: queries.Filters, faults: pd.DataFrame) -> None:
    fig = figures.latency_over_time(queries.latency_over_time(store, filters, "15 minutes"), 2000, faults, width=WIDTH)
    assert "eastus2 p99" in {t.name for t in fig.data}
    assert all(a.text for a in fig.layout.annotations) and not any("&" in a.text for a in fig.layout.annotations)
