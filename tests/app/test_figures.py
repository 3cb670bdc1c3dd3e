"""The dashboard's figures as plain functions, drawn from the queries over the prepared database
(tests/app/conftest.py): what each chart would show, checked on its data and spec."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from aoai_watch.app import figures, look, queries
from aoai_watch.probes.store import Store

WIDTH = pd.Timedelta("15 minutes")
AT = pd.Timestamp("2025-01-01 10:00")


ORDER = ["failover", "eastus2", "swedencentral"]


@pytest.fixture(scope="module")
def ratios(overview: pd.DataFrame) -> pd.Series:
    """Each region's availability in percent, by region: what the bars must show."""
    return (overview["good"] / overview["valid"] * 100).set_axis(overview["region"])


@pytest.fixture(scope="module")
def availability(overview: pd.DataFrame) -> figures.VegaChart:
    return figures.availability(overview, 0.999, ORDER)


@pytest.fixture(scope="module")
def drawn(history: pd.DataFrame, faults: pd.DataFrame) -> pd.DataFrame:
    return figures.status_history(history, WIDTH, faults, ORDER).data


@pytest.fixture(scope="module")
def cells(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "cell"]


@pytest.fixture(scope="module")
def shaded(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "fault"]


def test_availability_bars_show_each_regions_ratio_in_the_one_order(
    availability: figures.VegaChart, ratios: pd.Series
) -> None:
    assert list(availability.data["region"]) == ORDER
    shown = availability.data.set_index("region")
    assert shown["availability_pct"].to_dict() == pytest.approx(ratios.to_dict(), abs=1e-3)


def test_availability_bars_take_the_regions_colour_and_say_missed_in_red(availability: figures.VegaChart) -> None:
    shown = availability.data.set_index("region")
    assert shown["colour"].to_dict() == look.region_colours(ORDER)  # the same colour as on every page
    # eastus2 has an outage every 30 min: under 99.9%, said in words and in the down colour
    assert shown.loc["eastus2", "label"].endswith(" missed")
    assert shown.loc["eastus2", "label_colour"] == look.STATE_COLOURS["down"]
    assert (
        shown.loc["swedencentral", "label"] == "100.00%"  # as the table writes it (look.percent)
        and shown.loc["swedencentral", "label_colour"] != (look.STATE_COLOURS["down"])
    )


def test_availability_target_line_sits_at_the_slo(availability: figures.VegaChart) -> None:
    assert availability.spec["layer"][2]["encoding"]["y"]["datum"] == pytest.approx(99.9)  # the dashed line
    assert "99.9%" in availability.spec["title"]["subtitle"]


def test_availability_axis_starts_below_the_lowest_bar(availability: figures.VegaChart, ratios: pd.Series) -> None:
    assert availability.spec["layer"][0]["encoding"]["y"]["scale"]["domain"][0] < ratios.min()  # the lowest bar shows


def test_latency_sli_bars_flag_a_region_under_the_latency_target(overview: pd.DataFrame) -> None:
    chart = figures.latency_sli(overview, 0.99, 2.0, ORDER)
    shares = (overview["fast"] / overview["successful"]).set_axis(overview["region"])
    shown = chart.data.set_index("region")
    assert shown["availability_pct"].to_dict() == pytest.approx((shares * 100).to_dict(), abs=1e-3)
    for region, share in shares.items():
        assert shown.loc[region, "label"].endswith(" missed") == (share < 0.99)


def test_slo_bars_put_both_slis_side_by_side_in_one_chart(overview: pd.DataFrame) -> None:
    from aoai_watch.probes.config import SloTargets

    chart = figures.slo_bars(overview, SloTargets(), ORDER)
    assert [v["transform"] for v in chart.spec["hconcat"]] == [
        [{"filter": "datum.panel === 'availability'"}],
        [{"filter": "datum.panel === 'latency'"}],
    ]
    both = chart.data.groupby("panel")["region"].apply(list).to_dict()
    assert both == {"availability": ORDER, "latency": ORDER}
    targets = [v["layer"][2]["encoding"]["y"]["datum"] for v in chart.spec["hconcat"]]
    assert targets == pytest.approx([99.9, 99.0])  # each panel its own target


