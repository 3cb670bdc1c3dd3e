"""What the rules look at, read from the store in a few short read-only queries at one moment
(`now`, which `--at` sets): per region the probe counts over every burn-rate window, the last
probe, recent model-version changes, each drill's latest run and the version each deployment
answers with. The rules (rules.py) are pure functions of this one object.

`window_count_columns` is the one SQL for windowed SLI counts: the Overview's burn-rate table
(app/queries.window_counts) selects the same columns, so both read the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..failover.outcomes import GOOD, SUCCESSFUL, sql_list
from ..probes import slo
from ..probes.result import COMPOSITE
from ..probes.store import Store

__all__ = ["DrillRun", "Facts", "ModelChange", "WindowCounts", "read_facts", "window_count_columns"]

CHANGE_WINDOW = timedelta(days=1)  # a model-version change stays a ticket this long
DRILL_WINDOW = timedelta(days=7)  # a drill's last run counts this long (an abandoned drill stops ticketing)


def window_count_columns(now: datetime, windows_s: Sequence[int], threshold_ms: float) -> tuple[str, list[Any]]:
    """SELECT columns (and their parameters) counting, per window `w` before `now`: `valid_w`,
    `good_w` (availability) and `successful_w`, `fast_w` (latency under `threshold_ms`)."""
    good, successful = sql_list(GOOD), sql_list(SUCCESSFUL)
    columns, params = [], []
    for w in windows_s:
        since = now - timedelta(seconds=w)
        columns += [
            f"count(*) FILTER (WHERE ts >= ?) AS valid_{w}",
            f"count(*) FILTER (WHERE ts >= ? AND outcome IN {good}) AS good_{w}",
            f"count(*) FILTER (WHERE ts >= ? AND outcome IN {successful}) AS successful_{w}",
            f"count(*) FILTER (WHERE ts >= ? AND outcome IN {successful} AND latency_ms <= ?) AS fast_{w}",
        ]
        params += [since, since, since, since, threshold_ms]
    return ", ".join(columns), params


@dataclass(frozen=True)
class WindowCounts:
    """One region's SLIs over each window (seconds -> Sli)."""

    availability: dict[int, slo.Sli]
    latency: dict[int, slo.Sli]


@dataclass(frozen=True)
class ModelChange:
    ts: datetime
    region: str
    deployment: str
    old_version: str | None
    new_version: str


@dataclass(frozen=True)
class DrillRun:
    drill: str
    run_id: str
    started: datetime
    passed: bool
    error: str | None


@dataclass(frozen=True)
class Facts:
    now: datetime
    counts: dict[str, WindowCounts] = field(default_factory=dict)  # region (the composite too) -> counts
    last_probe_ts: datetime | None = None
    model_changes: tuple[ModelChange, ...] = ()
    drill_runs: tuple[DrillRun, ...] = ()  # the latest run of each drill in DRILL_WINDOW
    versions: dict[tuple[str, str], str] = field(default_factory=dict)  # (region, deployment) -> version


def read_facts(store: Store, now: datetime, threshold_ms: float) -> Facts:
    """Everything the rules need at `now` (naive UTC); probes after `now` do not exist (replays)."""
    windows = slo.windows()
    columns, params = window_count_columns(now, windows, threshold_ms)
    names, rows = store.query(
        f"SELECT region, {columns} FROM probe_results WHERE ts >= ? AND ts <= ? GROUP BY region ORDER BY region",
        [*params, now - timedelta(seconds=max(windows)), now],
    )
    counts = {}
    for row in rows:
        r = dict(zip(names, row, strict=True))
        counts[r["region"]] = WindowCounts(
            {w: slo.Sli(int(r[f"good_{w}"]), int(r[f"valid_{w}"])) for w in windows},
            {w: slo.Sli(int(r[f"fast_{w}"]), int(r[f"successful_{w}"])) for w in windows},
        )
    _, last = store.query("SELECT max(ts) FROM probe_results WHERE ts <= ?", [now])
    _, changes = store.query(
        "SELECT ts, region, deployment, old_version, new_version FROM model_changes "
        "WHERE ts > ? AND ts <= ? ORDER BY ts",
        [now - CHANGE_WINDOW, now],
    )
    _, drills = store.query(
        "SELECT drill, arg_max(run_id, started), max(started), arg_max(passed, started), arg_max(error, started) "
        "FROM drills WHERE started > ? AND started <= ? GROUP BY drill ORDER BY drill",
        [now - DRILL_WINDOW, now],
    )
    _, versions = store.query(
        "SELECT region, deployment, model_version FROM deployment_versions WHERE since <= ? AND region <> ?",
        [now, COMPOSITE],
    )
    return Facts(
        now=now,
        counts=counts,
        last_probe_ts=last[0][0] if last else None,
        model_changes=tuple(ModelChange(*c) for c in changes),
        drill_runs=tuple(DrillRun(*d) for d in drills),
        versions={(r, d): v for r, d, v in versions},
    )
