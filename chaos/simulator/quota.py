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


class QuotaTracker:
    """Counters for one deployment. `tpm`/`rpm` of 0 disable that limit.

    Two fixed windows aligned to the clock's grid (so every deployment's minute ends on the same
    tick): the minute, which holds the token charge and the requests the headers count per minute,
    and the RPM window (1 or 10 s). Plain attributes, no window objects: `admit` runs on every
    request (bench/simulator)."""

    __slots__ = (
        "_clock",
        "_minute_requests",
        "_minute_start",
        "_minute_tokens",
        "_window_requests",
        "_window_s",
        "_window_start",
        "requests_per_window",
        "rpm",
        "tpm",
    )

    def __init__(self, tpm: int, rpm: int, rpm_window_s: int = 10, clock: Callable[[], float] | None = None) -> None:
        if rpm_window_s not in (1, 10):
            raise ValueError("rpm_window_s must be 1 or 10 (the windows Azure enforces RPM over)")
        import time

        self.tpm = tpm
        self.rpm = rpm
        self.requests_per_window = max(1, math.floor(rpm * rpm_window_s / 60)) if rpm else 0
        self._clock = clock or time.monotonic
        self._minute_start = -math.inf
        self._minute_tokens = 0
        self._minute_requests = 0  # for the remaining-requests header, which speaks per minute
        self._window_s = float(rpm_window_s)
        self._window_start = -math.inf
        self._window_requests = 0

    def admit(self, estimated_tokens: int) -> Admission:
        """Charge one request estimated at `estimated_tokens`, or refuse it without charging."""
        now = self._clock()
        if now - self._minute_start >= 60.0:
            self._minute_start = now - now % 60.0
            self._minute_tokens = self._minute_requests = 0
        window_s = self._window_s
        if now - self._window_start >= window_s:
            self._window_start = now - now % window_s
            self._window_requests = 0
        if self.requests_per_window and self._window_requests >= self.requests_per_window:
            left_s = self._window_start + window_s - now
            return self._refusal(left_s, "requests")
        tokens = self._minute_tokens + estimated_tokens
        if self.tpm and tokens > self.tpm:
            return self._refusal(self._minute_start + 60.0 - now, "tokens")
        self._minute_tokens = tokens
        self._window_requests += 1
        requests = self._minute_requests = self._minute_requests + 1
        rpm, tpm = self.rpm, self.tpm
        return _admitted(
            (
                True,
                (rpm - requests if rpm > requests else 0) if rpm else -1,
                (tpm - tokens if tpm > tokens else 0) if tpm else -1,
                0.0,
                None,
            )
        )

    def _refusal(self, left_s: float, limit: str) -> Admission:
        remaining_requests = max(0, self.rpm - self._minute_requests) if self.rpm else -1
        remaining_tokens = max(0, self.tpm - self._minute_tokens) if self.tpm else -1
        return Admission(False, remaining_requests, remaining_tokens, max(0.0, left_s), limit)


# an Admission built by tuple.__new__ in C, without the Python frame Admission(...) and _make run
_admitted = functools.partial(tuple.__new__, Admission)
