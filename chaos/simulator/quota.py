"""Azure's quota arithmetic for one deployment: TPM over a one-minute window, RPM over 1 s/10 s.

For each request Azure adds an *estimate* (prompt tokens + `max_tokens`) to a token counter that
resets every minute, so 429s arrive before billed usage reaches the quota; requests per minute are
enforced over a 1 s or 10 s window (600 RPM = 10 requests in any one second). TPM and RPM are
independent settings.

Fixed windows with plain counters: each request costs O(1) however many requests the window holds
(bench/simulator shows the rate stays flat over a full minute). The clock is injected.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple


class Admission(NamedTuple):
    """The verdict for one request. `limit` says which counter refused it ("tokens" or "requests").
    A NamedTuple, not a frozen dataclass: one is made per request, and a frozen dataclass's
    __init__ costs ~1 us (bench/simulator)."""

    admitted: bool
    remaining_requests: int
    remaining_tokens: int
    retry_after_s: float = 0.0
    limit: str | None = None


class _Window:
    __slots__ = ("length_s", "start", "used")

    def __init__(self, length_s: float) -> None:
        self.length_s = length_s
        self.start = -math.inf
        self.used = 0

    def roll(self, now: float) -> None:
        """Start the window that holds `now`, aligned to the window grid (so every deployment's
        minute ends on the same tick)."""
        self.start = now - (now % self.length_s)
        self.used = 0

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.start + self.length_s - now)


class QuotaTracker:
    """Counters for one deployment. `tpm`/`rpm` of 0 disable that limit."""

    def __init__(self, tpm: int, rpm: int, rpm_window_s: int = 10, clock: Callable[[], float] | None = None) -> None:
        if rpm_window_s not in (1, 10):
            raise ValueError("rpm_window_s must be 1 or 10 (the windows Azure enforces RPM over)")
        import time

        self.tpm = tpm
        self.rpm = rpm
        self.requests_per_window = max(1, math.floor(rpm * rpm_window_s / 60)) if rpm else 0
        self._clock = clock or time.monotonic
        self._tokens = _Window(60.0)
        self._requests = _Window(float(rpm_window_s))
        self._minute_requests = _Window(60.0)  # for the remaining-requests header, which speaks per minute

    def admit(self, estimated_tokens: int) -> Admission:
        """Charge one request estimated at `estimated_tokens`, or refuse it without charging."""
        now = self._clock()
        tokens, requests, minute = self._tokens, self._requests, self._minute_requests
        # written out, not looped over: this runs on every request (bench/simulator)
        if now - tokens.start >= tokens.length_s:
            tokens.roll(now)
        if now - requests.start >= requests.length_s:
            requests.roll(now)
        if now - minute.start >= minute.length_s:
            minute.roll(now)
        if self.requests_per_window and requests.used >= self.requests_per_window:
            return Admission(
                False, self._remaining_requests(), self._remaining_tokens(), requests.seconds_left(now), "requests"
            )
        if self.tpm and tokens.used + estimated_tokens > self.tpm:
            return Admission(
                False, self._remaining_requests(), self._remaining_tokens(), tokens.seconds_left(now), "tokens"
            )
        tokens.used += estimated_tokens
        requests.used += 1
        minute.used += 1
        rpm, tpm = self.rpm, self.tpm
        return _admitted(
            (
                True,
                (rpm - minute.used if rpm > minute.used else 0) if rpm else -1,
                (tpm - tokens.used if tpm > tokens.used else 0) if tpm else -1,
                0.0,
                None,
            )
        )

    def _remaining_requests(self) -> int:
        return max(0, self.rpm - self._minute_requests.used) if self.rpm else -1

    def _remaining_tokens(self) -> int:
        return max(0, self.tpm - self._tokens.used) if self.tpm else -1


# an Admission built by tuple.__new__ in C, without the Python frame Admission(...) and _make run
_admitted = functools.partial(tuple.__new__, Admission)
