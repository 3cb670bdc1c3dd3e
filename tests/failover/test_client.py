"""The failover client against the simulator over real sockets: every row of the decision table,
breakers, deadlines, events, async parity and hedging (streams: test_streams.py; Responses replay:
test_conversations.py)."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AllRegionsFailed, AsyncFailoverClient, BreakerEvent

from tests.clock import ManualClock
from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder, ask, make, regions


def test_healthy_primary_answers_with_its_deployment(sim: SimulatorThread) -> None:
    rec = Recorder()
    raw = ask(make(sim, rec))
    assert raw.headers["x-ms-region"] == "East US 2" and raw.parse().model == "gpt-4o-2024-08-06"
    assert rec.path() == [("eastus2", "ok", "return")]


def test_model_maps_to_each_regions_deployment(sim: SimulatorThread) -> None:
    # eastus2 has no such deployment (404 DeploymentNotFound); swedencentral maps gpt-4o to gpt-4o-mini
    rec = Recorder()
    client = make(sim, rec, deployments={"eastus2": {"gpt-4o": "my-gpt4"}, "swedencentral": {"gpt-4o": "gpt-4o-mini"}})
    assert ask(client).parse().model == "gpt-4o-mini-2024-07-18"
    assert rec.path() == [("eastus2", "not_found", "fail_over"), ("swedencentral", "ok", "return")]
    assert rec.attempts[0].deployment == "my-gpt4"
    assert client.breaker_states()["eastus2"].state == "open"  # misconfigured: kept away for breaker_open_s


@pytest.mark.parametrize("status, error", [(400, openai.BadRequestError), (422, openai.UnprocessableEntityError)])
def test_400_and_422_raise_at_once_without_trying_another_region(
    sim: SimulatorThread, status: int, error: type
) -> None:
    sim.add_fault("http_error", "eastus2", {"status": status})
    rec = Recorder()
    with pytest.raises(error):
        ask(make(sim, rec))
    assert rec.path() == [("eastus2", "bad_response", "raise")]


@pytest.mark.parametrize(
    "fault, params, outcome",
    [
        ("http_error", {"status": 401}, "auth_error"),
        ("http_error", {"status": 403}, "auth_error"),
        ("rbac_propagation", {"seconds": 30}, "auth_error"),
        ("http_error", {"status": 503}, "server_error"),
        ("http_error", {"status": 500}, "server_error"),
        ("http_error", {"status": 408}, "timeout"),
        ("refuse", {}, "connect_error"),
        ("reset", {}, "connect_error"),
        ("black_hole", {}, "timeout"),
    ],
)
def test_failures_another_region_can_fix_fail_over_at_once(
    sim: SimulatorThread, fault: str, params: dict, outcome: str
) -> None:
    sim.add_fault(fault, "eastus2", params)
    rec = Recorder()
    clock = ManualClock()
    started = time.monotonic()
    raw = ask(make(sim, rec, read_timeout_s=0.5, clock=clock, sleep=clock.sleep))
    assert raw.headers["x-ms-region"] == "Sweden Central"
    assert rec.path() == [("eastus2", outcome, "fail_over"), ("swedencentral", "ok", "return")]
    assert clock.slept == []  # no backoff before failing over
    assert time.monotonic() - started < 0.5 + 4.5  # at most one (real) read timeout; generous for a loaded machine
    if outcome == "auth_error":
        assert rec.attempts[0].status == 401 or rec.attempts[0].status == 403


def test_429_fails_over_at_once_and_opens_the_breaker_for_retry_after(sim: SimulatorThread) -> None:
    sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 20})
    rec = Recorder()
    clock = ManualClock()
    client = make(sim, rec, clock=clock, sleep=clock.sleep)
    assert ask(client).headers["x-ms-region"] == "Sweden Central"
    state = client.breaker_states()["eastus2"]
    assert state.state == "open" and 19 <= state.retry_in_s <= 20
    assert state.retry_in_s == 20  # no time passes on the injected clock
    assert ask(client).headers["x-ms-region"] == "Sweden Central"
    assert [a.region for a in rec.attempts] == ["eastus2", "swedencentral", "swedencentral"]  # open costs nothing
    opened = [e for e in rec.events if isinstance(e, BreakerEvent) and e.new_state == "open"]
    assert opened[0].region == "eastus2" and 19 <= opened[0].open_for_s <= 20
    assert opened[0].open_for_s == 20


def test_retry_after_ms_wins_and_huge_retry_after_is_capped(sim: SimulatorThread) -> None:
    sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 86400})
    clock = ManualClock()
    client = make(sim, max_retry_after_s=300, clock=clock, sleep=clock.sleep)
    ask(client)
    assert 299 <= client.breaker_states()["eastus2"].retry_in_s <= 300
    assert client.breaker_states()["eastus2"].retry_in_s == 300
    sim.reset()
    sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 60, "retry_after_ms": 1500})
    client = make(sim, clock=clock, sleep=clock.sleep)
    ask(client)
    assert client.breaker_states()["eastus2"].retry_in_s <= 1.5
    assert client.breaker_states()["eastus2"].retry_in_s == 1.5


def test_breaker_opens_after_consecutive_failures_then_half_opens_and_closes(sim: SimulatorThread) -> None:
    fault = sim.add_fault("http_error", "eastus2", {"status": 503})
    rec = Recorder()
    clock = ManualClock()
    client = make(sim, rec, breaker_failures=2, breaker_open_s=30, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        assert ask(client).headers["x-ms-region"] == "Sweden Central"
    assert client.breaker_states()["eastus2"].state == "open"
    ask(client)
    assert [a.region for a in rec.attempts[-1:]] == ["swedencentral"]  # skipped while open
    assert len([a for a in rec.attempts if a.region == "eastus2"]) == 2
    clock.advance(29.9)
    assert client.breaker_states()["eastus2"].state == "open"  # not before breaker_open_s
    clock.advance(0.1)
    assert client.breaker_states()["eastus2"].state == "half_open"
    ask(client)  # the trial fails: open again
    assert client.breaker_states()["eastus2"].state == "open"
    sim.clear_fault(fault.id)
    clock.advance(30)
    assert ask(client).headers["x-ms-region"] == "East US 2"  # the trial succeeds
    assert client.breaker_states()["eastus2"].state == "closed"
    changes = [(e.region, e.new_state) for e in rec.events if isinstance(e, BreakerEvent)]
    assert changes == [
        ("eastus2", "open"),
        ("eastus2", "half_open"),
        ("eastus2", "open"),
        ("eastus2", "half_open"),
        ("eastus2", "closed"),
    ]


def test_all_regions_down_raises_within_the_deadline_naming_each_region(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    sim.add_fault("refuse", "swedencentral")
    clock = ManualClock()
    client = make(sim, deadline_s=1.5, clock=clock, sleep=clock.sleep)
    started, clock_started = time.monotonic(), clock.now
    with pytest.raises(AllRegionsFailed) as err:
        ask(client)
    elapsed = clock.now - clock_started  # on the injected clock: the backoffs it slept through
    assert elapsed < 1.5 + 0.5
    assert clock.slept and elapsed <= 1.5 and err.value.waited_s <= 1.5  # it backed off, and stopped at the deadline
    assert time.monotonic() - started < 5  # real time: requests only, the backoff cost none
    message = str(err.value)
    assert "eastus2: HTTP 503" in message and "swedencentral: connection failed" in message
    assert set(err.value.failures) == {"eastus2", "swedencentral"}
    assert all(f.retry_in_s >= 0 for f in err.value.failures.values())


def test_every_region_open_waits_for_the_earliest_when_it_fits(
    clocked_sim: SimulatorThread, sim_clock: ManualClock
) -> None:
    # the client sleeps on the simulator's clock: its 1 s wait is what ends the 0.9 s fault
    sim = clocked_sim
    sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 1}, duration_s=0.9)
    sim.add_fault("http_error", "swedencentral", {"status": 503})
    rec = Recorder()
    client = make(sim, rec, deadline_s=5, breaker_failures=1, clock=sim_clock, sleep=sim_clock.sleep)
    started = sim_clock.now
    raw = ask(client)
    assert raw.headers["x-ms-region"] == "East US 2"
    assert 0.9 <= sim_clock.now - started < 3
    assert sim_clock.slept == [pytest.approx(1.0)]  # one wait, for eastus2's Retry-After
    assert rec.path()[-1] == ("eastus2", "ok", "return")


def test_every_region_open_beyond_the_deadline_raises_at_once(sim: SimulatorThread) -> None:
    sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 60})
    sim.add_fault("rate_limit", "swedencentral", {"retry_after_s": 60})
    clock = ManualClock()
    client = make(sim, deadline_s=5, clock=clock, sleep=clock.sleep)
    started = time.monotonic()
    with pytest.raises(AllRegionsFailed, match="may be tried again in 60"):
        ask(client)
    assert clock.slept == []  # no wait at all
    assert time.monotonic() - started < 3  # two requests; generous for a loaded machine


def test_embeddings_and_plain_create(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 500})
    client = make(sim)
    result = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert len(result.data[0].embedding) == 1536
    completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert completion.choices[0].message.content


def test_unknown_model_is_a_clear_error(sim: SimulatorThread) -> None:
    with pytest.raises(ValueError, match="no region deploys model 'gpt-5'"):
        make(sim).chat.completions.create(model="gpt-5", messages=MESSAGES)


def test_async_client_has_the_same_behaviour(sim: SimulatorThread) -> None:
    async def run() -> None:
        rec = Recorder()
        client = AsyncFailoverClient(
            regions(sim), environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=0.5, backoff_base_s=0.05, deadline_s=3
        )
        sim.add_fault("black_hole", "eastus2")
        raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
        assert raw.headers["x-ms-region"] == "Sweden Central"
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        assert stream.region == "swedencentral"
        assert [c async for c in stream]
        first = await client.responses.create(model="gpt-4o", input="hi")
        follow = await client.responses.create(model="gpt-4o", input="more", previous_response_id=first.id)
        assert follow.previous_response_id == first.id
        sim.add_fault("http_error", "eastus2", {"status": 400})
        sim.clear_fault(sim.call(_first_fault_id(sim)))
        results = await asyncio.gather(
            *[client.embeddings.create(model="text-embedding-3-small", input=str(i)) for i in range(5)]
        )
        assert len(results) == 5
        sim.add_fault("http_error", "swedencentral", {"status": 503})
        with pytest.raises(AllRegionsFailed):
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        await client.close()
        assert rec.path()[:2] == [("eastus2", "timeout", "fail_over"), ("swedencentral", "ok", "return")]

    asyncio.run(run())


async def _first_fault_id(sim: SimulatorThread) -> str:
    return sim.simulator.faults.active()[0].id


def test_hedging_sends_to_the_next_region_when_the_first_is_slow(sim: SimulatorThread) -> None:
    # hedging waits on real threads (no clock to inject): eastus2 is 6 s slow, so an answer within 3 s
    # can only be the hedge's, with room for a loaded machine
    sim.add_fault("latency", "eastus2", {"ms": 6000})
    rec = Recorder()
    client = make(sim, rec, hedge_after_s=0.2)
    started = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    assert raw.headers["x-ms-region"] == "Sweden Central"
    assert time.monotonic() - started < 3.0
    winner = next(a for a in rec.attempts if a.outcome == "ok")
    assert winner.region == "swedencentral" and winner.hedged
    sim.reset()
    rec.events.clear()
    assert (
        client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES).headers["x-ms-region"]
        == "East US 2"
    )
    assert [a.region for a in rec.attempts] == ["eastus2"]  # a fast answer sends no hedge


def test_async_hedging_cancels_the_loser(sim: SimulatorThread) -> None:
    async def run() -> None:
        sim.add_fault("latency", "eastus2", {"ms": 10_000})  # an answer within 5 s is the hedge's
        rec = Recorder()
        client = AsyncFailoverClient(regions(sim), environ={"SIM_KEY": KEY}, on_event=rec, hedge_after_s=0.2)
        started = time.monotonic()
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        assert stream.region == "swedencentral"
        assert [c async for c in stream]
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.1)
        assert [(a.region, a.hedged) for a in rec.attempts] == [("swedencentral", True)]  # eastus2 was cancelled
        assert client.breaker_states()["eastus2"].state == "closed"
        await client.close()

    asyncio.run(run())
