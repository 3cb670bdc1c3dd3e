"""Quota arithmetic with an injected clock: TPM charged with the estimate, RPM over 1 s / 10 s."""

from __future__ import annotations

import pytest
from aoai_watch.chaos.simulator.quota import QuotaTracker


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_tokens_are_charged_by_estimate_and_reset_each_minute() -> None:
    clock = Clock(1200.0)  # a minute boundary
    quota = QuotaTracker(tpm=1000, rpm=0, clock=clock)
    assert quota.admit(600).admitted
    refused = quota.admit(500)  # 1100 > 1000: refused although nothing was billed yet
    assert not refused.admitted and refused.limit == "tokens"
    assert refused.retry_after_s == pytest.approx(60.0)
    assert refused.remaining_tokens == 400
    clock.now += 45
    assert quota.admit(400).admitted and quota.admit(1).admitted is False
    assert quota.admit(1).retry_after_s == pytest.approx(15.0)
    clock.now += 15  # next minute
    assert quota.admit(1000).admitted


def test_rpm_enforced_over_one_second_window() -> None:
    clock = Clock(500.0)
    quota = QuotaTracker(tpm=0, rpm=600, rpm_window_s=1, clock=clock)
    assert all(quota.admit(1).admitted for _ in range(10))
    refused = quota.admit(1)
    assert not refused.admitted and refused.limit == "requests"
    assert refused.remaining_requests == 590  # headers speak per minute
    clock.now += 1.0
    assert quota.admit(1).admitted


def test_rpm_over_ten_second_window_allows_bursts() -> None:
    clock = Clock(100.0)
    quota = QuotaTracker(tpm=0, rpm=60, rpm_window_s=10, clock=clock)
    assert all(quota.admit(1).admitted for _ in range(10))  # a burst of 10 in one instant
    refused = quota.admit(1)
    assert not refused.admitted and refused.retry_after_s == pytest.approx(10.0)


def test_refused_requests_are_not_charged_and_zero_means_unlimited() -> None:
    clock = Clock(0.0)
    quota = QuotaTracker(tpm=100, rpm=0, clock=clock)
    for _ in range(5):
        assert not quota.admit(101).admitted
    assert quota.admit(100).admitted
    unlimited = QuotaTracker(tpm=0, rpm=0, clock=clock)
    result = unlimited.admit(10**9)
    assert result.admitted and result.remaining_tokens == -1 and result.remaining_requests == -1


def test_bad_window_is_refused() -> None:
    with pytest.raises(ValueError, match="1 or 10"):
        QuotaTracker(1, 1, rpm_window_s=5)


def test_simulator_sends_429_with_retry_after_when_quota_runs_out() -> None:
    import openai
    from aoai_watch.chaos.simulator import SimulatorThread, default_region

    from tests.conftest import KEY, chat

    with SimulatorThread([default_region("eastus2", KEY, latency_scale=0, tpm=0, rpm=60)]) as sim:
        client = openai.OpenAI(base_url=sim.base_url("eastus2"), api_key=KEY, max_retries=0)
        for _ in range(10):
            chat(client)
        with pytest.raises(openai.RateLimitError) as err:
            chat(client)
    headers = err.value.response.headers
    assert 1 <= int(headers["retry-after"]) <= 10 and int(headers["retry-after-ms"]) <= 10_000
    assert "exceeded call rate limit" in err.value.body["message"]
    assert headers["x-ratelimit-remaining-requests"] == "50"
