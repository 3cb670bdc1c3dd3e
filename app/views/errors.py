"""Errors & 429s: outcomes over time, 429s against the headers seen before them, Retry-After
promised vs the time it really took, and the last failures with their error text and request id."""

import pandas as pd
import streamlit as st
from aoai_watch.app import cached, controls, figures, tables


def body(ctx: controls.Context) -> None:
    st.plotly_chart(
        figures.outcomes_over_time(
            cached.outcomes_over_time(ctx.store, ctx.filters, ctx.bucket),
            cached.fault_windows(ctx.store, ctx.filters),
            width=pd.Timedelta(ctx.bucket),
            since=ctx.filters.since,
            now=ctx.now,
        ),
        width="stretch",
    )
    limits = cached.rate_limits(ctx.store, ctx.filters)
    st.subheader(f"429s ({len(limits)})")
    if limits.empty:
        st.caption("No 429s in this range.")
    else:
        st.plotly_chart(figures.rate_limits(limits, ctx.priorities), width="stretch")
        st.dataframe(tables.rate_limits(limits), hide_index=True, width="stretch")
    st.subheader("Last failures")
    failures = cached.last_failures(ctx.store, ctx.filters)
    if failures.empty:
        st.caption("No failures in this range.")
    else:
        st.dataframe(tables.last_failures(failures), hide_index=True, width="stretch")


controls.page("Errors & 429s", body)
