"""Azure Monitor: the server-side view (every request the resource served) next to the probes."""

import pandas as pd
import streamlit as st
from aoai_watch.app import agreement, cached, controls, figures, tables
from aoai_watch.probes.sources import CombinedStore

SETUP = """No Azure Monitor data in this database yet. Add each region's resource to the config and import:

```toml
[monitor.regions.eastus2]   # one table per [[regions]] name
resource_id = "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.CognitiveServices/accounts/<name>"
workspace_id = "<log analytics workspace id>"   # optional: request logs, joined to probes by request id
```

```sh
aoai-watch import-metrics --config aoai-watch.toml --since 24h   # the identity needs Monitoring Reader
```"""


def body(ctx: controls.Context) -> None:
    if isinstance(ctx.store, CombinedStore):  # an import writes: into one store, never a combined view
        st.caption(
            f"Reading {len(ctx.store.sources)} stores as one, read-only: Azure's counts imported into any of them "
            "(each point once). Imports go to one store: `aoai-watch import-metrics --config FILE --db ONE.duckdb`."
        )
    if not cached.has_monitor_data(ctx.store):
        st.info(SETUP)
        return
    order = ctx.priorities
    width = pd.Timedelta(ctx.bucket)
    overlay = agreement.with_rates(cached.monitor_overlay(ctx.store, ctx.filters, ctx.bucket))
    flags = agreement.disagreements(overlay)
    pending = overlay[~overlay["settled"].astype(bool)] if not overlay.empty else overlay
    # drawn as partial: what Azure has not settled, and a first bucket the range starts inside
    overlay = overlay.assign(partial=~overlay["settled"].astype(bool) | (overlay["bucket"] < ctx.filters.since))
    partial = overlay[overlay["partial"]]
    st.caption(
        f"Time buckets of {ctx.bucket}. Azure Monitor lags a few minutes: {pending['bucket'].nunique()} recent "
        "bucket(s) are still provisional (hollow points, hatched bars) and are not judged; the next import "
        "completes them."
    )
    st.plotly_chart(figures.monitor_availability(overlay, flags, ctx.slo.availability_target, order), width="stretch")
    st.subheader(f"Disagreements ({len(flags)})")
    if flags.empty:
        st.success("Azure Monitor and the probes agree in every settled bucket.")
    else:
        st.dataframe(tables.disagreements(flags, order), hide_index=True, width="stretch")
    st.caption(" · ".join(f"**{k}**" for k in agreement.DISAGREEMENTS) + ": see the README for what each one suggests.")
    st.plotly_chart(
        figures.monitor_requests(
            cached.monitor_requests_by_status(ctx.store, ctx.filters, ctx.bucket),
            partial,
            width=width,
            now=ctx.now,
            priorities=order,
        ),
        width="stretch",
    )
    st.plotly_chart(figures.monitor_tokens(overlay, order), width="stretch")
    st.subheader("Probes found in Azure's request logs")
    st.caption("Joined by apim-request-id; `outside Azure` is probe latency minus the time Azure logged.")
    matched = cached.probe_request_match(ctx.store, ctx.filters)
    if matched.empty:
        st.caption("No request logs imported for these probes (set `workspace_id` for the region to import them).")
    else:
        st.dataframe(tables.request_match(matched, order), hide_index=True, width="stretch")
    st.subheader("Imports")
    st.dataframe(tables.monitor_imports(cached.monitor_imports(ctx.store)), hide_index=True, width="stretch")


controls.page("Azure Monitor", body)
