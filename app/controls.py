"""What every page shares: the database, the config's SLO targets and region priorities, the
sidebar filters, auto-refresh, and the empty-database message.

The filters (range, regions, kinds, refresh, tiers where the database holds probes of a provisioned
deployment, and probers where it holds more than one prober's probes) live in the URL, so a view
can be shared, and in the session, so they survive navigation: Streamlit's sidebar navigation
(st.navigation) opens a page with the query string cleared, so each page takes every filter the URL
does not name from the session's last choice and writes all of them back into the URL, defaults
included. A bad value in the URL (`range=bogus`, a region with no probes) is named in a notice with
what is shown instead.

Until the database holds more than the default range (24h), a page opens at the smallest range
that covers all its probes, and says so.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ..failover.config import PROVISIONED
from ..probes.config import AppConfig, SloTargets
from ..probes.sources import label, reader, sources_of
from ..probes.store import Store, StoreUnusable
from . import cached, look, queries

RANGES = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_RANGE = "24h"
# the time bucket of each range's time charts (latency, outcomes, Azure Monitor)
BUCKETS = {"1h": "1 minute", "6h": "5 minutes", "24h": "15 minutes", "7d": "1 hour", "30d": "6 hours"}
# the status history's cells: the largest of these (up to the range's bucket) that still gives
# MIN_CELLS cells across the data the range holds, so four minutes of data are not one cell
CELL_BUCKETS = (
    "5 seconds",
    "10 seconds",
    "15 seconds",
    "30 seconds",
    "1 minute",
    "2 minutes",
    "5 minutes",
    "10 minutes",
    "15 minutes",
    "30 minutes",
    "1 hour",
    "2 hours",
    "6 hours",
)
MIN_CELLS = 30
FILTERS = ("range", "regions", "kinds", "tiers", "probers", "refresh")
SAVED = "aoai_watch_filters"  # session state: the filters last shown, for the next page
DB_ENV, CONFIG_ENV = "AOAI_WATCH_DB", "AOAI_WATCH_CONFIG"


def fitted_range(covered: timedelta | None) -> str:
    """The range a page opens at: the smallest of 1h, 6h and 24h that covers `covered` (how far
    back the database's probes go), else the default 24h."""
    if covered is not None:
        for key in ("1h", "6h", "24h"):
            if covered <= RANGES[key]:
                return key
    return DEFAULT_RANGE


def range_covering(age: timedelta) -> str:
    """The smallest range that reaches `age` back (30d when none does)."""
    return next((key for key, length in RANGES.items() if age <= length), "30d")


def cells_bucket(span: timedelta, largest: str) -> str:
    """The status history's bucket for data spanning `span`: the largest of CELL_BUCKETS, up to
    `largest`, that gives at least MIN_CELLS cells across it (the smallest when none does)."""
    cap = pd.Timedelta(largest)
    fitting = [b for b in CELL_BUCKETS if pd.Timedelta(b) <= cap and span / pd.Timedelta(b) >= MIN_CELLS]
    return fitting[-1] if fitting else CELL_BUCKETS[0]


@dataclass(frozen=True)
class Context:
    store: Store
    filters: queries.Filters
    slo: SloTargets
    now: datetime
    range_key: str
    first_ts: datetime | None = None  # the database's first probe
    priorities: Mapping[str, int] = field(default_factory=dict)  # region -> priority, from the config
    tiers: tuple[str, ...] = ()  # the tiers the sidebar offers: none unless a provisioned one was probed
    probers: tuple[str, ...] = ()  # the probers the sidebar offers: none unless the data holds several

    @property
    def key(self) -> tuple[Any, ...]:
        """What this view is, hashable: the database (by path), the filters, targets, `now` and
        range, the first probe, priorities and the sidebar's offers; `store` itself is not (it
        is rebuilt for each read). `cached.view` remembers a page's HTML by it."""
        return (
            cached.store_key(self.store),
            self.filters,
            self.slo,
            self.now,
            self.range_key,
            self.first_ts,
            tuple(sorted(self.priorities.items())),
            self.tiers,
            self.probers,
        )

    @property
    def bucket(self) -> str:
        """The time bucket of the range's time charts."""
        return BUCKETS[self.range_key]

    @property
    def covered(self) -> timedelta:
        """How much of the range the database's probes cover (from the first probe to now)."""
        since = self.filters.since if self.first_ts is None else max(self.filters.since, self.first_ts)
        return max(self.now - since, timedelta(0))

    @property
    def history_bucket(self) -> str:
        """The status history's cell: small enough for MIN_CELLS cells across the data shown."""
        return cells_bucket(self.covered, self.bucket)

    def order(self, regions: Sequence[str]) -> list[str]:
        """`regions` in the one region order (look.region_order with the config's priorities)."""
        return look.region_order(regions, self.priorities)

    def link(self, **changes: str) -> dict[str, str]:
        """The current filters as query parameters for `st.page_link`, with `changes` applied."""
        params = {
            "range": self.range_key,
            "regions": ",".join(self.filters.regions),
            "kinds": ",".join(self.filters.kinds),
            "refresh": "1" if st.session_state.get("refresh") else "0",
        }
        if self.tiers:
            params["tiers"] = ",".join(self.filters.tiers)
        if self.probers:
            params["probers"] = ",".join(self.filters.probers)
        return {**params, **changes}

    def at(self, now: datetime) -> Context:
        """The same view at a later `now`: the range moved on (each auto-refresh)."""
        length = RANGES[self.range_key]
        filters = dataclasses.replace(self.filters, since=now - length, until=now + timedelta(minutes=1))
        return dataclasses.replace(self, now=now, filters=filters)


def database() -> list[Path]:
    """The stores the dashboard reads: AOAI_WATCH_DB, one path or several os.pathsep-separated
    (read as one, read-only: probes/sources.py)."""
    return sources_of(os.environ.get(DB_ENV, "")) or [Path("data/aoai-watch.duckdb")]


def config() -> AppConfig | None:
    """The config file the dashboard was started with (`aoai-watch dashboard --config`), if any."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return None
    from ..probes.config import load_config

    return load_config(path)


def slo_targets() -> SloTargets:
    loaded = config()
    return loaded.slo if loaded else SloTargets()


def _clean(value: str) -> str:
    """A URL value shown in a notice: on one line, no Markdown code marks, cut short."""
    return look.short_text(value.replace("`", "'"), 60)


def read_filters(
    url: Mapping[str, str],
    saved: Mapping[str, str],
    regions: Sequence[str],
    kinds: Sequence[str],
    default_range: str,
    tiers: Sequence[str] = (),
    probers: Sequence[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The filters to show: each from the URL when it names it, else from the session's last
    choice (`saved`), else the default; with a notice for each bad value the URL holds. `tiers` are
    the tiers offered (none: a URL's `tiers` is named as absent and all are shown), `probers` the
    probers offered (the same).

    Returns ({"range": key, "regions": [...], "kinds": [...], "tiers": [...], "probers": [...],
    "refresh": bool}, notices)."""
    notices: list[str] = []

    def raw(name: str) -> str | None:
        return url[name] if name in url else saved.get(name)

    range_key = raw("range")
    if range_key is None:
        range_key = default_range
    elif range_key not in RANGES:
        notices.append(
            f"URL parameter `range={_clean(range_key)}` is not a time range ({', '.join(RANGES)}): "
            f"showing {default_range}."
        )
        range_key = default_range

    def names(name: str, options: Sequence[str], what: str) -> list[str]:
        given = [v.strip() for v in (raw(name) or "").split(",") if v.strip()]
        known = [v for v in dict.fromkeys(given) if v in options]
        unknown = [v for v in given if v not in options]
        if unknown and name in url:
            shown = ", ".join(known) if known else f"all {what}"
            notices.append(
                f"URL parameter `{name}`: no probes of {what} `{_clean(','.join(unknown))}` in this database: "
                f"showing {shown}."
            )
        return known

    chosen_regions = names("regions", regions, "regions")
    chosen_kinds = names("kinds", kinds, "kinds")
    chosen_tiers = names("tiers", tiers, "tiers")
    chosen_probers = names("probers", probers, "probers")
    refresh = raw("refresh")
    if refresh not in (None, "0", "1"):
        notices.append(f"URL parameter `refresh={_clean(refresh)}` is not 0 or 1: auto-refresh is on.")
    return {
        "range": range_key,
        "regions": chosen_regions,
        "kinds": chosen_kinds,
        "tiers": chosen_tiers,
        "probers": chosen_probers,
        "refresh": refresh != "0",
    }, notices


def _now() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(second=now.second - now.second % cached.STEP_S, microsecond=0)  # the reads' steps


def context() -> Context | None:
    """Sidebar filters; None (after explaining how to start) when the database has no probes."""
    store = reader(database(), lock_bound_s=cached.LOCK_BOUND_S)
    if not cached.has_data(store):
        st.info(
            f"No probe results in `{label(store)}` yet. Start probing, then come back:\n\n"
            "```sh\naoai-watch probe --config aoai-watch.toml            # one cycle (cron)\n"
            "aoai-watch probe --config aoai-watch.toml --every 60 # or a loop\n```\n\n"
            "No Azure account? `make demo` runs a simulator, probes and this dashboard together."
        )
        return None
    loaded = config()
    priorities = {r.name: r.priority for r in loaded.regions} if loaded else {}
    all_regions, kinds = cached.choices(store)
    present = cached.tiers(store)
    # a tier filter only where there is a provisioned deployment to tell apart: at the default a
    # database without one reads, and links, as it did before tiers
    tiers = tuple(present) if PROVISIONED in present else ()
    # a prober filter only where there are probers to tell apart (several stores read as one)
    found_probers = cached.probers(store)
    probers = tuple(found_probers) if len(found_probers) > 1 else ()
    regions = look.region_order(all_regions, priorities)
    now = _now()
    first = cached.first_probe(store)
    default_range = fitted_range(now - first if first else None)
    saved: dict[str, str] = st.session_state.setdefault(SAVED, {})
    url = {name: ",".join(st.query_params.get_all(name)) for name in FILTERS if name in st.query_params}
    wanted, notices = read_filters(url, saved, regions, kinds, default_range, tiers, probers)
    for notice in notices:
        st.warning(notice)
    with st.sidebar:
        keys = list(RANGES)
        range_key = st.selectbox("Time range", keys, index=keys.index(wanted["range"]), key="range")
        chosen_regions = st.multiselect(
            "Regions", regions, default=wanted["regions"], key="regions", placeholder="all regions"
        )
        chosen_kinds = st.multiselect(
            "Probe kinds", kinds, default=wanted["kinds"], key="kinds", placeholder="all kinds"
        )
        chosen_tiers = (
            st.multiselect(
                "Deployment tiers",
                tiers,
                default=wanted["tiers"],
                key="tiers",
                placeholder="all tiers",
                help="Provisioned (PTU) or standard deployments; the failover composite answers from either, "
                "so its row stays on every choice.",
            )
            if tiers
            else []
        )
        chosen_probers = (
            st.multiselect(
                "Probers",
                probers,
                default=wanted["probers"],
                key="probers",
                placeholder="all probers",
                help="Where the probes ran from: a region failing from one prober only is a network path "
                "from there, not Azure.",
            )
            if probers
            else []
        )
        refresh = st.toggle("Auto-refresh (30 s)", value=wanted["refresh"], key="refresh")
        st.caption(f"Database: `{label(store)}`")
    shown = {
        "range": range_key,
        "regions": ",".join(chosen_regions),
        "kinds": ",".join(chosen_kinds),
        "refresh": "1" if refresh else "0",
    }
    if tiers:
        shown["tiers"] = ",".join(chosen_tiers)
    elif "tiers" in st.query_params:
        del st.query_params["tiers"]  # named in a notice above: no tier to choose in this database
    if probers:
        shown["probers"] = ",".join(chosen_probers)
    elif "probers" in st.query_params:
        del st.query_params["probers"]  # the same: one prober's probes only, nothing to choose
    if range_key == default_range and "range" not in url and "range" not in saved:
        saved["fitted"] = default_range  # opened at the fitted range: say so while it is shown
    saved.update(shown)
    st.query_params.update(shown)
    filters = queries.Filters(
        now - RANGES[range_key],
        now + timedelta(minutes=1),
        tuple(chosen_regions),
        tuple(chosen_kinds),
        tuple(chosen_tiers),
        tuple(chosen_probers),
    )
    ctx = Context(
        store, filters, loaded.slo if loaded else SloTargets(), now, range_key, first, priorities, tiers, probers
    )
    if first is not None and now - first < RANGES[range_key]:
        held = look.span((now - first).total_seconds())
        note = f"The database holds {held} of probes (since {look.utc_time(first, True)})"
        if saved.get("fitted") == range_key != DEFAULT_RANGE:
            note += f": opened at {range_key}, the smallest range that covers them (the default is {DEFAULT_RANGE})"
        st.caption(note + ".")
    return ctx


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
            body(ctx.at(_now()))  # a refresh reruns only this: the range moves on to now
        except StoreUnusable as exc:
            st.error(str(exc))

    if st.session_state.get("refresh"):
        st.fragment(run_every="30s")(guarded)()
    else:
        guarded()
