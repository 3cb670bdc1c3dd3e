"""Probe rows as Parquet, partitioned by prober and day (`aoai-watch export --parquet DIR`): the
format object storage, Fabric, Synapse and Spark read, and one the dashboard reads back
(probes/sources.py).

Layout, hive style: `DIR/prober=<name>/date=<YYYY-MM-DD>/part-0.parquet`, the prober's name
percent-encoded as DuckDB writes and reads hive values; a file holds every `probe_results`
column but `prober` (its folder says it), ordered by `ts`; a day is the UTC day of `ts`.

Idempotent: each (prober, day) is written to a temporary file beside its place and renamed over
`part-0.parquet`, so re-exporting a day replaces it (never two copies of a row, never a half
file for a reader), and days outside the export are left alone. `since` is widened to the start
of its day: a day is always exported whole, so an export never replaces a day with part of it.
Each partition is read in its own short read-only connection, so the probe writer is never kept
out for long (docs/design.md, "The store").
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from .store import Store

__all__ = ["Exported", "export_parquet", "parse_since", "partition_file"]

PART = "part-0.parquet"
_SINCE = re.compile(r"(\d+)([hd])")


@dataclass(frozen=True)
class Exported:
    partitions: int  # (prober, day) files written
    rows: int
    since: datetime | None  # the first day exported (None: everything)


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `36h` or an ISO date/time (UTC when it has no zone) -> a naive UTC datetime; ValueError
    with the fix otherwise."""
    match = _SINCE.fullmatch(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: write days or hours such as 7d or 36h, or an ISO date") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def partition_file(folder: Path, prober: str, day: date) -> Path:
    """Where one prober's probes of one day go."""
    return folder / f"prober={quote(prober, safe='')}" / f"date={day.isoformat()}" / PART


def export_parquet(
    database: str | Path,
    folder: str | Path,
    since: datetime | None = None,
    progress: Callable[[str], None] = lambda line: None,
    lock_bound_s: float = 10.0,
) -> Exported:
    """Write the probe rows of `database` from `since`'s day on (all when None) under `folder`,
    one file per prober and day, replacing those days' files; `progress` gets a line per file."""
    store, out = Store(database, lock_bound_s=lock_bound_s), Path(folder)
    start = datetime.combine(since.date(), datetime.min.time()) if since is not None else datetime(1970, 1, 1)
    _, parts = store.query(
        "SELECT prober, date_trunc('day', ts)::DATE AS day, count(*) FROM probe_results WHERE ts >= ? "
        "GROUP BY ALL ORDER BY day, prober",
        [start],
    )
    total = 0
    for number, (prober, day, rows) in enumerate(parts, start=1):
        target = partition_file(out, prober, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(PART + ".tmp")  # not *.parquet: a reader's glob never sees it
        begin = datetime.combine(day, datetime.min.time())
        with store._connect(read_only=True) as con:
            con.sql(
                "SELECT * EXCLUDE (prober) FROM probe_results WHERE prober = ? AND ts >= ? AND ts < ? ORDER BY ts, id",
                params=[prober, begin, begin + timedelta(days=1)],
            ).write_parquet(str(partial), compression="zstd")
        os.replace(partial, target)
        total += int(rows)
        progress(f"[{number}/{len(parts)}] prober={prober} date={day.isoformat()}: {int(rows):,} rows")
    return Exported(len(parts), total, start if since is not None else None)
