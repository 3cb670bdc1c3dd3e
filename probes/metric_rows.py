"""The metrics' counters as SQL over the store: `aggregate_sql` sums probe rows per metric key the
way `metrics.series_of` counts one result (same bucket edges, same comparisons in ms), and
`long_rows` turns one aggregate row into (key, series, le, value) rows, the shape both a Tally and
the store's `pruned_counts` table take. `prune` adds what it deletes to `pruned_counts` (in the
same transaction), and the exporter adds `pruned_counts` back: pruning never makes a counter go down.

No prometheus_client here: the store imports this module to prune.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .metrics import BUCKETS_S, INF, TOKEN_TYPES, Key, bucket_label

__all__ = ["PRUNED_TABLE", "aggregate_sql", "long_rows"]

PRUNED_TABLE = "pruned_counts"
_HISTOGRAMS = (("duration", "latency_ms"), ("ttft", "ttft_ms"))
_KEY_COLUMNS = ("region", "deployment", "kind", "outcome", "prober")


def aggregate_sql(where: str = "") -> str:
    """One pass over probe_results (`where`, e.g. "WHERE ts < ?"): per key, the requests, each
    histogram's cumulative bucket counts and sum, the tokens by type and the cost."""
    columns = [
        "region",
        "coalesce(deployment, '') AS deployment",
        "kind",
        "outcome",
        "prober",
        "count(*) AS requests",
    ]
    for name, column in _HISTOGRAMS:
        columns += [
            f"count(*) FILTER (WHERE {column} <= {edge * 1000!r}) AS {name}_b{i}" for i, edge in enumerate(BUCKETS_S)
        ]
        columns += [f"count({column}) AS {name}_binf", f"coalesce(sum({column}), 0) / 1000 AS {name}_sum"]
    columns += [f"coalesce(sum({kind}_tokens), 0) AS tokens_{kind}" for kind in TOKEN_TYPES]
    columns.append("coalesce(sum(cost_usd), 0) AS cost_usd")
    return f"SELECT {', '.join(columns)} FROM probe_results {where} GROUP BY ALL"


def long_rows(names: Sequence[str], row: Sequence[Any]) -> Iterator[tuple[Key, str, str, float]]:
    """One aggregate row as (key, series, le, value), leaving out zero sums (a key's requests stay)."""
    values = dict(zip(names, row, strict=True))
    key: Key = (values["region"], values["deployment"], values["kind"], values["outcome"], values["prober"])
    yield key, "requests", "", float(values["requests"])
    for name, _ in _HISTOGRAMS:
        if not values[f"{name}_binf"]:
            continue
        for i, edge in enumerate(BUCKETS_S):
            yield key, f"{name}_bucket", bucket_label(edge), float(values[f"{name}_b{i}"])
        yield key, f"{name}_bucket", INF, float(values[f"{name}_binf"])
        yield key, f"{name}_sum", "", float(values[f"{name}_sum"])
    for series in (*(f"tokens_{kind}" for kind in TOKEN_TYPES), "cost_usd"):
        if values[series]:
            yield key, series, "", float(values[series])
