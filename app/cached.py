"""The dashboard's reads, each remembered for one 15-second step: one typed wrapper per `queries`
function, with that function's own signature (`cached.overview(store, filters, threshold_ms)`), so
pages get jump-to-definition and type checks.

Steps are the wall clock's (:00, :15, :30, :45, the same as the pages' `now`), and every read
belongs to the step it was made in: all of a step's reads expire together, so one page load per
step pays for the database, not one for the reads keyed by `now` and another, seconds later, for
those whose 15-second lifetime began elsewhere (the sidebar's choices, the first probe).

A page refresh, a second viewer or a filter toggled back costs nothing, and the database is opened
only when the answer may have changed. Streamlit keys its cache by the cached function's code, so
every wrapper goes through the one cached `_read`, keyed by the query's name as well as its
arguments (the database by path, or by the os.pathsep-joined paths of several stores read as one,
probes/sources.py: a `Store` is rebuilt for each read and never kept open).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import streamlit as st

from ..probes.sources import CombinedStore, reader, sources_of
from ..probes.store import Store
from . import queries

P = ParamSpec("P")
R = TypeVar("R")
_QUERIES: dict[str, Callable[..., Any]] = {}
LOCK_BOUND_S = 5.0  # a page waits at most this long for the probe writer's lock
STEP_S = 15  # a read is at most one step old


def step() -> int:
    """The current step's number (wall clock seconds // STEP_S)."""
    return int(time.time() // STEP_S)


# kept two steps, so a read never expires inside its own step; its key moves on with the step
@st.cache_data(ttl=2 * STEP_S, show_spinner=False, max_entries=256)
def _read(db: str, name: str, args: tuple[Any, ...], step: int) -> Any:
    return _QUERIES[name](reader(sources_of(db), lock_bound_s=LOCK_BOUND_S), *args)


def store_key(store: Store) -> str:
    """A store as cache keys name it: its path, or the joined paths of several read as one."""
    return store.key if isinstance(store, CombinedStore) else str(store.path)


_VIEWS: dict[str, Callable[..., Any]] = {}


class _Viewed(Protocol):
    @property
    def key(self) -> tuple[Any, ...]: ...


V = TypeVar("V", bound=_Viewed)


@st.cache_data(ttl=2 * STEP_S, show_spinner=False, max_entries=64)
def _draw(name: str, key: tuple[Any, ...], _view: Any, step: int) -> Any:
    return _VIEWS[name](_view)


def view(draw: Callable[[V], R]) -> Callable[[V], R]:
    """`draw(ctx)` remembered like a read (15 s), by the view it draws (`ctx.key`: the database,
    filters, targets, `now`...), not by the context object: a page's HTML is made once per view and
    step of `now`, however many viewers and refreshes ask for it. `draw` must depend on nothing
    but what `ctx.key` names (the reads it makes are themselves cached by their own arguments)."""
    name = f"{draw.__module__}.{draw.__qualname__}"
    _VIEWS[name] = draw

    @functools.wraps(draw)
    def drawn(ctx: V) -> R:
        result: R = _draw(name, ctx.key, ctx, step())
        return result

    return drawn


def _cached(query: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    _QUERIES[query.__name__] = query

    @functools.wraps(query)
    def read(store: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:  # positional only, so one call has one cache key
            raise TypeError(f"cached.{query.__name__} takes its arguments by position")
        result: R = _read(store_key(store), query.__name__, args, step())
        return result

    return read


has_data = _cached(queries.has_data)
choices = _cached(queries.choices)
tiers = _cached(queries.tiers)
probers = _cached(queries.probers)
overview = _cached(queries.overview)
overview_by_prober = _cached(queries.overview_by_prober)
first_probe = _cached(queries.first_probe)
recent_probes = _cached(queries.recent_probes)
window_counts = _cached(queries.window_counts)
alerts_firing = _cached(queries.alerts_firing)
alert_history = _cached(queries.alert_history)
alert_deliveries = _cached(queries.alert_deliveries)
status_history = _cached(queries.status_history)
latency_over_time = _cached(queries.latency_over_time)
latencies = _cached(queries.latencies)
slow_probes = _cached(queries.slow_probes)
outcomes_over_time = _cached(queries.outcomes_over_time)
rate_limits = _cached(queries.rate_limits)
last_failures = _cached(queries.last_failures)
spend = _cached(queries.spend)
drills = _cached(queries.drills)
drill_requests = _cached(queries.drill_requests)
drill_faults = _cached(queries.drill_faults)
fault_windows = _cached(queries.fault_windows)
model_versions = _cached(queries.model_versions)
monitor_overlay = _cached(queries.monitor_overlay)
monitor_requests_by_status = _cached(queries.monitor_requests_by_status)
probe_request_match = _cached(queries.probe_request_match)
monitor_imports = _cached(queries.monitor_imports)
has_monitor_data = _cached(queries.has_monitor_data)
