"""Tokens & cost: spend per region, deployment and day; the month so far and its projection. Every
number on the page comes from the one read `spend` (app/spend.py), so the headline is the table's sum."""

import streamlit as st
from aoai_watch.app import cached, controls, figures, look, spend, tables


def body(ctx: controls.Context) -> None:
    rows = cached.spend(ctx.store, ctx.filters, ctx.now)
    order = ctx.priorities
    month = spend.month(rows, ctx.now)
    total_usd = spend.total_usd(rows)
    in_range, this_month, projected = st.columns(3)
    in_range.metric("Probe spend in this range", look.usd(total_usd))
    this_month.metric("This month so far", look.usd(month.spent_usd))
    if month.projected_usd is None:
        projected.metric("Projected for the month", "not yet")
        projected.caption(
            f"Shown from {spend.MIN_PROJECTION_HOURS:g} hour of data this month; "
            f"there are {month.data_hours * 60:.0f} minutes so far."
        )
    else:
        projected.metric("Projected for the month", look.usd(month.projected_usd))
        projected.caption(
            f"At the pace of the {month.data_hours:,.1f} hours since the month's first probe "
            f"({look.utc(month.first)} UTC), carried on to {month.month_end:%b %d}."
        )
    st.caption("The regions and probe kinds chosen in the sidebar, on every number of this page.")
    by_day = spend.by_day(rows)
    st.plotly_chart(figures.cost(by_day, ctx.now, order, ctx.filters.since), width="stretch")
    st.dataframe(tables.spend_by_day(by_day, total_usd, order), hide_index=True, width="stretch")
    st.plotly_chart(figures.tokens_by_kind(spend.tokens_by_kind(rows)), width="stretch")


controls.page("Tokens & cost", body)
