"""Overview: which region is up, degraded or down, since when and why; are we inside 99.9% and
2 s per region and through failover; budget; burn alerts. With several probers' stores read as one,
a table at the end splits each region by prober (the same probes), and a region missing an
objective from some probers only is named under the regions table. Its tables and charts are plain
HTML (app/static_table.py, app/overview_charts.py): a row per region needs no grid and bars need no
chart engine, and the page loads faster without them. What it shows is made, and remembered, by
app/overview_page.py; this script only hands it to Streamlit."""

import streamlit as st
from aoai_watch.app import controls, overview_page

PER_ROW = 4  # state cards per row


def state_row(ctx: controls.Context, shown: list[overview_page.Card]) -> None:
    """One card per region (PER_ROW to a row), each with a link to its errors around that time."""
    for start in range(0, len(shown), PER_ROW):
        for column, card in zip(st.columns(PER_ROW), shown[start : start + PER_ROW], strict=False):
            with column:
                st.html(card.html)
                st.page_link(
                    "views/errors.py",
                    label=f"Errors & 429s here, last {card.reach}",
                    query_params=ctx.link(regions=card.region, range=card.reach),
                )


def body(ctx: controls.Context) -> None:
    page = overview_page.drawn(ctx)
    state_row(ctx, page.cards)
    st.html(page.regions)
    for note in page.notes:
        st.warning(note)
    st.html(page.bars)
    st.html(page.history)
    st.subheader("Burn-rate alerts (multiwindow)")
    st.html(page.alerts)
    st.caption(
        "A burn rate is how fast the error budget goes: 1x spends exactly the budget over the SLO window. "
        "Read each with the probes beside it: at one probe a minute one failure already burns the fast row "
        f"(16.7x), so a row fires only when its short window holds at least {page.guard} bad probes; "
        '"held back" marks a row that burns but has fewer (the `alert` command applies the same guard).'
    )
    if page.by_prober:
        st.subheader("By prober")
        st.html(page.by_prober)


controls.page("Overview", body)
