"""The Overview's two charts, the SLO bars and the status history, drawn as plain HTML and CSS for
`st.html` rather than as Vega-Lite or Plotly charts.

Why: the Overview is the page opened first and during an incident, and it must be drawn in under
2 s (bench/dashboard). Plotly's bundle alone costs about 0.7 s of every load; Vega-Lite, lighter,
still lazy-loads its chunks and builds its views on the browser's main thread after the page
arrives. Measured in headless Chromium over a month of probes (warm loads alternating between two
servers, one run, medians): the Overview with both charts in Vega-Lite 2.88 s, with both as HTML
1.96 s. Bars, a dashed line and rows of coloured cells need no chart engine: they are boxes
placed in percent of their panel, so they also scale with the page and print.

Pure: frames in, data and an HTML string out (no I/O, no Streamlit). Every string that reaches the
HTML is escaped here (a region, a fault name or its tooltip come from the database, and so from
drill files), and `st.html` sanitises the result again with DOMPurify.

What a test or a scraper finds: each chart is `<div data-chart="slo-bars">` or
`"status-history"`; each drawn mark carries `data-mark` ("bar", "cell" or "fault") and its fields in
`title`, one `name: value` a line ("region: eastus2", "availability %: 94.4", "probes: 60"), which
shows on hover."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..probes.config import SloTargets
from . import look

__all__ = [
    "CSS",
    "SliBars",
    "StatusHistory",
    "availability",
    "bars_html",
    "history_html",
    "latency_sli",
    "slo_bars",
    "status_history",
]

TICKS = 6  # time labels under the status history
LABEL_PCT = 6.5  # a bar's label is about this tall, in percent of the 300 px plot
STATES = ("up", "degraded", "down")

# Streamlit's look (its theme's font; greys mixed from the text colour, so a dark theme reads too).
CSS = """
.aoai-chart { font-size: 0.8rem; margin: 0.5rem 0 1rem; }
.aoai-chart-title { font-size: 1rem; font-weight: 600; }
.aoai-chart-subtitle { color: color-mix(in srgb, currentColor 65%, transparent); margin-bottom: 0.5rem; }
.aoai-panels { display: flex; flex-wrap: wrap; gap: 1rem 3.5rem; }
.aoai-panel-body { display: grid; grid-template-columns: auto 3rem auto; }
.aoai-y-title { writing-mode: vertical-rl; transform: rotate(180deg); text-align: center;
  height: 300px; margin-right: 0.25rem; }
.aoai-y-ticks { position: relative; width: 3rem; height: 300px; }
.aoai-y-ticks span { position: absolute; right: 0.3rem; transform: translateY(50%); }
.aoai-plot { position: relative; height: 300px; display: flex;
  border-left: 1px solid color-mix(in srgb, currentColor 40%, transparent);
  border-bottom: 1px solid color-mix(in srgb, currentColor 40%, transparent); }
.aoai-grid { position: absolute; left: 0; right: 0; height: 0;
  border-top: 1px solid color-mix(in srgb, currentColor 10%, transparent); }
