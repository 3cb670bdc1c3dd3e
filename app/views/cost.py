"""Tokens & cost: spend per region, deployment and day; the month so far and its projection."""

import streamlit as st
from aoai_watch.app import cached, controls, figures


def body(ctx: controls.Context) -> None:
    spent, projected = cached.month_to_date(ctx.store, ctx.now)
    left, right = st.columns(2)
    left.metric("Probe spend this month", f"${spent:,.4f}")
    right.metric("Projected for the month", f"${projected:,.4f}")
    by_day = cached.cost_by_day(ctx.store, ctx.filters)
    st.plotly_chart(figures.cost(by_day), width="stretch")
    st.dataframe(by_day, hide_index=True, width="stretch")
    st.plotly_chart(figures.tokens_by_kind(cached.tokens_by_kind(ctx.store, ctx.filters)), width="stretch")


controls.page("Tokens & cost", body)
