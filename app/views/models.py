"""Model versions: what each deployment reported over time, with changes marked."""

import streamlit as st
from aoai_watch.app import controls, figures


def body(ctx: controls.Context) -> None:
    st.plotly_chart(figures.model_versions(ctx.query("model_versions", ctx.filters)), width="stretch")
    changes = ctx.query("model_changes")
    st.subheader(f"Changes ({len(changes)})")
    st.dataframe(changes, hide_index=True, width="stretch")


controls.page("Model versions", body)
