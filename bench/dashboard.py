"""bench/dashboard: how long the Overview takes to render in a real browser over 30 days x 12
targets x one probe a minute (518,400 rows), once the server is warm (and the browser has the
page's scripts cached, as on a second visit); target under 2 s. The baselines, in the same run:
a bare Streamlit page with two tiny HTML charts (the floor for the Overview, whose two charts are
plain HTML, app/overview_charts.py), a page of the Overview's shape without its data (navigation,
sidebar widgets, cards and links, small tables: what is Streamlit's and what is ours), the bare page
with two tiny Vega-Lite charts and with two tiny Plotly charts (why the Overview's charts use
neither: each engine alone costs a large part of the budget), and the Overview over an empty
database.

Rerun: make bench   (or: .venv/bin/python -m bench dashboard [--quick])
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb


def _month(path: Path) -> int:
    from aoai_watch.probes.store import Store

    Store(path).write([])
    con = duckdb.connect(str(path))
    con.execute("""
        INSERT INTO probe_results (id, ts, prober, region, deployment, kind, outcome, latency_ms, status_code,
                                   cost_usd, prompt_tokens, completion_tokens)
        SELECT 'g' || i, now()::TIMESTAMP - INTERVAL 30 DAY + to_minutes(i // 12), 'bench', 'region' || (i % 4),
               'gpt-4o', ['chat', 'stream', 'embeddings'][1 + (i // 4) % 3],
               CASE WHEN hash(i) % 1000 < 3 THEN 'server_error' ELSE 'ok' END, 150 + hash(i * 7) % 2500, 200,
               0.0001, 20, 8
        FROM range(30 * 24 * 60 * 12) t(i)
    """)
    (count,) = con.execute("SELECT count(*) FROM probe_results").fetchone()
    con.execute("CHECKPOINT")
    con.close()
    return int(count)


PLOTLY_FLOOR_PAGE = """
import plotly.graph_objects as go
import streamlit as st
st.title("floor")
st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[2, 1])))
"""
# Two tiny charts as the Overview draws its own: marks placed in HTML (app/overview_charts.py).
HTML_CHART = (
    '<div data-chart="{0}" style="position:relative;height:60px;width:120px">'
    '<div data-mark="bar" style="position:absolute;bottom:0;left:0;width:40%;height:{1}%;background:#1f77b4"></div>'
    '<div data-mark="bar" style="position:absolute;bottom:0;left:50%;width:40%;height:{2}%;background:#17becf"></div>'
    "</div>"
)
HTML_FLOOR_PAGE = f"""
import streamlit as st
st.title("floor")
st.html({HTML_CHART.format("a", 50, 100)!r})
st.html({HTML_CHART.format("b", 100, 50)!r})
"""
VEGA_FLOOR_PAGE = """
import pandas as pd
import streamlit as st
st.title("floor")
x, y = {"field": "x", "type": "nominal"}, {"field": "y", "type": "quantitative"}
bars = {"mark": "bar", "encoding": {"x": x, "y": y}}
st.vega_lite_chart(pd.DataFrame({"x": ["a", "b"], "y": [1, 2]}), bars)
st.vega_lite_chart(pd.DataFrame({"x": ["a", "b"], "y": [2, 1]}), bars)
"""
# The Overview's shape without its data: the same navigation and sidebar widgets, four cards with
# their links, two small HTML tables and two tiny HTML charts. What the Overview costs above this
# is ours (queries, data, bigger charts); what this costs above HTML_FLOOR_PAGE is Streamlit's.
SHAPE_FLOOR_PAGE = f"""
import streamlit as st
st.set_page_config(page_title="floor", layout="wide")
TABLE = "<table><tr><th>region</th><th>state</th></tr><tr><td>eastus2</td><td>up</td></tr></table>"
def overview():
    st.sidebar.selectbox("Time range", ["1h", "6h", "24h", "7d", "30d"])
    st.sidebar.multiselect("Regions", ["eastus2", "swedencentral"])
    st.sidebar.multiselect("Probe kinds", ["chat", "stream"])
    st.sidebar.toggle("Auto-refresh (30 s)")
    st.sidebar.caption("Database: `floor`")
    st.title("Overview")
    for column in st.columns(4):
        with column:
            st.html("<div><b>region</b> UP<br>since 12:00:00 UTC<br>no failure in this range</div>")
            st.page_link(PAGES[1], label="Errors & 429s here, last 1h")
    st.html(TABLE)
    st.html({HTML_CHART.format("a", 50, 100)!r})
    st.html({HTML_CHART.format("b", 100, 50)!r})
    st.subheader("Burn-rate alerts (multiwindow)")
    st.html(TABLE)
    st.caption("A burn rate is how fast the error budget goes.")
