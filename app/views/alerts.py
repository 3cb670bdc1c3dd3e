"""Alerts: what fires now (since when, its value against its threshold), every alert's history,
and every notification with its delivery state, as the `alert` command stored them. Nothing here
can show a secret: the store holds none (aoai_watch.alerts.state)."""

import pandas as pd
import streamlit as st
from aoai_watch.app import cached, controls, look
from aoai_watch.probes.sources import CombinedStore

STATE_COLOURS = {"delivered": "green", "pending": "orange", "rejected": "red"}


def _value(row: pd.Series) -> str:
    if pd.isna(row["value"]):
        return ""
    threshold = "" if pd.isna(row["threshold"]) else f" (threshold {row['threshold']:g})"
    return f"{row['value']:g}{threshold}"


def _for(elapsed: pd.Timedelta) -> str:
    """How long an alert has fired: `42 min`, `3 h 5 min`."""
    minutes = max(0, int(pd.Timedelta(elapsed).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def firing_now(ctx: controls.Context) -> None:
    firing = cached.alerts_firing(ctx.store)
    st.subheader(f"Firing now ({len(firing)})")
    if firing.empty:
        st.success("Nothing is firing.")
        return
    shown = pd.DataFrame(
        {
            "severity": firing["severity"],
            "alert": firing["rule"],
            "region": firing["region"],
            "since": [look.utc(t, "%Y-%m-%d %H:%M") + " UTC" for t in firing["started_at"]],
            "for": [_for(ctx.now - t) for t in firing["started_at"]],
            "value": [_value(r) for _, r in firing.iterrows()],
            "summary": firing["summary"],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")


def history(ctx: controls.Context) -> None:
    st.subheader("History")
    rows = cached.alert_history(ctx.store)
    if rows.empty:
        st.info("No alert has fired yet. Evaluate the rules with `aoai-watch alert --config FILE` (cron, after probe).")
        return
    shown = pd.DataFrame(
        {
            "started": [look.utc(t, "%Y-%m-%d %H:%M") for t in rows["started_at"]],
            "resolved": ["" if pd.isna(t) else look.utc(t, "%Y-%m-%d %H:%M") for t in rows["resolved_at"]],
            "state": rows["state"],
            "severity": rows["severity"],
            "alert": rows["rule"],
            "region": rows["region"],
            "value": [_value(r) for _, r in rows.iterrows()],
            "summary": rows["summary"],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")


def deliveries(ctx: controls.Context) -> None:
    st.subheader("Deliveries")
    rows = cached.alert_deliveries(ctx.store)
    if rows.empty:
        st.info("No notification sent yet: add [[alerts.channels]] to the config (see README, Alerts).")
        return
    shown = pd.DataFrame(
        {
            "queued": [look.utc(t) for t in rows["created_at"]],
            "channel": rows["channel"],
            "kind": rows["kind"],
            "notification": rows["status"],
            "alert": [
                f"{r} ({s}, {g})" for r, s, g in zip(rows["rule"], rows["severity"], rows["region"], strict=True)
            ],
            "state": rows["state"],
            "attempts": rows["attempts"],
            "HTTP": ["" if pd.isna(v) else str(int(v)) for v in rows["http_status"]],
            "answer": rows["answer"].fillna(""),
        }
    )
    st.dataframe(
        shown.style.map(
            lambda v: f"color: {STATE_COLOURS[v]}; font-weight: 600" if v in STATE_COLOURS else "", subset=["state"]
        ),
        hide_index=True,
        width="stretch",
    )


def body(ctx: controls.Context) -> None:
    if isinstance(ctx.store, CombinedStore):  # alerts are evaluated and stored per prober's own file
        st.info(
            f"Reading {len(ctx.store.sources)} stores as one, read-only: this page shows the alerts each prober's "
            "store recorded. Alerts are evaluated and stored per store, never into a combined view: "
            "`aoai-watch alert --config FILE --db ONE.duckdb` (cron, after probe)."
        )
    firing_now(ctx)
    history(ctx)
    deliveries(ctx)


controls.page("Alerts", body)
