"""The metrics' counters as SQL over the store: `aggregate_sql` sums probe rows per metric key the
way `metrics.series_of` counts one result (same bucket edges, same comparisons in ms), and
`long_rows` turns one aggregate row into (key, series, le, value) rows, the shape both a Tally and
the store's `pruned_counts` table take. `prune` adds what it deletes to `pruned_counts` (in the
same transaction), and the exporter adds `pruned_counts` back: pruning never makes a counter go down.

No prometheus_client here: the store imports this module to prune.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .metrics import BUCKETS_S, INF, TOKEN_TYPES, Key, bucket_label

__all__ = ["PRUNED_TABLE", "aggregate_sql", "long_rows"]

PRUNED_TABLE = "pruned_counts"
_HISTOGRAMS = (("duration", "latency_ms"), ("ttft", "ttft_ms"))
_SUMS = ("requests", "duration_sum", "ttft_sum", *(f"tokens_{k}" for k in TOKEN_TYPES), "cost_usd")


def _bucket(column: str) -> str:
    """The index of the first edge `column` (ms) is at or under; len(BUCKETS_S) over all; NULL
    without a value. Grouping by it is 4x faster than a FILTER count per edge."""
    edges = " ".join(f"WHEN {column} <= {edge * 1000!r} THEN {i}" for i, edge in enumerate(BUCKETS_S))
    return f"CASE {edges} WHEN {column} IS NOT NULL THEN {len(BUCKETS_S)} END"


def aggregate_sql(where: str = "") -> str:
    """One pass over probe_results (`where`, e.g. "WHERE ts < ?"): per key and pair of latency
    buckets, the requests, each histogram's sum, the tokens by type, the cost and the last ts."""
    columns = ["region", "coalesce(deployment, '') AS deployment", "kind", "outcome", "prober"]
    columns += [f"{_bucket(column)} AS {name}_bucket" for name, column in _HISTOGRAMS]
    columns.append("count(*) AS requests")
    columns += [f"coalesce(sum({column}), 0) / 1000 AS {name}_sum" for name, column in _HISTOGRAMS]
    columns += [f"coalesce(sum({kind}_tokens), 0) AS tokens_{kind}" for kind in TOKEN_TYPES]
    columns += ["coalesce(sum(cost_usd), 0) AS cost_usd", "epoch(max(ts)) AS last_ts"]
    return f"SELECT {', '.join(columns)} FROM probe_results {where} GROUP BY ALL"


def long_rows(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[tuple[Key, str, str, float]]:
    """The aggregate's rows as (key, series, le, value): buckets cumulative, as exposed; zero sums
    left out (a key's requests stay)."""
    sums: dict[Key, dict[str, float]] = {}
    buckets: dict[tuple[Key, str], list[float]] = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        key: Key = (values["region"], values["deployment"], values["kind"], values["outcome"], values["prober"])
        totals = sums.setdefault(key, {})
        for series in _SUMS:
            totals[series] = totals.get(series, 0.0) + float(values[series])
        for name, _ in _HISTOGRAMS:
            if values[f"{name}_bucket"] is not None:
                counts = buckets.setdefault((key, name), [0.0] * (len(BUCKETS_S) + 1))
                counts[values[f"{name}_bucket"]] += values["requests"]
    for key, totals in sums.items():
        yield key, "requests", "", totals["requests"]
        for name, _ in _HISTOGRAMS:
            observed = buckets.get((key, name))
            if observed is None:
                continue
            for label, cumulative in zip(
                [*(bucket_label(e) for e in BUCKETS_S), INF], itertools.accumulate(observed), strict=True
            ):
                yield key, f"{name}_bucket", label, cumulative
            yield key, f"{name}_sum", "", totals[f"{name}_sum"]
        for series in (*(f"tokens_{kind}" for kind in TOKEN_TYPES), "cost_usd"):
            if totals[series]:
                yield key, series, "", totals[series]
