"""Every chart of the dashboard but the Overview's: pure functions, DataFrame in, Plotly Figure out
(no I/O, no state), so they are tested as plain functions; the Overview's two charts are plain HTML
(app/overview_charts.py). Fault windows are shaded on time charts.

Plotly renders a subset of HTML in every string it draws (trace names, hovers, annotations, tick
labels): `<a href>` becomes a live link, `<span style>` restyles the page. Strings come from the
database, and so from servers (a reported model version) and drill files (a fault name), so every
Plotly figure takes its frames through `_escaped` first: `<`, `>` and `&` are drawn as themselves."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..failover.outcomes import Outcome
from . import look

__all__ = [
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


LEGEND_GAP_PX = 64  # from the plot's bottom to the legend: room for two lines of date ticks


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    top = max(50, fig.layout.margin.t or 0)  # fault lanes may have asked for more (shade_faults)
    bottom = 40
    plot_px = max(80, height - 50 - bottom)  # the plot area; a legend's y is a share of it
    fig.update_layout(
        title={"text": title, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 14}},
        height=height + top - 50,
        margin={"l": 50, "r": 20, "t": top, "b": bottom},
        # below the date ticks at any chart height (a fixed share overlapped them on short charts)
        legend={"orientation": "h", "y": -LEGEND_GAP_PX / plot_px, "yanchor": "top"},
        hoverlabel={"namelength": -1},
    )
    return fig


FAULT_LANES = 3  # fault labels stack at most this deep above a chart; further ones are counted, not named
LANE_PX = 17  # one lane of fault labels


def shade_faults(
    fig: go.Figure, faults: pd.DataFrame, x0: str = "start_ts", x1: str = "end_ts", data: Any = None
) -> go.Figure:
    """Each fault a faint red band, and its name above the plot. Faults of one region that follow
    each other closely (within a fiftieth of the x axis: its set range, else `data`, the chart's x
    values, and the faults) and are narrower than their names share one label (`http_error,
    refuse, black_hole · eastus2`, a drill's three on a one-hour chart); a label that would run into
    the one before it (its width guessed from its length on a chart about 850 px wide) takes the
    next lane up, so names never print over each other. Past FAULT_LANES lanes a label is left out
    and one note counts those."""
    if faults.empty:
        return fig
    rows = faults.sort_values(x0)
    starts, ends = rows[x0], rows[x1].fillna(rows[x0])
    xs = pd.concat([starts, ends, *([] if data is None else [pd.Series(data).dropna()])])
    span = xs.max() - xs.min()
    if fig.layout.xaxis.range is not None:  # the axis was given a range (_time_axis): labels are sized on it
        lo, hi = fig.layout.xaxis.range
        shown = pd.Timestamp(hi) - pd.Timestamp(lo) if isinstance(span, pd.Timedelta) else hi - lo
        span = max(span, shown)
    near = span / 50 if span else None

    def width(text: str) -> Any:  # how much of the axis a label takes, and a little gap
        return span * (len(text) * 6.5 + 12) / 850 if span else None

    groups: list[list[Any]] = []  # [start, end, region, names]
    for start, end, row in zip(starts, ends, rows.itertuples(index=False), strict=True):
        fig.add_vrect(x0=start, x1=end, fillcolor="#d62728", opacity=0.12, line_width=0, layer="below")
        last = groups[-1] if groups else None
        narrow = span and end - start < width(f"{row.fault} · {row.region}")
        if last is not None and last[2] == row.region and near is not None and start - last[1] <= near and narrow:
            last[1] = max(last[1], end)
            if row.fault not in last[3]:
                last[3].append(row.fault)
        else:
            groups.append([start, end, row.region, [row.fault]])
    lane_free: list[Any] = []  # per lane: where its last label (roughly) ends
    unnamed = 0
    for start, end, region, names in groups:
        text = f"{', '.join(names)} · {region}"
        middle = start + (end - start) / 2
        reach = width(text) if span else end - start
        lane = next((i for i, free in enumerate(lane_free) if free <= middle - reach / 2), len(lane_free))
        if lane >= FAULT_LANES:
            unnamed += 1
            continue
        until = middle + reach / 2
        if lane == len(lane_free):
            lane_free.append(until)
        else:
            lane_free[lane] = until
        fig.add_annotation(
            x=middle,  # inside its band: a label exactly at the axis' edge is not drawn
            y=1,
            xref="x",
            yref="paper",
            yanchor="bottom",
            xanchor="left" if len(groups) == 1 else "center",
            text=text,
            # a thin line from the label down to the plot: which time it names, where a band is too thin to see
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#d62728",
            ax=0,
            ay=-(6 + LANE_PX * lane),
            standoff=0,
            font={"size": 11, "color": "#a31b1b"},
        )
    if unnamed:
        fig.add_annotation(
            x=1,
            y=1,
            yshift=4 + LANE_PX * FAULT_LANES,
            xref="paper",
            yref="paper",
            xanchor="right",
            yanchor="bottom",
            text=f"+{unnamed} more fault label(s) left out",
            showarrow=False,
            font={"size": 10, "color": "#a31b1b"},
        )
    lanes = len(lane_free) + (1 if unnamed else 0)
    fig.update_layout(margin={"t": 50 + LANE_PX * lanes})  # room above the plot for the lanes
    return fig


# --- Plotly figures of every page but the Overview -------------------------------------------------
# Conventions, the same on every chart: a region keeps its colour (look.region_colours) and its place
# (look.region_order); every series draws markers, so a single point shows; a line's point sits at
# its bucket's last sample (`last_ts`), so no line starts before the data did or runs past it; a
# bucket still filling (it ends after `now`, or Azure has not settled it) is provisional: hollow
# markers on a faint dotted line, hatched bars, never a solid drop; no trace is left unnamed.

PROVISIONAL_NOTE = "partial bucket: still filling, or the range starts inside it"
QUARTER_HOUR = pd.Timedelta("15 minutes")
_UTC = {"title": None}  # times are stored as naive UTC and shown as they are: chart titles say "UTC"


def _regions(frame: pd.DataFrame, priorities: Mapping[str, int] | None) -> list[tuple[str, str]]:
    """The regions in `frame`, in the one order, each with its colour."""
    order = look.region_order([str(r) for r in frame["region"].dropna().unique()], priorities)
    colours = look.region_colours(order)
    return [(region, colours[region]) for region in order]


def _provisional(ends: pd.Series, now: Any) -> pd.Series:
    """True for buckets that end after `now` (still filling); all False without a `now`."""
    if now is None:
        return pd.Series(False, index=ends.index)
    return pd.to_datetime(ends) > pd.Timestamp(now)


def _series(
    fig: go.Figure,
    x: pd.Series,
    y: pd.Series,
    partial: pd.Series,
    *,
    name: str,
    colour: str,
    dash: str = "solid",
    hover: str = "%{y}",
    customdata: Any = None,
    visible: bool | str = True,
) -> None:
    """One line with markers (smaller as points get many). Its partial points (a bucket still
    filling, or cut by the range's start) are hollow and faint, joined to their neighbours by a
    dotted line under the same legend entry: a half-filled bucket never reads as a drop.
    `visible="legendonly"`: listed in the legend, drawn on a click."""
    keep = y.notna().to_numpy()
    x, y = x[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
    partial = partial[keep].astype(bool).reset_index(drop=True)
    custom = None if customdata is None else pd.DataFrame(customdata)[keep].to_numpy()
    size = 7 if len(y) <= 20 else 5 if len(y) <= 80 else 3
    whole = ~partial
    fig.add_scatter(
        x=x,
        y=y.where(whole),
        mode="lines+markers",
        connectgaps=False,
        name=name,
        legendgroup=name,
        showlegend=bool(whole.any()),
        visible=visible,
        line={"color": colour, "dash": dash, "width": 2},
        marker={"color": colour, "size": size},
        customdata=custom,
        hovertemplate=f"{hover}<extra>{name}</extra>",
    )
    if partial.any():
        near = partial | partial.shift(1, fill_value=False) | partial.shift(-1, fill_value=False)
        fig.add_scatter(
            x=x,
            y=y.where(near),
            mode="lines+markers",
            connectgaps=False,
            name=f"{name} ({PROVISIONAL_NOTE})" if whole.any() else name,
            legendgroup=name,
            showlegend=not whole.any(),  # the legend entry stays when every point is partial
            visible=visible,
            opacity=0.55,
            line={"color": colour, "dash": "dot", "width": 1.5},
            marker={
                "color": colour,
                "size": [size + 3 if p else 0 for p in partial],
                "symbol": "circle-open",
                "line": {"width": 2, "color": colour},
            },
            customdata=custom,
            hovertemplate=[f"{hover}<br>{PROVISIONAL_NOTE if p else ''}<extra>{name}</extra>" for p in partial],
        )


def _partial(starts: pd.Series, width: pd.Timedelta, since: Any, now: Any) -> pd.Series:
    """True for buckets not wholly inside [since, now]: cut by the range's start, or still filling."""
    starts = pd.to_datetime(starts)
    cut = starts < pd.Timestamp(since) if since is not None else pd.Series(False, index=starts.index)
    return cut | _provisional(starts + width, now)


def _provisional_key(fig: go.Figure, bars: bool = False) -> None:
    """One legend entry saying what hollow markers (or hatched bars) mean."""
    if bars:
        fig.add_bar(
            x=[None],
            y=[None],
            name=f"hatched: {PROVISIONAL_NOTE}",
            marker={"color": "#ffffff", "line": {"color": "#777", "width": 1}, "pattern": {"shape": "/"}},
        )
    else:
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"hollow: {PROVISIONAL_NOTE}",
            marker={"color": "#777", "size": 8, "symbol": "circle-open"},
        )


def _bars(
    fig: go.Figure,
    x: list[Any],
    y: pd.Series,
    widths: list[float],
    partial: pd.Series,
    *,
    name: str,
    marker: dict[str, Any],
    hover: str,
    customdata: list[Any],
    visible: bool | str = True,
) -> None:
    """Bars of one series: the whole buckets, then the partial ones hatched and faint under the same
    legend entry (whose swatch stays plain: Plotly draws it like the trace's first bar)."""
    y = y.reset_index(drop=True)
    partial = pd.Series(partial).reset_index(drop=True).astype(bool)
    for hatched in (False, True):
        keep = [i for i, p in enumerate(partial) if p == hatched]
        if not keep:
            continue
        style = {**marker, "pattern": {"shape": "/"}, "opacity": 0.55} if hatched else marker
        fig.add_bar(
            x=[x[i] for i in keep],
            y=y.iloc[keep],
            width=[widths[i] for i in keep],
            name=f"{name} ({PROVISIONAL_NOTE})" if hatched and not partial.all() else name,
            legendgroup=name,
            showlegend=not hatched or bool(partial.all()),
            visible=visible,
            marker=style,
            customdata=[customdata[i] for i in keep],
            hovertemplate=f"{hover}{'<br>' + PROVISIONAL_NOTE if hatched else ''}<extra>{name}</extra>",
        )


def _bucket_hover(frame: pd.DataFrame, start: str = "bucket", end: str = "bucket_end") -> list[str]:
    return [f"{a:%b %d %H:%M}-{b:%H:%M} UTC" for a, b in zip(frame[start], frame[end], strict=True)]


def latency_over_time(
    latency: pd.DataFrame,
    threshold_ms: float,
    faults: pd.DataFrame | None = None,
    *,
    width: pd.Timedelta | None = None,
    since: Any = None,
    now: Any = None,
    priorities: Mapping[str, int] | None = None,
) -> go.Figure:
    """Per region (its colour): p50 solid and p99 dotted (the SLO's percentile), p95 dashed and
    first-token p50 dash-dot listed in the legend, drawn on a click; each point at its bucket's last
    probe; the latency threshold as a red line; faults shaded."""
    latency, faults = _escaped(latency), None if faults is None else _escaped(faults)
    width = width if width is not None else pd.Timedelta(0)
    latency = latency.assign(bucket_end=latency["bucket"] + width)
    x_column = "last_ts" if "last_ts" in latency else "bucket"
    fig = go.Figure()
    any_provisional = False
    for region, colour in _regions(latency, priorities):
        rows = latency[latency["region"] == region].sort_values("bucket")
        provisional = _partial(rows["bucket"], width, since, now)
        any_provisional |= bool(provisional.any())
        custom = pd.DataFrame({"bucket": _bucket_hover(rows), "probes": rows["probes"].astype(int)})
        series = [("p50_ms", "p50", "solid", True), ("p95_ms", "p95", "dash", "legendonly")]
        series.append(("p99_ms", "p99", "dot", True))
        if rows["ttft_p50_ms"].notna().any():
            series.append(("ttft_p50_ms", "first token p50", "dashdot", "legendonly"))
        for column, label, dash, visible in series:
            _series(
                fig,
                rows[x_column],
                rows[column],
                provisional,
                name=f"{region} {label}",
                colour=colour,
                dash=dash,
                hover="%{y:,.0f} ms<br>%{customdata[0]}, %{customdata[1]} probes",
                customdata=custom,
                visible=visible,
            )
    if any_provisional:
        _provisional_key(fig)
    fig.add_hline(y=threshold_ms, line_color="#d62728", annotation_text=f"{threshold_ms / 1000:g} s")
    fig.update_yaxes(title="ms", rangemode="tozero")
    fig.update_xaxes(**_UTC)
    _time_axis(fig, latency[x_column], width)
    if faults is not None and not faults.empty:
        shade_faults(fig, faults, data=latency[x_column])
    return _layout(fig, "Latency to last byte, p50 and p99 (p95 and first token: click them in the legend), UTC")


def latency_distribution(
    latencies: pd.DataFrame, threshold_ms: float, priorities: Mapping[str, int] | None = None
) -> go.Figure:
    latencies = _escaped(latencies)
    fig = go.Figure()
    for region, colour in _regions(latencies, priorities):
        fig.add_histogram(
            x=latencies.loc[latencies["region"] == region, "latency_ms"],
            name=region,
            opacity=0.6,
            nbinsx=60,
            marker={"color": colour},
            hovertemplate="%{x} ms: %{y} probes<extra>" + region + "</extra>",
        )
    fig.add_vline(x=threshold_ms, line_color="#d62728", annotation_text=f"{threshold_ms / 1000:g} s")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="latency ms")
    fig.update_yaxes(title="probes")
    return _layout(fig, "Latency distribution (successful probes)")


