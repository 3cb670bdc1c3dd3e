"""Errors & 429s: outcomes over time, 429s against the headers seen before them, Retry-After
promised vs the time it really took, and the last failures with their error text and request id."""

import streamlit as st
from aoai_watch.app import cached, controls, figures


def body(ctx: controls.Context) -> None:
    st.plotly_chart(
        figures.outcomes_over_time(
            cached.outcomes_over_time(ctx.store, ctx.filters, ctx.bucket),
            cached.fault_windows(ctx.store, ctx.filters),
        ),
        width="stretch",
    )
    limits = cached.rate_limits(ctx.store, ctx.filters)
    st.subheader(f"429s ({len(limits)})")
    if limits.empty:
        st.caption("No 429s in this range.")
    else:
        st.plotly_chart(figures.rate_limits(limits), width="stretch")
        st.dataframe(limits, hide_index=True, width="stretch")
    st.subheader("Last failures")
    st.dataframe(cached.last_failures(ctx.store, ctx.filters), hide_index=True, width="stretch")


controls.page("Errors & 429s", body)
