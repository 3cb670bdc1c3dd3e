"""Stalled streams through the failover client, sync and async, over real sockets: a stream that
stops sending (the simulator's stream_stall fault, or a server that sends only keep-alives) before
its first output fails over within stream_idle_timeout_s plus the time to answer, counted as a
timeout on the region's breaker; after it, StreamStalled is raised within the same bound."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.failover import (
    AsyncFailoverClient,
    AttemptEvent,
    BreakerEvent,
    BreakerState,
    FailoverClient,
    RegionConfig,
    StreamStalled,
)

from tests.clock import ManualClock
from tests.conftest import KEY
from tests.failover import hostile
from tests.failover.helpers import MESSAGES, Recorder, regions
from tests.failover.streaming import MODES, WEATHER_PARAMS, Drained, drain, tool_calls

IDLE_S = 0.5
STALL_S = 8  # far longer than IDLE_S: only the client's idle timeout can end the wait in time
BOUND_S = IDLE_S + 5  # the idle timeout plus the time to answer, generous for a loaded machine

# events before the first output, per stream: (operation, text?) -> how many the simulator sends
# chat: annotation, role; Responses text: created, in_progress, output_item.added (a message),
# content_part.added; Responses tool call: created, in_progress (output_item.added is the output)
BEFORE_OUTPUT = {
    ("chat.completions", True): 2,
    ("chat.completions", False): 2,
    ("responses", True): 4,
    ("responses", False): 2,
}
SHAPES = [
    pytest.param("chat.completions", True, id="chat-text"),
    pytest.param("chat.completions", False, id="chat-tool-call"),
    pytest.param("responses", True, id="responses-text"),
    pytest.param("responses", False, id="responses-tool-call"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation, text", SHAPES)
def test_a_stall_before_the_first_output_fails_over_within_the_idle_timeout(
    sim: SimulatorThread, mode: str, operation: str, text: bool
) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": BEFORE_OUTPUT[operation, text], "stall_s": STALL_S})
    rec = Recorder()
    started = time.monotonic()
    seen = drain(mode, sim, rec, operation, Drained(), text=text, stream_idle_timeout_s=IDLE_S, breaker_failures=1)
    took_s = time.monotonic() - started
    assert seen.region == "swedencentral"
    assert took_s < BOUND_S, took_s
    assert [(a.region, a.outcome, a.decision) for a in rec.attempts] == [
        ("eastus2", "timeout", "fail_over"),
        ("swedencentral", "ok", "return"),
    ]
    assert rec.attempts[0].detail.startswith("stream stalled: no event for ")
    breaker_opened = [e for e in rec.events if getattr(e, "region", None) == "eastus2" and hasattr(e, "new_state")]
    assert [e.new_state for e in breaker_opened] == ["open"]  # counted like a timeout (breaker_failures=1)
    if not text:
        ((name, arguments),) = tool_calls(operation, seen.chunks)
        assert name == "get_weather" and set(arguments) == set(WEATHER_PARAMS["required"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation, text", SHAPES)
def test_a_stall_after_the_first_output_raises_stream_stalled_within_the_idle_timeout(
    sim: SimulatorThread, mode: str, operation: str, text: bool
) -> None:
    # one event past the last one before the output: the first output itself
    sim.add_fault("stream_stall", "eastus2", {"after_events": BEFORE_OUTPUT[operation, text] + 1, "stall_s": STALL_S})
    rec = Recorder()
    seen = Drained()
    last_chunk_at: list[float] = []
    with pytest.raises(StreamStalled) as err:
        drain(
            mode,
            sim,
            rec,
            operation,
            seen,
            on_chunk=lambda _: last_chunk_at.append(time.monotonic()),
            text=text,
            stream_idle_timeout_s=IDLE_S,
        )
    silent_s = time.monotonic() - last_chunk_at[-1]
    assert silent_s < BOUND_S, silent_s
    stalled = err.value
    assert (stalled.region, stalled.deployment) == ("eastus2", "gpt-4o")
    assert stalled.gap_s >= IDLE_S * 0.9
    assert "region eastus2" in str(stalled) and "deployment gpt-4o" in str(stalled) and KEY not in str(stalled)
    assert seen.region == "eastus2"
    # never spliced onto another region: the attempt returned at the first output, then stalled
    assert rec.path() == [("eastus2", "ok", "return"), ("eastus2", "timeout", "raise")]
    assert rec.attempts[1].detail.startswith("after the first output: stream stalled: no event for ")


CHUNK = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[%s]}\n\n'
ROLE = CHUNK % b'{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}'
WORD = CHUNK % b'{"index":0,"delta":{"content":"Hello"},"finish_reason":null}'


def _client(endpoint: str, sim: SimulatorThread, rec: Recorder) -> FailoverClient:
    good = {"gpt-4o": "gpt-4o"}
    regions = [
        RegionConfig("eastus2", endpoint, 1, "api-key", "SIM_KEY", good),
        RegionConfig("swedencentral", sim.urls["swedencentral"], 2, "api-key", "SIM_KEY", good),
    ]
    return FailoverClient(
        regions, environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=5, deadline_s=20, stream_idle_timeout_s=IDLE_S
    )


def test_keep_alives_without_events_before_the_first_output_are_a_stall_that_fails_over(sim: SimulatorThread) -> None:
    rec = Recorder()
    # a comment every 0.1 s keeps every read under the read timeout; only the gap check sees the stall
    with hostile.hostile_server(hostile.keep_alive_stream([ROLE], every_s=0.1, comments=80)) as bad:
        started = time.monotonic()
        stream = _client(bad, sim, rec).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        assert stream.region == "swedencentral" and list(stream)
        assert time.monotonic() - started < BOUND_S
    assert rec.path()[0] == ("eastus2", "timeout", "fail_over")
    assert rec.attempts[0].detail.startswith("stream stalled")


def test_keep_alives_without_events_after_the_first_output_raise_stream_stalled(sim: SimulatorThread) -> None:
    rec = Recorder()
    with hostile.hostile_server(hostile.keep_alive_stream([ROLE, WORD], every_s=0.1, comments=80)) as bad:
        stream = _client(bad, sim, rec).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        started = time.monotonic()
        with pytest.raises(StreamStalled) as err:
            list(stream)
        assert time.monotonic() - started < BOUND_S
    assert err.value.region == "eastus2" and err.value.gap_s > IDLE_S
    assert rec.path() == [("eastus2", "ok", "return"), ("eastus2", "timeout", "raise")]


THRESHOLD = 2  # breaker_failures: the stalls after the first output that open eastus2's breaker


def _stream_calls(
    mode: str, sim: SimulatorThread, on_event: Callable[[Any], None], calls: int, **options: Any
) -> tuple[list[str], dict[str, BreakerState]]:
    """`calls` streamed chat calls through one client (sync or async; `regions=` overrides the
    simulator's two), each read to its end: per call "ok:<region>" or "stalled:<region>"
    (StreamStalled), and the breakers after the last."""
    configs = options.pop("regions", None) or regions(sim)
    built = {
        "environ": {"SIM_KEY": KEY},
        "on_event": on_event,
        "seed": 1,
        "read_timeout_s": 5,
        "deadline_s": 20,
        **options,
    }
    kwargs = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    ended: list[str] = []
    breakers: dict[str, BreakerState] = {}
    if mode == "sync":
        with FailoverClient(configs, **built) as client:
            for _ in range(calls):
                stream = client.chat.completions.create(**kwargs)
                try:
                    assert list(stream)
                    ended.append(f"ok:{stream.region}")
                except StreamStalled as exc:
                    ended.append(f"stalled:{exc.region}")
            breakers.update(client.breaker_states())
        return ended, breakers

    async def run() -> None:
        async with AsyncFailoverClient(configs, **built) as client:
            for _ in range(calls):
                stream = await client.chat.completions.create(**kwargs)
                try:
                    assert [chunk async for chunk in stream]
                    ended.append(f"ok:{stream.region}")
                except StreamStalled as exc:
                    ended.append(f"stalled:{exc.region}")
            breakers.update(client.breaker_states())

    asyncio.run(run())
    return ended, breakers


@pytest.mark.parametrize("mode", MODES)
def test_stalls_after_the_first_output_open_the_breaker_and_the_next_call_skips_the_region(
    sim: SimulatorThread, mode: str
) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": STALL_S})  # annotation, role, a word
    rec = Recorder()
    ended, breakers = _stream_calls(
        mode, sim, rec, THRESHOLD + 2, stream_idle_timeout_s=IDLE_S, breaker_failures=THRESHOLD
    )
    assert ended == ["stalled:eastus2"] * THRESHOLD + ["ok:swedencentral"] * 2
    # each stalled call: returned at its first output, then failed as that same attempt; the calls
    # after it never touch eastus2 (its breaker is open), not even a first attempt
    assert rec.path() == [
        *[("eastus2", "ok", "return"), ("eastus2", "timeout", "raise")] * THRESHOLD,
        ("swedencentral", "ok", "return"),
        ("swedencentral", "ok", "return"),
    ]
    stalled = [a for a in rec.attempts if a.decision == "raise"]
    assert all(a.detail.startswith("after the first output: stream stalled: no event for ") for a in stalled)
    assert [a.call_id for a in stalled] == [1, 2] and all(a.attempt == 1 for a in stalled)
    opened = [e for e in rec.events if isinstance(e, BreakerEvent)]
    assert [(e.region, e.old_state, e.new_state) for e in opened] == [("eastus2", "closed", "open")]
    assert opened[0].reason is not None and opened[0].reason.startswith("timeout: stream stalled")
    assert breakers["eastus2"].state == "open" and breakers["eastus2"].consecutive_failures == THRESHOLD
    served = [e["region"] for e in sim.simulator.request_log()]
    assert served.count("eastus2") == THRESHOLD and served.count("swedencentral") == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_read_to_its_end_counts_as_the_regions_success(sim: SimulatorThread, mode: str) -> None:
    # one stall after the output, then a healthy stream: the success resets the count, so the next
    # stall alone (one short of the threshold) does not open the breaker
    fault = sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": STALL_S})
    rec = Recorder()

    def clear_after_first_stall(event: Any) -> None:
        rec(event)
        if isinstance(event, AttemptEvent) and event.decision == "raise":
            sim.clear_fault(fault.id)

    ended, breakers = _stream_calls(
        mode, sim, clear_after_first_stall, 2, stream_idle_timeout_s=IDLE_S, breaker_failures=THRESHOLD
    )
    assert ended == ["stalled:eastus2", "ok:eastus2"]
    assert breakers["eastus2"].state == "closed" and breakers["eastus2"].consecutive_failures == 0
    assert not [e for e in rec.events if isinstance(e, BreakerEvent)]


def test_a_half_open_trial_stream_the_caller_never_reads_does_not_hold_the_breaker_shut(sim: SimulatorThread) -> None:
    clock = ManualClock()
    fault = sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": STALL_S})
    rec = Recorder()
    options = {"stream_idle_timeout_s": IDLE_S, "breaker_failures": 1, "breaker_open_s": 10, "read_timeout_s": 5}
    kwargs = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    with FailoverClient(
        regions(sim), environ={"SIM_KEY": KEY}, on_event=rec, clock=clock, sleep=clock.sleep, **options
    ) as client:
        with pytest.raises(StreamStalled):
            list(client.chat.completions.create(**kwargs))
        assert client.breaker_states()["eastus2"].state == "open"
        sim.clear_fault(fault.id)
        clock.advance(11)  # past breaker_open_s: one trial may go
        abandoned = client.chat.completions.create(**kwargs)  # the trial, never read
        assert abandoned.region == "eastus2"
        read = client.chat.completions.create(**kwargs)
        assert read.region == "eastus2" and list(read)  # the slot was free again: not kept away
        assert client.breaker_states()["eastus2"].state == "closed"
        abandoned.close()
    assert [(e.old_state, e.new_state) for e in rec.events if isinstance(e, BreakerEvent)] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


@pytest.fixture(scope="module")
def ptu_sim() -> Iterator[SimulatorThread]:
    """eastus2 serves a provisioned gpt-4o-ptu (room to spare) beside its standard gpt-4o."""
    east = default_region("eastus2", KEY, latency_scale=0, provisioned=("gpt-4o",))
    with SimulatorThread([east, default_region("swedencentral", KEY, latency_scale=0)], seed=5) as sim:
        yield sim


@pytest.mark.parametrize("mode", MODES)
def test_a_ptu_stream_that_stalls_after_its_first_output_counts_on_the_ptu_breaker_alone(
    ptu_sim: SimulatorThread, mode: str
) -> None:
    ptu_sim.reset()
    ptu_sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": STALL_S}, deployment="gpt-4o-ptu")
    rec = Recorder()
    with_ptu = [
        dataclasses.replace(r, provisioned={"gpt-4o": "gpt-4o-ptu"}) if r.name == "eastus2" else r
        for r in regions(ptu_sim)
    ]
    ended, breakers = _stream_calls(
        mode, ptu_sim, rec, 2, regions=with_ptu, stream_idle_timeout_s=IDLE_S, breaker_failures=1
    )
    ptu_sim.reset()
    assert ended == ["stalled:eastus2", "ok:eastus2"]
    assert [(a.deployment, a.tier, a.outcome, a.decision) for a in rec.attempts] == [
        ("gpt-4o-ptu", "provisioned", "ok", "return"),
        ("gpt-4o-ptu", "provisioned", "timeout", "raise"),
        ("gpt-4o", "standard", "ok", "return"),  # the PTU's breaker is open: its standard deployment
    ]
    assert breakers["eastus2/gpt-4o-ptu"].state == "open" and breakers["eastus2"].state == "closed"
    opened = [e for e in rec.events if isinstance(e, BreakerEvent)]
    assert [(e.tier, e.deployment, e.new_state) for e in opened] == [("provisioned", "gpt-4o-ptu", "open")]
