"""The Overview's two tables as pure functions over query frames (DataFrame in, DataFrame out),
built with probes/slo.py's arithmetic and written for people with app/look.py; the page only lays
them out (and colours them with `styled`).

- `region_table`: per region in the one region order, its state (app/states.py), availability and
  latency against their targets with which SLOs are missed, budget left, probes, how much of the
  range has data, and cost.
- `prober_table` (with `prober_notes`): each region split by prober, when several probers' stores
  are read as one, and which region misses an objective from some probers only.
- `alert_table`: the multiwindow burn-rate table, one row per region and alert row, each burn
  rate with the probes it was computed over, and the rows the low-traffic guard holds back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pandas as pd
from pandas.io.formats.style import Styler

from ..probes import slo
from ..probes.config import SloTargets
from . import look
from .states import RegionState

__all__ = [
    "alert_table",
    "availability_column",
    "fast_column",
    "latency_column",
    "prober_notes",
    "prober_table",
    "region_table",
    "slo_misses",
    "styled",
]


def fast_column(targets: SloTargets) -> str:
    """The name of the latency SLI's column, e.g. "under 2 s"."""
    return f"under {targets.latency_threshold_s:g} s"


def availability_column(targets: SloTargets) -> str:
    """The availability column's name, with its target: "availability (99.9%)"."""
    return f"availability ({look.percent(targets.availability_target, 1)})"


def latency_column(targets: SloTargets) -> str:
    """The latency SLI's column name, with its target: "under 2 s (99.0%)"."""
    return f"{fast_column(targets)} ({look.percent(targets.latency_target, 1)})"


def slo_misses(availability: slo.Sli, fast: slo.Sli, targets: SloTargets) -> list[str]:
    """Which objectives the range misses: "availability", "latency" (a ratio without data misses nothing)."""
    misses = []
    if availability.ratio is not None and availability.ratio < targets.availability_target:
        misses.append("availability")
    if fast.ratio is not None and fast.ratio < targets.latency_target:
        misses.append("latency")
    return misses


def region_table(
    overview: pd.DataFrame, states: Sequence[RegionState], window: timedelta, targets: SloTargets
) -> pd.DataFrame:
    """One row per state in `states` (their order: the one region order), with that region's row of
    `queries.overview` (empty cells for a region without probes in the range)."""
    rows = overview.set_index("region").to_dict("index") if not overview.empty else {}
    out = []
    for state in states:
        r = rows.get(state.region)
        if r is None:
            out.append({"region": state.region, "state": state.state})
            continue
        availability = slo.Sli(int(r["good"]), int(r["valid"]))
        fast = slo.Sli(int(r["fast"]), int(r["successful"]))
        covered = (r["last_ts"] - r["first_ts"]) / window if r["valid"] > 1 else 0.0
        remaining = slo.budget_remaining(availability, targets.availability_target)
        misses = slo_misses(availability, fast, targets)
        out.append(
            {
                "region": state.region,
                "state": state.state,
                availability_column(targets): look.percent(availability.ratio),
                "budget left": look.budget_left(None if remaining is None else 1 - remaining),
                latency_column(targets): look.percent(fast.ratio),
                "SLOs": "missed: " + ", ".join(misses) if misses else "met",
                "probes": look.count(r["valid"]),
                "data covers": look.percent(min(1.0, covered), 0),
                "cost": look.usd(r["cost_usd"]),
            }
        )
    columns = ["region", "state", availability_column(targets), "budget left", latency_column(targets)]
    columns += ["SLOs", "probes", "data covers", "cost"]
    return pd.DataFrame(out, columns=columns).fillna("")


def prober_table(by_prober: pd.DataFrame, order: Sequence[str], targets: SloTargets) -> pd.DataFrame:
    """One row per region (in `order`, the one region order) and prober of
    `queries.overview_by_prober`: availability and latency against their targets, which SLOs are
    missed, probes, failed probes and the last failure. A region's probes sum to its row of the
    regions table: the same probes, split."""
    out = []
    records = by_prober.to_dict("records")
    regions = [r for r in order if any(x["region"] == r for x in records)]
    regions += sorted({x["region"] for x in records} - set(regions))
    for region in regions:
        for r in (x for x in records if x["region"] == region):
            availability = slo.Sli(int(r["good"]), int(r["valid"]))
            fast = slo.Sli(int(r["fast"]), int(r["successful"]))
            misses = slo_misses(availability, fast, targets)
            last = "" if pd.isna(r["last_bad_ts"]) else f"{r['last_bad_outcome']} at {look.utc(r['last_bad_ts'])}"
            out.append(
                {
                    "region": region,
                    "prober": r["prober"],
                    availability_column(targets): look.percent(availability.ratio),
                    latency_column(targets): look.percent(fast.ratio),
                    "SLOs": "missed: " + ", ".join(misses) if misses else "met",
                    "probes": look.count(r["valid"]),
                    "failed": look.count(int(r["valid"]) - int(r["good"])),
                    "last failure": last,
                }
            )
    columns = ["region", "prober", availability_column(targets), latency_column(targets), "SLOs", "probes"]
    return pd.DataFrame(out, columns=[*columns, "failed", "last failure"])


