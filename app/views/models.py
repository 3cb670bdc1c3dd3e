"""Model versions: what each deployment reported over time, with changes marked."""

import streamlit as st
from aoai_watch.app import cached, controls, figures


def body(ctx: controls.Context) -> None:
    st.plotly_chart(figures.model_versions(cached.model_versions(ctx.store, ctx.filters)), width="stretch")
    changes = cached.model_changes(ctx.store)
    st.subheader(f"Changes ({len(changes)})")
    st.dataframe(changes, hide_index=True, width="stretch")


controls.page("Model versions", body)
