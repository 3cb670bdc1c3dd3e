"""Overview: which region is up, degraded or down, since when and why; are we inside 99.9% and
2 s per region and through failover; budget; burn alerts. Every table and chart in the one region
order, each figure from one query per filter set, so a number shown twice reads the same. With
several probers' stores read as one, a table at the end splits each region by prober (the same
probes), and a region missing an objective from some probers only is named under the regions table.
Its tables and charts are plain HTML (app/static_table.py, app/overview_charts.py): a row per
region needs no grid and bars need no chart engine, and the page loads faster without them."""

from datetime import timedelta

import pandas as pd
import streamlit as st
from aoai_watch.app import badges, cached, controls, look, overview_charts, slo_tables, states, static_table
from aoai_watch.probes import slo

LOOKBACK = timedelta(hours=2)  # the region states look this far back for "since"
PER_ROW = 4  # state cards per row


def state_row(ctx: controls.Context, table: pd.DataFrame, found: list[states.RegionState]) -> None:
    """One card per region (PER_ROW to a row), each with a link to its errors around that time."""
    rows = table.set_index("region").to_dict("index") if not table.empty else {}
    colours = look.region_colours([s.region for s in found])
    for start in range(0, len(found), PER_ROW):
        for column, state in zip(st.columns(PER_ROW), found[start : start + PER_ROW], strict=False):
            r = rows.get(state.region)
            slos = []
            if r is not None:
                good, fast = slo.Sli(int(r["good"]), int(r["valid"])), slo.Sli(int(r["fast"]), int(r["successful"]))
                slos = badges.verdicts(good, fast, ctx.slo)
            with column:
                st.html(badges.badge_html(state, colours[state.region], slos, ctx.range_key))
                at = state.failure_ts if state.failure_ts is not None else state.since
                reach = controls.range_covering(ctx.now - at) if at is not None else ctx.range_key
                st.page_link(
                    "views/errors.py",
                    label=f"Errors & 429s here, last {reach}",
                    query_params=ctx.link(regions=state.region, range=reach),
                )


def by_prober(ctx: controls.Context) -> pd.DataFrame:
    """The Overview's counts per region and prober, when the probes shown come from several
    probers (empty otherwise): a region failing from one place only is a network path."""
    if not ctx.probers:
        return pd.DataFrame(columns=["region", "prober", "valid", "good", "successful", "fast"])
    split = cached.overview_by_prober(ctx.store, ctx.filters, ctx.slo.latency_threshold_s * 1000)
    return split if split["prober"].nunique() > 1 else split.iloc[0:0]


def prober_split(ctx: controls.Context, split: pd.DataFrame, regions: list[str]) -> None:
    """Each region split by the prober that measured it (the same probes as the regions table)."""
    if split.empty:
        return
    st.subheader("By prober")
    static_table.show(slo_tables.styled(slo_tables.prober_table(split, regions, ctx.slo), ctx.slo), "by-prober")


def body(ctx: controls.Context) -> None:
    target = ctx.slo.availability_target
    table = cached.overview(ctx.store, ctx.filters, ctx.slo.latency_threshold_s * 1000)
    regions = ctx.order([*table["region"], *ctx.filters.regions])
    recent = cached.recent_probes(ctx.store, ctx.filters, ctx.now - LOOKBACK)
    found = states.region_states(regions, recent, table, ctx.now, ctx.slo)
    state_row(ctx, table, found)
    regions_table = slo_tables.region_table(table, found, ctx.filters.until - ctx.filters.since, ctx.slo)
    static_table.show(slo_tables.styled(regions_table, ctx.slo), "regions")
    split = by_prober(ctx)
    for note in slo_tables.prober_notes(split, regions, ctx.slo):  # the headline of the split, by the table
        st.warning(note)
    st.html(overview_charts.slo_bars(table, ctx.slo, regions))
    bucket = ctx.history_bucket
    history = overview_charts.status_history(
        cached.status_history(ctx.store, ctx.filters, bucket),
        pd.Timedelta(bucket),
        cached.fault_windows(ctx.store, ctx.filters),
        regions,
    )
    st.html(overview_charts.history_html(history))
    st.subheader("Burn-rate alerts (multiwindow)")
    counts = cached.window_counts(ctx.store, ctx.filters, ctx.now, slo.windows(), ctx.slo.latency_threshold_s * 1000)
    loaded = controls.config()
    guard = loaded.alerts.min_bad_events if loaded and loaded.alerts else slo.MIN_BAD_EVENTS
    static_table.show(slo_tables.styled(slo_tables.alert_table(counts, target, regions, guard)), "burn-rate-alerts")
    st.caption(
        "A burn rate is how fast the error budget goes: 1x spends exactly the budget over the SLO window. "
        "Read each with the probes beside it: at one probe a minute one failure already burns the fast row "
        f"(16.7x), so a row fires only when its short window holds at least {guard} bad probes; "
        '"held back" marks a row that burns but has fewer (the `alert` command applies the same guard).'
    )
    prober_split(ctx, split, regions)


controls.page("Overview", body)
