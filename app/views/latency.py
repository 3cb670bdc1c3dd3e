"""Latency: p50/p95/p99 over time per region, first token and last byte, the distribution, slow probes."""

import streamlit as st
from aoai_watch.app import cached, controls, figures


def body(ctx: controls.Context) -> None:
    threshold_ms = ctx.slo.latency_threshold_s * 1000
    st.plotly_chart(
        figures.latency_over_time(
            cached.latency_over_time(ctx.store, ctx.filters, ctx.bucket),
            threshold_ms,
            cached.fault_windows(ctx.store, ctx.filters),
        ),
        width="stretch",
    )
    st.plotly_chart(
        figures.latency_distribution(cached.latencies(ctx.store, ctx.filters), threshold_ms), width="stretch"
    )
    st.subheader(f"Slowest probes over {ctx.slo.latency_threshold_s:g} s")
    st.dataframe(cached.slow_probes(ctx.store, ctx.filters, threshold_ms), hide_index=True, width="stretch")


controls.page("Latency", body)
