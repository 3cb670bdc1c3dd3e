"""The Overview's two tables as pure functions over query frames (DataFrame in, DataFrame out),
built with app/slo.py's arithmetic; the page only lays them out.

- `region_table`: per region (the failover composite first), state, availability and latency
  against their targets, budget left, how much of the range has data, and cost.
- `alert_table`: the multiwindow burn-rate table, one row per region and alert row.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ..failover.outcomes import GOOD
from ..probes.config import SloTargets
from . import slo

__all__ = ["alert_table", "fast_column", "region_table"]


def fast_column(targets: SloTargets) -> str:
    """The name of the latency SLI's column, e.g. "under 2 s"."""
    return f"under {targets.latency_threshold_s:g} s"


def region_table(overview: pd.DataFrame, window: timedelta, targets: SloTargets) -> pd.DataFrame:
    """One row per row of `queries.overview`. State is the last probe's: up when it was good,
    DOWN otherwise, with the time of the last probe of the other kind ("since")."""
    rows = []
    for r in overview.itertuples(index=False):
        availability = slo.Sli(int(r.good), int(r.valid))
        fast = slo.Sli(int(r.fast), int(r.successful))
        covered = (r.last_ts - r.first_ts) / window if r.valid > 1 else 0.0
        healthy = r.last_outcome in GOOD
        since = r.last_bad_ts if healthy else r.last_good_ts
        rows.append(
            {
                "region": r.region,
                "state": ("up" if healthy else "DOWN") + (f" since {since:%H:%M:%S}" if pd.notna(since) else ""),
                "availability": availability.ratio,
                "target": targets.availability_target,
                "probes": r.valid,
                "budget left": slo.budget_remaining(availability, targets.availability_target),
                fast_column(targets): fast.ratio,
                "latency target": targets.latency_target,
                "window with data": min(1.0, covered),
                "cost USD": r.cost_usd,
            }
        )
    return pd.DataFrame(rows)


def alert_table(counts: pd.DataFrame, target: float) -> pd.DataFrame:
    """One row per region of `queries.window_counts` and per alert row: both burn rates with
    their sample counts, and whether it fires."""
    rows = []
    for r in counts.to_dict("records"):
        slis = {w: slo.Sli(int(r[f"good_{w}"]), int(r[f"valid_{w}"])) for w in slo.windows()}
        for state in slo.alert_states(slis, target):
            rows.append(
                {
                    "region": r["region"],
                    "windows": f"{state.row.long_window_s // 3600 or 1}h / {state.row.short_window_s // 60}m",
                    "threshold": state.row.burn_rate,
                    "long burn": state.long_burn,
                    "short burn": state.short_burn,
                    "samples": f"{state.long_samples} / {state.short_samples}",
                    "severity": state.row.severity,
                    "firing": "FIRING" if state.firing else "ok",
                }
            )
    return pd.DataFrame(rows)
