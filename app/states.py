"""A region's state now -- up, degraded, down or no data -- decided over its last few minutes of
probes, never over one probe, with when that state began ("since") and why ("reason").

The rule (the README's "The dashboard" says the same):

- **window**: the region's probes of the last 5 minutes, or its last 5 probes when those 5
  minutes hold fewer (one probe a minute still gets a window of 5).
- **down**: the last 5 probes all failed, or at least half of the window's probes failed (2 or
  more of them) and one of the two newest did.
- **degraded**: not down, and 2 or more of the window's probes failed (its availability is below
  the target), or 2 or more answers were slower than the latency threshold and the window's share
  under it is below the latency target.
- **up**: otherwise. One failed or one slow probe alone never changes the state.
- **no data**: no probe in the range, or none for the last 15 minutes.

"Failed" is availability's bad event (an outcome outside `GOOD`); "slow" an answered probe
(`SUCCESSFUL`) over the threshold, the same split as the Overview's table. The rule is evaluated
at every probe of the look-back (`queries.recent_probes`); "since" is the first probe of the run of
the current state, a lower bound when that run reaches back past the look-back.

Pure functions over frames: no clock (`now` is passed), no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..failover.outcomes import GOOD, SUCCESSFUL
from ..probes.config import SloTargets
from . import look

__all__ = ["RULE", "RegionState", "Rule", "evaluate", "region_state", "region_states", "short_error"]

UP, DEGRADED, DOWN, NO_DATA = "up", "degraded", "down", "no data"
_CODES = np.array([UP, DEGRADED, DOWN])


@dataclass(frozen=True)
class Rule:
    """The rule's numbers (module docstring)."""

    window: timedelta = timedelta(minutes=5)
    min_probes: int = 5  # the window holds at least this many probes; all of them failed is down
    min_bad: int = 2  # one failed or slow probe alone never changes the state
    stale: timedelta = timedelta(minutes=15)  # no probe for this long: no data


RULE = Rule()


@dataclass(frozen=True)
class RegionState:
    """One region's state, for the badge and the table.

    `since` is None without probes; `since_before` says the state held through the whole look-back,
    so `since` is the oldest probe looked at, not the start. `reason` says why, in one line;
    `evidence` counts the window; `failure_ts` is the time of the failure the reason names (the
    Errors page link opens there)."""

    region: str
    state: str
    since: datetime | None
    since_before: bool
    reason: str
    evidence: str
    failure_ts: datetime | None = None


def evaluate(probes: pd.DataFrame, targets: SloTargets, rule: Rule = RULE) -> np.ndarray:
    """The state (up, degraded or down) after each probe of one region's `probes` (columns ts,
    outcome, latency_ms; sorted by ts), each over its own window."""
    ts = probes["ts"].to_numpy(dtype="datetime64[ns]")
    n = len(ts)
    if n == 0:
        return np.array([], dtype=object)
    bad = ~probes["outcome"].isin(list(GOOD)).to_numpy()
    answered = probes["outcome"].isin(list(SUCCESSFUL)).to_numpy()
    slow = answered & (probes["latency_ms"].fillna(0).to_numpy() > targets.latency_threshold_s * 1000)
    index = np.arange(n)
    by_time = np.searchsorted(ts, ts - np.timedelta64(rule.window), side="right")
    start = np.minimum(by_time, np.maximum(0, index - rule.min_probes + 1))

    def in_window(flags: np.ndarray) -> np.ndarray:
        total = np.concatenate([[0], np.cumsum(flags)])
        return total[index + 1] - total[start]

    size, bad_n, answered_n, slow_n = index + 1 - start, in_window(bad), in_window(answered), in_window(slow)
    total_bad = np.concatenate([[0], np.cumsum(bad)])
    last_all_bad = (index >= rule.min_probes - 1) & (
        total_bad[index + 1] - total_bad[np.maximum(0, index + 1 - rule.min_probes)] == rule.min_probes
    )
    newest_two_bad = bad | np.concatenate([[False], bad[:-1]])
    down = last_all_bad | ((bad_n >= rule.min_bad) & (2 * bad_n >= size) & newest_two_bad)
    with np.errstate(divide="ignore", invalid="ignore"):
        unavailable = (bad_n >= rule.min_bad) & ((size - bad_n) / size < targets.availability_target)
        fast_share = (answered_n - slow_n) / np.maximum(answered_n, 1)
        too_slow = (slow_n >= rule.min_bad) & (fast_share < targets.latency_target)
    codes = np.where(down, 2, np.where(unavailable | too_slow, 1, 0))
    return _CODES[codes]


