"""Overview: are we inside 99.9% and 2 s, per region and through failover; budget; burn alerts."""

import pandas as pd
import streamlit as st
from aoai_watch.app import cached, controls, figures, slo, slo_tables


def body(ctx: controls.Context) -> None:
    target = ctx.slo.availability_target
    table = cached.overview(ctx.store, ctx.filters, ctx.slo.latency_threshold_s * 1000)
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        slo_tables.region_table(table, ctx.filters.until - ctx.filters.since, ctx.slo),
        hide_index=True,
        width="stretch",
        column_config={
            "availability": percent,
            "target": percent,
            "budget left": percent,
            slo_tables.fast_column(ctx.slo): percent,
            "latency target": percent,
            "window with data": percent,
            "cost USD": st.column_config.NumberColumn(format="$%.4f"),
        },
    )
    for chart in (
        figures.availability(table, target),
        figures.status_history(
            cached.status_history(ctx.store, ctx.filters, ctx.bucket),
            pd.Timedelta(ctx.bucket),
            cached.fault_windows(ctx.store, ctx.filters),
        ),
    ):
        st.vega_lite_chart(chart.data, chart.spec, width="stretch")
    st.subheader("Burn-rate alerts (multiwindow)")
    counts = cached.window_counts(ctx.store, ctx.now, slo.windows(), ctx.filters.regions)
    st.dataframe(slo_tables.alert_table(counts, target), hide_index=True, width="stretch")
    st.caption("At one probe a minute one failure already fires the fast row: read each burn rate with its samples.")


controls.page("Overview", body)
