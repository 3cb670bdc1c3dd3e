"""SLO arithmetic as small pure functions: SLIs with their sample counts, error budgets, burn rates
and the multiwindow burn-rate alert table (Google SRE workbook), kept as data.

At one probe a minute a single failure already fires the fastest alert row, so every ratio carries
its sample count and how much of its window has data (`coverage`): the page shows both.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALERT_ROWS", "AlertRow", "AlertState", "Sli", "alert_states", "budget_remaining", "burn_rate"]


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
    row: AlertRow
    long_burn: float | None
    short_burn: float | None
    long_samples: int
    short_samples: int

    @property
    def firing(self) -> bool:
        return (
            self.long_burn is not None
            and self.short_burn is not None
            and self.long_burn >= self.row.burn_rate
            and self.short_burn >= self.row.burn_rate
        )


def alert_states(
    window_slis: dict[int, Sli], target: float, rows: tuple[AlertRow, ...] = ALERT_ROWS
) -> list[AlertState]:
    """`window_slis` maps a window length in seconds to the SLI over the last that many seconds."""
    states = []
    for row in rows:
        long_sli = window_slis.get(row.long_window_s, Sli(0, 0))
        short_sli = window_slis.get(row.short_window_s, Sli(0, 0))
        states.append(
            AlertState(row, burn_rate(long_sli, target), burn_rate(short_sli, target), long_sli.valid, short_sli.valid)
        )
    return states


def windows(rows: tuple[AlertRow, ...] = ALERT_ROWS) -> list[int]:
    return sorted({w for r in rows for w in (r.long_window_s, r.short_window_s)})
