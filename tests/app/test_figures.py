"""The dashboard's figures as plain functions, drawn from the queries over the prepared database
(tests/app/conftest.py): what each chart would show, checked on its data and spec. The Overview's
two HTML charts are tested in test_overview_charts.py."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from aoai_watch.app import figures, queries
from aoai_watch.probes.store import Store

WIDTH = pd.Timedelta("15 minutes")
AT = pd.Timestamp("2025-01-01 10:00")


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