def region_state(
    region: str,
    probes: pd.DataFrame,
    now: datetime,
    targets: SloTargets,
    first_ts: Any = None,
    last_failure: dict[str, Any] | None = None,
    rule: Rule = RULE,
) -> RegionState:
    """The state of `region` at `now` from its recent `probes` (queries.recent_probes' columns, one
    region, sorted by ts). `first_ts` is the region's first probe in the range (to tell whether the
    look-back reached it); `last_failure` (outcome, status_code, error, ts) the last failure in the
    range, named by an up region's reason."""
    if probes.empty:
        return RegionState(region, NO_DATA, None, False, "no probes in this range", "")
    states = evaluate(probes, targets, rule)
    ts = probes["ts"]
    newest = ts.iloc[-1]
    if now - newest.to_pydatetime() > rule.stale:
        reason = f"no probe since {look.utc_time(newest)}"
        return RegionState(
            region,
            NO_DATA,
            newest,
            False,
            reason,
            f"the last probe is over {rule.stale.total_seconds() / 60:g} min old",
        )
    current = states[-1]
    other = np.flatnonzero(states != current)
    begin = int(other[-1]) + 1 if len(other) else 0
    since_before = not len(other) and first_ts is not None and pd.notna(first_ts) and ts.iloc[0] > first_ts
    window = probes[ts > newest - rule.window]
    if len(window) < rule.min_probes:
        window = probes.iloc[-rule.min_probes :]
    failed = window[~window["outcome"].isin(list(GOOD))]
    answered = window[window["outcome"].isin(list(SUCCESSFUL))]
    slow = answered[answered["latency_ms"].fillna(0) > targets.latency_threshold_s * 1000]
    minutes = f"{rule.window.total_seconds() / 60:g} min"
    evidence = f"last {minutes}: {len(failed)} of {len(window)} probes failed"
    if len(slow):
        evidence += f", {len(slow)} of {len(answered)} answers over {targets.latency_threshold_s:g} s"
    failure_ts = None
    if current == UP and last_failure and pd.notna(last_failure.get("ts")):
        reason = "last failure " + _failure(last_failure)
        failure_ts = last_failure["ts"]
    elif current == UP:
        reason = "no failure in this range"
    elif len(failed) >= rule.min_bad or current == DOWN:
        last = failed.iloc[-1].to_dict() if len(failed) else (last_failure or {})
        reason = _failure(last)
        failure_ts = last.get("ts")
    else:
        reason = (
            f"slow: {len(slow)} of {len(answered)} answers over {targets.latency_threshold_s:g} s, "
            f"slowest {look.ms(slow['latency_ms'].max())}"
        )
        failure_ts = slow["ts"].iloc[-1]
    return RegionState(region, str(current), ts.iloc[begin], bool(since_before), reason, evidence, failure_ts)


def _failure(row: dict[str, Any]) -> str:
    """`14:03:05 UTC server_error 503: Service unavailable`: when, outcome, status, short error."""
    status = row.get("status_code")
    text = f"{look.utc_time(row.get('ts'))} {row.get('outcome') or ''}".strip()
    if status is not None and pd.notna(status):
        text += f" {int(status)}"
    error = short_error(row.get("error"))
    return f"{text}: {error}" if error else text


_MESSAGE = re.compile(r"""['"]message['"]:\s*['"]([^'"]+)['"]""")
_SDK_PREFIX = re.compile(r"^\w+(Error|Exception): (Error code: \d+ - )?")


def short_error(error: Any, limit: int = 70) -> str:
    """A probe's error text in a few words: the message Azure's error object carries (`Service
    unavailable`), else the text without the exception's name and the SDK's `Error code: 503 - `
    (the outcome and status beside it say as much)."""
    if error is None or (isinstance(error, float) and pd.isna(error)):
        return ""
    text = str(error)
    found = _MESSAGE.search(text)
    return look.short_text(found.group(1) if found else _SDK_PREFIX.sub("", text), limit)


def region_states(
    regions: list[str],
    recent: pd.DataFrame,
    overview: pd.DataFrame,
    now: datetime,
    targets: SloTargets,
    rule: Rule = RULE,
) -> list[RegionState]:
    """The state of each of `regions` (in that order) from `queries.recent_probes` and the
    range's `queries.overview` (its first probe and last failure per region)."""
    by_region = dict(tuple(recent.groupby("region", sort=False))) if not recent.empty else {}
    rows = overview.set_index("region").to_dict("index") if not overview.empty else {}
    out = []
    for region in regions:
        row = rows.get(region, {})
        last_failure = {
            "ts": row.get("last_bad_ts"),
            "outcome": row.get("last_bad_outcome"),
            "status_code": row.get("last_bad_status"),
            "error": row.get("last_bad_error"),
        }
        probes = by_region.get(region, recent.iloc[0:0])
        out.append(region_state(region, probes, now, targets, row.get("first_ts"), last_failure, rule))
    return out