def _bars_in_time(
    starts: pd.Series, width: pd.Timedelta, first: Any = None, now: Any = None, share: tuple[int, int] = (0, 1)
) -> tuple[list[Any], list[float]]:
    """Where bars of `width`-long buckets sit and how wide they are, in Plotly's unit for dates (ms):
    set explicitly, else a lone bar is drawn one millisecond wide. A bar covers its bucket, but not
    before `first` (the first data: the first bucket is only partly covered) nor after `now` (the
    bucket still filling is as wide as it has filled). `share` (i, n): the i-th of n bars side by side."""
    i, n = share
    centres, widths = [], []
    for start in pd.to_datetime(starts):
        lo = max(start, pd.Timestamp(first)) if first is not None and pd.notna(first) else start
        hi = min(start + width, pd.Timestamp(now)) if now is not None else start + width
        hi = max(hi, lo + width / 20)  # never thinner than a twentieth of a bucket
        part = (hi - lo) / n
        centres.append(lo + part * i + part / 2)
        widths.append(part.total_seconds() * 1000 * 0.9)
    return centres, widths


_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def _bar_edges(fig: go.Figure) -> list[Any]:
    """Where a figure's bars start and end (their centres, less and plus half their width)."""
    edges = []
    for trace in fig.data:
        if trace.type == "bar" and trace.x is not None and trace.width is not None:
            for x, width_ms in zip(trace.x, trace.width, strict=False):
                if x is not None:
                    half = pd.Timedelta(milliseconds=width_ms / 2)
                    edges += [pd.Timestamp(x) - half, pd.Timestamp(x) + half]
    return edges


