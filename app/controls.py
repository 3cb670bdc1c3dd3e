"""What every page shares: the database, the SLO targets, the sidebar filters (mirrored into the URL
so a view can be shared), auto-refresh, and the empty-database message."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st

from ..probes.config import SloTargets
from ..probes.store import Store, StoreUnusable
from . import cached, queries

RANGES = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DB_ENV, CONFIG_ENV = "AOAI_WATCH_DB", "AOAI_WATCH_CONFIG"


@dataclass(frozen=True)
class Context:
    store: Store
    filters: queries.Filters
    slo: SloTargets
    now: datetime
    range_key: str

    @property
    def bucket(self) -> str:
        return {"1h": "1 minute", "6h": "5 minutes", "24h": "15 minutes", "7d": "1 hour", "30d": "6 hours"}[
            self.range_key
        ]


def database() -> Path:
    return Path(os.environ.get(DB_ENV, "data/aoai-watch.duckdb"))


def slo_targets() -> SloTargets:
    path = os.environ.get(CONFIG_ENV)
    if path:
        from ..probes.config import load_config

        return load_config(path).slo
    return SloTargets()


def _url_multiselect(label: str, options: list[str], key: str) -> list[str]:
    """A sidebar multiselect whose starting choice is the URL's `key` parameter (comma-separated;
    names no longer in `options` are dropped); nothing chosen means all."""
    in_url = [v for v in st.query_params.get(key, "").split(",") if v in options]
    return st.multiselect(label, options, default=in_url, key=key, placeholder=f"all {key}")


def context() -> Context | None:
    """Sidebar filters; None (after explaining how to start) when the database has no probes."""
    store = Store(database(), lock_bound_s=cached.LOCK_BOUND_S)
    if not cached.has_data(store):
        st.info(
            f"No probe results in `{store.path}` yet. Start probing, then come back:\n\n"
            "```sh\naoai-watch probe --config aoai-watch.toml            # one cycle (cron)\n"
            "aoai-watch probe --config aoai-watch.toml --every 60 # or a loop\n```\n\n"
            "No Azure account? `make demo` runs a simulator, probes and this dashboard together."
        )
        return None
    regions, kinds = cached.choices(store)
    range_key = st.query_params.get("range", "24h")
    range_key = range_key if range_key in RANGES else "24h"
    with st.sidebar:
        range_key = st.selectbox("Time range", list(RANGES), index=list(RANGES).index(range_key), key="range")
        chosen_regions = _url_multiselect("Regions", regions, "regions")
        chosen_kinds = _url_multiselect("Probe kinds", kinds, "kinds")
        st.toggle("Auto-refresh (30 s)", value=st.query_params.get("refresh", "1") == "1", key="refresh")
        st.caption(f"Database: `{store.path}`")
    st.query_params.update(
        {
            "range": range_key,
            "regions": ",".join(chosen_regions),
            "kinds": ",".join(chosen_kinds),
            "refresh": "1" if st.session_state.refresh else "0",
        }
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    now = now.replace(second=now.second - now.second % 15, microsecond=0)  # steps of 15 s: reads can be cached
    filters = queries.Filters(
        now - RANGES[range_key], now + timedelta(minutes=1), tuple(chosen_regions), tuple(chosen_kinds)
    )
    return Context(store, filters, slo_targets(), now, range_key)


def page(title: str, body: Callable[[Context], None]) -> None:
    """Lay out a page: title, controls, then `body`, refreshed every 30 s when asked."""
    st.title(title)
    try:
        ctx = context()
    except StoreUnusable as exc:  # a directory, a corrupt file: say which and what to do, once
        st.error(str(exc))
        return
    if ctx is None:
        return

    def guarded() -> None:  # the same for a file that goes bad between two refreshes
        try:
            body(ctx)
        except StoreUnusable as exc:
            st.error(str(exc))

    if st.session_state.get("refresh"):
        st.fragment(run_every="30s")(guarded)()
    else:
        guarded()
