"""The Streamlit entry point: `aoai-watch dashboard` runs `streamlit run` on this file."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="aoai-watch", page_icon=":satellite:", layout="wide")
HERE = Path(__file__).parent / "views"  # not "pages": Streamlit would also serve that folder as old-style pages
navigation = st.navigation(
    [
        st.Page(HERE / "overview.py", title="Overview", default=True),
        st.Page(HERE / "latency.py", title="Latency"),
        st.Page(HERE / "errors.py", title="Errors & 429s"),
        st.Page(HERE / "cost.py", title="Tokens & cost"),
        st.Page(HERE / "drills.py", title="Drills"),
        st.Page(HERE / "models.py", title="Model versions"),
        st.Page(HERE / "monitor.py", title="Azure Monitor"),
        st.Page(HERE / "alerts.py", title="Alerts"),
    ]
)
navigation.run()