def test_status_history_rows_follow_the_one_order_then_the_drill_lanes(
    history: pd.DataFrame, faults: pd.DataFrame
) -> None:
    chart = figures.status_history(history, WIDTH, faults, ORDER)
    assert chart.spec["layer"][0]["encoding"]["y"]["sort"] == [*ORDER, "drill: eastus2"]


def test_status_history_draws_faults_in_their_own_lane_never_on_a_regions_row(
    faults: pd.DataFrame, shaded: pd.DataFrame, cells: pd.DataFrame
) -> None:
    assert len(faults) >= 1 and list(shaded["lane"]) == ["drill: " + r for r in faults["region"]]
    assert set(cells["lane"]) == set(ORDER)  # the cells' rows hold probes only
    assert list(shaded["colour"]) == [look.region_colours(ORDER)[r] for r in faults["region"]]


def test_status_history_draws_a_fault_at_its_real_time_not_its_whole_bucket(
    cells: pd.DataFrame, faults: pd.DataFrame, shaded: pd.DataFrame
) -> None:
    # the 2-second fault starts where it started and is a sliver wide, not a 15-minute bucket
    assert list(shaded["bucket"]) == list(faults["start_ts"])
    span = cells["bucket_end"].max() - cells["bucket"].min()
    width = (shaded["bucket_end"] - shaded["bucket"]).iloc[0]
    assert width == max(faults["end_ts"].iloc[0] - faults["start_ts"].iloc[0], span / 150) and width < WIDTH


def test_status_history_fault_tooltip_keeps_the_recorded_end(faults: pd.DataFrame, shaded: pd.DataFrame) -> None:
    assert list(shaded["fault_until"]) == [f"{faults['recorded_end_ts'].iloc[0]:%Y-%m-%d %H:%M:%S}"]


def test_status_history_fault_without_a_recorded_end_says_not_recorded(
    history: pd.DataFrame, faults: pd.DataFrame
) -> None:
    unrecorded = figures.status_history(history, WIDTH, faults.assign(recorded_end_ts=pd.NaT))
    assert list(unrecorded.data["fault_until"].dropna()) == ["not recorded"]


def test_status_history_fault_of_a_region_not_shown_adds_no_lane(history: pd.DataFrame, faults: pd.DataFrame) -> None:
    other = faults.assign(region="westus")
    data = figures.status_history(history, WIDTH, other).data
    assert "westus" not in set(data["region"]) and not (data["layer"] == "fault").any()


def test_status_history_has_one_cell_per_bucket_each_one_bucket_wide(
    history: pd.DataFrame, cells: pd.DataFrame
) -> None:
    assert len(cells) == len(history) and ((cells["bucket_end"] - cells["bucket"]) == WIDTH).all()


def test_status_history_colours_cells_by_state(drawn: pd.DataFrame, cells: pd.DataFrame) -> None:
    east = cells[cells["region"] == "eastus2"]
    sweden = cells[cells["region"] == "swedencentral"]
    assert len(east) > 0 and len(sweden) > 0
    assert set(east["state"]) == {"up", "degraded"} and (east[east["state"] == "degraded"]["bad"] > 0).all()
    assert (sweden["state"] == "up").all()
    colour = figures.status_history(cells, WIDTH).spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour == {"domain": ["up", "degraded", "down"], "range": [look.STATE_COLOURS[s] for s in colour["domain"]]}


def test_status_history_marks_half_bad_buckets_down() -> None:
    history = pd.DataFrame(
        {"region": ["eastus2"] * 3, "bucket": [AT, AT + WIDTH, AT + 2 * WIDTH], "probes": [4, 4, 4], "bad": [0, 1, 2]}
    )
    assert list(figures.status_history(history, WIDTH).data["state"]) == ["up", "degraded", "down"]


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