def _time_axis(fig: go.Figure, xs: Any, width: pd.Timedelta | None = None) -> None:
    """A time axis people read: ticks on whole seconds, minutes, hours or days (about six of them;
    Plotly's own pick lands on 04:57:51.6777 next to explicit bar widths), and room when the points
    span less than a bucket (one point: Plotly would stretch a second, or a millisecond, across the
    chart): half a bucket either side."""
    xs = pd.to_datetime(pd.Series(xs)).dropna()
    if xs.empty:
        return
    lo, hi = xs.min(), xs.max()
    if width is not None and width and hi - lo < width:
        lo, hi = lo - width / 2, hi + width / 2
        fig.update_xaxes(range=[lo, hi])
    span_s = max((hi - lo).total_seconds(), 1.0)
    step = next((s for s in _STEPS_S if span_s / s <= 7), _STEPS_S[-1])
    fig.update_xaxes(tick0="2000-01-03", dtick=step * 1000)  # a Monday at midnight: weeks start on Mondays


def outcomes_over_time(
    outcomes: pd.DataFrame,
    faults: pd.DataFrame | None = None,
    *,
    width: pd.Timedelta = QUARTER_HOUR,
    since: Any = None,
    now: Any = None,
) -> go.Figure:
    """Probes per time bucket stacked by outcome (one colour per outcome); `ok` is listed in the
    legend and drawn on a click when anything failed (the failures are what this chart is for);
    partial buckets hatched; faults shaded."""
    outcomes, faults = _escaped(outcomes), None if faults is None else _escaped(faults)
    fig = go.Figure()
    order = [o.value for o in Outcome if o.value in set(outcomes["outcome"].astype(str))]
    order += sorted(set(outcomes["outcome"].astype(str)) - set(order))
    any_provisional = False
    first = outcomes["first_ts"].min() if "first_ts" in outcomes else None
    for outcome in order:
        rows = outcomes[outcomes["outcome"].astype(str) == outcome].sort_values("bucket")
        x, bar_ms = _bars_in_time(rows["bucket"], width, first, now)
        provisional = _partial(rows["bucket"], width, since, now)
        any_provisional |= bool(provisional.any())
        _bars(
            fig,
            x,
            rows["probes"],
            bar_ms,
            provisional,
            name=outcome,
            visible="legendonly" if outcome == Outcome.OK.value and len(order) > 1 else True,
            marker={"color": OUTCOME_COLOURS.get(outcome, "#7f7f7f")},  # type: ignore[call-overload]
            customdata=_bucket_hover(rows.assign(bucket_end=rows["bucket"] + width)),
            hover="%{y} probes<br>%{customdata}",
        )
    if any_provisional:
        _provisional_key(fig, bars=True)
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    fig.update_xaxes(**_UTC)
    fig.update_yaxes(title="probes")
    _time_axis(fig, _bar_edges(fig))
    if faults is not None and not faults.empty:
        shade_faults(fig, faults, data=pd.concat([outcomes["bucket"], outcomes["bucket"] + width]))
    return _layout(
        fig,
        "Probes by outcome over time (ok: click it in the legend), UTC"
        if len(order) > 1
        else "Probes by outcome over time, UTC",
    )


