"""Every chart of the dashboard: pure functions, DataFrame in, chart out (no I/O, no state), so they
are tested as plain functions. Plotly Figures, except the Overview's (see VegaChart). Fault windows
are shaded on time charts.

Plotly renders a subset of HTML in every string it draws (trace names, hovers, annotations, tick
labels): `<a href>` becomes a live link, `<span style>` restyles the page. Strings come from the
database, and so from servers (a reported model version) and drill files (a fault name), so every
Plotly figure takes its frames through `_escaped` first: `<`, `>` and `&` are drawn as themselves.
Vega-Lite draws strings as SVG text and its tooltips escape HTML, so the Overview's need nothing."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..failover.outcomes import Outcome
from ..probes.config import SloTargets
from . import look

__all__ = [
    "VegaChart",
    "availability",
    "cost",
    "drill_timeline",
    "latency_distribution",
    "latency_over_time",
    "latency_sli",
    "model_versions",
    "monitor_availability",
    "monitor_requests",
    "monitor_tokens",
    "outcomes_over_time",
    "rate_limits",
    "slo_bars",
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


def availability(overview: pd.DataFrame, target: float, order: Sequence[str] | None = None) -> VegaChart:
    """One bar per region (in `order`, else the frame's), in the region's colour, its availability
    written on it (in the down colour with "missed" when under the target), the target as one
    dashed line named in the subtitle; the axis starts just below the lowest bar so 99.8 and 99.95
    differ."""
    return _sli_bars(overview, "good", "valid", target, "Availability per region vs target", "availability %", order)


def latency_sli(
    overview: pd.DataFrame, target: float, threshold_s: float, order: Sequence[str] | None = None
) -> VegaChart:
    """The latency SLI as `availability` draws availability: per region the share of answered
    probes under `threshold_s`, against its `target`."""
    title = f"Answers under {threshold_s:g} s per region vs target"
    return _sli_bars(overview, "fast", "successful", target, title, f"under {threshold_s:g} s %", order)


def slo_bars(overview: pd.DataFrame, targets: SloTargets, order: Sequence[str] | None = None) -> VegaChart:
    """`availability` and `latency_sli` side by side in one chart: one Vega view costs the page
    less than two (bench/dashboard). Each panel keeps its own axis and target; the data is both
    panels' rows with a `panel` column ("availability", "latency")."""
    panels = {
        "availability": availability(overview, targets.availability_target, order),
        "latency": latency_sli(overview, targets.latency_target, targets.latency_threshold_s, order),
    }
    regions = max(1, len(overview))
    step = max(30, min(90, 420 // regions))  # a fixed bar width: a concatenated chart cannot fill its container
    views = []
    for name, chart in panels.items():
        view = {k: v for k, v in chart.spec.items() if k != "usermeta"}
        views.append({**view, "width": {"step": step}, "transform": [{"filter": f"datum.panel === '{name}'"}]})
    data = pd.concat([c.data.assign(panel=name) for name, c in panels.items()], ignore_index=True)
    return VegaChart(data, {"hconcat": views, "spacing": 60, "usermeta": {"embedOptions": {"renderer": "svg"}}})


def _sli_bars(
    overview: pd.DataFrame,
    good: str,
    valid: str,
    target: float,
    title: str,
    axis: str,
    order: Sequence[str] | None,
) -> VegaChart:
    frame = overview.set_index("region").reindex([r for r in (order or []) if r in set(overview["region"])] or None)
    frame = frame.reset_index() if order else overview
    ratios = frame[good] / frame[valid].where(frame[valid] > 0)
    low = max(0.0, min(float((ratios.min() if ratios.notna().any() else 1) * 100) - 1, target * 100 - 1))
    top = 100 + (100 - low) * 0.1  # room above a full bar for its label
    regions = frame["region"].astype(str)
    colours = look.region_colours(regions)
    missed = [pd.notna(r) and r < target for r in ratios]
    data = pd.DataFrame(
        {
            "region": regions,
            "availability_pct": [None if pd.isna(r) else round(float(r) * 100, 4) for r in ratios],
            "label": [
                "no data" if pd.isna(r) else look.percent(r, 3) + (" missed" if m else "")
                for r, m in zip(ratios, missed, strict=True)
            ],
            "label_pct": [low if pd.isna(r) else float(r) * 100 for r in ratios],
            "colour": [colours[r] for r in regions],
            "label_colour": [look.STATE_COLOURS["down"] if m else "#333333" for m in missed],
            "probes": frame[valid].astype(int),
        }
    )
    x = {"field": "region", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    y = {"type": "quantitative", "title": axis, "scale": {"domain": [low, top], "zero": False, "nice": False}}
    y_axis = {**y, "axis": {"values": _ticks(low)}}  # no tick above 100%
    one_mark = {"values": [{}]}  # the target line once, not once per region
    spec = {
        "title": {"text": title, "subtitle": f"dashed: the target, {look.percent(target, 1)}"},
        "height": 300,
        "usermeta": {"embedOptions": {"renderer": "svg"}},  # a few marks: text stays readable in the page
        "layer": [
            {
                "mark": {"type": "bar", "clip": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "availability_pct", **y_axis},
                    "color": {"field": "colour", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "region", "type": "nominal"},
                        {"field": "label", "type": "nominal", "title": axis.removesuffix(" %")},
                        {"field": "probes", "type": "quantitative"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "dy": -8, "fontSize": 13, "fontWeight": "bold"},
                "encoding": {
                    "x": x,
                    "y": {"field": "label_pct", **y},
                    "text": {"field": "label"},
                    "color": {"field": "label_colour", "type": "nominal", "scale": None},
                },
            },
            {
                "data": one_mark,
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#555"},
                "encoding": {"y": {"datum": target * 100, **y}},
            },
        ],
    }
    return VegaChart(data, spec)


def _ticks(low: float) -> list[float]:
    """Up to six round ticks from `low` to 100."""
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if (100 - low) / s <= 6)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 4) for i in range(int((100 - first) / step + 1e-9) + 1)]


def _bucket_words(width: pd.Timedelta) -> str:
    seconds = int(width.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def status_history(
    history: pd.DataFrame,
    width: pd.Timedelta,
    faults: pd.DataFrame | None = None,
    order: Sequence[str] | None = None,
) -> VegaChart:
    """One row per region (in `order`), one cell per time bucket (`width` long) in the state
    colours: up when every probe in it was good, degraded when some failed, down when half or more
    did. Faults injected by drills (`queries.fault_windows`) are drawn in a lane of their own under
    the regions ("drill: eastus2"), at their real times in their region's colour and at least a
    sliver wide, never over the probes' cells: a drill runs in its own simulator, so its fault says
    a drill ran then, not that the probes saw it. Times are UTC, as stored."""
    regions = [r for r in (order or []) if r in set(history["region"])] or list(dict.fromkeys(history["region"]))
    bad_share = history["bad"] / history["probes"]
    cells = history.assign(
        layer="cell",
        lane=history["region"].astype(str),
        region=history["region"].astype(str),
        bad_share=bad_share,
        state=np.where(bad_share >= 0.5, "down", np.where(bad_share > 0, "degraded", "up")),
        bucket_end=history["bucket"] + width,
        colour=None,
        fault=None,
        fault_from=None,
        fault_until=None,
    )
    frames, lanes = [cells], list(regions)
    if faults is not None and not faults.empty and not cells.empty:
        shown = faults[faults["region"].isin(set(regions))]
        lo, hi = cells["bucket"].min(), cells["bucket_end"].max()
        sliver = (hi - lo) / 150  # a 2-second fault on a 24-hour axis still shows
        start = shown["start_ts"].clip(lower=lo)
        end = pd.concat([shown["end_ts"].fillna(shown["start_ts"]).clip(upper=hi), start + sliver], axis=1).max(axis=1)
        colours = look.region_colours(regions)
        drawn = pd.DataFrame(
            {
                "layer": "fault",
                "lane": "drill: " + shown["region"].astype(str),
                "region": shown["region"].astype(str),
                "bucket": start,
                "bucket_end": end,
                "colour": shown["region"].map(colours),
                "fault": shown["fault"].astype(str),
                "fault_from": shown["start_ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                "fault_until": shown["recorded_end_ts"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("not recorded"),
            }
        )
        drawn = drawn[(shown["start_ts"] < hi) & (shown["end_ts"].fillna(shown["start_ts"]) >= lo)]
        frames.append(drawn)
        lanes += [f"drill: {r}" for r in regions if r in set(drawn["region"])]
    columns = ["layer", "lane", "region", "bucket", "bucket_end", "state", "bad_share", "probes", "bad", "colour"]
    data = pd.concat([f for f in frames if not f.empty] or [cells], ignore_index=True)[
        [*columns, "fault", "fault_from", "fault_until"]
    ]
    span = (cells["bucket_end"].max() - cells["bucket"].min()) if not cells.empty else pd.Timedelta(0)
    label = "%H:%M:%S" if span <= pd.Timedelta(hours=1) else "%H:%M" if span <= pd.Timedelta(days=2) else "%b %d"
    x = {"field": "bucket", "type": "temporal", "title": "UTC", "axis": {"format": label, "labelOverlap": True}}
    # stored naive UTC; Streamlit hands it to the browser as wall-clock time, shown as is
    y = {"field": "lane", "type": "nominal", "sort": lanes, "title": None}
    states = ["up", "degraded", "down"]
    spec = {
        "title": {
            "text": f"Status history: one cell per {_bucket_words(width)}",
            "subtitle": "green: every probe good, orange: some failed, red: half or more failed; "
            "drill faults in their own lane (drills run in their own simulator)",
        },
        "height": 150 + 32 * max(1, len(lanes)),  # Streamlit sizes the whole chart: title, axis and legend too
        "resolve": {"scale": {"color": "independent"}},
        "layer": [
            {
                "transform": [{"filter": "datum.layer === 'cell'"}],
                "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "x2": {"field": "bucket_end"},
                    "y": y,
                    "color": {
                        "field": "state",
                        "type": "nominal",
                        "scale": {"domain": states, "range": [look.STATE_COLOURS[s] for s in states]},
                        "legend": {"orient": "bottom", "title": None},
                    },
                    "tooltip": [
                        {"field": "region", "type": "nominal"},
                        {"field": "bucket", "type": "temporal", "title": "from (UTC)", "format": "%Y-%m-%d %H:%M:%S"},
                        {"field": "state", "type": "nominal"},
                        {"field": "bad_share", "type": "quantitative", "title": "bad", "format": ".1%"},
                        {"field": "probes", "type": "quantitative"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.layer === 'fault'"}],
                "mark": {"type": "rect", "clip": True, "opacity": 0.9},
                "encoding": {
                    "x": x,
                    "x2": {"field": "bucket_end"},
                    "y": y,
                    "color": {"field": "colour", "type": "nominal", "scale": None},
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
