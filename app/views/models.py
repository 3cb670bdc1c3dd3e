"""Model versions: what each deployment reported over the range, run by run, and its changes. A
change is the same region and deployment answering another version (queries.model_versions)."""

import streamlit as st
from aoai_watch.app import cached, controls, figures, tables


def body(ctx: controls.Context) -> None:
    order = ctx.priorities
    runs = cached.model_versions(ctx.store, ctx.filters)
    if runs.empty:
        st.caption("No probe in this range reported a model version.")
        return
    st.plotly_chart(figures.model_versions(runs, ctx.now, order), width="stretch")
    changes = tables.model_changes(runs)
    st.subheader(f"Changes ({len(changes)})")
    if changes.empty:
        st.caption("Every deployment answered one model version throughout this range.")
    else:
        st.dataframe(changes, hide_index=True, width="stretch")
    st.caption(
        "Compared per region and deployment across the probe kinds that report a version; probes that "
        'reported none, and a reported "version" that is only the deployment\'s name, are left out.'
    )
    with st.expander("Every run of one version"):
        st.dataframe(tables.model_runs(runs, order), hide_index=True, width="stretch")


controls.page("Model versions", body)