def rate_limits(limits: pd.DataFrame, priorities: Mapping[str, int] | None = None) -> go.Figure:
    """Each 429 as a point (its region's colour): the Retry-After it promised against how long it
    really took until that target answered again; on the dashed diagonal the promise was exact."""
    limits = _escaped(limits)
    fig = go.Figure()
    for region, colour in _regions(limits, priorities):
        rows = limits[limits["region"] == region]
        fig.add_scatter(
            x=rows["retry_after_s"],
            y=rows["recovered_after_s"],
            mode="markers",
            name=region,
            marker={"size": 9, "color": colour},
            hovertemplate="promised %{x:,.1f} s, took %{y:,.1f} s<extra>" + region + "</extra>",
        )
    top = pd.concat([limits["retry_after_s"], limits["recovered_after_s"]]).max()
    top = float(top) if pd.notna(top) and top > 0 else 1.0
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dash", "color": "#777"}, name="as promised")
    fig.update_xaxes(title="Retry-After promised (s)", rangemode="tozero")
    fig.update_yaxes(title="time until success again (s)", rangemode="tozero")
    return _layout(fig, "429s: Retry-After promised vs what it really took")


def cost(
    by_day: pd.DataFrame, now: Any = None, priorities: Mapping[str, int] | None = None, since: Any = None
) -> go.Figure:
    """Probe spend per day, stacked by region (its colour); partial days (today, still going, and a
    first day the range starts inside) hatched."""
    by_day = _escaped(by_day)
    day = pd.Timedelta(days=1)
    first = by_day["first_ts"].min() if "first_ts" in by_day else None
    fig = go.Figure()
    for region, colour in _regions(by_day, priorities):
        rows = by_day[by_day["region"] == region].groupby("day", as_index=False)["cost_usd"].sum()
        x, bar_ms = _bars_in_time(rows["day"], day, first, now)
        provisional = _partial(rows["day"], day, since, now)
        _bars(
            fig,
            x,
            rows["cost_usd"],
            bar_ms,
            provisional,
            name=region,
            marker={"color": colour},
            customdata=[f"{d:%b %d}: {look.usd(v)}" for d, v in zip(rows["day"], rows["cost_usd"], strict=True)],
            hover="%{customdata}",
        )
    if not by_day.empty and _partial(pd.Series(by_day["day"].unique()), day, since, now).any():
        _provisional_key(fig, bars=True)
    fig.update_layout(barmode="stack")
    days = by_day["day"].nunique() if not by_day.empty else 0
    fig.update_xaxes(tickformat="%b %d", **({"dtick": day.total_seconds() * 1000} if days <= 7 else {}))
    fig.update_layout(legend={"traceorder": "normal"})
    fig.update_yaxes(title="USD", tickformat="$.4~g", rangemode="tozero")
    return _layout(fig, "Probe spend per day and region, UTC days")


