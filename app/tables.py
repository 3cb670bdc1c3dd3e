"""The tables of every page but the Overview (that one is slo_tables), as people read them: pure
functions, query frame in, display frame out. Rows go in the one region order, numbers through
`look`'s formatters (ms without decimals, money to the cent or four significant digits, times to
the second in UTC), and a missing value is an empty cell, never `None` or `NaN`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import look

PASS, FAIL = "pass", "FAIL"
PASS_FAIL_COLOURS = {PASS: look.STATE_COLOURS["up"], FAIL: look.STATE_COLOURS["down"]}


def _ordered(frame: pd.DataFrame, priorities: Mapping[str, int] | None, *then: str) -> pd.DataFrame:
    """`frame` in the one region order, then by the `then` columns (as they are)."""
    if frame.empty or "region" not in frame:
        return frame
    rank = {r: i for i, r in enumerate(look.region_order(frame["region"].dropna().astype(str), priorities))}
    keyed = frame.assign(_rank=frame["region"].map(rank))
    return keyed.sort_values(["_rank", *then], kind="stable").drop(columns="_rank")


def _shown(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Callable[[Any], str] | None]]) -> pd.DataFrame:
    """A display frame: each `title: (source column, formatter)`; no formatter: text as it is
    (missing as empty)."""
    out = {}
    for title, (source, formatter) in columns.items():
        values = frame[source] if source in frame else pd.Series([None] * len(frame), index=frame.index)
        out[title] = [formatter(v) if formatter else _plain(v) for v in values]
    return pd.DataFrame(out, columns=list(columns))


def _plain(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _status(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def slow_probes(frame: pd.DataFrame) -> pd.DataFrame:
    """The slowest probes, slowest first."""
    rows = frame.sort_values("latency_ms", ascending=False, kind="stable")
    return _shown(
        rows,
        {
            "time (UTC)": ("ts", look.utc),
            "region": ("region", None),
            "kind": ("kind", None),
            "deployment": ("deployment", None),
            "latency": ("latency_ms", look.ms),
            "first token": ("ttft_ms", look.ms),
            "request id": ("request_id", None),
        },
    )


def rate_limits(frame: pd.DataFrame) -> pd.DataFrame:
    """Each 429 in time order: what it promised, the headers seen before it, how long it took."""
    return _shown(
        frame.sort_values("ts", kind="stable"),
        {
            "time (UTC)": ("ts", look.utc),
            "region": ("region", None),
            "kind": ("kind", None),
            "Retry-After": ("retry_after_s", look.seconds),
            "requests left before": ("remaining_requests_before", look.count),
            "tokens left before": ("remaining_tokens_before", look.count),
            "answered again after": ("recovered_after_s", look.seconds),
        },
    )


def last_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest failures, newest first."""
    return _shown(
        frame.sort_values("ts", ascending=False, kind="stable"),
        {
            "time (UTC)": ("ts", look.utc),
            "region": ("region", None),
            "kind": ("kind", None),
            "outcome": ("outcome", None),
            "status": ("status_code", _status),
            "error": ("error", None),
            "request id": ("request_id", None),
        },
    )


