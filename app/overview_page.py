"""The Overview's content for one view, as HTML (app/views/overview.py hands it to Streamlit):
the state cards, the regions table, the SLO bars, the status history, the burn-rate alerts and,
with several probers, the split by prober. Every table and chart in the one region order, each
figure from one query per filter set, so a number shown twice reads the same.

`drawn` makes all of it from the reads and is remembered like the reads themselves (cached.view:
15 s, per view): a second viewer, a refresh or a filter toggled back only sends it. Not a page
script (those run as `__main__`, whose classes a cache cannot keep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from ..probes import slo
from . import badges, cached, controls, look, overview_charts, slo_tables, states, static_table

__all__ = ["Card", "Drawn", "drawn"]

LOOKBACK = timedelta(hours=2)  # the region states look this far back for "since"


@dataclass(frozen=True)
class Card:
    """One region's state card, and the range its errors link opens at (reaching its last failure)."""

    region: str
    html: str
    reach: str


@dataclass(frozen=True)
class Drawn:
    """Everything the Overview shows for one view, as HTML: the page only hands it to Streamlit."""

    cards: list[Card]
    regions: str
    notes: list[str]
    bars: str
    history: str
    alerts: str
    guard: int  # bad probes a burn-rate row needs in its short window to fire
    by_prober: str  # "" unless several probers measured the probes shown


def cards(ctx: controls.Context, table: pd.DataFrame, found: list[states.RegionState]) -> list[Card]:
    rows = table.set_index("region").to_dict("index") if not table.empty else {}
    colours = look.region_colours([s.region for s in found])
    out = []
    for state in found:
        r = rows.get(state.region)
        slos = []
        if r is not None:
            good, fast = slo.Sli(int(r["good"]), int(r["valid"])), slo.Sli(int(r["fast"]), int(r["successful"]))
            slos = badges.verdicts(good, fast, ctx.slo)
        at = state.failure_ts if state.failure_ts is not None else state.since
        reach = controls.range_covering(ctx.now - at) if at is not None else ctx.range_key
        out.append(Card(state.region, badges.badge_html(state, colours[state.region], slos, ctx.range_key), reach))
    return out


def by_prober(ctx: controls.Context) -> pd.DataFrame:
    """The Overview's counts per region and prober, when the probes shown come from several
    probers (empty otherwise): a region failing from one place only is a network path."""
    if not ctx.probers:
        return pd.DataFrame(columns=["region", "prober", "valid", "good", "successful", "fast"])
    split = cached.overview_by_prober(ctx.store, ctx.filters, ctx.slo.latency_threshold_s * 1000)
    return split if split["prober"].nunique() > 1 else split.iloc[0:0]


@cached.view
def drawn(ctx: controls.Context) -> Drawn:
    threshold_ms = ctx.slo.latency_threshold_s * 1000
    table = cached.overview(ctx.store, ctx.filters, threshold_ms)
    regions = ctx.order([*table["region"], *ctx.filters.regions])
    recent = cached.recent_probes(ctx.store, ctx.filters, ctx.now - LOOKBACK)
    found = states.region_states(regions, recent, table, ctx.now, ctx.slo)
    regions_table = slo_tables.region_table(table, found, ctx.filters.until - ctx.filters.since, ctx.slo)
    split = by_prober(ctx)
    bucket = ctx.history_bucket
    history = overview_charts.status_history(
        cached.status_history(ctx.store, ctx.filters, bucket),
        pd.Timedelta(bucket),
        cached.fault_windows(ctx.store, ctx.filters),
        regions,
    )
    counts = cached.window_counts(ctx.store, ctx.filters, ctx.now, slo.windows(), threshold_ms)
    loaded = controls.config()
    guard = loaded.alerts.min_bad_events if loaded and loaded.alerts else slo.MIN_BAD_EVENTS
    alerts = slo_tables.alert_table(counts, ctx.slo.availability_target, regions, guard)
    by_prober_html = ""
    if not split.empty:
        by_prober_table = slo_tables.styled(slo_tables.prober_table(split, regions, ctx.slo), ctx.slo)
        by_prober_html = static_table.to_html(by_prober_table, "by-prober")
    return Drawn(
        cards=cards(ctx, table, found),
        regions=static_table.to_html(slo_tables.styled(regions_table, ctx.slo), "regions"),
        notes=slo_tables.prober_notes(split, regions, ctx.slo),  # the headline of the split, by the table
        bars=overview_charts.slo_bars(table, ctx.slo, regions),
        history=overview_charts.history_html(history),
        alerts=static_table.to_html(slo_tables.styled(alerts), "burn-rate-alerts"),
        guard=guard,
        by_prober=by_prober_html,
    )
