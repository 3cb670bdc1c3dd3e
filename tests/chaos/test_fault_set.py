"""The fault wrapper and set as plain objects, with an injected clock: scope, expiry, odds."""

from __future__ import annotations

import asyncio

import pytest
from aoai_watch.chaos.faults import REGISTRY, FaultParamError, FaultSet, Reply, RequestContext


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def test_expiry_scope_and_stage() -> None:
    clock = Clock()
    faults = FaultSet(clock, seed=3)
    faults.add("http_error", "eastus2", {"status": 500}, deployment="gpt-4o", duration_s=10)
    faults.add("rbac_propagation", "eastus2", {"seconds": 5})
    assert [f.fault.name for f in faults.firing("eastus2", "gpt-4o", "before_auth")] == ["http_error"]
    assert faults.firing("eastus2", "gpt-4o-mini", "before_auth") == []
    assert faults.firing("swedencentral", "gpt-4o", "before_auth") == []
    assert [f.fault.name for f in faults.firing("eastus2", None, "after_auth")] == ["rbac_propagation"]
    clock.now += 5
    assert faults.firing("eastus2", None, "after_auth") == []  # `seconds` was its duration
    clock.now += 5
    assert faults.firing("eastus2", "gpt-4o", "before_auth") == []
    assert faults.active() == []


def test_probability_is_deterministic_when_seeded() -> None:
    def pattern() -> list[bool]:
        faults = FaultSet(Clock(), seed=42)
        faults.add("reset", "eastus2", probability=0.3)
        return [bool(faults.firing("eastus2", None, "before_auth")) for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 30 <= sum(first) <= 90


def test_every_registered_fault_validates_unknown_params() -> None:
    faults = FaultSet(Clock())
    for kind in REGISTRY:
        with pytest.raises(FaultParamError, match="unknown params"):
            faults.add(kind, "eastus2", {"no_such_param": 1, "ms": 1, "seconds": 1, "period_s": 1})


def test_rate_limit_honest_default_uses_time_left() -> None:
    clock = Clock()
    faults = FaultSet(clock)
    active = faults.add("rate_limit", "eastus2", duration_s=30)
    clock.now += 12.5

    async def sleep(_: float) -> None:
        return None

    ctx = RequestContext("eastus2", "gpt-4o", "gpt-4o", "/openai/v1/chat/completions", "rid", clock.now, sleep)
    reply = asyncio.run(active.fault.intercept(ctx, active))
    assert isinstance(reply, Reply) and reply.status == 429
    assert reply.headers["retry-after"] == "18"  # ceil(17.5)


def test_latency_fault_sleeps_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    faults = FaultSet(Clock())
    active = faults.add("latency", "eastus2", {"ms": 1500})
    ctx = RequestContext("eastus2", None, None, "/", "rid", 0.0, sleep)
    assert asyncio.run(active.fault.intercept(ctx, active)) is None
    assert slept == [1.5]