def tokens_by_kind(tokens: pd.DataFrame) -> go.Figure:
    tokens = _escaped(tokens)
    fig = go.Figure(
        [
            go.Bar(x=tokens["kind"], y=tokens["prompt_tokens"], name="prompt", marker={"color": "#1f77b4"}),
            go.Bar(x=tokens["kind"], y=tokens["completion_tokens"], name="completion", marker={"color": "#ff7f0e"}),
        ]
    )
    fig.update_traces(hovertemplate="%{x}: %{y:,} tokens")
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    fig.update_yaxes(title="tokens")
    return _layout(fig, "Tokens per probe kind")


def drill_timeline(
    requests: pd.DataFrame, faults: pd.DataFrame, priorities: Mapping[str, int] | None = None
) -> go.Figure:
    """Every call of one drill run: when it started, how long it took, coloured by the region that
    answered (grey: none), a circle when it succeeded, an x when it failed; faults shaded and named."""
    requests, faults = _escaped(requests), _escaped(faults)
    requests = requests.assign(region=requests["region"].fillna("no region"))
    fig = go.Figure()
    for region, colour in _regions(requests, priorities):
        colour = "#9e9e9e" if region == "no region" else colour
        for ok in (True, False):
            rows = requests[(requests["region"] == region) & (requests["ok"].astype(bool) == ok)]
            if rows.empty:
                continue
            fig.add_scatter(
                x=rows["started_s"],
                y=rows["latency_s"],
                mode="markers",
                name=f"{region} {'ok' if ok else 'failed'}",
                marker={"symbol": "circle" if ok else "x", "size": 6 if ok else 8, "color": colour},
                hovertemplate="at %{x:.2f} s: %{y:.3f} s<extra>" + f"{region} {'ok' if ok else 'failed'}</extra>",
            )
    if not faults.empty:
        last = requests["started_s"].max()
        shade_faults(
            fig,
            faults.fillna({"end_s": float(last) if pd.notna(last) else 0.0}),
            "start_s",
            "end_s",
            data=requests["started_s"],
        )
    fig.update_xaxes(title="seconds into the drill", rangemode="tozero")
    fig.update_yaxes(title="latency s", rangemode="tozero")
    return _layout(fig, "Drill requests by region and outcome, faults shaded")


