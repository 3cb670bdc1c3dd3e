"""The circuit breaker with an injected clock: consecutive failures, the failure ratio, Retry-After,
half-open with a single trial."""

from __future__ import annotations

from aoai_watch.failover.breaker import CLOSED, HALF_OPEN, OPEN, Breaker

from tests.clock import ManualClock


def breaker(clock: ManualClock, **kw: float) -> Breaker:
    args = {"failures": 3, "open_s": 30, "failure_ratio": 0.5, "window_s": 60, "min_calls": 10, **kw}
    return Breaker(clock=clock, **args)  # type: ignore[arg-type]


def test_breaker_opens_half_opens_with_one_trial_and_closes() -> None:
    clock = ManualClock()
    changes: list[tuple[str, str]] = []
    b = Breaker(3, 30, 0.5, 60, 10, clock, on_change=lambda old, new, *_: changes.append((old, new)))
    for _ in range(2):
        b.record_failure("x")
    assert b.state == CLOSED and b.available()
    b.record_failure("x")
    assert b.state == OPEN and not b.acquire() and b.snapshot().retry_in_s == 30
    clock.now += 30
    assert b.state == HALF_OPEN
    assert b.acquire() and not b.acquire()  # a single trial
    b.record_failure("again")
    assert b.state == OPEN
    clock.now += 30
    assert b.acquire()
    b.record_success()
    assert b.state == CLOSED and b.snapshot().consecutive_failures == 0
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_breaker_ratio_and_retry_after() -> None:
    clock = ManualClock()
    b = breaker(clock, failures=100)
    for i in range(10):
        if i % 2:
            b.record_success()
        else:
            b.record_failure("x")
    assert b.state == CLOSED  # 5 of 10 failed, but never 3 in a row; the ratio is checked on failures
    b.record_failure("x")
    assert b.state == OPEN  # 6 of 11 >= 0.5
    clock.now += 31
    b2 = breaker(clock)
    b2.record_failure("429", open_for_s=4)
    assert b2.state == OPEN and b2.snapshot().retry_in_s == 4
    clock.now += 4
    assert b2.state == HALF_OPEN


def test_an_open_breaker_keeps_the_later_reopen_time_in_either_order() -> None:
    clock = ManualClock()
    longer_first = breaker(clock)
    longer_first.record_failure("429", open_for_s=20)
    longer_first.record_failure("429", open_for_s=5)  # a shorter Retry-After never shortens it
    assert longer_first.state == OPEN and longer_first.snapshot().retry_in_s == 20
    shorter_first = breaker(clock)
    shorter_first.record_failure("429", open_for_s=5)
    clock.now += 1
    shorter_first.record_failure("429", open_for_s=20)  # a longer one extends it
    assert shorter_first.snapshot().retry_in_s == 20
    clock.now += 19.9
    assert shorter_first.state == OPEN and longer_first.state == HALF_OPEN  # 21 s after the first opened
    clock.now += 0.1
    assert shorter_first.state == HALF_OPEN
