"""A circuit breaker: closed, open, half-open with one trial request. Each region has one for its
standard deployments, and each provisioned (PTU) deployment one of its own (router.py).

It opens after `failures` consecutive failures, or when failures reach `failure_ratio` of the calls
in the last `window_s` (once the window holds `min_calls`), or at once for as long as a Retry-After
asks (capped). While open, asking costs nothing; after `open_s` one trial may go through: its
success closes the breaker, its failure opens it again. An open breaker told to open again keeps
the later of the two reopen times (a shorter Retry-After never shortens a longer one). The clock
is injected.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .config import STANDARD

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "Breaker", "BreakerState"]


@dataclass(frozen=True)
class BreakerState:
    """A breaker as seen now. `retry_in_s` is 0 unless it is open. `tier` is "provisioned" (one
    PTU deployment, named by `deployment`) or "standard" (all of a region's standard deployments:
    `deployment` None)."""

    state: str
    consecutive_failures: int
    retry_in_s: float
    reason: str | None
    tier: str = STANDARD
    deployment: str | None = None


class Breaker:
    def __init__(
        self,
        failures: int,
        open_s: float,
        failure_ratio: float,
        window_s: float,
        min_calls: int,
        clock: Callable[[], float],
        on_change: Callable[[str, str, str | None, float], None] | None = None,
        tier: str = STANDARD,
        deployment: str | None = None,
    ) -> None:
        self.tier, self.deployment = tier, deployment
        self.failures = failures
        self.open_s = open_s
        self.failure_ratio = failure_ratio
        self.window_s = window_s
        self.min_calls = min_calls
        self._clock = clock
        self._on_change = on_change
        self._state = CLOSED
        self._open_until = 0.0
        self._consecutive = 0
        self._trial_in_flight = False
        self._window: deque[tuple[float, bool]] = deque()
        self._window_failures = 0
        self.reason: str | None = None

    @property
    def state(self) -> str:
        if self._state == OPEN and self._clock() >= self._open_until:
            self._set(HALF_OPEN, self.reason)
        return self._state

    def snapshot(self) -> BreakerState:
        state = self.state
        retry_in = max(0.0, self._open_until - self._clock()) if state == OPEN else 0.0
        return BreakerState(state, self._consecutive, retry_in, self.reason, self.tier, self.deployment)

    def ready_at(self) -> float:
        """When a call may next be sent here (now, when closed or a trial is free)."""
        state = self.state
        if state == OPEN:
            return self._open_until
        return self._clock()

    def available(self) -> bool:
        """True when a call may be sent now (closed, or half-open with no trial in flight)."""
        state = self.state
        return state == CLOSED or (state == HALF_OPEN and not self._trial_in_flight)

    def acquire(self) -> bool:
        """Take permission for one attempt; in half-open this is the single trial."""
        if not self.available():
            return False
        if self._state == HALF_OPEN:
            self._trial_in_flight = True
        return True

    def release(self) -> None:
        """Give back a trial slot that was not used (the attempt never happened)."""
        self._trial_in_flight = False

    def record_success(self) -> None:
        self._trial_in_flight = False
        self._consecutive = 0
        self._note(ok=True)
        if self._state != CLOSED:
            self._set(CLOSED, None)

    def record_failure(self, reason: str, open_for_s: float | None = None) -> None:
        """Count a failure. `open_for_s` (a Retry-After, already capped) opens the breaker at once."""
        self._trial_in_flight = False
        self._consecutive += 1
        self._note(ok=False)
        if open_for_s is not None:
            self._open(open_for_s, reason)
        elif self._state == HALF_OPEN or self._consecutive >= self.failures or self._ratio_exceeded():
            self._open(self.open_s, reason)
        else:
            self.reason = reason

    def _open(self, seconds: float, reason: str) -> None:
        until = self._clock() + seconds
        if self._state == OPEN and until <= self._open_until:
            return  # already open for longer
        self._open_until = until
        self._set(OPEN, reason)

    def _note(self, ok: bool) -> None:
        now = self._clock()
        self._window.append((now, ok))
        if not ok:
            self._window_failures += 1
        while self._window and now - self._window[0][0] > self.window_s:
            _, old_ok = self._window.popleft()
            if not old_ok:
                self._window_failures -= 1

    def _ratio_exceeded(self) -> bool:
        calls = len(self._window)
        return calls >= self.min_calls and self._window_failures / calls >= self.failure_ratio

    def _set(self, state: str, reason: str | None) -> None:
        old, self._state, self.reason = self._state, state, reason
        if old != state and self._on_change is not None:
            self._on_change(old, state, reason, max(0.0, self._open_until - self._clock()) if state == OPEN else 0.0)
