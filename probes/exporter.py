"""`/metrics` over HTTP: `serve_metrics` (the prober's `--metrics-port` and the exporter use it) and
`StoreMetrics`, the exporter's collector, which derives every metric from the store's rows.

The store is read read-only, in one short visit per refresh, at most once per `cache_s` (scrapes
in between get the cached families): a Prometheus scraping every few seconds never holds the
database long, and a prober's write gets in between. Counters are sums over stored rows plus
`pruned_counts`, so an exporter restart loses nothing and `prune` takes nothing away. A refresh
that finds the database locked past the bound serves the last families it had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIServer

import duckdb

from .metric_rows import PRUNED_TABLE, aggregate_sql, long_rows
from .metrics import Family, Tally
from .store import Store, StoreBusy

__all__ = ["CACHE_S", "StoreMetrics", "read_tally", "render", "serve_metrics"]

CACHE_S = 5.0


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description or []], cursor.fetchall()


def _read(con: duckdb.DuckDBPyConnection) -> Tally:
    tally = Tally()
    names, rows = _rows(con, aggregate_sql())
    for key, series, le, value in long_rows(names, rows):
        tally.add_series(key, series, le, value)
    at = names.index("last_ts")
    for row in rows:  # region, deployment, kind, outcome, prober lead every row
        tally.see_last(row[0], row[2], row[4], row[at])
    has_pruned = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [PRUNED_TABLE]
    ).fetchone()
    if has_pruned and has_pruned[0]:  # an older database (the exporter never migrates) has none
        for region, deployment, kind, outcome, prober, series, le, value in _rows(
            con, f"SELECT region, deployment, kind, outcome, prober, series, le, value FROM {PRUNED_TABLE}"
        )[1]:
            tally.add_series((region, deployment, kind, outcome, prober), series, le, value)
    for region, deployment, kind, prober, at, seconds in _rows(
        con,
        "SELECT region, coalesce(deployment, ''), kind, prober, epoch(max(ts)), arg_max(retry_after_s, ts) "
        "FROM probe_results WHERE retry_after_s IS NOT NULL GROUP BY ALL",
    )[1]:
        tally.see_retry_after((region, deployment, kind, prober), at, seconds)
    for region, deployment, tier, at, version in _rows(
        con,
        "SELECT region, coalesce(deployment, ''), coalesce(tier, ''), epoch(max(ts)), arg_max(model_version, ts) "
        "FROM probe_results WHERE model_version <> '' GROUP BY ALL",
    )[1]:
        tally.see_info((region, deployment, tier), at, version)
    return tally


def read_tally(store: Store, bound_s: float | None = None) -> Tally:
    """Every metric's values from the store, in one read-only visit (empty for no database)."""
    return store.read(_read, Tally(), bound_s)


class StoreMetrics:
    """The exporter's collector: the store's Tally, refreshed at most every `cache_s` seconds."""

    def __init__(self, store: Store, cache_s: float = CACHE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._families: list[Family] | None = None
        self._read_at = 0.0

    def families(self) -> list[Family]:
        with self._lock:  # concurrent scrapes share one refresh
            now = self._clock()
            if self._families is None or now - self._read_at >= self._cache_s:
                try:
                    self._families = read_tally(self._store).families()
                    self._read_at = now
                except StoreBusy:
                    if self._families is None:
                        raise
            return self._families

    def collect(self) -> Iterator[Family]:
        yield from self.families()


def serve_metrics(collector: Any, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve `collector` as /metrics (Prometheus text exposition) on host:port in a daemon thread;
    port 0 takes a free one (`server.server_port`). Stop with `server.shutdown()`."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)  # registering never scrapes
    registry.register(collector)
    return start_http_server(port, addr=host, registry=registry)


def render(collector: Any) -> str:
    """`collector`'s metrics in the text exposition, as a scrape gets them (tests, the bench)."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry).decode()
