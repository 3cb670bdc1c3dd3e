"""A clock that moves only when the test moves it, for logic that takes `clock=` (and `sleep=`)."""

from __future__ import annotations


class ManualClock:
    """`clock()` reads the time; `clock.now += s`, `advance(s)` or `sleep(s)` move it. Pass `sleep`
    as a sync client's `sleep=` (or `async_sleep` as an async one's): a backoff then costs no real time."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
