"""Provisioned-throughput (PTU) admission: utilization as a leaky bucket, as Azure documents it.

Azure's rule for provisioned deployments (docs/wire-notes.md, section 3b): while utilization is
over 100% every request gets a 429 whose `retry-after-ms` is the time until it is below 100%;
otherwise the request is admitted and its estimate (prompt tokens + `max_tokens`, or the model's
default) is added at once; when it finishes the estimate is corrected to what it really used; and
utilization drains continuously at the deployment's capacity. Only the level *before* a request
decides, so one burst may end just over 100%.

The bucket here holds `window_s` seconds of capacity: `capacity_tpm * window_s / 60` tokens is
100%. Traffic at exactly the capacity keeps the level where it is; a burst fills it within a few
seconds and it empties in at most `window_s` seconds once the burst stops. The clock is injected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Utilization(NamedTuple):
    """The verdict for one request: admitted or not, the utilization it leaves (percent), and
    for a refusal the seconds until utilization is below 100% again."""

    admitted: bool
    utilization_pct: float
    retry_after_s: float = 0.0


class UtilizationMeter:
    """One PTU deployment's utilization: `capacity_tpm` tokens per minute, a burst of `window_s` s."""

    __slots__ = ("_clock", "_level_tokens", "_updated", "drain_per_s", "full_tokens")

    def __init__(self, capacity_tpm: int, window_s: float, clock: Callable[[], float]) -> None:
        if capacity_tpm <= 0 or window_s <= 0:
            raise ValueError("a provisioned deployment needs capacity_tpm > 0 and window_s > 0")
        self.drain_per_s = capacity_tpm / 60.0
        self.full_tokens = self.drain_per_s * window_s  # 100% utilization
        self._clock = clock
        self._level_tokens = 0.0
        self._updated = clock()

    def _drain(self) -> float:
        now = self._clock()
        level = self._level_tokens - (now - self._updated) * self.drain_per_s
        self._level_tokens = level if level > 0.0 else 0.0
        self._updated = now
        return self._level_tokens

    def utilization_pct(self) -> float:
        return 100.0 * self._drain() / self.full_tokens

    def admit(self, estimated_tokens: int) -> Utilization:
        """Charge a request estimated at `estimated_tokens`, or refuse it (charging nothing) while
        utilization is over 100%."""
        level = self._drain()
        if level > self.full_tokens:
            return Utilization(False, 100.0 * level / self.full_tokens, (level - self.full_tokens) / self.drain_per_s)
        self._level_tokens = level + estimated_tokens
        return Utilization(True, 100.0 * self._level_tokens / self.full_tokens)

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Correct an admitted request's charge once its real size is known (Azure adds the
        difference when it used more, subtracts it when it used less)."""
        level = self._drain() + actual_tokens - estimated_tokens
        self._level_tokens = level if level > 0.0 else 0.0


def header_value(utilization_pct: float) -> bytes:
    """`azure-openai-deployment-utilization` as Azure writes it: a number and a percent sign."""
    return b"%.1f%%" % utilization_pct
