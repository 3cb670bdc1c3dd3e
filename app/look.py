"""How the dashboard shows things, decided once: the order and colour of regions, the colours of
states, and numbers formatted for people. Every page and figure takes these from here, so a region
is the same colour in the same place on every page and a number reads the same wherever it appears.

Formatters return "" for a missing value (None or NaN): an empty cell, never a literal `None`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from ..probes.result import COMPOSITE

__all__ = [
    "COMPOSITE_COLOUR",
    "STATE_COLOURS",
    "budget_left",
    "burn",
    "count",
    "ms",
    "number",
    "percent",
    "region_colours",
    "region_order",
    "seconds",
    "short_text",
    "span",
    "usd",
    "utc",
    "utc_time",
]

COMPOSITE_COLOUR = "#4c4c4c"  # the failover composite: the users' view, drawn in neutral dark grey
# Regions teams run most get fixed colours; any other region a stable one from its name.
_KNOWN = {"eastus2": "#1f77b4", "swedencentral": "#17becf", "westus3": "#9467bd", "francecentral": "#8c564b"}
_PALETTE = ("#bcbd22", "#e377c2", "#7f7f7f", "#aec7e8", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2")
# state words: the same four everywhere (badges, status history, tables)
STATE_COLOURS = {"up": "#2ca02c", "degraded": "#ff7f0e", "down": "#d62728", "no data": "#9e9e9e"}


def region_order(regions: Iterable[str], priorities: Mapping[str, int] | None = None) -> list[str]:
    """The one region order: the failover composite first, then by configured priority (regions the
    config does not name after those it does), then by name."""
    known = priorities or {}

    def key(name: str) -> tuple[int, int, str]:
        return (0 if name == COMPOSITE else 1, known.get(name, 10**6), name)

    return sorted(set(regions), key=key)


def region_colours(regions: Iterable[str]) -> dict[str, str]:
    """A colour per region that depends only on the region's name: stable across renders and pages."""
    colours = {}
    for name in regions:
        if name == COMPOSITE:
            colours[name] = COMPOSITE_COLOUR
        else:
            colours[name] = _KNOWN.get(name) or _PALETTE[zlib.crc32(name.encode()) % len(_PALETTE)]
    return colours


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ms(value: Any) -> str:
    """Milliseconds without decimals: `1,234 ms`."""
    return "" if _missing(value) else f"{float(value):,.0f} ms"


def percent(ratio: Any, digits: int = 2) -> str:
    """A ratio as a percentage, cut (not rounded) to `digits` decimals: 0.99876 -> `99.87%`. An SLI
    of 99.899% against a 99.9% target must not read `99.90%`, nor one failure in 100,000 `100.00%`."""
    if _missing(ratio):
        return ""
    scale = 10**digits
    cut = math.floor(float(ratio) * 100 * scale + 1e-6) / scale  # the epsilon undoes float error (99.88 * 100)
    return f"{cut:.{digits}f}%"


def burn(rate: Any) -> str:
    """A burn rate as a multiple of the sustainable rate: `135.7x`."""
    return "" if _missing(rate) else f"{float(rate):,.1f}x"


def budget_left(consumed: Any) -> str:
    """The error budget left, from the share of it consumed (1.0 = all of it): `42.1%` while some is
    left, `overspent 135x` once more than the budget has gone."""
    if _missing(consumed):
        return ""
    consumed = float(consumed)
    if consumed > 1:
        return f"overspent {consumed:,.0f}x" if consumed >= 10 else f"overspent {consumed:.1f}x"
    return f"{(1 - consumed) * 100:.1f}%"


def usd(value: Any) -> str:
    """Money for people: to the cent from one cent up, else four significant digits (`$0.0008237`)."""
    if _missing(value):
        return ""
    value = float(value)
    if value == 0:
        return "$0.00"
    if abs(value) >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.4g}" if "e" not in f"{value:.4g}" else f"${value:.10f}".rstrip("0")


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    return "" if _missing(value) else f"{int(value):,}"


def utc_time(ts: Any, with_date: bool = False) -> str:
    """A stored (naive UTC) time for people: `14:03:05 UTC`, or `2026-12-01 14:03 UTC` with the date."""
    return utc(ts, "%Y-%m-%d %H:%M UTC" if with_date else "%H:%M:%S UTC")


def span(seconds: Any) -> str:
    """A duration in the largest unit that keeps it readable: `45 s`, `4 min`, `3.5 h`, `12 days`."""
    if _missing(seconds):
        return ""
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        hours = seconds / 3600
        return f"{hours:.0f} h" if hours >= 10 else f"{hours:.1f} h"
    return f"{seconds / 86400:.0f} days"


def short_text(text: Any, limit: int = 80) -> str:
    """A server's text on one short line: its first line, cut at `limit` characters with `...`."""
    if _missing(text):
        return ""
    line = " ".join(str(text).strip().splitlines()[:1]).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def seconds(value: Any, digits: int = 1) -> str:
    """Seconds with `digits` decimals: `7.0 s`."""
    return "" if _missing(value) else f"{float(value):,.{digits}f} s"


def number(value: Any, digits: int = 4) -> str:
    """A measured quantity to `digits` significant digits, whole numbers as such: 0.13616680000001224
    -> `0.1362`, 3571.7167 -> `3,572`, 12.0 -> `12`."""
    if _missing(value):
        return ""
    value = float(value)
    if value.is_integer() or abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def utc(value: Any, form: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored (naive UTC) time in strftime `form`, by default to the second (`2026-12-02
    04:47:12`, for table cells under a "(UTC)" heading); "" when missing (None, NaN, NaT)."""
    if _missing(value) or value != value:  # NaT, pandas' missing time, is unequal to itself
        return ""
    return f"{value:{form}}"
