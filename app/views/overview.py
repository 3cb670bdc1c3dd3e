"""Overview: are we inside 99.9% and 2 s, per region and through failover; budget; burn alerts."""

import pandas as pd
import streamlit as st
from aoai_watch.app import controls, figures, slo
from aoai_watch.failover.outcomes import GOOD


def body(ctx: controls.Context) -> None:
    target, latency_target = ctx.slo.availability_target, ctx.slo.latency_target
    threshold_ms = ctx.slo.latency_threshold_s * 1000
    table = ctx.query("overview", ctx.filters, threshold_ms)
    window = ctx.filters.until - ctx.filters.since
    rows = []
    for r in table.itertuples(index=False):
        availability = slo.Sli(int(r.good), int(r.valid))
        fast = slo.Sli(int(r.fast), int(r.successful))
        covered = (r.last_ts - r.first_ts) / window if r.valid > 1 else 0.0
        healthy = r.last_outcome in GOOD
        since = r.last_bad_ts if healthy else r.last_good_ts
        rows.append(
            {
                "region": r.region,
                "state": ("up" if healthy else "DOWN") + (f" since {since:%H:%M:%S}" if pd.notna(since) else ""),
                "availability": availability.ratio,
                "target": target,
                "probes": r.valid,
                "budget left": slo.budget_remaining(availability, target),
                f"under {ctx.slo.latency_threshold_s:g} s": fast.ratio,
                "latency target": latency_target,
                "window with data": min(1.0, covered),
                "cost USD": r.cost_usd,
            }
        )
    summary = pd.DataFrame(rows)
    st.dataframe(
        summary,
        hide_index=True,
        width="stretch",
        column_config={
            "availability": st.column_config.NumberColumn(format="percent"),
            "target": st.column_config.NumberColumn(format="percent"),
            "budget left": st.column_config.NumberColumn(format="percent"),
            f"under {ctx.slo.latency_threshold_s:g} s": st.column_config.NumberColumn(format="percent"),
            "latency target": st.column_config.NumberColumn(format="percent"),
            "window with data": st.column_config.NumberColumn(format="percent"),
            "cost USD": st.column_config.NumberColumn(format="$%.4f"),
        },
    )
    for chart in (
        figures.availability(table, target),
        figures.status_history(
            ctx.query("status_history", ctx.filters, ctx.bucket),
            pd.Timedelta(ctx.bucket),
            ctx.query("fault_windows", ctx.filters),
        ),
    ):
        st.vega_lite_chart(chart.data, chart.spec, width="stretch")
    st.subheader("Burn-rate alerts (multiwindow)")
    counts = ctx.query("window_counts", ctx.now, slo.windows(), ctx.filters.regions)
    alerts = []
    for r in counts.to_dict("records"):
        slis = {w: slo.Sli(int(r[f"good_{w}"]), int(r[f"valid_{w}"])) for w in slo.windows()}
        for state in slo.alert_states(slis, target):
            alerts.append(
                {
                    "region": r["region"],
                    "windows": f"{state.row.long_window_s // 3600 or 1}h / {state.row.short_window_s // 60}m",
                    "threshold": state.row.burn_rate,
                    "long burn": state.long_burn,
                    "short burn": state.short_burn,
                    "samples": f"{state.long_samples} / {state.short_samples}",
                    "severity": state.row.severity,
                    "firing": "FIRING" if state.firing else "ok",
                }
            )
    st.dataframe(pd.DataFrame(alerts), hide_index=True, width="stretch")
    st.caption("At one probe a minute one failure already fires the fast row: read each burn rate with its samples.")


controls.page("Overview", body)
