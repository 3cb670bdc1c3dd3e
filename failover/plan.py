"""Where a call goes next: the decision table of docs/design.md as one pure object per call.

`CallPlan.next_step()` picks the next target (a region's provisioned or standard deployment, see
router.Target), or a wait, or giving up; `hedge_step()` a target in another region for a hedged
attempt, and `record_*()` tells it what happened. It owns no I/O and no sleeping, so the sync and
async clients share it and tests drive it with an injected clock.

Order of choice for each attempt:
1. a target this call has not tried, in order (the preferred region's provisioned deployment,
   its standard one, then the next region's, by priority), whose breaker lets a call through now;
2. a target that failed in a way worth retrying (5xx, timeout, connection), after exponential
   backoff with full jitter: only when no untried target can take the call;
3. when every breaker is open: wait for the earliest to allow a trial, if that fits the deadline;
4. otherwise give up with `AllRegionsFailed`.
A 400/422 is raised at once; 401/403/404 mark the target misconfigured and it is not tried again
in this call; a 429 opens the target's breaker for its Retry-After (capped) and moves on at once:
from a PTU deployment, normally to the same region's standard one, and only that PTU's breaker
opens, for exactly its Retry-After. A connection failure, a timeout or a stall (no HTTP status:
the host itself failed) and a 401/403 (the region's credential) also skip the region's other
deployments for the rest of the call: the same host is not paid for twice. A 5xx, 429 or 404 on
one deployment lets the region's next deployment be tried.
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
    from .router import Target

_NO_ANSWER = frozenset({Outcome.TIMEOUT, Outcome.CONNECT_ERROR})


def _region_wide(failure: Failure) -> bool:
    """The host itself failed (no HTTP answer: refused, reset, timed out, stalled) or the region's
    credential did: its other deployments would fail the same way, so the call skips them."""
    return (failure.outcome in _NO_ANSWER and failure.status is None) or failure.outcome is Outcome.AUTH_ERROR


__all__ = ["CallPlan", "Step"]


@dataclass
class Step:
    """Send the next attempt to `target` after waiting `wait_s` (0: at once)."""

    target: Target
    wait_s: float
    acquired: bool  # breaker permission already taken (else take it after the wait)


@dataclass
class _Tried:
    failure: Failure
    attempts: int = 1


@dataclass
class CallPlan:
    model: str
    targets: Sequence[Target]  # every deployment of the model, in attempt order (router.targets_for)
    options: FailoverOptions
    clock: Callable[[], float]
    rng: random.Random
    started: float = 0.0
    tried: dict[str, _Tried] = field(default_factory=dict)  # by Target.key
    skipped_regions: set[str] = field(default_factory=set)  # host or credential failed: not again
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
        # 1. untried targets, in order
        for target in self._untried():
            if target.breaker.acquire():
                return Step(target, 0.0, acquired=True)
        # 2. retry a target whose failure is worth retrying, after backoff
        retryable = [
            t
            for t in self.targets
            if t.region.usable
            and t.key in self.tried
            and self.tried[t.key].failure.effect == FAULTY
            and t.breaker.available()
        ]
        if retryable:
            target = retryable[0]
            wait = self._backoff(self.tried[target.key].attempts)
            if now + wait < self.deadline:
                return Step(target, wait, acquired=False)
        # 3. wait for the earliest breaker to allow a trial, when that fits the deadline
        waitable = [t for t in self.targets if self._may_wait_for(t)]
        if waitable:
            target = min(waitable, key=lambda t: t.breaker.ready_at())
            ready = target.breaker.ready_at()
            if ready < self.deadline and (ready > now or target.breaker.available()):
                return Step(target, max(0.0, ready - now), acquired=False)
        raise self.give_up()

    def hedge_step(self, exclude: Collection[str]) -> Step | None:
        """For a hedge: the first untried target in a region outside `exclude` (region names) whose
        breaker would let a call through now, without taking its permit (the caller acquires it);
        None when there is none. Raises AllRegionsFailed past the deadline."""
        if self.clock() >= self.deadline:
            raise self.give_up()
        for target in self._untried(exclude):
            if target.breaker.available():
                return Step(target, 0.0, acquired=False)
        return None

    def _untried(self, exclude: Collection[str] = ()) -> Iterator[Target]:
        """Usable targets this call has not tried, in order, outside skipped or excluded regions."""
        return (
            t
            for t in self.targets
            if t.region.usable
            and t.key not in self.tried
            and t.region.name not in self.skipped_regions
            and t.region.name not in exclude
        )

    def _may_wait_for(self, target: Target) -> bool:
        if not target.region.usable:
            return False
        tried = self.tried.get(target.key)
        if tried is None:  # never tried: only if its region was not skipped
            return target.region.name not in self.skipped_regions
        return tried.failure.effect not in (MISCONFIGURED, RAISE)

    def _backoff(self, attempts_on_target: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(n-1))]."""
        ceiling = min(self.options.backoff_max_s, self.options.backoff_base_s * (2 ** (attempts_on_target - 1)))
        return self.rng.uniform(0.0, ceiling)

    def record_success(self, target: Target) -> None:
        target.record_success()

    def record_failure(self, target: Target, failure: Failure, replay_possible: bool = False) -> str:
        """Note a failed attempt; return the decision (events.RAISE, FAIL_OVER, RETRY or REPLAY)."""
        previous = self.tried.get(target.key)
        if previous is None:
            self.tried[target.key] = _Tried(failure)
        else:
            previous.failure = failure
            previous.attempts += 1
        if failure.effect == RAISE:
            target.breaker.release()
            return ev.RAISE
        if failure.effect == STATE_LOST:
            target.breaker.release()  # the region answered: it is healthy, only the state is gone
            if replay_possible:
                del self.tried[target.key]  # the replay goes to the same target, as a fresh attempt
                return ev.REPLAY
            return ev.RAISE
        if failure.effect == THROTTLED:
            # exactly the Retry-After (capped), for this target's breaker alone: a PTU's 429 keeps
            # that deployment out for its milliseconds, not for breaker_open_s
            wait = failure.retry_after_s if failure.retry_after_s is not None else self.options.backoff_max_s
            target.record_failure(failure, open_for_s=min(wait, self.options.max_retry_after_s))
        elif failure.effect == MISCONFIGURED:
            target.record_failure(failure, open_for_s=self.options.breaker_open_s, misconfigured=True)
        else:
            target.record_failure(failure)
        if _region_wide(failure):
            self.skipped_regions.add(target.region.name)
        others = any(True for _ in self._untried())
        return ev.FAIL_OVER if others else ev.RETRY

    def give_up(self) -> AllRegionsFailed:
        """Each target's last failure, by Target.key (a region's name for its standard one)."""
        failures = {}
        for target in self.targets:
            region = target.region
            tried = self.tried.get(target.key)
            retry_in = target.breaker.snapshot().retry_in_s
            if not region.usable:
                failures[target.key] = RegionFailure(region.name, Outcome.AUTH_ERROR, region.unusable_reason or "", 0.0)
            elif tried is not None:
                failures[target.key] = RegionFailure(
                    region.name, tried.failure.outcome, tried.failure.summary, retry_in
                )
            else:
                reason = target.breaker.reason or "breaker open"
                if region.name in self.skipped_regions:
                    reason = "its region failed earlier in this call"
                failures[target.key] = RegionFailure(region.name, None, f"not tried: {reason}", retry_in)
        return AllRegionsFailed(self.model, failures, self.clock() - self.started)