def other():
    st.title("page")
PAGES = [st.Page(overview, title="Overview", default=True)]
PAGES += [st.Page(other, title=f"Page {{i}}", url_path=f"page{{i}}") for i in range(7)]
st.navigation(PAGES).run()
"""
# Rendered = both charts drawn. An HTML chart is drawn once its marks are in the page. Vega draws
# into an svg (or, over 2,000 marks, a canvas) of class "marks", made before its marks: a chart
# counts once a mark is drawn in it (or its canvas is up).
# One Plotly chart alone holds two .main-svg layers, so Plotly is counted by its plots.
DRAWN = {
    "html": "Array.from(document.querySelectorAll('[data-testid=\"stHtml\"] [data-chart]'))"
    ".filter(c => c.querySelector('[data-mark]')).length >= 2",
    "vega": "Array.from(document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]'))"
    ".filter(c => c.querySelector('.role-mark > *, canvas.marks')).length >= 2",
    "plotly": "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot .main-svg').length >= 4",
}


def _render_times(db: Path, rounds: int, script: Path | None = None, charts: str = "html") -> list[float]:
    """Load times of the Overview over `db` (or of `script`, a bare page) in headless chromium, until
    its two `charts` ("html", "vega" or "plotly") are drawn (over an empty database: until the guidance shows)."""
    import subprocess
    import sys

    from aoai_watch.app import serve
    from aoai_watch.app.serve import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if script is None:
        process = serve.start(db, port=port, quiet=True)
    else:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # one browser context: a returning viewer's browser has Streamlit's and Plotly's scripts cached
            context = browser.new_context()
            for i in range(rounds + 1):  # the first load warms the server (and the cache) and is not counted
                page = context.new_page()
                started = time.perf_counter()
                page.goto(f"{url}/?refresh=0&range=30d", timeout=120_000)
                if db.name == "empty.duckdb":
                    page.wait_for_selector('[data-testid="stAlert"]', timeout=120_000)
                else:
                    page.wait_for_function(DRAWN[charts], timeout=120_000)
                if i:
                    times.append(time.perf_counter() - started)
                page.close()
            browser.close()
        return times
    finally:
        process.terminate()
        process.wait(10)


def main(quick: bool = False) -> int:
    print("bench/dashboard  (rerun: make bench, or .venv/bin/python -m bench dashboard)", flush=True)
    rounds = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        month, empty = Path(tmp) / "month.duckdb", Path(tmp) / "empty.duckdb"
        rows = _month(month)
        full = statistics.median(_render_times(month, rounds))
        base = statistics.median(_render_times(empty, rounds))
        floors = {}
        for name, charts, source in (
            ("html", "html", HTML_FLOOR_PAGE),
            ("shape", "html", SHAPE_FLOOR_PAGE),
            ("vega", "vega", VEGA_FLOOR_PAGE),
            ("plotly", "plotly", PLOTLY_FLOOR_PAGE),
        ):
            script = Path(tmp) / f"floor_{name}.py"
            script.write_text(source)
            floors[name] = statistics.median(_render_times(month, rounds, script, charts))
    ok = full < 2.0
    print(
        f"  Overview over {rows:,} rows (30 days x 12 targets x 1/min), warm server: {full:.2f} s until both "
        f"charts are drawn; a bare Streamlit page with two tiny HTML charts {floors['html']:.2f} s (ratio "
        f"{full / floors['html']:.2f}x), the Overview's shape without its data {floors['shape']:.2f} s (ratio "
        f"{full / floors['shape']:.2f}x), the bare page with two tiny Vega-Lite charts {floors['vega']:.2f} s, "
        f"with two tiny Plotly charts {floors['plotly']:.2f} s; the empty-database "
        f"page {base:.2f} s; target < 2 s {'PASS' if ok else 'FAIL'}",
        flush=True,
    )
    return 0 if ok else 1
