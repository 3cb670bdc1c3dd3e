"""SLO arithmetic as small pure functions: SLIs with their sample counts, error budgets, burn rates
and the multiwindow burn-rate alert table (Google SRE workbook), kept as data.

At one probe a minute a single failure already burns 16.7x over an hour, above the fastest row's
14.4x, so every ratio carries its sample count, and a row fires only when its short window also
holds at least `min_bad_events` bad probes (the low-traffic guard, default 3): the Overview and the
`alert` command both read `AlertState.firing` and `AlertState.held_back` from here, one arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALERT_ROWS",
    "MIN_BAD_EVENTS",
    "AlertRow",
    "AlertState",
    "Sli",
    "alert_states",
    "budget_remaining",
    "burn_rate",
    "window_label",
    "windows",
]

MIN_BAD_EVENTS = 3  # the low-traffic guard's default: bad probes the short window must hold to fire


@dataclass(frozen=True)
class Sli:
    """good of valid events; `ratio` is None without data."""

    good: int
    valid: int

    @property
    def ratio(self) -> float | None:
        return self.good / self.valid if self.valid else None

    @property
    def bad(self) -> int:
        return self.valid - self.good


@dataclass(frozen=True)
class AlertRow:
    """Fire when the burn rate over both the long and the short window reaches `burn_rate`."""

    long_window_s: int
    short_window_s: int
    burn_rate: float
    severity: str


ALERT_ROWS = (
    AlertRow(3600, 300, 14.4, "page"),
    AlertRow(6 * 3600, 1800, 6.0, "page"),
    AlertRow(24 * 3600, 2 * 3600, 3.0, "ticket"),
    AlertRow(3 * 24 * 3600, 6 * 3600, 1.0, "ticket"),
)


def burn_rate(sli: Sli, target: float) -> float | None:
    """Error ratio / error budget ratio: 1.0 spends the budget exactly over the SLO window."""
    if sli.ratio is None:
        return None
    return (1.0 - sli.ratio) / (1.0 - target)


def budget_remaining(sli: Sli, target: float) -> float | None:
    """Share of the window's error budget still unspent (negative when overspent), by occurrences:
    the budget is (1 - target) x valid events."""
    if not sli.valid:
        return None
    allowed = (1.0 - target) * sli.valid
    return 1.0 - sli.bad / allowed if allowed > 0 else (1.0 if sli.bad == 0 else -float("inf"))


@dataclass(frozen=True)
class AlertState:
    """One alert row over one SLI: both burn rates, the samples each is over, and the guard."""

    row: AlertRow
    long_burn: float | None
    short_burn: float | None
    long_samples: int
    short_samples: int
    short_bad: int = 0
    min_bad_events: int = 0

    @property
    def burning(self) -> bool:
        """Both windows burn at or above the row's rate (the table's rule, before the guard)."""
        return (
            self.long_burn is not None
            and self.short_burn is not None
            and self.long_burn >= self.row.burn_rate
            and self.short_burn >= self.row.burn_rate
        )

    @property
    def held_back(self) -> bool:
        """Burning, but the short window holds fewer than `min_bad_events` bad probes: too few
        samples to tell an outage from a blip, so it does not fire."""
        return self.burning and self.short_bad < self.min_bad_events

    @property
    def firing(self) -> bool:
        return self.burning and not self.held_back


def alert_states(
    window_slis: dict[int, Sli],
    target: float,
    rows: tuple[AlertRow, ...] = ALERT_ROWS,
    min_bad_events: int = MIN_BAD_EVENTS,
) -> list[AlertState]:
    """`window_slis` maps a window length in seconds to the SLI over the last that many seconds;
    `min_bad_events` is the guard (0 turns it off)."""
    states = []
    for row in rows:
        long_sli = window_slis.get(row.long_window_s, Sli(0, 0))
        short_sli = window_slis.get(row.short_window_s, Sli(0, 0))
        states.append(
            AlertState(
                row,
                burn_rate(long_sli, target),
                burn_rate(short_sli, target),
                long_sli.valid,
                short_sli.valid,
                short_sli.bad,
                min_bad_events,
            )
        )
    return states


def windows(rows: tuple[AlertRow, ...] = ALERT_ROWS) -> list[int]:
    """Every window length (seconds) the rows use, shortest first: what a count query must cover."""
    return sorted({w for r in rows for w in (r.long_window_s, r.short_window_s)})


def window_label(seconds: int) -> str:
    """A window's length as the Overview, the alert summaries and the Prometheus rules write it
    (`5m`, `1h`, `24h`, `3d`): a valid Prometheus duration."""
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"