def prober_notes(by_prober: pd.DataFrame, order: Sequence[str], targets: SloTargets) -> list[str]:
    """For each region (in `order`) that misses an objective from some of its probers but not
    from the others, one sentence saying from which: "eastus2 misses availability only from
    frankfurt (met from dublin): a network path from there, not Azure"."""
    notes = []
    records = by_prober.to_dict("records")
    for region in [r for r in order if any(x["region"] == r for x in records)]:
        rows = [x for x in records if x["region"] == region]
        for objective in ("availability", "latency"):
            missing, meeting = [], []
            for r in rows:
                availability = slo.Sli(int(r["good"]), int(r["valid"]))
                fast = slo.Sli(int(r["fast"]), int(r["successful"]))
                if availability.ratio is None or (objective == "latency" and fast.ratio is None):
                    continue
                (missing if objective in slo_misses(availability, fast, targets) else meeting).append(r["prober"])
            if missing and meeting:
                notes.append(
                    f"{region} misses {objective} only from {', '.join(missing)} (met from {', '.join(meeting)}): "
                    "a network path from there, not Azure"
                )
    return notes


HELD_BACK = "held back"  # the `firing` cell of a row that burns but the guard keeps from firing


def alert_table(
    counts: pd.DataFrame,
    target: float,
    order: Sequence[str] | None = None,
    min_bad_events: int = slo.MIN_BAD_EVENTS,
) -> pd.DataFrame:
    """One row per region of `queries.window_counts` (in `order` when given) and per alert row:
    both burn rates (`135.7x`) with the probes each is over, and whether it fires: `FIRING`, `ok`,
    or `held back (1 of 3 bad)` where both windows burn but the short one holds fewer than
    `min_bad_events` bad probes (the guard the `alert` command applies too)."""
    rows = []
    records = {r["region"]: r for r in counts.to_dict("records")}
    for region in [r for r in (order or []) if r in records] or list(records):
        r = records[region]
        slis = {w: slo.Sli(int(r[f"good_{w}"]), int(r[f"valid_{w}"])) for w in slo.windows()}
        for state in slo.alert_states(slis, target, min_bad_events=min_bad_events):
            long_w, short_w = slo.window_label(state.row.long_window_s), slo.window_label(state.row.short_window_s)
            rows.append(
                {
                    "region": region,
                    "windows": f"{long_w} / {short_w}",
                    "threshold": look.burn(state.row.burn_rate),
                    "long burn": look.burn(state.long_burn),
                    "long probes": look.count(state.long_samples),
                    "short burn": look.burn(state.short_burn),
                    "short probes": look.count(state.short_samples),
                    "severity": state.row.severity,
                    "firing": _firing(state),
                }
            )
    columns = ["region", "windows", "threshold", "long burn", "long probes", "short burn", "short probes"]
    return pd.DataFrame(rows, columns=[*columns, "severity", "firing"])


def _firing(state: slo.AlertState) -> str:
    if state.held_back:
        return f"{HELD_BACK} ({state.short_bad} of {state.min_bad_events} bad)"
    return "FIRING" if state.firing else "ok"


def styled(table: pd.DataFrame, targets: SloTargets | None = None) -> Styler:
    """`table` (either of the two) coloured for `st.dataframe`: the state in its colour, a missed
    objective, an overspent budget and a firing alert in the down colour."""
    down = f"color: {look.STATE_COLOURS['down']}; font-weight: 600"
    styler = table.style
    if "state" in table:
        styler = styler.map(
            lambda v: f"background-color: {look.STATE_COLOURS[v]}; color: white" if v in look.STATE_COLOURS else "",
            subset=["state"],
        )
    if "SLOs" in table:
        styler = styler.map(lambda v: down if str(v).startswith("missed") else "", subset=["SLOs"])
        if "budget left" in table:
            styler = styler.map(lambda v: down if str(v).startswith("overspent") else "", subset=["budget left"])
        if targets is not None:
            for objective, column in (
                ("availability", availability_column(targets)),
                ("latency", latency_column(targets)),
            ):
                flags = [down if objective in str(s) else "" for s in table["SLOs"]]
                styler = styler.apply(lambda _, flags=flags: flags, axis=0, subset=[column])
    if "firing" in table:
        held = f"color: {look.STATE_COLOURS['degraded']}"
        styler = styler.map(
            lambda v: down if v == "FIRING" else held if str(v).startswith(HELD_BACK) else "", subset=["firing"]
        )
    return styler
