"""app/states.py: a region's state over hand-made probe frames -- up, degraded, down, no data,
since when and why -- with no clock and no database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from aoai_watch.app import states
from aoai_watch.probes.config import SloTargets

from tests.app.overview_data import E503

T0 = datetime(2026, 12, 1, 12, 0, 0)
SLO = SloTargets()  # 99.9% available, 99% under 2 s


def probes(outcomes: str, every_s: int = 60, latency_ms: float = 300.0) -> pd.DataFrame:
    """One probe per letter, `every_s` apart from T0: g good, f failed (503), r rate limited, s slow."""
    rows = []
    for i, letter in enumerate(outcomes):
        outcome, status, error, latency = {
            "g": ("ok", 200, None, latency_ms),
            "f": ("server_error", 503, E503, 40.0),
            "r": ("rate_limited", 429, "RateLimitError: Error code: 429 - slow down", 30.0),
            "s": ("slow", 200, None, 2500.0),
        }[letter]
        rows.append(
            {
                "ts": T0 + timedelta(seconds=i * every_s),
                "region": "eastus2",
                "kind": "chat",
                "outcome": outcome,
                "status_code": status,
                "latency_ms": latency,
                "error": error,
            }
        )
    return pd.DataFrame(rows)


def state_of(frame: pd.DataFrame, **kwargs: object) -> states.RegionState:
    now = frame["ts"].iloc[-1].to_pydatetime() + timedelta(seconds=30)
    return states.region_state("eastus2", frame, now, SLO, **kwargs)  # type: ignore[arg-type]


def test_all_good_is_up_since_the_first_probe_with_no_failure_to_name() -> None:
    state = state_of(probes("g" * 20), first_ts=T0)
    assert (state.state, state.since, state.since_before) == ("up", T0, False)
    assert state.reason == "no failure in this range" and "0 of 5 probes failed" in state.evidence


def test_one_failed_probe_alone_never_changes_the_state() -> None:
    assert list(states.evaluate(probes("ggggfgggg"), SLO)) == ["up"] * 9
    assert state_of(probes("ggggggggf")).state == "up"  # even as the newest probe


def test_an_up_region_names_the_ranges_last_failure() -> None:
    last = {"ts": T0 - timedelta(hours=3), "outcome": "server_error", "status_code": 503, "error": E503}
    state = state_of(probes("gggggg"), last_failure=last)
    assert state.reason == "last failure 09:00:00 UTC server_error 503: Service unavailable"
    assert state.failure_ts == last["ts"]


def test_two_failures_in_the_window_are_degraded_with_the_last_ones_reason() -> None:
    frame = probes("ggggggfgrg")
    state = state_of(frame)
    assert state.state == "degraded"
    assert state.since == frame["ts"].iloc[8]  # from the second failure on
    assert state.reason == "12:08:00 UTC rate_limited 429: slow down"  # outcome, status, short error
    assert state.failure_ts == frame["ts"].iloc[8]
    assert "2 of 5 probes failed" in state.evidence


def test_the_last_five_failed_is_down_since_the_probe_that_made_it_so() -> None:
    frame = probes("gggggggfffff")
    # 2 of 5 failed: degraded; 3 of 5 with the newest: down
    assert list(states.evaluate(frame, SLO)) == ["up"] * 8 + ["degraded"] + ["down"] * 3
    state = state_of(frame)
    assert (state.state, state.since) == ("down", frame["ts"].iloc[9])
    assert state.reason == "12:11:00 UTC server_error 503: Service unavailable"


def test_one_good_probe_in_an_outage_keeps_it_down_and_recovery_goes_through_degraded() -> None:
    frame = probes("ffffff" + "g" + "ff" + "ggggg")
    # the lone good probe (index 6) and the first good one after the outage (index 9) leave it
    # down: half the window failed and so did one of the two newest; then 2 of 5 failed: degraded
    assert list(states.evaluate(frame, SLO)) == ["up"] + ["down"] * 9 + ["degraded"] * 2 + ["up"] * 2


def test_a_window_holds_five_minutes_of_fast_probes() -> None:
    # one probe every 5 s: 60 in the window, so 2 failures among them are degraded, not down
    frame = probes("g" * 80 + "f" + "g" * 10 + "f", every_s=5)
    assert state_of(frame).state == "degraded" and "2 of 60 probes failed" in state_of(frame).evidence
    # and 6 minutes later both have left the window
    later = probes("g" * 80 + "f" + "g" * 10 + "f" + "g" * 72, every_s=5)
    assert state_of(later).state == "up"


def test_slow_answers_breaching_the_latency_target_are_degraded() -> None:
    state = state_of(probes("gggsgsg"))
    assert state.state == "degraded"
    assert state.reason == "slow: 2 of 5 answers over 2 s, slowest 2,500 ms"
    assert "2 of 5 answers over 2 s" in state.evidence


def test_slow_answers_within_the_latency_target_are_up() -> None:
    # 2 slow of 300 answers in 5 minutes: 99.3% under 2 s meets 99%
    frame = probes("g" * 150 + "s" + "g" * 148 + "s", every_s=1)
    assert state_of(frame).state == "up"


def test_no_probe_for_fifteen_minutes_is_no_data_since_the_last_one() -> None:
    frame = probes("ggg")
    state = states.region_state("eastus2", frame, T0 + timedelta(minutes=20), SLO)
    assert (state.state, state.since) == ("no data", T0 + timedelta(minutes=2))
    assert state.reason == "no probe since 12:02:00 UTC"


def test_no_probes_at_all_is_no_data() -> None:
    state = states.region_state("eastus2", probes("g").iloc[0:0], T0, SLO)
    assert (state.state, state.since, state.reason) == ("no data", None, "no probes in this range")


def test_since_is_a_lower_bound_when_the_state_held_through_the_whole_look_back() -> None:
    assert state_of(probes("gggg"), first_ts=T0 - timedelta(days=1)).since_before
    assert not state_of(probes("gggg"), first_ts=T0).since_before


def test_region_states_keep_the_given_order_and_name_regions_without_probes() -> None:
    recent = probes("gggggffffff")
    overview = pd.DataFrame([{"region": "eastus2", "first_ts": T0, "last_bad_ts": pd.NaT}])
    found = states.region_states(["failover", "eastus2"], recent, overview, T0 + timedelta(minutes=11), SLO)
    assert [(s.region, s.state) for s in found] == [("failover", "no data"), ("eastus2", "down")]


@pytest.mark.parametrize(
    ("error", "short"),
    [
        (E503, "Service unavailable"),
        ("InternalServerError: Error code: 500 - upstream reset", "upstream reset"),
        ("APIConnectionError: Connection error.", "Connection error."),
        ("ReadTimeout", "ReadTimeout"),
        ("x" * 200, "x" * 67 + "..."),
        (None, ""),
    ],
)
def test_short_error_keeps_the_message_azure_sent(error: str | None, short: str) -> None:
    assert states.short_error(error) == short
