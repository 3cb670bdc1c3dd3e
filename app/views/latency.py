"""Latency: p50/p95/p99 over time per region, first token and last byte, the distribution, slow probes."""

import pandas as pd
import streamlit as st
from aoai_watch.app import cached, controls, figures, tables


def body(ctx: controls.Context) -> None:
    threshold_ms = ctx.slo.latency_threshold_s * 1000
    order = ctx.priorities
    st.plotly_chart(
        figures.latency_over_time(
            cached.latency_over_time(ctx.store, ctx.filters, ctx.bucket),
            threshold_ms,
            cached.fault_windows(ctx.store, ctx.filters),
            width=pd.Timedelta(ctx.bucket),
            since=ctx.filters.since,
            now=ctx.now,
            priorities=order,
        ),
        width="stretch",
    )
    st.caption(
        f"Successful probes in buckets of {ctx.bucket}, each point at its bucket's last probe; hollow points: "
        "a partial bucket (still filling, or the range starts inside it)."
    )
    st.plotly_chart(
        figures.latency_distribution(cached.latencies(ctx.store, ctx.filters), threshold_ms, order), width="stretch"
    )
    st.subheader(f"Slowest probes over {ctx.slo.latency_threshold_s:g} s")
    slow = cached.slow_probes(ctx.store, ctx.filters, threshold_ms)
    if slow.empty:
        st.caption(f"No probe took longer than {ctx.slo.latency_threshold_s:g} s in this range.")
    else:
        st.dataframe(tables.slow_probes(slow), hide_index=True, width="stretch")


controls.page("Latency", body)
