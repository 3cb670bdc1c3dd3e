"""The Prometheus metrics of aoai-watch, defined once: names, labels, bucket edges, and `Tally`, the
counts they are rendered from. `probe --metrics-port` fills a Tally from each cycle's results;
`aoai-watch exporter` fills one from the store (probes/metric_rows.py); both render it with
`Tally.families()`, so a scrape of either reads the same names, labels and buckets.

| metric | type | labels |
|---|---|---|
| aoai_probe_requests_total | counter | region, deployment, kind, outcome, prober |
| aoai_probe_duration_seconds | histogram (to the last byte) | region, deployment, kind, outcome, prober |
| aoai_probe_ttft_seconds | histogram (to the first token) | region, deployment, kind, outcome, prober |
| aoai_probe_tokens_total | counter | region, deployment, kind, outcome, prober, type (prompt, completion, cached) |
| aoai_probe_cost_usd_total | counter | region, deployment, kind, outcome, prober |
| aoai_probe_retry_after_seconds | gauge (the last Retry-After seen) | region, deployment, kind, prober |
| aoai_probe_last_timestamp_seconds | gauge (start of the last probe) | region, kind, prober |
| aoai_probe_info | gauge, always 1 | region, deployment, model_version, tier |

The failover composite's series carry region="failover". A counter of every outcome word starts
at 0 for each target seen (and the latency histogram of each successful outcome), so the first
failure is a step Prometheus' rate() sees, not a new series it cannot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from ..failover.outcomes import OUTCOMES, SUCCESSFUL
from .result import ProbeResult

if TYPE_CHECKING:  # prometheus_client is imported where families are rendered: the store prunes without it
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily

__all__ = [
    "BUCKETS_S",
    "DURATION",
    "INFO",
    "LABELS",
    "LAST_TIMESTAMP",
    "REQUESTS",
    "RETRY_AFTER",
    "TOKENS",
    "TOKEN_TYPES",
    "TTFT",
    "Family",
    "Key",
    "LiveMetrics",
    "Tally",
    "bucket_label",
    "series_of",
]

# Bucket edges in seconds; 2.0 is the latency SLO's threshold (`slo rules` refuses a threshold that
# is not an edge). Changing them needs a migration that re-buckets the store's pruned_counts.
BUCKETS_S: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0)

REQUESTS = "aoai_probe_requests"  # the exposition adds _total to counters
DURATION = "aoai_probe_duration_seconds"
TTFT = "aoai_probe_ttft_seconds"
TOKENS = "aoai_probe_tokens"
COST = "aoai_probe_cost_usd"
RETRY_AFTER = "aoai_probe_retry_after_seconds"
LAST_TIMESTAMP = "aoai_probe_last_timestamp_seconds"
INFO = "aoai_probe"  # the exposition adds _info
LABELS = ("region", "deployment", "kind", "outcome", "prober")
TOKEN_TYPES = ("prompt", "completion", "cached")
INF = "+Inf"

Family: TypeAlias = "CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily | InfoMetricFamily"
# (region, deployment, kind, outcome, prober); a missing deployment is "" (Prometheus: no label)
Key = tuple[str, str, str, str, str]
# the counter series of one key, by (series, le): le is a bucket's edge as exposed, else ""
Series = dict[tuple[str, str], float]


def bucket_label(edge_s: float) -> str:
    """A bucket edge as the exposition writes it (`2.0`; Go's and prometheus_client's float text
    for these edges): what rules match `le` against."""
    return repr(float(edge_s))


def series_of(result: ProbeResult) -> Iterator[tuple[str, str, float]]:
    """The counter increments one result makes: (series, le, amount). The store's aggregate
    (metric_rows.aggregate_sql) computes the same sums in SQL, with the same comparisons in ms."""
    yield "requests", "", 1.0
    for name, value_ms in (("duration", result.latency_ms), ("ttft", result.ttft_ms)):
        if value_ms is None:
            continue
        for edge in BUCKETS_S:
            if value_ms <= edge * 1000:
                yield f"{name}_bucket", bucket_label(edge), 1.0
        yield f"{name}_bucket", INF, 1.0
        yield f"{name}_sum", "", value_ms / 1000
    for kind, tokens in zip(
        TOKEN_TYPES, (result.prompt_tokens, result.completion_tokens, result.cached_tokens), strict=True
    ):
        if tokens:
            yield f"tokens_{kind}", "", float(tokens)
    if result.cost_usd:
        yield "cost_usd", "", float(result.cost_usd)


def _epoch_s(ts: datetime) -> float:
    return ts.replace(tzinfo=UTC).timestamp()  # ts is naive UTC


@dataclass
class Tally:
    """Counts to render: counter series per key, and the gauges' last values with when they were
    seen (epoch seconds), so adding results or store rows in any order keeps the latest."""

    counters: dict[Key, Series] = field(default_factory=dict)
    retry_after: dict[tuple[str, str, str, str], tuple[float, float]] = field(default_factory=dict)
    last_ts: dict[tuple[str, str, str], float] = field(default_factory=dict)
    info: dict[tuple[str, str, str], tuple[float, str]] = field(default_factory=dict)

    def add_series(self, key: Key, series: str, le: str, amount: float) -> None:
        values = self.counters.setdefault(key, {})
        values[series, le] = values.get((series, le), 0.0) + amount

    def add(self, result: ProbeResult) -> None:
        """Count one probe result (the prober's path)."""
        key: Key = (result.region, result.deployment or "", result.kind, str(result.outcome), result.prober)
        for series, le, amount in series_of(result):
            self.add_series(key, series, le, amount)
        at = _epoch_s(result.ts)
        self.see_last(result.region, result.kind, result.prober, at)
        if result.retry_after_s is not None:
            self.see_retry_after(
                (result.region, result.deployment or "", result.kind, result.prober), at, result.retry_after_s
            )
        if result.model_version:
            self.see_info((result.region, result.deployment or "", result.tier or ""), at, result.model_version)

    def add_all(self, results: Iterable[ProbeResult]) -> None:
        for result in results:
            self.add(result)

    def see_last(self, region: str, kind: str, prober: str, at: float) -> None:
        key = (region, kind, prober)
        self.last_ts[key] = max(at, self.last_ts.get(key, at))

    def see_retry_after(self, key: tuple[str, str, str, str], at: float, seconds: float) -> None:
        if key not in self.retry_after or at >= self.retry_after[key][0]:
            self.retry_after[key] = (at, seconds)

    def see_info(self, key: tuple[str, str, str], at: float, model_version: str) -> None:
        if key not in self.info or at >= self.info[key][0]:
            self.info[key] = (at, model_version)

    def _keys(self) -> list[Key]:
        """Every key counted, plus every outcome word of each target seen (at 0)."""
        targets = {(r, d, k, p) for r, d, k, _, p in self.counters}
        keys = set(self.counters) | {(r, d, k, str(o), p) for r, d, k, p in targets for o in OUTCOMES}
        return sorted(keys)

    def families(self) -> list[Family]:
        """The metric families to expose, in a stable order."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
            InfoMetricFamily,
        )

        requests = CounterMetricFamily(REQUESTS, "Probe attempts by outcome (one a probe).", labels=LABELS)
        tokens = CounterMetricFamily(
            TOKENS, "Tokens the probes used, by type (prompt, completion, cached).", labels=(*LABELS, "type")
        )
        cost = CounterMetricFamily(COST, "What the probes cost, in USD (the price table's estimate).", labels=LABELS)
        histograms = {
            "duration": HistogramMetricFamily(DURATION, "Probe latency to the last byte, in seconds.", labels=LABELS),
            "ttft": HistogramMetricFamily(TTFT, "Probe latency to the first token, in seconds.", labels=LABELS),
        }
        edges = [bucket_label(e) for e in BUCKETS_S] + [INF]
        for key in self._keys():
            values = self.counters.get(key, {})
            count = values.get(("requests", ""), 0.0)
            requests.add_metric(key, count)
            for name, family in histograms.items():
                observed = (f"{name}_bucket", INF) in values
                # a successful outcome's latency histogram starts at 0 too (the latency SLI's input)
                if observed or (name == "duration" and key[3] in SUCCESSFUL):
                    buckets = [(le, values.get((f"{name}_bucket", le), 0.0)) for le in edges]
                    family.add_metric(key, buckets, values.get((f"{name}_sum", ""), 0.0))
            if count:
                for kind in TOKEN_TYPES:
                    tokens.add_metric((*key, kind), values.get((f"tokens_{kind}", ""), 0.0))
                cost.add_metric(key, values.get(("cost_usd", ""), 0.0))
        retry = GaugeMetricFamily(
            RETRY_AFTER,
            "The last Retry-After a probe was told, in seconds.",
            labels=("region", "deployment", "kind", "prober"),
        )
        for retry_key, (_, seconds) in sorted(self.retry_after.items()):
            retry.add_metric(retry_key, seconds)
        last = GaugeMetricFamily(
            LAST_TIMESTAMP, "When the last probe started (Unix seconds).", labels=("region", "kind", "prober")
        )
        for last_key, at in sorted(self.last_ts.items()):
            last.add_metric(last_key, at)
        info = InfoMetricFamily(
            INFO, "The model version each deployment answered with last.", labels=("region", "deployment", "tier")
        )
        for info_key, (_, version) in sorted(self.info.items()):
            info.add_metric(info_key, {"model_version": version})
        return [requests, histograms["duration"], histograms["ttft"], tokens, cost, retry, last, info]


class LiveMetrics:
    """The prober's collector: a Tally that each cycle's results are added to. The scrape runs in the
    HTTP server's thread, so adding and rendering take turns on a lock."""

    def __init__(self) -> None:
        self._tally = Tally()
        self._lock = threading.Lock()

    def add_all(self, results: Iterable[ProbeResult]) -> None:
        with self._lock:
            self._tally.add_all(results)

    def collect(self) -> Iterator[Family]:
        with self._lock:
            families = self._tally.families()
        yield from families