def spend_by_day(
    by_day: pd.DataFrame, total_usd: float | None = None, priorities: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Spend per day, region and deployment (spend.by_day): days in order, regions in theirs; with
    `total_usd`, a last `total` row carrying it (the page's headline: one number, one format)."""
    rows = _ordered(by_day, priorities)
    rows = rows.sort_values("day", kind="stable") if not rows.empty else rows
    shown = _shown(
        rows,
        {
            "day (UTC)": ("day", lambda d: "" if pd.isna(d) else f"{d:%Y-%m-%d}"),
            "region": ("region", None),
            "deployment": ("deployment", None),
            "probes": ("probes", look.count),
            "tokens": ("tokens", look.count),
            "cost": ("cost_usd", look.usd),
        },
    )
    if total_usd is not None:
        total = {
            "day (UTC)": "total",
            "region": "",
            "deployment": "",
            "probes": look.count(by_day["probes"].sum() if not by_day.empty else 0),
            "tokens": look.count(by_day["tokens"].sum() if not by_day.empty else 0),
            "cost": look.usd(total_usd),
        }
        shown = pd.concat([shown, pd.DataFrame([total])], ignore_index=True)
    return shown


def drill_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Drill runs, newest first: the result as a word (`pass` / `FAIL`), coloured by the page."""
    return _shown(
        runs,
        {
            "started (UTC)": ("started", look.utc),
            "drill": ("drill", None),
            "title": ("title", None),
            "client": ("client", None),
            "result": ("passed", lambda p: PASS if p else FAIL),
            "duration": ("duration_s", look.seconds),
            "error": ("error", None),
        },
    )


def pass_fail_colour(value: Any) -> str:
    """The CSS for a `result` cell: green text for pass, red for FAIL (st.dataframe with a Styler)."""
    colour = PASS_FAIL_COLOURS.get(str(value))
    return f"color: {colour}; font-weight: bold" if colour else ""


@dataclass(frozen=True)
class Expectation:
    passed: bool
    expect: str
    measured: str

    @property
    def result(self) -> str:
        return PASS if self.passed else FAIL


def expectations(stored: str | None) -> list[Expectation]:
    """A run's stored expectations (JSON), each with its measured value rounded for people."""
    try:
        items = json.loads(stored or "[]")
    except ValueError:
        return []
    return [
        Expectation(bool(e.get("passed")), str(e.get("expect", "")), _measured(e.get("measured")))
        for e in items
        if isinstance(e, dict)
    ]


def _measured(value: Any) -> str:
    return look.number(value) if isinstance(value, int | float) and not isinstance(value, bool) else _plain(value)


def model_changes(runs: pd.DataFrame) -> pd.DataFrame:
    """Every change in `queries.model_versions`' runs (a run after another version), newest first."""
    changed = runs[runs["previous_version"].notna()] if not runs.empty else runs
    changed = changed.sort_values("first_ts", ascending=False, kind="stable") if not changed.empty else changed
    return _shown(
        changed,
        {
            "since (UTC)": ("first_ts", look.utc),
            "region": ("region", None),
            "deployment": ("deployment", None),
            "from": ("previous_version", None),
            "to": ("model_version", None),
            "probes since": ("probes", look.count),
        },
    )


def model_runs(runs: pd.DataFrame, priorities: Mapping[str, int] | None = None) -> pd.DataFrame:
    """What each deployment answered, run by run, in region order."""
    rows = _ordered(runs, priorities, "deployment", "first_ts")
    return _shown(
        rows,
        {
            "region": ("region", None),
            "deployment": ("deployment", None),
            "model version": ("model_version", None),
            "first seen (UTC)": ("first_ts", look.utc),
            "last seen (UTC)": ("last_ts", look.utc),
            "probes": ("probes", look.count),
        },
    )


def disagreements(flags: pd.DataFrame, priorities: Mapping[str, int] | None = None) -> pd.DataFrame:
    return _shown(
        _ordered(flags, priorities, "bucket"),
        {
            "region": ("region", None),
            "bucket from (UTC)": ("bucket", look.utc),
            "disagreement": ("disagreement", None),
            "detail": ("detail", None),
        },
    )


def request_match(matched: pd.DataFrame, priorities: Mapping[str, int] | None = None) -> pd.DataFrame:
    return _shown(
        _ordered(matched, priorities),
        {
            "region": ("region", None),
            "probes with a request id": ("probes_with_id", look.count),
            "found in Azure's logs": ("in_azure_logs", look.count),
            "probe median": ("probe_median_ms", look.ms),
            "Azure's median": ("azure_median_ms", look.ms),
            "outside Azure (median)": ("outside_azure_median_ms", look.ms),
        },
    )


def monitor_imports(imports: pd.DataFrame) -> pd.DataFrame:
    return _shown(
        imports,
        {
            "started (UTC)": ("started", look.utc),
            "region": ("region", None),
            "from (UTC)": ("since", look.utc),
            "until (UTC)": ("until", look.utc),
            "metric rows": ("metric_rows", look.count),
            "log rows": ("log_rows", look.count),
            "error": ("error", None),
        },
    )
