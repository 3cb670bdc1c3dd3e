"""Stalled streams through the failover client, sync and async, over real sockets: a stream that
stops sending (the simulator's stream_stall fault, or a server that sends only keep-alives) before
its first output fails over within stream_idle_timeout_s plus the time to answer, counted as a
timeout on the region's breaker; after it, StreamStalled is raised within the same bound."""

from __future__ import annotations

import time

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import FailoverClient, RegionConfig, StreamStalled

from tests.conftest import KEY
from tests.failover import hostile
from tests.failover.helpers import MESSAGES, Recorder
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
    assert [a.region for a in rec.attempts] == ["eastus2"]  # never spliced onto another region


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
    assert [a.region for a in rec.attempts] == ["eastus2"]