MIN_TIMELINE = pd.Timedelta(minutes=10)  # the Model versions axis spans at least this much


def model_versions(runs: pd.DataFrame, until: Any = None, priorities: Mapping[str, int] | None = None) -> go.Figure:
    """One row per region and deployment (region order, its colour), one bar per run of one
    reported model version, from its first probe to its last, the version written on it; a red
    diamond where a run follows another version (a change). The axis spans the runs, and at least
    MIN_TIMELINE up to `until`, so a few minutes of data do not stretch over one millisecond."""
    runs = _escaped(runs)
    fig = go.Figure()
    rows_shown: list[str] = []
    for region, colour in _regions(runs, priorities):
        mine = runs[runs["region"] == region].sort_values(["deployment", "first_ts"])
        for deployment, rows in mine.groupby("deployment", sort=True):
            label = f"{region} / {deployment}"
            rows_shown.append(label)
            length = (rows["last_ts"] - rows["first_ts"]).dt.total_seconds() * 1000
            fig.add_bar(
                y=[label] * len(rows),
                x=length.clip(lower=1000),  # a one-probe run is a visible sliver, not nothing
                base=rows["first_ts"],
                orientation="h",
                name=label,
                text=rows["model_version"],
                textposition="inside",
                insidetextanchor="middle",
                marker={"color": colour, "line": {"color": "white", "width": 2}},
                customdata=list(
                    zip(
                        rows["model_version"],
                        rows["first_ts"].dt.strftime("%b %d %H:%M:%S"),
                        rows["last_ts"].dt.strftime("%b %d %H:%M:%S"),
                        rows["probes"].astype(int),
                        strict=True,
                    )
                ),
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}  to  %{customdata[2]} UTC, %{customdata[3]} probes"
                + f"<extra>{label}</extra>",
                showlegend=False,
            )
            changed = rows[rows["previous_version"].notna()]
            if not changed.empty:
                fig.add_scatter(
                    x=changed["first_ts"],
                    y=[label] * len(changed),
                    mode="markers",
                    name="change",
                    legendgroup="change",
                    showlegend=not any(t.name == "change" for t in fig.data),
                    marker={
                        "symbol": "diamond",
                        "size": 12,
                        "color": "#d62728",
                        "line": {"color": "white", "width": 1},
                    },
                    customdata=list(zip(changed["previous_version"], changed["model_version"], strict=True)),
                    hovertemplate="%{x|%b %d %H:%M:%S} UTC: %{customdata[0]} → %{customdata[1]}<extra>change</extra>",
                )
    if not runs.empty:
        lo, hi = runs["first_ts"].min(), runs["last_ts"].max()
        if until is not None:
            hi = max(hi, min(pd.Timestamp(until), lo + MIN_TIMELINE))
        if hi - lo < MIN_TIMELINE:
            hi = lo + MIN_TIMELINE
        pad = (hi - lo) * 0.02
        fig.update_xaxes(range=[lo - pad, hi + pad], type="date", **_UTC)
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows_shown)), title=None)
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Model version reported per deployment, UTC", height=max(260, 140 + 50 * len(rows_shown)))


