"""Drills: runs with pass/fail per expectation, and each run's timeline with its faults shaded.
Pass and fail are words in colour, not emoji alone: without an emoji font those draw as empty boxes."""

import streamlit as st
from aoai_watch.app import cached, controls, figures, look, tables


def body(ctx: controls.Context) -> None:
    runs = cached.drills(ctx.store)
    if runs.empty:
        st.info("No drill runs stored yet: `aoai-watch drill run data/drills/ --db " + str(ctx.store.path) + "`")
        return
    shown = tables.drill_runs(runs)
    st.dataframe(shown.style.map(tables.pass_fail_colour, subset=["result"]), hide_index=True, width="stretch")
    labels = {
        f"{look.utc(r.started)} {r.drill} ({tables.PASS if r.passed else tables.FAIL})": r.run_id
        for r in runs.itertuples(index=False)
    }
    chosen = st.selectbox("Run", list(labels), key="drill_run")
    run = runs[runs["run_id"] == labels[chosen]].iloc[0]
    for e in tables.expectations(run["expectations"]):
        colour = "green" if e.passed else "red"
        st.markdown(f":{colour}-badge[{e.result}] `{e.expect}`, measured {e.measured}")
    st.plotly_chart(
        figures.drill_timeline(
            cached.drill_requests(ctx.store, run["run_id"]),
            cached.drill_faults(ctx.store, run["run_id"]),
            ctx.priorities,
        ),
        width="stretch",
    )


controls.page("Drills", body)
