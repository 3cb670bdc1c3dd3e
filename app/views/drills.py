"""Drills: runs with pass/fail per expectation, and each run's timeline with its faults shaded."""

import json

import streamlit as st
from aoai_watch.app import cached, controls, figures


def body(ctx: controls.Context) -> None:
    runs = cached.drills(ctx.store)
    if runs.empty:
        st.info("No drill runs stored yet: `aoai-watch drill run data/drills/ --db " + str(ctx.store.path) + "`")
        return
    st.dataframe(runs.drop(columns=["expectations", "run_id"]), hide_index=True, width="stretch")
    labels = {
        f"{r.started:%Y-%m-%d %H:%M:%S} {r.drill} ({'pass' if r.passed else 'FAIL'})": r.run_id
        for r in runs.itertuples(index=False)
    }
    chosen = st.selectbox("Run", list(labels), key="drill_run")
    run = runs[runs["run_id"] == labels[chosen]].iloc[0]
    for e in json.loads(run["expectations"] or "[]"):
        st.write(("✅ " if e["passed"] else "❌ ") + f"{e['expect']} — measured {e['measured']}")
    st.plotly_chart(
        figures.drill_timeline(
            cached.drill_requests(ctx.store, run["run_id"]), cached.drill_faults(ctx.store, run["run_id"])
        ),
        width="stretch",
    )


controls.page("Drills", body)