def monitor_availability(
    rates: pd.DataFrame, flags: pd.DataFrame, target: float, priorities: Mapping[str, int] | None = None
) -> go.Figure:
    """Availability per region (its colour) as Azure Monitor saw it (solid) and as the probes saw
    it (dotted); provisional buckets hollow; the target line; a red x on each bucket where the two
    disagree."""
    rates, flags = _escaped(rates), _escaped(flags)
    fig = go.Figure()
    any_provisional = False
    for region, colour in _regions(rates, priorities):
        rows = rates[rates["region"] == region].sort_values("bucket")
        provisional = _unsettled(rows)
        any_provisional |= bool(provisional.any())
        custom = pd.DataFrame({"bucket": _bucket_hover(rows)})
        _series(
            fig,
            rows["last_ts"],
            rows["az_availability"],
            provisional,
            name=f"{region} (Azure Monitor)",
            colour=colour,
            hover="%{y:.2f}%<br>%{customdata[0]}",
            customdata=custom,
        )
        _series(
            fig,
            rows["last_ts"],
            rows["probe_availability"],
            provisional,
            name=f"{region} (probes)",
            colour=colour,
            dash="dot",
            hover="%{y:.2f}%<br>%{customdata[0]}",
            customdata=custom,
        )
    if any_provisional:
        _provisional_key(fig)
    if not flags.empty:
        at = rates.set_index(["region", "bucket"])
        keys = list(zip(flags["region"], flags["bucket"], strict=True))
        fig.add_scatter(
            x=[at["last_ts"].get(k) for k in keys],
            y=[at["probe_availability"].get(k, 100.0) for k in keys],
            mode="markers",
            marker={"symbol": "x", "size": 12, "color": "#d62728"},
            name="disagreement",
            text=[f"{r}: {k}" for r, k in zip(flags["region"], flags["disagreement"], strict=True)],
            hovertemplate="%{text}<extra></extra>",
        )
    fig.add_hline(y=target * 100, line_dash="dash", line_color="grey", annotation_text=f"target {target:.1%}")
    lowest = rates[["az_availability", "probe_availability"]].min().min()
    fig.update_yaxes(title="availability %", range=[min(90.0, lowest if pd.notna(lowest) else 90.0) - 1, 100.5])
    fig.update_xaxes(**_UTC)
    _time_axis(fig, rates["last_ts"], _width(rates))
    return _layout(fig, "Availability: Azure Monitor vs probes, UTC")


def _unsettled(rows: pd.DataFrame) -> pd.Series:
    """An overlay's partial buckets: its `partial` column when the page set one (unsettled, or cut
    by the range's start), else the buckets Azure has not settled."""
    return rows["partial"].astype(bool) if "partial" in rows else ~rows["settled"].astype(bool)


def _width(rates: pd.DataFrame) -> pd.Timedelta | None:
    """The bucket width of an overlay frame (its `bucket_end - bucket`), None without rows."""
    if rates.empty or "bucket_end" not in rates:
        return None
    return pd.Timedelta((rates["bucket_end"] - rates["bucket"]).iloc[0])


