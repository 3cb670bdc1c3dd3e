"""Provisioned (PTU) deployments first, over real sockets against the simulator, sync and async: a
PTU 429 with `retry-after-ms: 50` is served at once by the same region's standard deployment, only
that PTU's breaker opens, for its 50 ms, and a call after them goes to the PTU again. The
simulator's `gpt-4o-mini` deployment stands in for the PTU: its answers say which one served."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AsyncFailoverClient, BreakerEvent, FailoverClient, RegionConfig

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder

PTU, PAYGO = "gpt-4o-mini", "gpt-4o"
SERVED_BY = {"gpt-4o-mini-2024-07-18": PTU, "gpt-4o-2024-08-06": PAYGO}
MARGIN_S = 0.5  # ten times the Retry-After: generous for a loaded machine


def tiered(sim: SimulatorThread) -> list[RegionConfig]:
    return [
        RegionConfig("eastus2", sim.urls["eastus2"], 1, "api-key", "SIM_KEY", {"gpt-4o": PAYGO}, {"gpt-4o": PTU}),
        RegionConfig("swedencentral", sim.urls["swedencentral"], 2, "api-key", "SIM_KEY", {"gpt-4o": PAYGO}),
    ]


def _ask_twice(mode: str, sim: SimulatorThread, rec: Recorder, slept: list[float]) -> tuple[Any, Any, Any]:
    """One call while the PTU throttles, its breaker states, and one call after the Retry-After."""
    options: dict[str, Any] = {"environ": {"SIM_KEY": KEY}, "on_event": rec, "breaker_open_s": 30}
    if mode == "sync":
        with FailoverClient(tiered(sim), sleep=slept.append, **options) as client:
            first = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            states = client.breaker_states()
            sim.reset()
            time.sleep(MARGIN_S)
            return first, states, client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    async def record(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> tuple[Any, Any, Any]:
        async with AsyncFailoverClient(tiered(sim), sleep=record, **options) as client:
            first = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            states = client.breaker_states()
            sim.reset()
            await asyncio.sleep(MARGIN_S)
            return first, states, await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_ptu_429_spills_to_the_standard_deployment_at_once_and_the_ptu_is_back_after_its_retry_after(
    sim: SimulatorThread, mode: str
) -> None:
    sim.add_fault("rate_limit", "eastus2", {"retry_after_ms": 50, "retry_after_s": 10}, deployment=PTU)
    rec = Recorder()
    slept: list[float] = []
    first, states, later = _ask_twice(mode, sim, rec, slept)
    assert SERVED_BY[first.model] == PAYGO
    assert slept == []  # no backoff, no wait before the standard deployment
    attempts = [(a.region, a.tier, a.deployment, a.outcome, a.decision) for a in rec.attempts]
    assert attempts[:2] == [
        ("eastus2", "provisioned", PTU, "rate_limited", "fail_over"),
        ("eastus2", "standard", PAYGO, "ok", "return"),
    ]
    ptu = states["eastus2/gpt-4o-mini"]
    assert (ptu.state, ptu.tier, ptu.deployment) == ("open", "provisioned", PTU)
    assert 0 < ptu.retry_in_s <= 0.05  # its Retry-After, not breaker_open_s (30) nor retry-after (10)
    standard = states["eastus2"]
    assert (standard.state, standard.tier, standard.deployment) == ("closed", "standard", None)
    opened = [e for e in rec.events if isinstance(e, BreakerEvent) and e.new_state == "open"]
    assert [(e.region, e.tier, e.deployment) for e in opened] == [("eastus2", "provisioned", PTU)]
    assert opened[0].open_for_s <= 0.05
    # after its 50 ms the PTU serves again
    assert SERVED_BY[later.model] == PTU
    assert attempts[2:] == [("eastus2", "provisioned", PTU, "ok", "return")]
