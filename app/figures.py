"""Every chart of the dashboard: pure functions, DataFrame in, chart out (no I/O, no state), so they
are tested as plain functions. Plotly Figures, except the Overview's two (see VegaChart). Fault windows
are shaded on time charts.

Plotly renders a subset of HTML in every string it draws (trace names, hovers, annotations, tick
labels): `<a href>` becomes a live link, `<span style>` restyles the page. Strings come from the
database, and so from servers (a reported model version) and drill files (a fault name), so every
Plotly figure takes its frames through `_escaped` first: `<`, `>` and `&` are drawn as themselves.
Vega-Lite draws strings as SVG text and its tooltips escape HTML, so the Overview's two need nothing."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..failover.outcomes import Outcome

__all__ = [
    "VegaChart",
    "availability",
    "cost",
    "drill_timeline",
    "latency_distribution",
    "latency_over_time",
    "model_versions",
    "monitor_availability",
    "monitor_requests",
    "monitor_tokens",
    "outcomes_over_time",
    "rate_limits",
    "status_history",
    "tokens_by_kind",
]

OUTCOME_COLOURS = {
    Outcome.OK: "#2ca02c",
    Outcome.SLOW: "#bcbd22",
    Outcome.RATE_LIMITED: "#ff7f0e",
    Outcome.SERVER_ERROR: "#d62728",
    Outcome.TIMEOUT: "#9467bd",
    Outcome.CONNECT_ERROR: "#8c564b",
    Outcome.AUTH_ERROR: "#e377c2",
    Outcome.NOT_FOUND: "#7f7f7f",
    Outcome.CONTENT_FILTER: "#17becf",
    Outcome.BAD_RESPONSE: "#1f77b4",
    Outcome.STATE_LOST: "#aec7e8",
}


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose strings Plotly draws as text, not HTML (`&lt;a href=...&gt;`); other
    values (numbers, times, missing) as they were. Applied once, where a frame enters a figure."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.cat.rename_categories([_text(c) for c in values.cat.categories])
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            out[column] = values.map(_text)
    return out


def _text(value: Any) -> Any:
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin={"l": 40, "r": 20, "t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2}
    )
    return fig


def shade_faults(fig: go.Figure, faults: pd.DataFrame, x0: str = "start_ts", x1: str = "end_ts") -> go.Figure:
    for row in faults.itertuples(index=False):
        fig.add_vrect(
            x0=getattr(row, x0),
            x1=getattr(row, x1),
            fillcolor="red",
            opacity=0.12,
            line_width=0,
            annotation_text=f"{row.fault} {row.region}",
            annotation_position="top left",
        )
    return fig


@dataclass(frozen=True)
class VegaChart:
    """A Vega-Lite chart: the rows it plots and its spec, for `st.vega_lite_chart(chart.data, chart.spec)`.

    The Overview's two charts are Vega-Lite rather than Plotly: it is the page people open first, and
    Plotly's 4.7 MB bundle alone costs ~0.7 s of script evaluation in the browser on every load
    (bench/dashboard), more than a third of the 2-second budget for the whole page."""

    data: pd.DataFrame
    spec: dict[str, Any]


def availability(overview: pd.DataFrame, target: float) -> VegaChart:
    """One bar per region (green at or above the target, red below), its availability written on it,
    the target as one dashed line; the axis starts just below the lowest bar so 99.8 and 99.95 differ."""
    ratios = overview["good"] / overview["valid"].where(overview["valid"] > 0)
    low = max(0.0, min(float((ratios.min() if ratios.notna().any() else 1) * 100) - 1, target * 100 - 1))
    data = pd.DataFrame(
        {
            "region": overview["region"].astype(str),
            "availability_pct": [None if pd.isna(r) else round(float(r) * 100, 4) for r in ratios],
            "label": [f"{r:.3%}" if pd.notna(r) else "no data" for r in ratios],
            "label_pct": [low if pd.isna(r) else float(r) * 100 for r in ratios],
            "colour": ["#2ca02c" if pd.notna(r) and r >= target else "#d62728" for r in ratios],
            "probes": overview["valid"].astype(int),
        }
    )
    x = {"field": "region", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    y = {
        "type": "quantitative",
        "title": "availability %",
        "scale": {"domain": [low, 100.05], "zero": False, "nice": False},
    }
    one_mark = {"values": [{}]}  # the target line and its label once, not once per region
    spec = {
        "title": "Availability per region vs target",
        "height": 320,
        "usermeta": {"embedOptions": {"renderer": "svg"}},  # a few marks: text stays readable in the page
        "layer": [
            {
                "mark": {"type": "bar", "clip": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "availability_pct", **y},
                    "color": {"field": "colour", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "region", "type": "nominal"},
                        {"field": "label", "type": "nominal", "title": "availability"},
                        {"field": "probes", "type": "quantitative"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "dy": -8, "fontSize": 13},
                "encoding": {"x": x, "y": {"field": "label_pct", **y}, "text": {"field": "label"}},
            },
            {
                "data": one_mark,
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#555"},
                "encoding": {"y": {"datum": target * 100, **y}},
            },
            {
                "data": one_mark,
                "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "color": "#555"},
                "encoding": {
                    "y": {"datum": target * 100, **y},
                    "x": {"value": 0},
                    "text": {"value": f"target {target:.1%}"},
                },
            },
        ],
    }
    return VegaChart(data, spec)


def status_history(history: pd.DataFrame, width: pd.Timedelta, faults: pd.DataFrame | None = None) -> VegaChart:
    """One row per region, one cell per time bucket (`width` long), coloured by the share of bad
    probes: green none, orange some, red half or more. Faults injected by drills
    (`queries.fault_windows`) darken, with a black outline, the buckets of their region's row they
    touched. Times are UTC, as stored."""
    cells = history.assign(
        layer="cell",
        bad_share=history["bad"] / history["probes"],
        bucket_end=history["bucket"] + width,
        region=history["region"].astype(str),
        fault=None,
        fault_from=None,
        fault_until=None,
    )
    frames = [cells]
    if faults is not None and not faults.empty and not cells.empty:
        shown = faults[faults["region"].isin(set(cells["region"]))]
        # on the buckets' grid (DuckDB's time_bucket and pandas' floor share it for these widths), so
        # a 2-second fault darkens the bucket it happened in; and within the range the cells cover
        lo, hi = cells["bucket"].min(), cells["bucket_end"].max()
        floor = shown["start_ts"].dt.floor(width)
        ceil = shown["end_ts"].fillna(shown["start_ts"]).dt.ceil(width)
        drawn = pd.DataFrame(
            {
                "layer": "fault",
                "region": shown["region"].astype(str),
                "bucket": floor.clip(lower=lo),
                "bucket_end": ceil.where(ceil > floor, floor + width).clip(upper=hi),
                "fault": shown["fault"].astype(str),
                "fault_from": shown["start_ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                "fault_until": shown["recorded_end_ts"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("not recorded"),
            }
        )
        frames.append(drawn[drawn["bucket"] < drawn["bucket_end"]])
    data = pd.concat([f for f in frames if not f.empty] or [cells], ignore_index=True)[
        ["layer", "region", "bucket", "bucket_end", "bad_share", "probes", "bad", "fault", "fault_from", "fault_until"]
    ]
    x = {
        "field": "bucket",
        "type": "temporal",
        "title": "UTC",  # stored naive UTC; Streamlit hands it to the browser as wall-clock time, shown as is
        "axis": {"format": "%b %d %H:%M", "labelOverlap": True},
    }
    y = {"field": "region", "type": "nominal", "sort": None, "title": None}
    spec = {
        "title": "Status history (green: all good, orange: some failures, red: half or more; dark: a drill's fault)",
        "height": 90 + 34 * max(1, cells["region"].nunique()),  # Streamlit sizes the whole chart: title and axis too
        "layer": [
            {
                "transform": [{"filter": "datum.layer === 'cell'"}],
                "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "x2": {"field": "bucket_end"},
                    "y": y,
                    "color": {
                        "field": "bad_share",
                        "type": "quantitative",
                        # three colours, no blend: one failure in 2,000 probes is as orange as 40% are
                        "scale": {
                            "type": "threshold",
                            "domain": [1e-9, 0.5],
                            "range": ["#2ca02c", "#ff7f0e", "#d62728"],
                        },
                        "legend": None,
                    },
                    "tooltip": [
                        {"field": "region", "type": "nominal"},
                        {"field": "bucket", "type": "temporal", "title": "from (UTC)", "format": "%Y-%m-%d %H:%M"},
                        {"field": "bad_share", "type": "quantitative", "title": "bad", "format": ".1%"},
                        {"field": "probes", "type": "quantitative"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.layer === 'fault'"}],
                "mark": {"type": "rect", "color": "black", "opacity": 0.3, "stroke": "black", "strokeWidth": 1.5},
                "encoding": {
                    "x": x,
                    "x2": {"field": "bucket_end"},
                    "y": y,
                    "tooltip": [
                        {"field": "fault", "type": "nominal"},
                        {"field": "region", "type": "nominal"},
                        {"field": "fault_from", "type": "nominal", "title": "from (UTC)"},
                        {"field": "fault_until", "type": "nominal", "title": "until (UTC)"},
                    ],
                },
            },
        ],
    }
    return VegaChart(data, spec)


def latency_over_time(latency: pd.DataFrame, threshold_ms: float, faults: pd.DataFrame | None = None) -> go.Figure:
    latency, faults = _escaped(latency), None if faults is None else _escaped(faults)
    fig = go.Figure()
    for region, rows in latency.groupby("region", sort=False):
        for column, dash in (("p50_ms", "solid"), ("p95_ms", "dash"), ("p99_ms", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=rows["bucket"],
                    y=rows[column],
                    mode="lines",
                    line={"dash": dash},
                    name=f"{region} {column.split('_')[0]}",
                )
            )
        if rows["ttft_p50_ms"].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=rows["bucket"],
                    y=rows["ttft_p50_ms"],
                    mode="lines",
                    line={"dash": "dashdot"},
                    name=f"{region} first token p50",
                )
            )
    fig.add_hline(y=threshold_ms, line_color="red", annotation_text=f"{threshold_ms / 1000:g} s")
    fig.update_yaxes(title="ms")
    if faults is not None and not faults.empty:
        shade_faults(fig, faults)
    return _layout(fig, "Latency to last byte (p50/p95/p99) and to first token")


def latency_distribution(latencies: pd.DataFrame, threshold_ms: float) -> go.Figure:
    latencies = _escaped(latencies)
    fig = go.Figure(
        [
            go.Histogram(x=rows["latency_ms"], name=str(region), opacity=0.6, nbinsx=60)
            for region, rows in latencies.groupby("region", sort=False)
        ]
    )
    fig.add_vline(x=threshold_ms, line_color="red")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="latency ms")
    return _layout(fig, "Latency distribution")


def outcomes_over_time(outcomes: pd.DataFrame, faults: pd.DataFrame | None = None) -> go.Figure:
    outcomes, faults = _escaped(outcomes), None if faults is None else _escaped(faults)
    fig = go.Figure(
        [
            go.Bar(
                x=rows["bucket"], y=rows["probes"], name=str(outcome), marker_color=OUTCOME_COLOURS.get(str(outcome))
            )
            for outcome, rows in outcomes.groupby("outcome", sort=False)
        ]
    )
    fig.update_layout(barmode="stack")
    if faults is not None and not faults.empty:
        shade_faults(fig, faults)
    return _layout(fig, "Outcomes over time")


def rate_limits(limits: pd.DataFrame) -> go.Figure:
    limits = _escaped(limits)
    fig = go.Figure(
        go.Scatter(
            x=limits["retry_after_s"],
            y=limits["recovered_after_s"],
            mode="markers",
            text=limits["region"],
            marker={"size": 9},
        )
    )
    top = float(pd.concat([limits["retry_after_s"], limits["recovered_after_s"]]).max() or 1)
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dash"}, name="honest"))
    fig.update_xaxes(title="Retry-After promised (s)")
    fig.update_yaxes(title="time until success again (s)")
    return _layout(fig, "429s: Retry-After promised vs what it really took")


def cost(by_day: pd.DataFrame) -> go.Figure:
    by_day = _escaped(by_day)
    fig = go.Figure(
        [
            go.Bar(x=rows["day"], y=rows["cost_usd"], name=str(region))
            for region, rows in by_day.groupby("region", sort=False)
        ]
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="USD")
    return _layout(fig, "Probe spend per day and region")


def tokens_by_kind(tokens: pd.DataFrame) -> go.Figure:
    tokens = _escaped(tokens)
    fig = go.Figure(
        [
            go.Bar(x=tokens["kind"], y=tokens["prompt_tokens"], name="prompt"),
            go.Bar(x=tokens["kind"], y=tokens["completion_tokens"], name="completion"),
        ]
    )
    fig.update_layout(barmode="stack")
    return _layout(fig, "Tokens per probe kind")


def drill_timeline(requests: pd.DataFrame, faults: pd.DataFrame) -> go.Figure:
    requests, faults = _escaped(requests), _escaped(faults)
    fig = go.Figure()
    for (region, ok), rows in requests.groupby([requests["region"].fillna("none"), "ok"], sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["started_s"],
                y=rows["latency_s"],
                mode="markers",
                name=f"{region} {'ok' if ok else 'failed'}",
                marker={"symbol": "circle" if ok else "x", "size": 5},
            )
        )
    if not faults.empty:
        shade_faults(fig, faults.fillna({"end_s": float(requests["started_s"].max() or 0)}), "start_s", "end_s")
    fig.update_xaxes(title="seconds into the drill")
    fig.update_yaxes(title="latency s")
    return _layout(fig, "Drill requests by region and outcome, faults shaded")


def model_versions(versions: pd.DataFrame) -> go.Figure:
    versions = _escaped(versions)
    fig = go.Figure()
    for (region, deployment), rows in versions.groupby(["region", "deployment"], sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["hour"],
                y=rows["model_version"],
                mode="lines+markers",
                line={"shape": "hv"},
                name=f"{region}/{deployment}",
            )
        )
    return _layout(fig, "Model version reported per deployment")


def monitor_availability(rates: pd.DataFrame, flags: pd.DataFrame, target: float) -> go.Figure:
    """Availability per region as Azure Monitor saw it (solid) and as the probes saw it (dotted),
    with the target line and a red x on each bucket where the two disagree."""
    rates, flags = _escaped(rates), _escaped(flags)
    fig = go.Figure()
    for region, rows in rates.groupby("region", sort=True):
        azure = rows.dropna(subset=["az_availability"])
        probes = rows.dropna(subset=["probe_availability"])
        fig.add_scatter(
            x=[str(b) for b in azure["bucket"]],
            y=azure["az_availability"].tolist(),
            mode="lines+markers",
            name=f"{region} (Azure Monitor)",
        )
        fig.add_scatter(
            x=[str(b) for b in probes["bucket"]],
            y=probes["probe_availability"].tolist(),
            mode="lines",
            line={"dash": "dot"},
            name=f"{region} (probes)",
        )
    if not flags.empty:
        at = rates.set_index(["region", "bucket"])["probe_availability"]
        fig.add_scatter(
            x=[str(b) for b in flags["bucket"]],
            y=[at.get((r, b), 100.0) for r, b in zip(flags["region"], flags["bucket"], strict=True)],
            mode="markers",
            marker={"symbol": "x", "size": 12, "color": "#d62728"},
            name="disagreement",
            text=[f"{r}: {k}" for r, k in zip(flags["region"], flags["disagreement"], strict=True)],
            hovertemplate="%{text}<extra></extra>",
        )
    fig.add_hline(y=target * 100, line_dash="dash", line_color="grey", annotation_text=f"target {target:.1%}")
    lowest = rates[["az_availability", "probe_availability"]].min().min()
    fig.update_yaxes(title="availability %", range=[min(90.0, lowest if pd.notna(lowest) else 90.0) - 1, 100.5])
    return _layout(fig, "Availability: Azure Monitor vs probes")


def monitor_requests(by_status: pd.DataFrame) -> go.Figure:
    """Azure's request counts per region by status class (2xx, 429, other 4xx, 5xx)."""
    by_status = _escaped(by_status)
    frame = by_status.assign(
        status=by_status["status_code"].map(
            lambda s: "429" if s == "429" else f"{str(s)[:1]}xx" if str(s)[:1] in "2345" else str(s)
        )
    )
    grouped = frame.groupby(["region", "status", "bucket"], as_index=False)["requests"].sum()
    colours = {"2xx": "#2ca02c", "429": "#ff7f0e", "4xx": "#9467bd", "5xx": "#d62728"}
    fig = go.Figure()
    for (region, status), rows in grouped.groupby(["region", "status"], sort=True):
        fig.add_bar(
            x=[str(b) for b in rows["bucket"]],
            y=rows["requests"].tolist(),
            name=f"{region} {status}",
            marker_color=colours.get(status),
            offsetgroup=region,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="requests")
    return _layout(fig, "Requests Azure served, by status (bars grouped per region)")


def monitor_tokens(rates: pd.DataFrame) -> go.Figure:
    """Tokens per bucket: everything Azure processed (prompt + generated) against the probes' share."""
    rates = _escaped(rates)
    fig = go.Figure()
    for region, rows in rates.groupby("region", sort=True):
        x = [str(b) for b in rows["bucket"]]
        fig.add_scatter(x=x, y=rows["az_tokens"].tolist(), mode="lines", name=f"{region} (Azure Monitor)")
        fig.add_scatter(
            x=x, y=rows["probe_tokens"].tolist(), mode="lines", line={"dash": "dot"}, name=f"{region} (probes)"
        )
    fig.update_yaxes(title="tokens")
    return _layout(fig, "Tokens: all traffic (Azure Monitor) vs the probes' own")
