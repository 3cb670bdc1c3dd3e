"""The Tokens & cost page's arithmetic: pure functions over the one read of the page
(`queries.spend`), so its headline, table, charts and projection are sums of the same rows.

A projection from a few minutes of probing says little (one 429 more, one cycle less), so it is
shown only from MIN_PROJECTION_HOURS of data this month, and always with what it is based on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

MIN_PROJECTION_HOURS = 1.0


@dataclass(frozen=True)
class Month:
    """This month so far: spent, since when there is data, and the projection for the whole month at
    the same pace (None below MIN_PROJECTION_HOURS of data)."""

    spent_usd: float
    first: datetime | None
    data_hours: float
    projected_usd: float | None
    month_end: datetime


def in_range(spend: pd.DataFrame) -> pd.DataFrame:
    """The rows of the selected range (the spend read also holds the month before it)."""
    return spend[spend["in_range"].astype(bool)] if not spend.empty else spend


def by_day(spend: pd.DataFrame) -> pd.DataFrame:
    """Spend and tokens per day, region and deployment, over the range."""
    rows = in_range(spend)
    columns = ["day", "region", "deployment", "probes", "tokens", "cost_usd"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = (
        rows.assign(tokens=rows["prompt_tokens"] + rows["completion_tokens"])
        .groupby(["day", "region", "deployment"], as_index=False)[["probes", "tokens", "cost_usd"]]
        .sum()
    )
    return grouped[columns]


def tokens_by_kind(spend: pd.DataFrame) -> pd.DataFrame:
    """Prompt and completion tokens (and spend) per probe kind, over the range."""
    rows = in_range(spend)
    columns = ["kind", "prompt_tokens", "completion_tokens", "cost_usd"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    return rows.groupby("kind", as_index=False)[columns[1:]].sum()[columns]


def total_usd(spend: pd.DataFrame) -> float:
    """What the range cost: the sum of the table's rows, to the last digit."""
    rows = in_range(spend)
    return float(rows["cost_usd"].sum()) if not rows.empty else 0.0


def month(spend: pd.DataFrame, now: datetime, min_hours: float = MIN_PROJECTION_HOURS) -> Month:
    """This month so far, from the month's rows, and its projection: the pace since the month's
    first probe, carried on to the end of the month."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    rows = spend[spend["in_month"].astype(bool)] if not spend.empty else spend
    if rows.empty:
        return Month(0.0, None, 0.0, None, end)
    spent = float(rows["cost_usd"].sum())
    first = pd.Timestamp(rows["first_ts"].min()).to_pydatetime()
    hours = max((now - first).total_seconds(), 0.0) / 3600
    projected = None
    if hours >= min_hours:
        projected = spent / (hours * 3600) * (end - first).total_seconds()
    return Month(spent, first, hours, projected, end)
