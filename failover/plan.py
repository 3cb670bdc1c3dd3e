"""Where a call goes next: the decision table of docs/design.md as one pure object per call.

`CallPlan.next_step()` picks the next region (or a wait, or giving up), `hedge_step()` a second
region for a hedged attempt, and `record_*()` tells it
what happened. It owns no I/O and no sleeping, so the sync and async clients share it and tests
drive it with an injected clock.

Order of choice for each attempt:
1. a region this call has not tried, by priority, whose breaker lets a call through now;
2. a region that failed in a way worth retrying (5xx, timeout, connection), after exponential
   backoff with full jitter: only when no untried region can take the call;
3. when every breaker is open: wait for the earliest to allow a trial, if that fits the deadline;
4. otherwise give up with `AllRegionsFailed`.
A 400/422 is raised at once; 401/403/404 mark the region misconfigured and it is not tried again
in this call; a 429 opens the region's breaker for its Retry-After (capped) and moves on at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import events as ev
from .classify import FAULTY, MISCONFIGURED, RAISE, STATE_LOST, THROTTLED, Failure
from .errors import AllRegionsFailed, RegionFailure
from .options import FailoverOptions
from .outcomes import Outcome

if TYPE_CHECKING:
    from .router import RegionRuntime

__all__ = ["CallPlan", "Step"]


@dataclass
class Step:
    """Send the next attempt to `region` after waiting `wait_s` (0: at once)."""

    region: RegionRuntime
    wait_s: float
    acquired: bool  # breaker permission already taken (else take it after the wait)


@dataclass
class _Tried:
    failure: Failure
    attempts: int = 1


@dataclass
class CallPlan:
    model: str
    regions: Sequence[RegionRuntime]  # those that deploy the model, by priority (preferred first)
    options: FailoverOptions
    clock: Callable[[], float]
    rng: random.Random
    started: float = 0.0
    tried: dict[str, _Tried] = field(default_factory=dict)
    attempts: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def deadline(self) -> float:
        return self.started + self.options.deadline_s

    def remaining_s(self) -> float:
        return max(0.0, self.deadline - self.clock())

    def next_step(self) -> Step:
        """The next attempt, or raise AllRegionsFailed."""
        now = self.clock()
        if now >= self.deadline:
            raise self.give_up()
        # 1. untried regions, by priority
        for region in self._untried():
            if region.breaker.acquire():
                return Step(region, 0.0, acquired=True)
        # 2. retry a region whose failure is worth retrying, after backoff
        retryable = [
            r
            for r in self.regions
            if r.usable
            and r.name in self.tried
            and self.tried[r.name].failure.effect == FAULTY
            and r.breaker.available()
        ]
        if retryable:
            region = retryable[0]
            wait = self._backoff(self.tried[region.name].attempts)
            if now + wait < self.deadline:
                return Step(region, wait, acquired=False)
        # 3. wait for the earliest breaker to allow a trial, when that fits the deadline
        waitable = [r for r in self.regions if r.usable and not self._misconfigured_here(r)]
        if waitable:
            region = min(waitable, key=lambda r: r.breaker.ready_at())
            ready = region.breaker.ready_at()
            if ready < self.deadline and (ready > now or region.breaker.available()):
                return Step(region, max(0.0, ready - now), acquired=False)
        raise self.give_up()

    def hedge_step(self, exclude: Collection[str]) -> Step | None:
        """For a hedge: the first untried region outside `exclude` whose breaker would let a call
        through now, without taking its permit (the caller acquires it); None when there is none.
        Raises AllRegionsFailed past the deadline."""
        if self.clock() >= self.deadline:
            raise self.give_up()
        for region in self._untried(exclude):
            if region.breaker.available():
                return Step(region, 0.0, acquired=False)
        return None

    def _untried(self, exclude: Collection[str] = ()) -> Iterator[RegionRuntime]:
        """Usable regions this call has not tried, by priority."""
        return (r for r in self.regions if r.usable and r.name not in self.tried and r.name not in exclude)

    def _misconfigured_here(self, region: RegionRuntime) -> bool:
        tried = self.tried.get(region.name)
        return tried is not None and tried.failure.effect in (MISCONFIGURED, RAISE)

    def _backoff(self, attempts_on_region: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(n-1))]."""
        ceiling = min(self.options.backoff_max_s, self.options.backoff_base_s * (2 ** (attempts_on_region - 1)))
        return self.rng.uniform(0.0, ceiling)

    def record_success(self, region: RegionRuntime) -> None:
        region.record_success()

    def record_failure(self, region: RegionRuntime, failure: Failure, replay_possible: bool = False) -> str:
        """Note a failed attempt; return the decision (events.RAISE, FAIL_OVER, RETRY or REPLAY)."""
        previous = self.tried.get(region.name)
        if previous is None:
            self.tried[region.name] = _Tried(failure)
        else:
            previous.failure = failure
            previous.attempts += 1
        if failure.effect == RAISE:
            region.breaker.release()
            return ev.RAISE
        if failure.effect == STATE_LOST:
            region.breaker.release()  # the region answered: it is healthy, only the state is gone
            if replay_possible:
                del self.tried[region.name]  # the replay goes to the same region, as a fresh attempt
                return ev.REPLAY
            return ev.RAISE
        if failure.effect == THROTTLED:
            wait = failure.retry_after_s if failure.retry_after_s is not None else self.options.backoff_max_s
            region.record_failure(failure, open_for_s=min(wait, self.options.max_retry_after_s))
        elif failure.effect == MISCONFIGURED:
            region.record_failure(failure, open_for_s=self.options.breaker_open_s, misconfigured=True)
        else:
            region.record_failure(failure)
        others = [r for r in self.regions if r is not region and r.usable and r.name not in self.tried]
        return ev.FAIL_OVER if others else ev.RETRY

    def give_up(self) -> AllRegionsFailed:
        failures = {}
        for region in self.regions:
            tried = self.tried.get(region.name)
            retry_in = region.breaker.snapshot().retry_in_s
            if not region.usable:
                failures[region.name] = RegionFailure(
                    region.name, Outcome.AUTH_ERROR, region.unusable_reason or "", 0.0
                )
            elif tried is not None:
                failures[region.name] = RegionFailure(
                    region.name, tried.failure.outcome, tried.failure.summary, retry_in
                )
            else:
                reason = region.breaker.reason or "breaker open"
                failures[region.name] = RegionFailure(region.name, None, f"not tried: {reason}", retry_in)
        return AllRegionsFailed(self.model, failures, self.clock() - self.started)
