"""The charts of every page but the Overview, as plain functions: sparse data draws a mark, lines
stop at the data, partial buckets are marked, fault labels keep apart, every trace is named, and a
region keeps its colour and place (look)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from aoai_watch.app import figures, look, queries, spend
from aoai_watch.probes.store import Store

from tests.app import page_data

AT = pd.Timestamp("2026-11-25 10:00")
Q = pd.Timedelta("15 minutes")
NOW = AT + pd.Timedelta(minutes=4)  # four minutes into the one bucket: it is still filling


def one_point_latency(region: str = "eastus2") -> pd.DataFrame:
    return pd.DataFrame(
        {"region": [region], "bucket": [AT], "last_ts": [AT + pd.Timedelta(minutes=3)], "probes": [12]}
        | {"p50_ms": [400.0], "p95_ms": [700.0], "p99_ms": [900.0], "ttft_p50_ms": [200.0]}
    )


def one_bucket_overlay(settled: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {"region": ["eastus2"], "bucket": [AT], "bucket_end": [AT + Q], "last_ts": [AT + pd.Timedelta(minutes=3)]}
        | {"az_requests": [60.0], "az_5xx": [0.0], "az_429": [0.0], "az_tokens": [1200.0], "az_points": [4]}
        | {"settled": [settled], "probes": [12], "probes_good": [12], "probes_answered": [12], "probe_429": [0]}
        | {"probe_tokens": [240]}
        | {"az_availability": [100.0], "probe_availability": [100.0]}
    )


def drawn(trace: Any) -> list[Any]:
    """The y values a trace draws (missing ones are gaps)."""
    return [v for v in (trace.y if trace.y is not None else []) if v is not None and not pd.isna(v)]


def marks_a_single_point(trace: Any) -> bool:
    """A lone point shows only as a marker: a line needs two."""
    return "markers" in (trace.mode or "") and (trace.marker.size is None or _largest(trace.marker.size) > 0)


def _largest(size: Any) -> float:
    return max(size) if isinstance(size, list | tuple) else float(size)


def time_figures() -> dict[str, go.Figure]:
    overlay = one_bucket_overlay(settled=False)
    return {
        "latency_over_time": figures.latency_over_time(one_point_latency(), 2000, width=Q, now=NOW),
        "monitor_availability": figures.monitor_availability(overlay, pd.DataFrame(), 0.999),
        "monitor_tokens": figures.monitor_tokens(overlay),
    }


@pytest.mark.parametrize("name", list(time_figures()))
def test_a_single_point_series_draws_a_marker(name: str) -> None:
    fig = time_figures()[name]
    shown = [t for t in fig.data if drawn(t) and t.visible is not False and t.visible != "legendonly"]
    assert shown, "nothing drawn"
    assert all(marks_a_single_point(t) for t in shown)


def test_a_single_bucket_of_outcomes_is_a_bar_as_wide_as_its_data_not_a_millisecond() -> None:
    outcomes = pd.DataFrame(
        {"bucket": [AT, AT], "outcome": ["ok", "server_error"], "probes": [40, 2], "first_ts": [AT + Q / 5] * 2}
    )
    fig = figures.outcomes_over_time(outcomes, width=Q, now=NOW)
    bars = [t for t in fig.data if t.type == "bar" and drawn(t)]
    assert {t.name for t in bars} == {"ok", "server_error"}
    for bar in bars:
        (width_ms,) = bar.width
        assert width_ms >= 50_000  # the minute from the first probe to now (less a gap between bars): visible
        # it starts at the first probe and ends at now: no bar before the data, none into the future
        (centre,) = bar.x
        half = pd.Timedelta(milliseconds=width_ms / 2 / 0.9)  # the bar's span, without the gap between bars
        assert pd.Timestamp(centre) - half >= AT + Q / 5
        assert pd.Timestamp(centre) + half <= NOW + pd.Timedelta(seconds=1)


def test_the_bucket_still_filling_is_hatched_never_a_solid_drop() -> None:
    starts = [AT - Q * 2, AT - Q, AT]
    outcomes = pd.DataFrame({"bucket": starts, "outcome": ["ok"] * 3, "probes": [60, 60, 12], "first_ts": starts})
    fig = figures.outcomes_over_time(outcomes, width=Q, now=NOW)
    whole, filling = [t for t in fig.data if t.legendgroup == "ok"]
    assert len(whole.y) == 2 and not whole.marker.pattern.shape and whole.showlegend
    assert list(filling.y) == [12] and filling.marker.pattern.shape == "/" and not filling.showlegend
    assert any(t.name.startswith("hatched: partial bucket") for t in fig.data)  # the legend says what hatching means


def test_a_partial_last_point_is_hollow_on_a_faint_dotted_tail() -> None:
    latency = pd.concat(
        [one_point_latency().assign(bucket=AT - Q, last_ts=AT - pd.Timedelta(seconds=5)), one_point_latency()]
    )
    fig = figures.latency_over_time(latency, 2000, width=Q, now=NOW)
    solid = next(t for t in fig.data if t.name == "eastus2 p50")
    tail = next(t for t in fig.data if t.legendgroup == "eastus2 p50" and t is not solid)
    assert drawn(solid) == [400.0]  # the settled bucket; the filling one is left to the tail
    assert tail.line.dash == "dot" and tail.marker.symbol == "circle-open" and tail.opacity < 1
    sizes = list(tail.marker.size)
    assert sizes[-1] > 0 and sizes[0] == 0  # hollow on the partial point only


def test_lines_stop_at_the_last_probe_not_at_a_bucket_start() -> None:
    fig = figures.latency_over_time(one_point_latency(), 2000, width=Q, now=NOW)
    xs = [pd.Timestamp(x) for t in fig.data for x in (t.x or []) if x is not None]
    assert xs and max(xs) == AT + pd.Timedelta(minutes=3) and min(xs) > AT  # where the data is


def test_a_first_bucket_the_range_starts_inside_is_partial() -> None:
    latency = pd.concat([one_point_latency().assign(bucket=AT - Q), one_point_latency()])
    fig = figures.latency_over_time(latency, 2000, width=Q, since=AT - Q / 2, now=AT + Q * 2)
    tail = next(t for t in fig.data if t.legendgroup == "eastus2 p50" and "partial" in t.name)
    sizes = list(tail.marker.size)
    assert sizes[0] > 0 and sizes[1] == 0


def test_azure_tokens_not_yet_counted_stop_the_line_instead_of_plunging_to_zero() -> None:
    settled = one_bucket_overlay(settled=True).assign(bucket=AT - Q, bucket_end=AT, last_ts=AT - pd.Timedelta(1, "s"))
    filling = one_bucket_overlay(settled=False).assign(az_tokens=0.0, az_points=0)
    fig = figures.monitor_tokens(pd.concat([settled, filling], ignore_index=True))
    azure = [t for t in fig.data if t.legendgroup == "eastus2 (Azure Monitor)"]
    assert [v for t in azure for v in drawn(t)] == [1200.0]  # the settled point, and no zero after it


def test_three_faults_seconds_apart_share_one_label_and_spread_faults_take_distinct_lanes() -> None:
    close = pd.DataFrame(
        {
            "fault": ["http_error", "refuse", "black_hole"],
            "region": ["eastus2"] * 3,
            "start_ts": [AT + pd.Timedelta(seconds=s) for s in (0, 2, 4)],
            "end_ts": [AT + pd.Timedelta(seconds=s) for s in (2, 4, 6)],
        }
    )
    fig = figures.latency_over_time(one_point_latency(), 2000, close, width=Q)
    (label,) = [a.text for a in fig.layout.annotations if "eastus2" in (a.text or "")]
    assert label == "http_error, refuse, black_hole · eastus2"
    # 40 s apart, each 5 s: too far apart to share a label, too close for their labels to sit side by side
    spread = close.assign(
        start_ts=[AT + pd.Timedelta(seconds=s) for s in (0, 40, 80)],
        end_ts=[AT + pd.Timedelta(seconds=s) for s in (5, 45, 85)],
    )
    fig = figures.latency_over_time(one_point_latency(), 2000, spread, width=Q)
    labels = [a for a in fig.layout.annotations if "eastus2" in (a.text or "")]
    assert len(labels) == 3 and len({a.ay for a in labels}) == 3  # each in its own lane: no smudge


def test_drill_faults_back_to_back_are_named_and_keep_apart() -> None:
    requests = pd.DataFrame(
        {"region": ["eastus2", "swedencentral"], "ok": [True, True], "started_s": [0.1, 6.9], "latency_s": [0.03, 0.06]}
    )
    faults = pd.DataFrame(
        {"fault": ["http_error", "refuse", "black_hole"], "region": ["eastus2"] * 3}
        | {"start_s": [0.5, 2.5, 4.5], "end_s": [2.5, 4.5, 6.5]}
    )
    fig = figures.drill_timeline(requests, faults)
    labels = [a for a in fig.layout.annotations if "·" in (a.text or "")]
    assert {a.text for a in labels} == {"http_error · eastus2", "refuse · eastus2", "black_hole · eastus2"}
    assert len(fig.layout.shapes) == 3
    # each band is wider than its name: three labels, one per fault, two seconds apart in one lane (a
    # label is about a second wide on this seven-second axis, the screenshot shows them apart)
    assert sorted(a.x for a in labels) == [1.5, 3.5, 5.5] and len({a.ay for a in labels}) == 1


@pytest.fixture(scope="module")
def minutes_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    now = datetime(2026, 11, 25, 10, 4, 30)
    path = tmp_path_factory.mktemp("minutes") / "minutes.duckdb"
    page_data.minutes(path, now)
    return path, now


def page_figures(db: tuple[Path, datetime]) -> dict[str, go.Figure]:
    """Every Plotly figure of the pages, drawn from the queries over `db` as the pages draw them."""
    path, now = db
    store = Store(path)
    f = queries.Filters(now - timedelta(hours=1), now + timedelta(minutes=1))
    faults = queries.fault_windows(store, f)
    minute = pd.Timedelta("1 minute")
    rows = queries.spend(store, f, now)
    run = queries.drills(store)["run_id"].iloc[0]
    overlay = queries.monitor_overlay(store, f, "1 minute")
    from aoai_watch.app import agreement

    overlay = agreement.with_rates(overlay)
    return {
        "latency_over_time": figures.latency_over_time(
            queries.latency_over_time(store, f, "1 minute"), 2000, faults, width=minute, since=f.since, now=now
        ),
        "latency_distribution": figures.latency_distribution(queries.latencies(store, f), 2000),
        "outcomes_over_time": figures.outcomes_over_time(
            queries.outcomes_over_time(store, f, "1 minute"), faults, width=minute, since=f.since, now=now
        ),
        "rate_limits": figures.rate_limits(queries.rate_limits(store, f)),
        "cost": figures.cost(spend.by_day(rows), now, since=f.since),
        "tokens_by_kind": figures.tokens_by_kind(spend.tokens_by_kind(rows)),
        "drill_timeline": figures.drill_timeline(queries.drill_requests(store, run), queries.drill_faults(store, run)),
        "model_versions": figures.model_versions(queries.model_versions(store, f), now),
        "monitor_availability": figures.monitor_availability(overlay, agreement.disagreements(overlay), 0.999),
        "monitor_requests": figures.monitor_requests(
            queries.monitor_requests_by_status(store, f, "1 minute"),
            overlay[~overlay["settled"]],
            width=minute,
            now=now,
        ),
        "monitor_tokens": figures.monitor_tokens(overlay),
    }


def test_no_trace_is_unnamed_or_named_trace_n(minutes_db: tuple[Path, datetime]) -> None:
    for name, fig in page_figures(minutes_db).items():
        for trace in fig.data:
            assert trace.name and not trace.name.startswith("trace "), (name, trace.type)


def test_every_page_figure_draws_data_from_a_few_minutes_of_demo(minutes_db: tuple[Path, datetime]) -> None:
    for name, fig in page_figures(minutes_db).items():
        assert any(drawn(t) or (t.x is not None and len(t.x)) for t in fig.data), name


def test_a_region_has_its_colour_on_every_chart_and_the_composite_comes_first(
    minutes_db: tuple[Path, datetime],
) -> None:
    colours = look.region_colours(["eastus2", "swedencentral", "failover"])
    for name, fig in page_figures(minutes_db).items():
        for trace in fig.data:
            region = (trace.legendgroup or trace.name or "").split(" ")[0]
            if region in colours and trace.type == "scatter":
                colour = trace.marker.color if trace.mode == "markers" else trace.line.color
                assert colour == colours[region], (name, trace.name)
            if region in colours and trace.type == "histogram":
                assert trace.marker.color == colours[region], (name, trace.name)
    histogram = page_figures(minutes_db)["latency_distribution"]
    assert [t.name for t in histogram.data] == ["failover", "eastus2", "swedencentral"]  # look.region_order


def test_configured_priorities_order_the_regions() -> None:
    latency = pd.concat([one_point_latency("eastus2"), one_point_latency("swedencentral")])
    fig = figures.latency_over_time(latency, 2000, width=Q, priorities={"swedencentral": 1, "eastus2": 2})
    assert [t.name for t in fig.data][:3] == ["swedencentral p50", "swedencentral p95", "swedencentral p99"]


def test_the_model_versions_axis_spans_minutes_for_a_few_seconds_of_data() -> None:
    runs = pd.DataFrame(
        {"region": ["eastus2"], "deployment": ["gpt-4o"], "model_version": ["gpt-4o-2024-08-06"]}
        | {"previous_version": [None], "first_ts": [AT], "last_ts": [AT + pd.Timedelta(seconds=3)], "probes": [2]}
    )
    fig = figures.model_versions(runs, AT + pd.Timedelta(seconds=5))
    lo, hi = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert hi - lo >= figures.MIN_TIMELINE  # not one millisecond
    (bar,) = fig.data
    assert list(bar.text) == ["gpt-4o-2024-08-06"] and bar.x[0] >= 1000  # a visible sliver of at least a second


def test_a_model_change_is_a_marked_second_run_on_the_same_row() -> None:
    runs = pd.DataFrame(
        {"region": ["swedencentral"] * 2, "deployment": ["gpt-4o"] * 2}
        | {"model_version": ["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"], "previous_version": [None, "gpt-4o-2024-08-06"]}
        | {"first_ts": [AT, AT + Q], "last_ts": [AT + Q - pd.Timedelta(minutes=1), AT + Q * 3], "probes": [14, 30]}
    )
    fig = figures.model_versions(runs)
    (change,) = [t for t in fig.data if t.name == "change"]
    assert [pd.Timestamp(x) for x in change.x] == [AT + Q]
    assert list(change.customdata[0]) == ["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]