STATUS_COLOURS = {"2xx": "#2ca02c", "429": "#ff7f0e", "4xx": "#9467bd", "5xx": "#d62728"}


def monitor_requests(
    by_status: pd.DataFrame,
    provisional: pd.DataFrame | None = None,
    *,
    width: pd.Timedelta = QUARTER_HOUR,
    now: Any = None,
    priorities: Mapping[str, int] | None = None,
) -> go.Figure:
    """Azure's request counts per region and bucket, stacked by status class (2xx, 429, other 4xx,
    5xx), one bar per region side by side (outlined in the region's colour); buckets Azure has not
    settled (`provisional`: region and bucket rows, from the overlay) hatched."""
    by_status = _escaped(by_status)
    frame = by_status.assign(
        status=by_status["status_code"].map(
            lambda s: "429" if s == "429" else f"{str(s)[:1]}xx" if str(s)[:1] in "2345" else str(s)
        )
    )
    grouped = frame.groupby(["region", "status", "bucket"], as_index=False)["requests"].sum()
    open_keys = set() if provisional is None else set(zip(provisional["region"], provisional["bucket"], strict=True))
    regions = _regions(grouped, priorities)
    first = by_status["first_ts"].min() if "first_ts" in by_status else None
    buckets = grouped["bucket"].nunique()
    fig = go.Figure()
    for i, (region, colour) in enumerate(regions):
        for status in [s for s in (*STATUS_COLOURS, *sorted(set(grouped["status"]) - set(STATUS_COLOURS)))]:
            rows = grouped[(grouped["region"] == region) & (grouped["status"] == status)].sort_values("bucket")
            if rows.empty:
                continue
            hatched = pd.Series([(region, b) in open_keys for b in rows["bucket"]])
            x, bar_ms = _bars_in_time(rows["bucket"], width, first, now, share=(i, len(regions)))
            _bars(
                fig,
                x,
                rows["requests"],
                bar_ms,
                hatched,
                name=f"{region} {status}",
                marker={
                    "color": STATUS_COLOURS.get(status, "#7f7f7f"),
                    "line": {"color": colour, "width": 1.5 if buckets <= 40 else 0},  # thin bars: colour only
                },
                customdata=_bucket_hover(rows.assign(bucket_end=rows["bucket"] + width)),
                hover="%{y:,.0f} requests<br>%{customdata}",
            )
    if open_keys:
        _provisional_key(fig, bars=True)
    fig.update_layout(barmode="relative", legend={"traceorder": "normal"})
    fig.update_yaxes(title="requests")
    fig.update_xaxes(**_UTC)
    _time_axis(fig, _bar_edges(fig))
    return _layout(fig, "Requests Azure served, by status (one bar per region, side by side), UTC")


def monitor_tokens(rates: pd.DataFrame, priorities: Mapping[str, int] | None = None) -> go.Figure:
    """Tokens per bucket and region (its colour): everything Azure processed (prompt + generated,
    solid) against the probes' own (dotted). Buckets Azure has not settled are provisional (hollow,
    faint), and where Azure has no point yet its line stops instead of falling to zero."""
    rates = _escaped(rates)
    fig = go.Figure()
    any_provisional = False
    for region, colour in _regions(rates, priorities):
        rows = rates[rates["region"] == region].sort_values("bucket")
        provisional = _unsettled(rows)
        any_provisional |= bool(provisional.any())
        azure = rows["az_tokens"].where(~(provisional & (rows["az_points"] == 0)))
        custom = pd.DataFrame({"bucket": _bucket_hover(rows)})
        for y, name, dash in ((azure, "Azure Monitor", "solid"), (rows["probe_tokens"], "probes", "dot")):
            _series(
                fig,
                rows["last_ts"],
                y.astype(float),
                provisional,
                name=f"{region} ({name})",
                colour=colour,
                dash=dash,
                hover="%{y:,.0f} tokens<br>%{customdata[0]}",
                customdata=custom,
            )
    if any_provisional:
        _provisional_key(fig)
    fig.update_yaxes(title="tokens", rangemode="tozero")
    fig.update_xaxes(**_UTC)
    _time_axis(fig, rates["last_ts"], _width(rates))
    return _layout(fig, "Tokens: all traffic (Azure Monitor) vs the probes' own, UTC")