.aoai-target { position: absolute; left: 0; right: 0; height: 0; border-top: 2px dashed #555; z-index: 2; }
.aoai-column { position: relative; flex: 1; }
.aoai-bar { position: absolute; bottom: 0; left: 12%; right: 12%; }
.aoai-bar-label { position: absolute; left: -50%; right: -50%; text-align: center; font-weight: 700;
  font-size: 0.8rem; margin-bottom: 2px; white-space: nowrap; z-index: 3; }
.aoai-x-labels { display: flex; grid-column: 3; }
.aoai-x-labels span { flex: 1; text-align: center; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; padding-top: 0.2rem; }
.aoai-lane { display: flex; align-items: stretch; height: 26px; }
.aoai-lane-name { width: 10rem; flex: none; text-align: right; padding-right: 0.5rem; line-height: 26px;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.aoai-track { position: relative; flex: 1; border-bottom: 1px solid color-mix(in srgb, currentColor 8%, transparent); }
.aoai-cell, .aoai-fault { position: absolute; top: 2px; bottom: 2px; box-sizing: border-box; }
.aoai-cell { border-right: 1px solid rgba(255, 255, 255, 0.9); }
.aoai-fault { opacity: 0.9; min-width: 2px; }
.aoai-axis { height: 1.4rem; }
.aoai-axis .aoai-track { border: none; }
.aoai-axis span { position: absolute; top: 0.2rem; white-space: nowrap; }
.aoai-legend { display: flex; gap: 1.2rem; margin: 0.4rem 0 0 10rem; }
.aoai-legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
.aoai-empty { color: color-mix(in srgb, currentColor 65%, transparent); padding: 0.5rem 0 0 10rem; }
"""


@dataclass(frozen=True)
class SliBars:
    """One SLI per region against its target, as `bars_html` draws it. `data` has a row per region
    in the one order: `region`, `availability_pct` (the SLI in percent, None without probes),
    `label` (what is written on the bar: "99.95%", "87.50% missed", "no data"), `colour` (the
    region's), `label_colour` (the down colour when missed) and `probes` (the SLI's denominator).
    The axis runs from `low_pct` (just below the lowest bar and the target) to `top_pct` (room
    above 100% for a label), with a tick at each of `ticks_pct`."""

    data: pd.DataFrame
    target_pct: float
    low_pct: float
    top_pct: float
    ticks_pct: list[float]
    title: str
    subtitle: str
    axis: str


@dataclass(frozen=True)
class StatusHistory:
    """The status history, as `history_html` draws it. `data` has a row per mark: `layer` "cell"
    (a region's time bucket: `state`, `bad_share`, `probes`, `bad`) or "fault" (a drill's fault:
    `fault`, `colour`, `fault_from`, `fault_until`), each on its `lane` from `bucket` to
    `bucket_end` (naive UTC). `lanes` is the rows' order: the regions, then the drill lanes."""

    data: pd.DataFrame
    lanes: list[str]
    width: pd.Timedelta
    title: str
    subtitle: str


def availability(overview: pd.DataFrame, target: float, order: Sequence[str] | None = None) -> SliBars:
    """One bar per region (in `order`, else the frame's), in the region's colour, its availability
    written on it (in the down colour with "missed" when under the target), the target as one
    dashed line named in the subtitle; the axis starts just below the lowest bar so 99.8 and 99.95
    differ."""
    return _sli_bars(overview, "good", "valid", target, "Availability per region vs target", "availability %", order)


def latency_sli(
    overview: pd.DataFrame, target: float, threshold_s: float, order: Sequence[str] | None = None
) -> SliBars:
    """The latency SLI as `availability` draws availability: per region the share of answered
    probes under `threshold_s`, against its `target`."""
    title = f"Answers under {threshold_s:g} s per region vs target"
    return _sli_bars(overview, "fast", "successful", target, title, f"under {threshold_s:g} s %", order)


def slo_bars(overview: pd.DataFrame, targets: SloTargets, order: Sequence[str] | None = None) -> str:
    """`availability` and `latency_sli` side by side, as one HTML chart."""
    return bars_html(
        [
            availability(overview, targets.availability_target, order),
            latency_sli(overview, targets.latency_target, targets.latency_threshold_s, order),
        ]
    )


def _sli_bars(
    overview: pd.DataFrame,
    good: str,
    valid: str,
    target: float,
    title: str,
    axis: str,
    order: Sequence[str] | None,
) -> SliBars:
    frame = overview.set_index("region").reindex([r for r in (order or []) if r in set(overview["region"])] or None)
    frame = frame.reset_index() if order else overview
    ratios = frame[good] / frame[valid].where(frame[valid] > 0)
    low = max(0.0, min(float((ratios.min() if ratios.notna().any() else 1) * 100) - 1, target * 100 - 1))
    regions = frame["region"].astype(str)
    colours = look.region_colours(regions)
    missed = [pd.notna(r) and r < target for r in ratios]
    data = pd.DataFrame(
        {
            "region": regions,
            "availability_pct": [None if pd.isna(r) else round(float(r) * 100, 4) for r in ratios],
            "label": [
                "no data" if pd.isna(r) else look.percent(r) + (" missed" if m else "")
                for r, m in zip(ratios, missed, strict=True)
            ],
            "colour": [colours[r] for r in regions],
            "label_colour": [look.STATE_COLOURS["down"] if m else "currentColor" for m in missed],
            "probes": frame[valid].astype(int),
        }
    )
    subtitle = f"dashed: the target, {look.percent(target, 1)}"
    return SliBars(data, target * 100, low, 100 + (100 - low) * 0.1, _ticks(low), title, subtitle, axis)


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
) -> StatusHistory:
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
    return StatusHistory(
        data,
        lanes,
        width,
        f"Status history: one cell per {_bucket_words(width)}",
        "green: every probe good, orange: some failed, red: half or more failed; "
        "drill faults in their own lane (drills run in their own simulator)",
    )


# --- drawing --------------------------------------------------------------------------------------


def _attr(text: object) -> str:
    return html.escape(str(text), quote=True)


def _mark(kind: str, fields: Sequence[tuple[str, object]], style: str, extra: str = "") -> str:
    """One drawn mark: a box placed by `style`, its fields in `title`, one `name: value` a line."""
    hover = "\n".join(f"{name}: {value}" for name, value in fields)
    return f'<div class="aoai-{kind}" data-mark="{kind}"{extra} style="{style}" title="{_attr(hover)}"></div>'


def _heading(title: str, subtitle: str) -> str:
    return f'<div class="aoai-chart-title">{_attr(title)}</div><div class="aoai-chart-subtitle">{_attr(subtitle)}</div>'


def _pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def _panel(bars: SliBars) -> str:
    span = bars.top_pct - bars.low_pct

    def height(pct: float) -> float:  # percent of the plot, clipped to it
        return min(100.0, max(0.0, (pct - bars.low_pct) / span * 100))

    step = max(30, min(90, 420 // max(1, len(bars.data))))  # a fixed bar width, as many as fit the panel
    ticks = "".join(f'<span style="bottom:{_pct(height(t))}">{t:g}</span>' for t in bars.ticks_pct)
    grid = "".join(f'<div class="aoai-grid" style="bottom:{_pct(height(t))}"></div>' for t in bars.ticks_pct)
    target = f'<div class="aoai-target" style="bottom:{_pct(height(bars.target_pct))}"></div>'
    line = height(bars.target_pct)
    columns, names = [], []
    for row in bars.data.itertuples(index=False):
        value = row.availability_pct
        top = height(value) if value is not None and not pd.isna(value) else 0.0
        bar = ""
        if top > 0:
            fields = [("region", row.region), (bars.axis, f"{value:g}"), ("probes", row.probes)]
            bar = _mark("bar", fields, f"height:{_pct(top)};background:{_attr(row.colour)}")
        # a label the dashed line would strike through is lifted just above the line
        lifted = line + 0.5 if top <= line <= top + LABEL_PCT else top
        place = f"bottom:{_pct(lifted)};color:{_attr(row.label_colour)}"
        label = f'<div class="aoai-bar-label" style="{place}">{_attr(row.label)}</div>'
        columns.append(f'<div class="aoai-column">{bar}{label}</div>')
        names.append(f'<span title="{_attr(row.region)}">{_attr(row.region)}</span>')
    width = f"width:{step * max(1, len(names))}px"
    return (
        f'<div class="aoai-panel">{_heading(bars.title, bars.subtitle)}'
        f'<div class="aoai-panel-body"><div class="aoai-y-title">{_attr(bars.axis)}</div>'
        f'<div class="aoai-y-ticks">{ticks}</div>'
        f'<div class="aoai-plot" style="{width}">{grid}{target}{"".join(columns)}</div>'
        f'<div class="aoai-x-labels" style="{width}">{"".join(names)}</div></div></div>'
    )


def bars_html(panels: Sequence[SliBars]) -> str:
    """`panels` side by side (wrapping on a narrow page) as one chart, `data-chart="slo-bars"`."""
    body = "".join(_panel(p) for p in panels)
    return _chart("slo-bars", f'<div class="aoai-panels">{body}</div>')


def _chart(name: str, body: str) -> str:
    return f'<style>{CSS}</style><div class="aoai-chart" data-chart="{name}">{body}</div>'


def _time_format(span: pd.Timedelta) -> str:
    return "%H:%M:%S" if span <= pd.Timedelta(hours=1) else "%H:%M" if span <= pd.Timedelta(days=2) else "%b %d"


def history_html(chart: StatusHistory) -> str:
    """The status history as one chart, `data-chart="status-history"`: a row per lane, each mark
    placed by its times in percent of the range the cells cover, six UTC times under it, a legend."""
    data = chart.data
    cells = data[data["layer"] == "cell"]
    head = _heading(chart.title, chart.subtitle)
    if cells.empty:
        body = '<div class="aoai-empty">no probes in this range</div>'
        return _chart("status-history", head + body)
    lo, hi = cells["bucket"].min(), cells["bucket_end"].max()
    shown = data[data["lane"].isin(set(chart.lanes))]
    # every mark's place in one pass (a Timestamp's arithmetic row by row costs the page ~10 ms)
    span = (hi - lo) or pd.Timedelta(milliseconds=1)
    lefts = ((shown["bucket"] - lo) / span * 100).clip(lower=0)
    widths = (((shown["bucket_end"] - lo) / span * 100).clip(upper=100) - lefts).clip(lower=0)
    starts = shown["bucket"].dt.strftime("%Y-%m-%d %H:%M:%S")
    marks: dict[str, list[str]] = {lane: [] for lane in chart.lanes}
    for row, left, width, start in zip(
        shown.itertuples(index=False), lefts.tolist(), widths.tolist(), starts.tolist(), strict=True
    ):
        place = f"left:{_pct(left)};width:{_pct(width)}"
        if row.layer == "cell":
            fields = [
                ("region", row.region),
                ("from (UTC)", start),
                ("state", row.state),
                ("bad", f"{row.bad_share:.1%}"),
                ("probes", int(row.probes)),
            ]
            style = f"{place};background:{look.STATE_COLOURS[row.state]}"
            marks[row.lane].append(_mark("cell", fields, style, f' data-state="{_attr(row.state)}"'))
        else:
            fields = [
                ("fault", row.fault),
                ("region", row.region),
                ("from (UTC)", row.fault_from),
                ("until (UTC)", row.fault_until),
            ]
            style = f"{place};background:{_attr(row.colour)}"
            marks[row.lane].append(_mark("fault", fields, style, f' data-fault="{_attr(row.fault)}"'))
    lanes = "".join(
        f'<div class="aoai-lane" data-lane="{_attr(lane)}"><div class="aoai-lane-name" title="{_attr(lane)}">'
        f'{_attr(lane)}</div><div class="aoai-track">{"".join(shown)}</div></div>'
        for lane, shown in marks.items()
    )
    form = _time_format(hi - lo)
    ticks = []
    for i in range(TICKS):
        at = lo + (hi - lo) * i / (TICKS - 1)
        shift = "0" if i == 0 else "-100%" if i == TICKS - 1 else "-50%"  # the end labels stay inside
        ticks.append(
            f'<span style="left:{_pct(i * 100 / (TICKS - 1))};transform:translateX({shift})">{at:{form}}</span>'
        )
    axis = (
        '<div class="aoai-lane aoai-axis"><div class="aoai-lane-name">UTC</div>'
        f'<div class="aoai-track">{"".join(ticks)}</div></div>'
    )
    legend = "".join(f'<span><i style="background:{look.STATE_COLOURS[s]}"></i>{s}</span>' for s in STATES)
    faulted = data.loc[data["layer"] == "fault", "colour"].drop_duplicates()
    if not faulted.empty:  # one swatch per region that had a fault, in its colour
        swatches = "".join(f'<i style="background:{_attr(c)}"></i>' for c in faulted)
        legend += f"<span>{swatches}drill fault, in its region's colour</span>"
    return _chart("status-history", f'{head}{lanes}{axis}<div class="aoai-legend">{legend}</div>')
