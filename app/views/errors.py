"""Errors & 429s: outcomes over time, 429s against the headers seen before them, Retry-After
promised vs the time it really took, and the last failures with their error text and request id."""

import streamlit as st
from aoai_watch.app import controls, figures


def body(ctx: controls.Context) -> None:
    st.plotly_chart(
        figures.outcomes_over_time(
            ctx.query("outcomes_over_time", ctx.filters, ctx.bucket),
            ctx.query("fault_windows", ctx.filters),
        ),
        width="stretch",
    )
    limits = ctx.query("rate_limits", ctx.filters)
    st.subheader(f"429s ({len(limits)})")
    if limits.empty:
        st.caption("No 429s in this range.")
    else:
        st.plotly_chart(figures.rate_limits(limits), width="stretch")
        st.dataframe(limits, hide_index=True, width="stretch")
    st.subheader("Last failures")
    st.dataframe(ctx.query("last_failures", ctx.filters), hide_index=True, width="stretch")


controls.page("Errors & 429s", body)
