"""SLO math, including the low-sample cases."""

from __future__ import annotations

import math

from aoai_watch.probes.slo import ALERT_ROWS, MIN_BAD_EVENTS, Sli, alert_states, budget_remaining, burn_rate, windows


def test_sli_and_empty_window() -> None:
    assert Sli(999, 1000).ratio == 0.999 and Sli(0, 0).ratio is None
    assert burn_rate(Sli(0, 0), 0.999) is None and budget_remaining(Sli(0, 0), 0.999) is None


def test_burn_rate_and_budget() -> None:
    assert math.isclose(burn_rate(Sli(999, 1000), 0.999) or 0, 1.0)
    assert math.isclose(burn_rate(Sli(986, 1000), 0.999) or 0, 14.0)
    assert math.isclose(budget_remaining(Sli(43200, 43200), 0.999) or 0, 1.0)
    assert math.isclose(budget_remaining(Sli(43200 - 21, 43200), 0.999) or 0, 1 - 21 / 43.2)
    assert (budget_remaining(Sli(43200 - 50, 43200), 0.999) or 0) < 0  # overspent


def test_one_failure_at_one_probe_a_minute_burns_the_fast_row_but_the_guard_holds_it_back() -> None:
    # 60 probes in the last hour, 5 in the last 5 minutes, one failure: burn 1/60/0.001 = 16.7 >= 14.4
    slis = {3600: Sli(59, 60), 300: Sli(4, 5)}
    fast = alert_states(slis, 0.999)[0]
    assert fast.row == ALERT_ROWS[0] and fast.burning and fast.held_back and not fast.firing
    assert fast.short_bad == 1 and fast.min_bad_events == MIN_BAD_EVENTS == 3
    assert alert_states(slis, 0.999, min_bad_events=0)[0].firing  # without the guard: the table's rule
    assert (fast.long_samples, fast.short_samples) == (60, 5)  # shown next to the ratio
    slow_rows = alert_states(slis, 0.999)[1:]
    assert not any(s.firing for s in slow_rows)  # no data for those windows: never firing
    assert all(s.long_burn is None for s in slow_rows)


def test_three_failures_in_the_short_window_fire() -> None:
    states = alert_states({3600: Sli(57, 60), 300: Sli(2, 5)}, 0.999)
    assert states[0].firing and not states[0].held_back


def test_windows_cover_every_row() -> None:
    assert windows() == [300, 1800, 3600, 7200, 6 * 3600, 24 * 3600, 3 * 24 * 3600]
